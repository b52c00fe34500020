"""Issue 13, "numbers a PMO can sign": the edges of EVM and Earned Schedule, each worked by hand.

Each test builds a tiny database of its own (budget 100 a month unless said otherwise, all in 2024) and
checks the values worked in its comments; every one of them failed on the code before issue 13.
"""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from pmo_analytics import contract
from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics import earned_value as evm_mod
from pmo_analytics.metrics.earned_value import evm, evm_series
from pmo_analytics.metrics.performance import performance_history
from pmo_analytics.store import connection as db


def month(i: int) -> dt.date:
    """First day of the i-th month of 2024 (1 = January)."""
    return dt.date(2024, i, 1)


def end(i: int) -> pd.Timestamp:
    """Last day of the i-th month of 2024."""
    return pd.Timestamp(month(i)) + pd.offsets.MonthEnd(0)


def build(projects, lines, progress):
    """An in-memory database: projects (as_of, id, status, bac), lines (as_of, id, month, budget,
    consumed[, forecast]; forecast defaults to the budget), progress (as_of, id, month, percent)."""
    con = db.memory()
    for ddl in contract.all_ddl():
        con.sql(ddl)
    for as_of in sorted({p[0] for p in projects}):
        con.execute("INSERT INTO loads (as_of, loaded_at, files, warnings, checksum) "
                    "VALUES (?, TIMESTAMP '2024-12-01 09:00', 'test', 0, 'x')", [as_of])
    con.executemany("INSERT INTO projects (as_of, project_id, name, portfolio, program, department, status, "
                    "bac, currency) VALUES (?, ?, ?, 'Alpha', 'Prog A', 'IT', ?, ?, 'EUR')",
                    [(a, pid, f"Project {pid}", status, bac) for a, pid, status, bac in projects])
    con.executemany("INSERT INTO budget_lines (as_of, project_id, period, category, budget, forecast, "
                    "committed, consumed) VALUES (?, ?, ?, 'labour', ?, ?, 0, ?)",
                    [(a, pid, month(m), b, (rest or [b])[0], c) for a, pid, m, b, c, *rest in lines])
    if progress:
        con.executemany("INSERT INTO progress (as_of, project_id, period, percent_complete) VALUES (?, ?, ?, ?)",
                        [(a, pid, month(m), pct) for a, pid, m, pct in progress])
    return con


def one(df: pd.DataFrame, project_id: str, period: int | None = None) -> pd.Series:
    sel = df[df.project_id == project_id]
    if period is not None:
        sel = sel[sel.period == pd.Timestamp(month(period))]
    assert len(sel) == 1, sel
    return sel.iloc[0]


def missing(r: pd.Series, *cols: str) -> list[str]:
    """The columns of `r` that are NOT missing (so `assert missing(...) == []` names the culprits)."""
    return [c for c in cols if not pd.isna(r[c])]


SEP = dt.date(2024, 9, 30)


def test_whole_ieac_t_does_not_add_a_month_of_float_noise():
    # Q1: budget 100 a month Jan-Sep (BAC 900), 90% reported in September (status period 9).
    #   PV(9) = 900 = BAC -> PD = 9. EV = 90% x 900 = 810.
    #   ES: PV(8) = 800 <= 810 < PV(9) = 900 -> C = 8, I = (810 - 800) / 100 = 0.1 -> ES = 8.1
    #   AT = 9, SPI(t) = 8.1 / 9 = 0.9, IEAC(t) = PD / SPI(t) = 9 / 0.9 = 10 periods exactly
    #   -> finishes in period 10 = October 2024 (month end 2024-10-31).
    # In floating point 8.1 / 9 is a hair under 0.9 and 9 / it = 10.000000000000002, whose ceil was 11
    # (November): the forecast was a month late. Rounding to 9 decimals before ceil gives 10.
    con = build([(SEP, "Q1", "active", 900.0)],
                [(SEP, "Q1", m, 100, 90) for m in range(1, 10)],
                [(SEP, "Q1", m, 10 * m) for m in range(1, 10)])
    r = one(evm(con), "Q1")
    assert r.pd == 9 and r["at"] == 9
    assert round(r.es, 6) == 8.1 and round(r.spi_t, 6) == 0.9
    assert round(r.ieac_t, 6) == 10.0
    assert r.forecast_finish == pd.Timestamp(2024, 10, 31)
    assert one(evm_series(con), "Q1", 9).forecast_finish == pd.Timestamp(2024, 10, 31)


