"""EVM and Earned Schedule against hand-computed values.

Three snapshots in one tiny database:
  2024-03-31  P1 (textbook, status month 3), P3 (nothing consumed yet), P4 (nothing planned yet)
  2024-05-31  P1 again, with March's actuals restated (210 instead of 200) and two more months
  2024-07-31  P2, a project finished two months after its planned end
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from pmo_analytics import contract
from pmo_analytics.metrics import earned_value as evm_mod
from pmo_analytics.metrics.earned_value import evm, evm_series
from pmo_analytics.store import connection as db

S1, S2, S3 = dt.date(2024, 3, 31), dt.date(2024, 5, 31), dt.date(2024, 7, 31)


def month(i: int) -> dt.date:
    """First day of the i-th month of 2024 (1 = January)."""
    return dt.date(2024, i, 1)


def build(projects, lines, progress, snapshots):
    """An in-memory workbench database holding exactly these rows."""
    con = db.memory()
    for ddl in contract.all_ddl():
        con.sql(ddl)
    for as_of in snapshots:
        con.execute("INSERT INTO loads (as_of, loaded_at, files, warnings, checksum) "
                    "VALUES (?, TIMESTAMP '2024-08-01 09:00', 'test', 0, 'x')", [as_of])
    if projects:
        con.executemany("INSERT INTO projects (as_of, project_id, name, portfolio, program, department, "
                        "status, bac, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", projects)
    if lines:
        con.executemany("INSERT INTO budget_lines (as_of, project_id, period, category, budget, forecast, "
                        "committed, consumed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", lines)
    if progress:
        con.executemany("INSERT INTO progress (as_of, project_id, period, percent_complete) "
                        "VALUES (?, ?, ?, ?)", progress)
    return con


@pytest.fixture(scope="module")
def con():
    projects = [
        (S1, "P1", "Textbook", "Alpha", "Prog A", "IT", "active", 1000.0, "EUR"),
        (S1, "P3", "Not spent yet", "Beta", "Prog B", "Ops", "active", 400.0, "EUR"),
        (S1, "P4", "Not planned yet", "Beta", "Prog B", "Ops", "planned", 300.0, "EUR"),
        (S2, "P1", "Textbook", "Alpha", "Prog A", "IT", "active", 1000.0, "EUR"),
        (S3, "P2", "Late", "Alpha", "Prog A", "IT", "active", 500.0, "EUR"),
    ]
    lines = []
    # P1: budget 100, 200, 300, 250, 150 (Jan-May), split over two categories so EVM must add them:
    #   labour 60, 150, 200, 200, 100 + external 40, 50, 100, 50, 50.
    # Consumed (S1): labour 100, 150, 150 + external 20, 30, 50 = 120, 180, 200 (Jan-Mar).
    # Consumed (S2): March restated to 210 (labour 160), then April 250, May 240 (labour only).
    labour = [60, 150, 200, 200, 100]
    external = [40, 50, 100, 50, 50]
    consumed = {S1: {"labour": [100, 150, 150, 0, 0], "external": [20, 30, 50, 0, 0]},
                S2: {"labour": [100, 150, 160, 250, 240], "external": [20, 30, 50, 0, 0]}}
    for snap in (S1, S2):
        for m in range(5):
            lines.append((snap, "P1", month(m + 1), "labour", labour[m], labour[m], 0,
                          consumed[snap]["labour"][m]))
            lines.append((snap, "P1", month(m + 1), "external", external[m], external[m], 0,
                          consumed[snap]["external"][m]))
    # P3 (S1): budget 100 Feb, 100 Mar, 200 Apr (BAC 400); nothing consumed.
    for m, b in ((2, 100), (3, 100), (4, 200)):
        lines.append((S1, "P3", month(m), "labour", b, b, 0, 0))
    # P4 (S1): first budget period March with budget 0, then 300 in April.
    lines += [(S1, "P4", month(3), "labour", 0, 0, 0, 0), (S1, "P4", month(4), "labour", 300, 300, 0, 0)]
    # P2 (S3): budget 100 a month Jan-May (BAC 500, PD = 5); 100 consumed every month Jan-Jul.
    for m in range(1, 8):
        lines.append((S3, "P2", month(m), "labour", 100 if m <= 5 else 0, 100, 0, 100))

    progress = []
    for snap, pcts in ((S1, [8, 25, 45]), (S2, [8, 25, 45, 70, 90])):
        progress += [(snap, "P1", month(i + 1), p) for i, p in enumerate(pcts)]
    progress.append((S1, "P3", month(3), 10))
    # P2: no progress row for March (carried forward from February's 40%).
    progress += [(S3, "P2", month(m), p) for m, p in ((1, 20), (2, 40), (4, 60), (5, 80), (6, 90), (7, 100))]
    c = build(projects, lines, progress, [S1, S2, S3])
    yield c
    c.close()


def row(df: pd.DataFrame, project_id: str, period: dt.date | None = None) -> pd.Series:
    sel = df[df.project_id == project_id]
    if period is not None:
        sel = sel[sel.period == pd.Timestamp(period)]
    assert len(sel) == 1, sel
    return sel.iloc[0]


def test_textbook_project_at_month_3(con):
    # P1 at the 2024-03-31 snapshot, status period 3 (March). By hand:
    #   PV(3) = 100 + 200 + 300 = 600        EV(3) = 45% x 1000 = 450       AC(3) = 120 + 180 + 200 = 500
    #   CV = 450 - 500 = -50                 SV = 450 - 600 = -150
    #   CPI = 450 / 500 = 0.9000             SPI = 450 / 600 = 0.7500
    #   EAC = BAC / CPI = 1000 / 0.9 = 1111.11 (= eac_cpi)
    #   ETC = 1111.11 - 500 = 611.11         VAC = 1000 - 1111.11 = -111.11
    #   eac_remaining_at_budget = 500 + (1000 - 450) = 1050.00
    #   eac_cpi_spi = 500 + 550 / (0.9 x 0.75) = 500 + 814.81 = 1314.81
    #   TCPI = (1000 - 450) / (1000 - 500) = 550 / 500 = 1.1000
    #   tcpi_eac = 550 / (1111.11 - 500) = 550 / 611.11 = 0.9000 (= CPI, as it must for EAC = BAC/CPI)
    #   |TCPI - CPI| = 0.2 > 0.10 -> eac_unrealistic
    # Earned Schedule: PV curve 100, 300, 600, 850, 1000 -> PD = 5 (PV reaches BAC in May).
    #   EV = 450: PV(2) = 300 <= 450 < PV(3) = 600 -> C = 2, I = (450 - 300) / (600 - 300) = 0.50
    #   ES = 2.50, AT = 3, SV(t) = 2.5 - 3 = -0.50, SPI(t) = 2.5 / 3 = 0.83
    #   IEAC(t) = PD / SPI(t) = 5 / 0.8333 = 6.00 periods -> finishes in period 6 = June 2024
    r = row(evm(con, as_of="2024-03"), "P1")
    assert r["name"] == "Textbook" and r.portfolio == "Alpha" and r.program == "Prog A"
    assert r.period == pd.Timestamp(2024, 3, 1)
    assert r.bac == 1000
    assert (round(r.pv, 2), round(r.ev, 2), round(r.ac, 2)) == (600.00, 450.00, 500.00)
    assert (round(r.cv, 2), round(r.sv, 2)) == (-50.00, -150.00)
    assert (round(r.cpi, 4), round(r.spi, 4)) == (0.9000, 0.7500)
    assert round(r.eac, 2) == 1111.11
    assert round(r.eac_cpi, 2) == 1111.11
    assert round(r.eac_remaining_at_budget, 2) == 1050.00
    assert round(r.eac_cpi_spi, 2) == 1314.81
    assert round(r.etc, 2) == 611.11
    assert round(r.vac, 2) == -111.11
    assert round(r.tcpi, 4) == 1.1000
    assert round(r.tcpi_eac, 4) == 0.9000
    assert bool(r.eac_unrealistic) is True
    assert r.pd == 5 and r["at"] == 3
    assert (round(r.es, 2), round(r.sv_t, 2), round(r.spi_t, 2)) == (2.50, -0.50, 0.83)
    assert round(r.ieac_t, 2) == 6.00
    assert r.planned_finish == pd.Timestamp(2024, 5, 31)
    assert r.forecast_finish == pd.Timestamp(2024, 6, 30)
    # cpi_3m at period 3: EV and AC are 0 before period 1 -> (450 - 0) / (500 - 0) = 0.9
    assert round(r.cpi_3m, 4) == 0.9000


def test_textbook_series_months_1_and_2(con):
    s = evm_series(con, as_of="2024-03", project_ids="P1")
    assert list(s.period) == [pd.Timestamp(2024, m, 1) for m in (1, 2, 3)]
    # Month 1: PV 100, EV 80, AC 120; ES: C = 0, I = 80 / 100 = 0.8 -> ES 0.80, SPI(t) 0.80
    #   IEAC(t) = 5 / 0.8 = 6.25 -> period ceil(6.25) = 7 = July 2024
    m1 = row(s, "P1", month(1))
    assert (m1.pv, m1.ev, m1.ac) == (100, 80, 120)
    assert (round(m1.es, 2), round(m1.spi_t, 2), round(m1.ieac_t, 2)) == (0.80, 0.80, 6.25)
    assert m1.forecast_finish == pd.Timestamp(2024, 7, 31)
    # Month 2: PV 300, EV 250; C = 1 (PV(1) = 100 <= 250 < 300), I = 150 / 200 = 0.75 -> ES 1.75
    m2 = row(s, "P1", month(2))
    assert (round(m2.es, 2), round(m2.sv_t, 2), round(m2.spi_t, 4)) == (1.75, -0.25, 0.8750)
    # Months are computed over all categories (labour + external).
    assert list(s.pv) == [100, 300, 600]


def test_late_project_past_planned_end(con):
    # P2 at 2024-07-31: planned Jan-May (PD = 5), 100% complete in July (AT = 7).
    #   EV = 100% x 500 = 500 = BAC = PV(7) -> SV = 0, SPI = 1.00: cost-based schedule says "on time"
    #   ES = PD = 5 (EV >= BAC) -> SV(t) = 5 - 7 = -2.00, SPI(t) = 5 / 7 = 0.71: two months late
    #   AC = 7 x 100 = 700 -> CPI = 500 / 700 = 0.7143, EAC = 500 / 0.7143 = 700.00
    #   IEAC(t) = 5 / (5/7) = 7 -> forecast finish = end of period 7 = 2024-07-31
    r = row(evm(con, as_of="2024-07"), "P2")
    assert (r.pv, r.ev, r.ac) == (500, 500, 700)
    assert round(r.sv, 2) == 0.00 and round(r.spi, 2) == 1.00
    assert r.pd == 5 and r["at"] == 7 and r.es == 5
    assert round(r.sv_t, 2) == -2.00
    assert round(r.spi_t, 2) == 0.71
    assert round(r.cpi, 4) == 0.7143 and round(r.eac, 2) == 700.00
    assert round(r.ieac_t, 2) == 7.00
    assert r.planned_finish == pd.Timestamp(2024, 5, 31)
    assert r.forecast_finish == pd.Timestamp(2024, 7, 31)
    assert bool(r.eac_unrealistic) is False  # complete: nothing left to forecast


def test_late_project_series_and_progress_carry_forward(con):
    s = evm_series(con, as_of="2024-07", project_ids=["P2"])
    assert list(s["at"]) == [1, 2, 3, 4, 5, 6, 7]
    # March has no progress row: February's 40% carries forward -> EV = 200.
    #   PV(3) = 300; C = 2 (PV(2) = 200 <= 200), I = 0 / 100 = 0 -> ES = 2.00
    mar = row(s, "P2", month(3))
    assert mar.percent_complete == 40 and mar.ev == 200
    assert round(mar.es, 2) == 2.00 and round(mar.sv_t, 2) == -1.00
    # June: EV = 90% x 500 = 450, PV = 500 (after PD PV stays at BAC) -> SPI = 0.90;
    #   C = 4 (PV(4) = 400 <= 450 < 500), I = 50 / 100 = 0.5 -> ES = 4.50, SV(t) = 4.5 - 6 = -1.50
    jun = row(s, "P2", month(6))
    assert jun.pv == 500 and round(jun.spi, 2) == 0.90
    assert round(jun.es, 2) == 4.50 and round(jun.sv_t, 2) == -1.50


def test_nothing_consumed_gives_missing_cpi(con):
    # P3 at March (period 2 of Feb-Apr): PV = 200, EV = 10% x 400 = 40, AC = 0.
    #   CPI = 40 / 0 -> missing; so are EAC, ETC, VAC, eac_cpi_spi, tcpi_eac and cpi_3m.
    #   SPI = 40 / 200 = 0.20; TCPI = (400 - 40) / (400 - 0) = 0.90; EAC at budget = 0 + 360 = 360
    #   ES: EV 40 < PV(1) = 100 -> C = 0, I = 40 / 100 = 0.40; SPI(t) = 0.4 / 2 = 0.20
    r = row(evm(con, as_of="2024-03"), "P3")
    assert r.ac == 0 and r.ev == 40
    for col in ("cpi", "eac", "eac_cpi", "etc", "vac", "eac_cpi_spi", "tcpi_eac", "cpi_3m"):
        assert math.isnan(r[col]), col
    assert round(r.spi, 2) == 0.20 and round(r.tcpi, 2) == 0.90
    assert r.eac_remaining_at_budget == 360
    assert round(r.es, 2) == 0.40 and round(r.spi_t, 2) == 0.20
    assert bool(r.eac_unrealistic) is False  # no cost yet: no evidence either way


def test_no_division_ever_gives_inf(con):
    # P4: nothing planned or spent in its first month -> SPI and CPI missing, not inf.
    # Issue 13: P4 has no progress report, so its EV is missing (unknown), no longer 0.
    r = row(evm(con, as_of="2024-03"), "P4")
    assert (r.pv, r.ac) == (0, 0) and pd.isna(r.ev) and not r.progress_reported
    assert math.isnan(r.spi) and math.isnan(r.cpi)
    for as_of in ("2024-03", "2024-05", "2024-07"):
        numeric = evm_series(con, as_of=as_of).select_dtypes("number")
        assert not np.isinf(numeric.to_numpy(dtype=float)).any()


def test_cpi_3m_on_a_known_series(con):
    # P1 at 2024-05-31 (March restated to 210):
    #   EV cum: 80, 250, 450, 700, 900        AC cum: 120, 300, 510, 760, 1000
    #   cpi_3m(3) = (450 - 0) / (510 - 0)     = 0.8824
    #   cpi_3m(4) = (700 - 80) / (760 - 120)  = 620 / 640 = 0.9688
    #   cpi_3m(5) = (900 - 250) / (1000 - 300) = 650 / 700 = 0.9286
    s = evm_series(con, as_of="2024-05", project_ids="P1")
    assert list(s.ac) == [120, 300, 510, 760, 1000]
    assert [round(v, 4) for v in s.cpi_3m] == [0.6667, 0.8333, 0.8824, 0.9688, 0.9286]


def test_budget_exhausted_with_work_left(con):
    # P1 at 2024-05-31, period 5: PV = 1000, EV = 900, AC = 1000.
    #   CPI = SPI = 0.9000; TCPI = (1000 - 900) / (1000 - 1000) -> missing: no efficiency can finish
    #   on BAC, so eac_unrealistic is True.
    #   ES: C = 4 (PV(4) = 850 <= 900 < 1000), I = 50 / 150 = 0.33 -> ES 4.33, SV(t) -0.67, SPI(t) 0.87
    r = row(evm(con, as_of="2024-05"), "P1")
    assert (round(r.cpi, 4), round(r.spi, 4)) == (0.9000, 0.9000)
    assert math.isnan(r.tcpi)
    assert bool(r.eac_unrealistic) is True
    assert (round(r.es, 2), round(r.sv_t, 2), round(r.spi_t, 2)) == (4.33, -0.67, 0.87)


def test_tcpi_margin_is_a_keyword(con):
    assert evm_mod.TCPI_MARGIN == 0.10
    # P1 at month 3: |1.1 - 0.9| = 0.2, flagged at 0.10, not at 0.25.
    assert bool(row(evm(con, as_of="2024-03", tcpi_margin=0.25), "P1").eac_unrealistic) is False


def test_as_of_picks_the_snapshot(con):
    # March's AC is 500 in the March snapshot and 510 once restated in the May one.
    assert row(evm_series(con, as_of="2024-03"), "P1", month(3)).ac == 500
    assert row(evm_series(con, as_of="2024-05"), "P1", month(3)).ac == 510
    assert row(evm(con, as_of=dt.date(2024, 5, 31)), "P1").period == pd.Timestamp(2024, 5, 1)
    # No as_of: the latest snapshot (July), which holds only P2.
    assert list(evm(con).project_id) == ["P2"]
    assert evm(con, as_of="2023-01").empty


def test_filters(con):
    assert sorted(evm(con, as_of="2024-03", portfolio="Beta").project_id) == ["P3", "P4"]
    assert list(evm(con, as_of="2024-03", portfolio=["Alpha"]).project_id) == ["P1"]
    assert list(evm(con, as_of="2024-03", department="IT", project_ids=["P1", "P3"]).project_id) == ["P1"]
    full = evm(con, as_of="2024-03")
    for hostile in ("x' OR 1=1 --", "Alpha'; DROP TABLE projects; --"):
        got = evm(con, as_of="2024-03", portfolio=hostile)
        assert got.empty and list(got.columns) == list(full.columns)
        got = evm_series(con, as_of="2024-03", program=hostile)
        assert got.empty and list(got.columns) == list(evm_series(con, as_of="2024-03").columns)
    assert len(evm(con, as_of="2024-03")) == 3  # nothing was dropped


def test_period_window_keeps_cumulative_values(con):
    s = evm_series(con, as_of="2024-03", project_ids="P1", period_from="2024-02", period_to="2024-02")
    assert len(s) == 1 and s.iloc[0].pv == 300 and s.iloc[0].ac == 300


def test_columns(con):
    required = ["project_id", "period", "bac", "pv", "ev", "ac", "cv", "sv", "cpi", "spi", "eac", "etc",
                "vac", "tcpi", "tcpi_eac", "es", "sv_t", "spi_t", "at", "pd", "ieac_t",
                "forecast_finish", "cpi_3m", "eac_cpi", "eac_remaining_at_budget", "eac_cpi_spi",
                "eac_unrealistic"]
    series = evm_series(con, as_of="2024-03")
    status = evm(con, as_of="2024-03")
    assert set(required) <= set(series.columns)
    assert set(required + ["name", "portfolio", "program"]) <= set(status.columns)
    assert all(c == c.lower() for c in status.columns)


def test_missing_bac_and_empty_database():
    # No BAC: EV (and so ES, CPI, EAC...) is unknown, not zero; PV and AC are still shown.
    con = build([(S1, "X", "No BAC", "Alpha", None, None, "active", None, "EUR")],
                [(S1, "X", month(m), "labour", 100, 100, 0, 50) for m in (1, 2, 3)],
                [(S1, "X", month(2), 50)], [S1])
    r = row(evm(con), "X")
    assert (r.pv, r.ac) == (300, 150)
    for col in ("ev", "es", "spi_t", "cpi", "eac", "ieac_t"):
        assert pd.isna(r[col]), col
    assert pd.isna(r.forecast_finish)
    # Nothing loaded yet: empty frames with their columns.
    empty = build([], [], [], [])
    assert evm(empty).empty and list(evm(empty).columns) == list(evm(con).columns)
    assert evm_series(empty).empty and list(evm_series(empty).columns) == list(evm_series(con).columns)


def test_progress_reported_before_period_1_carries_into_it():
    # P5: budget 100 in March and April (BAC 200, period 1 = March); 10% reported in February.
    #   March and April both carry 10% -> EV = 20; ES: EV 20 < PV(1) = 100 -> C = 0, I = 0.20.
    #   Without a report (P6, same budget): progress unknown -> EV, ES, SPI(t) missing. (Issue 13: this
    #   test asserted EV = 0, ES = 0.00 and SPI(t) = 0, i.e. missing progress read as 0% complete.)
    s4 = dt.date(2024, 4, 30)
    c = build([(s4, "P5", "Early report", "Alpha", "Prog A", "IT", "active", 200.0, "EUR"),
               (s4, "P6", "No report", "Alpha", "Prog A", "IT", "active", 200.0, "EUR")],
              [(s4, pid, month(m), "labour", 100, 100, 0, 0) for pid in ("P5", "P6") for m in (3, 4)],
              [(s4, "P5", month(2), 10)], [s4])
    s = evm_series(c)
    assert list(s.project_id) == ["P5", "P5", "P6", "P6"]
    assert list(s.percent_complete[:2]) == [10, 10] and list(s.ev[:2]) == [20, 20]
    assert [round(v, 2) for v in s.es[:2]] == [0.20, 0.20]
    assert s.iloc[2:][["percent_complete", "ev", "es", "spi_t"]].isna().all().all()
    assert list(s.progress_reported) == [True, True, False, False]
    status = evm(c).set_index("project_id")
    assert status.loc["P5", "ev"] == 20 and round(status.loc["P5", "es"], 2) == 0.20
    assert pd.isna(status.loc["P6", "es"]) and pd.isna(status.loc["P6", "spi_t"])


def test_divisors_within_rounding_noise_of_zero_give_missing():
    # AC - AC(t-3) or EAC - AC that is zero up to float noise must not divide into 0 or a huge ratio.
    con = db.memory()
    got = con.sql(f"SELECT 1 / {evm_mod.nonzero('x')} FROM (VALUES (2.3e-10), (0.0), (-1e-7), (2.0)) t(x)"
                  ).fetchall()
    assert [r[0] for r in got] == [None, None, None, 0.5]
