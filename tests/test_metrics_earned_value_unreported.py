"""An actual cost or a budget that is not reported is missing in earned value, never 0 (UK GMPP 2023
reports no actuals: AC was 0.0 for every project, and PV 0.0 for a project without a budget)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from test_metrics_earned_value_edges import build, missing, one

from pmo_analytics.metrics.earned_value import evm, evm_series

MAR = dt.date(2024, 3, 31)


def _portfolio():
    # Status March 2024 (period 3); budget 100 a month Jan-Mar for every project.
    # A1: BAC 300, consumed blank in every month, 50% reported in March.
    # B1: BAC 300, consumed 80 a month Jan-Mar, 60% reported in March.
    # C1: BAC blank, consumed 50 a month, 40% reported in March.
    # D1: BAC 300, budget blank in every month, consumed 90 a month, 30% reported in March.
    lines = [(MAR, "A1", m, 100, None) for m in (1, 2, 3)]
    lines += [(MAR, "B1", m, 100, 80) for m in (1, 2, 3)]
    lines += [(MAR, "C1", m, 100, 50) for m in (1, 2, 3)]
    lines += [(MAR, "D1", m, None, 90, 100) for m in (1, 2, 3)]
    return build([(MAR, "A1", "active", 300.0), (MAR, "B1", "active", 300.0),
                  (MAR, "C1", "active", None), (MAR, "D1", "active", 300.0)],
                 lines, [(MAR, pid, 3, pct) for pid, pct in (("A1", 50), ("B1", 60), ("C1", 40), ("D1", 30))])


def test_no_actuals_reported_is_missing_ac_not_zero():
    con = _portfolio()
    status = evm(con)
    # A1: PV = 300, EV = 50% x 300 = 150, SPI = 150 / 300 = 0.50; no actuals: AC missing (was 0.0), so
    #   CV, CPI, every EAC, ETC, VAC and TCPI are missing. ES: PV(1) = 100 <= 150 < 200 -> ES = 1.5,
    #   AT 3, SPI(t) = 0.50 (schedule needs no actuals).
    a1 = one(status, "A1")
    assert (a1.pv, a1.ev, a1.spi, a1.es, a1.spi_t) == (300, 150, 0.5, 1.5, 0.5)
    assert missing(a1, "ac", "cv", "cpi", "cpi_3m", "eac", "eac_cpi", "eac_remaining_at_budget",
                   "eac_cpi_spi", "eac_cpi_3m", "etc", "vac", "tcpi", "tcpi_eac") == []
    assert bool(a1.eac_unrealistic) is False
    # B1 by hand: PV 300, AC 3 x 80 = 240, EV 60% x 300 = 180; CV = 180 - 240 = -60, SV = -120,
    #   CPI = 180 / 240 = 0.75, SPI = 0.60, EAC = 300 / 0.75 = 400, ETC = 160, VAC = -100,
    #   TCPI = (300 - 180) / (300 - 240) = 2.00.
    b1 = one(status, "B1")
    assert (b1.pv, b1.ac, b1.ev, b1.cv, b1.sv) == (300, 240, 180, -60, -120)
    assert (b1.cpi, b1.spi, round(b1.eac, 6), round(b1.etc, 6), round(b1.vac, 6)) == (0.75, 0.6, 400, 160, -100)
    assert round(b1.tcpi, 6) == 2.0
    # C1: no BAC, so no EV; the budget and actuals reported still give PV 300 and AC 150.
    c1 = one(status, "C1")
    assert (c1.pv, c1.ac) == (300, 150) and missing(c1, "ev", "sv", "spi", "cpi") == []
    # D1: BAC 300 but no budget reported: PV missing (was 0.0); AC 270; EV 90; CPI = 90 / 270 = 0.3333.
    d1 = one(status, "D1")
    assert d1.ac == 270 and d1.ev == 90 and round(d1.cpi, 4) == 0.3333 and missing(d1, "pv", "sv", "spi") == []


def test_the_series_leaves_unreported_months_missing_and_agrees_with_evm():
    con = _portfolio()
    s = evm_series(con)
    a1 = s[s.project_id == "A1"]
    assert a1.ac.isna().all() and list(a1.pv) == [100, 200, 300]
    assert list(s[s.project_id == "B1"].ac) == [80, 160, 240]
    assert s[s.project_id == "D1"].pv.isna().all() and list(s[s.project_id == "D1"].ac) == [90, 180, 270]
    e = evm(con)
    last = s[s.period == pd.Timestamp(2024, 3, 1)].reset_index(drop=True)
    cols = [c for c in s.columns if c in e.columns]
    pd.testing.assert_frame_equal(last[cols], e[cols].reset_index(drop=True))