JUL = dt.date(2024, 7, 31)


@pytest.fixture(scope="module")
def finished():
    # F2 (active): budget 100 a month Jan-Apr (BAC 400, PD 4); consumed 100 a month Jan-Apr, then 20 in
    #   May and 10 in June (late invoices); progress 25, 50, 75 (Jan-Mar), none in April, 100 in May.
    # F3 (closed, never reported 100%): budget 100 a month Jan-Apr (BAC 400); consumed 100, 100, 50
    #   (Jan-Mar); progress 30, 60, 80 (Jan-Mar), nothing after.
    # F4 (cancelled): budget 100 a month Jan-Apr (BAC 400); consumed 100 a month Jan-Mar; progress 20, 40
    #   (Jan, Feb).
    # Snapshot 2024-07-31: status month July = period 7 for all three.
    lines = [(JUL, "F2", m, 100 if m <= 4 else 0, c) for m, c in zip(range(1, 7), (100, 100, 100, 100, 20, 10))]
    lines += [(JUL, "F3", m, 100, c) for m, c in zip(range(1, 5), (100, 100, 50, 0))]
    lines += [(JUL, "F4", m, 100, 100 if m <= 3 else 0) for m in range(1, 5)]
    progress = [(JUL, "F2", m, p) for m, p in ((1, 25), (2, 50), (3, 75), (5, 100))]
    progress += [(JUL, "F3", m, p) for m, p in ((1, 30), (2, 60), (3, 80))]
    progress += [(JUL, "F4", m, p) for m, p in ((1, 20), (2, 40))]
    con = build([(JUL, "F2", "active", 400.0), (JUL, "F3", "closed", 400.0), (JUL, "F4", "cancelled", 400.0)],
                lines, progress)
    yield con
    con.close()


def test_earned_schedule_freezes_at_the_actual_finish(finished):
    # F2 reports 100% in May = period 5: it finished then (actual_finish 2024-05-31).
    #   EV = 400 = BAC -> ES = PD = 4; AT freezes at 5 (not the status period 7):
    #   SV(t) = 4 - 5 = -1.00 (one month late, as it stays), SPI(t) = 4 / 5 = 0.80,
    #   IEAC(t) = the actual duration = 5 (= PD / SPI(t) = 4 / 0.8) -> forecast_finish = 2024-05-31.
    #   Before: AT 7, SV(t) -3.00, SPI(t) 0.57 and forecast_finish 2024-07-31 (the status month).
    #   Costs: AC = 400 + 20 + 10 = 430, CPI = 400 / 430 = 0.9302, EAC = 400 / 0.9302 = 430.00.
    r = one(evm(finished), "F2")
    assert r.es == 4 and r["at"] == 5
    assert (round(r.sv_t, 2), round(r.spi_t, 2), round(r.ieac_t, 2)) == (-1.00, 0.80, 5.00)
    assert r.forecast_finish == pd.Timestamp(2024, 5, 31)
    assert r.actual_finish == r.forecast_finish
    assert r.ac == 430 and round(r.cpi, 4) == 0.9302 and round(r.eac, 2) == 430.00
    assert r.status == "active" and bool(r.progress_reported)


def test_evm_series_carries_the_frozen_values_after_the_finish(finished):
    s = evm_series(finished, project_ids="F2")
    # April (period 4, not finished): 75% carried from March -> EV 300; PV(3) = 300 <= 300 < 400 -> ES 3.00
    #   AT 4, SV(t) = -1.00, SPI(t) = 0.75, IEAC(t) = 4 / 0.75 = 5.33 -> period 6 -> 2024-06-30; no finish yet.
    apr = one(s, "F2", 4)
    assert (apr.ev, round(apr.es, 2), apr["at"]) == (300, 3.00, 4)
    assert round(apr.ieac_t, 2) == 5.33 and apr.forecast_finish == end(6)
    # May (the finish), June and July (after it) all show ES 4, AT 5, SV(t) -1, SPI(t) 0.80, finish May.
    for m in (7, 6, 5):
        r = one(s, "F2", m)
        assert (r.es, r["at"], round(r.sv_t, 2), round(r.spi_t, 2)) == (4, 5, -1.00, 0.80), m
        assert r.forecast_finish == end(5) and r.actual_finish == end(5), m
    assert pd.isna(apr.actual_finish)
    # The status-month row of the series is evm's row.
    assert one(s, "F2", 7).spi_t == one(evm(finished), "F2").spi_t


def test_closed_project_finishes_at_its_last_report_with_eac_equal_to_ac(finished):
    # F3, closed without a 100% report: finished at its last report, March = period 3.
    #   EV = 80% x 400 = 320; PV(3) = 300 <= 320 < 400 -> C = 3, I = 20 / 100 = 0.2 -> ES 3.20;
    #   AT = 3 (frozen), SV(t) = +0.20, SPI(t) = 3.2 / 3 = 1.0667; IEAC(t) = AT = 3;
    #   forecast_finish = actual_finish = 2024-03-31.
    #   AC = 100 + 100 + 50 = 250; CPI = 320 / 250 = 1.28. Closed: EAC = AC = 250, ETC = 0,
    #   VAC = 400 - 250 = 150; TCPI missing (was (400 - 320) / (400 - 250) = 0.5333), tcpi_eac
    #   missing, eac_unrealistic FALSE (was TRUE: |0.5333 - 1.28| > 0.10). Before, EAC was
    #   400 / 1.28 = 312.50 and AT 7.
    r = one(evm(finished), "F3")
    assert (r.ev, r.ac, r.cpi) == (320, 250, 1.28)
    assert (r.eac, r.etc, r.vac) == (250, 0, 150)
    assert (round(r.es, 2), r["at"], round(r.sv_t, 2), round(r.spi_t, 4)) == (3.20, 3, 0.20, 1.0667)
    assert r.ieac_t == 3 and r.forecast_finish == end(3) and r.actual_finish == end(3)
    assert r.status == "closed"
    assert (r.eac_cpi, r.eac_remaining_at_budget, r.eac_cpi_spi, r.eac_cpi_3m) == (250, 250, 250, 250)
    assert missing(r, "tcpi", "tcpi_eac", "tcpi_achievable") == []
    assert bool(r.eac_unrealistic) is False


def test_cancelled_project_has_no_forecast(finished):
    # F4, cancelled: EV = 40% x 400 = 160, AC = 300, CPI = 160 / 300 = 0.5333 (indices stay: they are
    #   history). No forecast at all: EAC (was 400 / 0.5333 = 750), ETC, VAC, TCPI, tcpi_eac, IEAC(t),
    #   forecast_finish, and the other EACs missing; eac_unrealistic FALSE (was TRUE). No 100% report
    #   and not closed: no actual_finish; ES: PV(1) = 100 <= 160 < 200 -> C = 1, I = 0.6 -> ES 1.60.
    r = one(evm(finished), "F4")
    assert (r.ev, r.ac, round(r.cpi, 4), round(r.es, 2)) == (160, 300, 0.5333, 1.60)
    assert missing(r, "eac", "etc", "vac", "tcpi", "tcpi_eac", "ieac_t", "forecast_finish", "eac_cpi",
                   "eac_remaining_at_budget", "eac_cpi_spi") == []
    assert bool(r.eac_unrealistic) is False
    assert missing(r, "eac_cpi_3m", "eac_gap_pct", "actual_finish") == [] and bool(r.eac_gap_flag) is False
    assert r.status == "cancelled"


APR = dt.date(2024, 4, 30)


def test_missing_progress_is_not_zero_percent_complete():
    # N1: budget 100 a month Jan-Apr (BAC 400), consumed 50 a month Jan-Apr, no progress report at all.
    #   PV = 400, AC = 200 are known; EV is not: EV, CV, SV, CPI, SPI, ES, SV(t), SPI(t), EAC, ETC,
    #   VAC, TCPI, IEAC(t) missing and progress_reported FALSE (before: EV 0, CPI 0.00, ES 0, SPI(t) 0).
    # N2: budget 100 a month Jan-Apr, consumed 100 a month; first report 70% in March (period 3).
    #   Jan, Feb: no EV, no ES. March: EV 280; PV(2) = 200 <= 280 < 300 -> C = 2, I = 0.8 -> ES 2.80.
    #   April (status): EV 280 carried; cpi_3m needs EV(1), unknown -> missing (before: EV(1) read as
    #   0, cpi_3m = (280 - 0) / (400 - 100) = 0.9333).
    con = build([(APR, "N1", "active", 400.0), (APR, "N2", "active", 400.0)],
                [(APR, pid, m, 100, 50 if pid == "N1" else 100) for pid in ("N1", "N2") for m in range(1, 5)],
                [(APR, "N2", 3, 70)])
    status = evm(con)
    n1 = one(status, "N1")
    assert (n1.pv, n1.ac) == (400, 200)
    assert missing(n1, "percent_complete", "ev", "cv", "sv", "cpi", "spi", "es", "sv_t", "spi_t", "eac",
                   "etc", "vac", "tcpi", "ieac_t", "forecast_finish") == []
    assert bool(n1.eac_unrealistic) is False
    n2 = one(status, "N2")
    assert n2.ev == 280 and pd.isna(n2.cpi_3m)
    s = evm_series(con, project_ids="N2")
    assert s.ev.isna().tolist() == [True, True, False, False] and s.es.isna().tolist() == [True, True, False, False]
    assert round(one(s, "N2", 3).es, 2) == 2.80
    assert s.cpi.isna().tolist() == [True, True, False, False]
    assert bool(n1.progress_reported) is False and bool(n2.progress_reported) is True
    assert list(s.progress_reported) == [False, False, True, True]
    assert pd.isna(n1.eac_cpi_3m)


MAR = dt.date(2024, 3, 31)


def test_eac_unrealistic_only_when_tcpi_is_unfavourable_and_tcpi_never_negative():
    # U1: BAC 1000, budget 250 a month Jan-Apr; consumed 100 in Jan and Feb; 40% reported in February;
    #   status March (period 3): PV 750, EV 400, AC 200 -> CPI = 400 / 200 = 2.00,
    #   TCPI = (1000 - 400) / (1000 - 200) = 600 / 800 = 0.75. TCPI - CPI = -1.25: it needs LESS
    #   efficiency than achieved -> not unrealistic (before: |-1.25| > 0.10 flagged it).
    # U2: BAC 500, budget 100 a month Jan-May; consumed 200 a month Jan-Mar (AC 600 > BAC); 60% in March.
    #   EV 300, work left; BAC - AC = -100: TCPI was (500 - 300) / -100 = -2.00. No efficiency finishes
    #   on BAC: TCPI missing, tcpi_achievable FALSE, eac_unrealistic TRUE. CPI = 300 / 600 = 0.50.
    # U3: like U1 but consumed 250 in Jan and Feb (AC 500): CPI = 400 / 500 = 0.80,
    #   TCPI = 600 / 500 = 1.20, TCPI - CPI = 0.40 > 0.10 -> unrealistic, tcpi_achievable TRUE.
    con = build([(MAR, "U1", "active", 1000.0), (MAR, "U2", "active", 500.0), (MAR, "U3", "active", 1000.0)],
                [(MAR, "U1", m, 250, 100 if m <= 2 else 0) for m in range(1, 5)]
                + [(MAR, "U2", m, 100, 200 if m <= 3 else 0) for m in range(1, 6)]
                + [(MAR, "U3", m, 250, 250 if m <= 2 else 0) for m in range(1, 5)],
                [(MAR, "U1", 2, 40), (MAR, "U2", 3, 60), (MAR, "U3", 2, 40)])
    status = evm(con).set_index("project_id")
    u1, u2, u3 = status.loc["U1"], status.loc["U2"], status.loc["U3"]
    assert (u1.cpi, u1.tcpi) == (2.0, 0.75)
    assert bool(u1.eac_unrealistic) is False
    assert u2.cpi == 0.5 and pd.isna(u2.tcpi) and bool(u2.eac_unrealistic) is True
    assert not (evm_series(con).tcpi < 0).any()
    assert (u3.cpi, round(u3.tcpi, 4)) == (0.8, 1.2) and bool(u3.eac_unrealistic) is True
    assert [bool(u.tcpi_achievable) for u in (u1, u2, u3)] == [True, False, True]


JUN = dt.date(2024, 6, 30)


def test_independent_eac_from_the_cpi_trend_and_the_gap_to_the_bottom_up_forecast():
    # G1: BAC 1200, budget 100 a month Jan-Dec, forecast 110 a month (bottom-up forecast 12 x 110 =
    #   1320); consumed 100, 100, 100, 120, 120, 120 (Jan-Jun: AC 660); progress 8, 16, 25, 30, 35, 40%.
    #   Status June (period 6): EV = 40% x 1200 = 480, CPI = 480 / 660 = 0.7273,
    #   EAC = 1200 / 0.7273 = 1650.00.
    #   cpi_3m = (EV(6) - EV(3)) / (AC(6) - AC(3)) = (480 - 300) / (660 - 300) = 180 / 360 = 0.50
    #   eac_cpi_3m = AC + (BAC - EV) / cpi_3m = 660 + 720 / 0.5 = 2100.00
    #   eac_gap_pct = 100 x (1650 - 1320) / 1320 = 25.00 -> |25| > 10: eac_gap_flag TRUE.
    # G2: BAC 1000, budget 100 a month Jan-Oct, forecast 105 a month (1050); consumed 100 a month
    #   Jan-Mar (AC 300), 30% in March -> EV 300, CPI 1.00, EAC 1000;
    #   eac_gap_pct = 100 x (1000 - 1050) / 1050 = -4.76 -> |-4.76| <= 10: not flagged.
    #   Nothing earned or spent in the last 3 months: EV(6) - EV(3) = 300 - 300 = 0 over
    #   AC(6) - AC(3) = 300 - 300 = 0 -> cpi_3m missing, and so is eac_cpi_3m.
    pcts = (8, 16, 25, 30, 35, 40)
    con = build([(JUN, "G1", "active", 1200.0), (JUN, "G2", "active", 1000.0)],
                [(JUN, "G1", m, 100, c, 110) for m, c in zip(range(1, 13), (100, 100, 100, 120, 120, 120) + (0,) * 6)]
                + [(JUN, "G2", m, 100, 100 if m <= 3 else 0, 105) for m in range(1, 11)],
                [(JUN, "G1", m, p) for m, p in zip(range(1, 7), pcts)] + [(JUN, "G2", 3, 30)])
    assert evm_mod.EAC_GAP_PCT == 10
    status = evm(con).set_index("project_id")
    g1, g2 = status.loc["G1"], status.loc["G2"]
    assert (g1.ev, g1.ac, round(g1.eac, 2), g1.forecast) == (480, 660, 1650.00, 1320)
    assert (g1.cpi_3m, round(g1.eac_cpi_3m, 2)) == (0.5, 2100.00)
    assert round(g1.eac_gap_pct, 2) == 25.00 and bool(g1.eac_gap_flag) is True
    assert (g2.eac, g2.forecast, round(g2.eac_gap_pct, 2)) == (1000, 1050, -4.76)
    assert bool(g2.eac_gap_flag) is False
    assert pd.isna(g2.cpi_3m) and pd.isna(g2.eac_cpi_3m)


FEB, MAR_ = dt.date(2024, 2, 29), dt.date(2024, 3, 31)


@pytest.fixture(scope="module")
def history():
    # H1: BAC 400, budget 100 a month Jan-Apr, in two snapshots.
    #   2024-02-29 (status Feb, period 2), active: consumed 100, 100; progress 20, 45.
    #   2024-03-31 (status Mar, period 3), on_hold: February's actual restated to 120, March 100;
    #     progress 20, 45, 70.
    # H2: only in the March snapshot, BAC 200, budget 100 Mar-Apr, consumed 50 in March, no progress.
    lines = [(FEB, "H1", m, 100, c) for m, c in zip(range(1, 5), (100, 100, 0, 0))]
    lines += [(MAR_, "H1", m, 100, c) for m, c in zip(range(1, 5), (100, 120, 100, 0))]
    lines += [(MAR_, "H2", 3, 100, 50), (MAR_, "H2", 4, 100, 0)]
    progress = [(FEB, "H1", 1, 20), (FEB, "H1", 2, 45), (MAR_, "H1", 1, 20), (MAR_, "H1", 2, 45),
                (MAR_, "H1", 3, 70)]
    con = build([(FEB, "H1", "active", 400.0), (MAR_, "H1", "on_hold", 400.0), (MAR_, "H2", "active", 200.0)],
                lines, progress)
    yield con
    con.close()


def test_performance_history_as_reported_at_each_snapshot(history):
    # H1 at 2024-02-29, as reported then: PV 200, EV 45% x 400 = 180, AC 200
    #   CPI = 180 / 200 = 0.9000, SPI = 180 / 200 = 0.9000, EAC = 400 / 0.9 = 444.44
    #   ES: PV(1) = 100 <= 180 < 200 -> C = 1, I = 80 / 100 = 0.8 -> ES 1.80; AT 2; SPI(t) = 0.9000
    # H1 at 2024-03-31 (February restated): PV 300, EV 70% x 400 = 280, AC 100 + 120 + 100 = 320
    #   CPI = 280 / 320 = 0.8750, SPI = 280 / 300 = 0.9333, EAC = 400 / 0.875 = 457.14
    #   ES: PV(2) = 200 <= 280 < 300 -> C = 2, I = 0.8 -> ES 2.80; AT 3; SPI(t) = 2.8 / 3 = 0.9333
    # H2 at 2024-03-31: no progress report -> progress_reported FALSE, CPI, SPI(t), EAC missing.
    h = performance_history(history)
    assert list(zip(h.as_of, h.project_id)) == [(pd.Timestamp(FEB), "H1"), (pd.Timestamp(MAR_), "H1"),
                                                (pd.Timestamp(MAR_), "H2")]
    feb, mar, h2 = h.iloc[0], h.iloc[1], h.iloc[2]
    assert (feb.status, feb.pv, feb.ev, feb.ac) == ("active", 200, 180, 200)
    assert (round(feb.cpi, 4), round(feb.spi, 4), round(feb.spi_t, 4), round(feb.eac, 2)) == (0.9, 0.9, 0.9, 444.44)
    assert (mar.status, mar.pv, mar.ev, mar.ac) == ("on_hold", 300, 280, 320)
    assert (round(mar.cpi, 4), round(mar.spi, 4), round(mar.spi_t, 4), round(mar.eac, 2)) == (
        0.8750, 0.9333, 0.9333, 457.14)
    assert bool(feb.progress_reported) and bool(mar.progress_reported)
    assert bool(h2.progress_reported) is False and missing(h2, "cpi", "spi_t", "eac") == []
    # As reported, not as restated: the March snapshot's series gives February AC 220, CPI 180 / 220.
    assert one(evm_series(history, as_of="2024-03", project_ids="H1"), "H1", 2).ac == 220


def test_performance_history_filters_and_refuses_as_of(history):
    assert list(performance_history(history, project_ids="H2").project_id) == ["H2"]
    only_march = performance_history(history, period_from="2024-03")
    assert set(only_march.as_of) == {pd.Timestamp(MAR_)}
    assert list(performance_history(history, period_to="2024-02").project_id) == ["H1"]
    assert performance_history(history, portfolio="x' OR 1=1 --").empty
    with pytest.raises(UsageError, match="performance_history does not take as_of"):
        performance_history(history, as_of="2024-03")


def test_performance_history_is_evm_at_every_snapshot(history, finished):
    for con in (history, finished):
        h = performance_history(con)
        for as_of, rows in h.groupby("as_of"):
            e = evm(con, as_of=as_of.date())
            cols = [c for c in h.columns if c != "as_of"]
            pd.testing.assert_frame_equal(rows[cols].reset_index(drop=True), e[cols].reset_index(drop=True))
    empty = db.memory()
    for ddl in contract.all_ddl():
        empty.sql(ddl)
    assert performance_history(empty).empty


def test_no_inf_and_evm_agrees_with_the_series_status_row(finished):
    e = evm(finished)
    s = evm_series(finished)
    last = s[s.period == s.period.max()].reset_index(drop=True)
    cols = [c for c in s.columns if c in e.columns]
    pd.testing.assert_frame_equal(last[cols], e[cols].reset_index(drop=True))
    numeric = s.select_dtypes("number").to_numpy(dtype=float)
    assert not (numeric == math.inf).any() and not (numeric == -math.inf).any()
