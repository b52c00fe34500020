"""Forecasts checked against outcomes on a constructed history whose coverage is known by construction.

Two snapshots, 2026-04 (the forecasts) and 2026-10 (the outcomes). A, B, C, D and G start in January
with 100 of budget a month Jan..Aug (BAC 800, PD 8, PV(t) = 100 t) and report 12.5% of progress every
month up to April (EV +100 a month, ES = AT: every periodic SPI(t) is 1), at a constant cost
efficiency c (a consumed 100 / c every month). At the April snapshot each has 4 identical periodic
CPIs (sd 0) and no risk, so its forecast is deterministic: P50 = P80 = EAC = AC + (800 - 400) / c and
IEAC(t) = 4 + (8 - 4) / 1 = 8 months (finish in month 8, August).

  project  c     April AC  EAC (= P80)  actual cost               finish     covered      actual/P50  months/P50
  A        1     400       800          400 + 4 x 95  = 780       Aug (8)    cost, time   0.975       8/8 = 1
  B        0.8   500       1000         500 + 5 x 120 = 1100      Sep (9)    -            1.1         9/8 = 1.125
  C        1.25  320       640          320 + 6 x 50  = 620       Oct (10)   cost         0.96875     10/8 = 1.25
  D        1     400       800          400 + 6 x 100 = 1000      Oct (10)   -            1.25        1.25
  G        1     400       800          400 + 4 x 97.5 = 790      Aug (8)    cost, time   0.9875      1
  P        1     480       800          480 + 3 x 100 = 780       Jul (7)    cost, time   0.975       7/7 = 1

P reports 15% a month (EV +120 for AC +120: CPI 1; ES +1.2 a month: SPI(t) 1.2), so in April EV = 480,
ES = 4.8 and IEAC(t) = 4 + (8 - 4.8) / 1.2 = 6.67 months: month 7, July, when it finished (covered in
the data's month precision, though 7 whole months > 6.67).
3 months before: every finish month less 3 (Apr..Jul) has April as its latest snapshot, so all six
are checked: cost covered 4 of 6 (67%), finish 3 of 6 = 50%. Uplift: the smallest ratio covering >= 80%
(5 of 6): cost ratios sorted 0.96875, 0.975, 0.975, 0.9875, 1.1, 1.25 -> the 5th, 1.1; months 1, 1, 1,
1.125, 1.25, 1.25 -> 1.25; slips 0, 0, 0, 1, 2, 2 -> 2 months.
Verdicts (binomial, p = 0.8, n = 6): P(X <= 4) = 1 - 6 x 0.8^5 x 0.2 - 0.8^6 = 0.34464 >= 0.10: in
line; P(X <= 3) = 0.34464 - 15 x 0.8^4 x 0.2^2 = 0.09888 < 0.10: optimistic.
6 months before: only C and D (October less 6 is April) have a snapshot that early: 2 < 3, missing.

Left out: E closed in February (no snapshot 3 months before); H closed without a progress report (no
finish); K closed in August but not in the April snapshot; L closed in August but had no BAC in April
(forecast_inputs leaves it out); F is still active (not an outcome at all).
"""
from __future__ import annotations

import datetime as dt
import math
import time

import pandas as pd
import pytest
from conftest import insert

from pmo_analytics import contract
from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics.forecast_calibration import calibration, uplift
from pmo_analytics.snapshots import summaries
from pmo_analytics.store import connection, schema

APR, OCT = dt.date(2026, 4, 30), dt.date(2026, 10, 31)
M = {m: dt.date(2026, m, 1) for m in range(1, 13)}
# consumed and progress per month, Jan..: the first four months are what April saw
TEMPLATE = {
    "A": ([100] * 4 + [95] * 4, [12.5 * m for m in range(1, 9)]),
    "B": ([125] * 4 + [120] * 5, [12.5, 25, 37.5, 50, 60, 70, 80, 90, 100]),
    "C": ([80] * 4 + [50] * 6, [12.5, 25, 37.5, 50, 60, 70, 80, 90, 95, 100]),
    "D": ([100] * 4 + [100] * 6, [12.5, 25, 37.5, 50, 60, 70, 80, 90, 95, 100]),
    "G": ([100] * 4 + [97.5] * 4, [12.5 * m for m in range(1, 9)]),
    "P": ([120] * 4 + [100] * 3, [15, 30, 45, 60, 75, 90, 100]),
    "F": ([100] * 10, [12.5, 25, 37.5, 50, 55, 60, 65, 70, 80, 90]),  # still active in October
    "K": ([100] * 8, [12.5 * m for m in range(1, 9)]),  # not in the April snapshot
    "L": ([100] * 8, [12.5 * m for m in range(1, 9)]),  # no BAC in April
}
OCT_STATUS = {"P": "closed", "A": "closed", "B": "closed", "C": "closed", "D": "closed", "G": "closed", "F": "active",
              "K": "closed", "L": "closed"}
LINES = ["as_of", "project_id", "period", "category", "budget", "forecast", "consumed"]


def _eight_months(c, as_of: dt.date, pid: str, status: str, bac=800) -> None:
    consumed, progress = TEMPLATE[pid]
    last = as_of.month
    insert(c, "projects", ["as_of", "project_id", "name", "portfolio", "status", "bac", "currency"],
           [(as_of, pid, f"Project {pid}", "Alpha", status, bac, "GBP")])
    # budget 100 a month Jan..Aug; a late project's later months have a line with budget 0 for its cost
    insert(c, "budget_lines", LINES,
           [(as_of, pid, M[m], "labour", 100 if m <= 8 else 0, 100 if m <= 8 else 0,
             consumed[m - 1] if m <= min(last, len(consumed)) else None) for m in range(1, max(8, len(consumed)) + 1)
            if m <= 8 or m <= last])
    insert(c, "progress", ["as_of", "project_id", "period", "percent_complete"],
           [(as_of, pid, M[m], pct) for m, pct in enumerate(progress, start=1) if m <= last])


def _others(c, as_of: dt.date) -> None:
    """E: Jan..Feb 100 a month, 50% and 100%, closed; H (October only): closed, cost but no progress."""
    insert(c, "projects", ["as_of", "project_id", "name", "portfolio", "status", "bac", "currency"],
           [(as_of, "E", "Project E", "Beta", "closed", 200, "GBP")]
           + ([(as_of, "H", "Project H", "Beta", "closed", 300, "GBP")] if as_of == OCT else []))
    insert(c, "budget_lines", LINES, [(as_of, "E", M[m], "labour", 100, 100, 100) for m in (1, 2)]
           + ([(as_of, "H", M[m], "labour", 100, 100, 100) for m in (5, 6, 7)] if as_of == OCT else []))
    insert(c, "progress", ["as_of", "project_id", "period", "percent_complete"],
           [(as_of, "E", M[1], 50), (as_of, "E", M[2], 100)])


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = tmp_path_factory.mktemp("calibration") / "pmo.duckdb"
    c = connection.connect(path, read_only=False)
    for ddl in contract.all_ddl() + schema.summary_ddl():
        c.sql(ddl)
    for pid in ("A", "B", "C", "D", "G", "P", "F"):
        _eight_months(c, APR, pid, "active")
    _eight_months(c, APR, "L", "active", bac=None)
    for pid, status in OCT_STATUS.items():
        _eight_months(c, OCT, pid, status)
    for as_of in (APR, OCT):
        _others(c, as_of)
        insert(c, "loads", ["as_of", "loaded_at", "files", "warnings", "quality_score", "checksum"],
               [(as_of, f"2026-{as_of.month + 1:02d}-02 09:00:00", "{}", 0, 100.0, "x")])
    summaries.refresh(c, "main")
    c.close()
    return path


@pytest.fixture(scope="module")
def result(database):
    with connection.connect(database) as c:
        return calibration(c, draws=500)


def test_each_forecast_beside_its_outcome(result):
    rows = result["projects"][result["projects"]["months_before"] == 3].set_index("project_id")
    assert list(rows.index) == ["A", "B", "C", "D", "G", "P"]
    assert set(rows["forecast_as_of"]) == {APR}
    # deterministic: P50 = P80 = P90 = EAC (see the module docstring)
    for q in ("cost_p50", "cost_p80", "cost_p90"):
        assert rows[q].tolist() == pytest.approx([800, 1000, 640, 800, 800, 800], abs=1e-6)
    assert rows["actual_cost"].tolist() == pytest.approx([780, 1100, 620, 1000, 790, 780])
    assert rows["cost_covered"].tolist() == [True, False, True, False, True, True]
    assert rows["ratio_cost"].tolist() == pytest.approx([0.975, 1.1, 0.96875, 1.25, 0.9875, 0.975])
    assert rows["months_p80"].tolist() == [8, 8, 8, 8, 8, 7]
    assert rows["actual_months"].tolist() == [8, 9, 10, 10, 8, 7]
    assert rows["actual_finish"].tolist() == [dt.date(2026, 8, 31), dt.date(2026, 9, 30), dt.date(2026, 10, 31),
                                              dt.date(2026, 10, 31), dt.date(2026, 8, 31), dt.date(2026, 7, 31)]
    assert rows["finish_covered"].tolist() == [True, False, False, False, True, True]
    assert rows["ratio_finish_months"].tolist() == pytest.approx([1, 1.125, 1.25, 1.25, 1, 1])
    assert rows["slip_months"].tolist() == [0, 1, 2, 2, 0, 0]


def test_coverage_and_uplift_known_by_construction(result):
    s = result["summary"].set_index("months_before").loc[3]
    assert (s["projects"], s["cost_covered"], s["finish_covered"]) == (6, 4, 3)
    assert s["cost_coverage"] == pytest.approx(4 / 6)
    assert s["finish_coverage"] == pytest.approx(0.5)
    assert s["uplift_cost"] == pytest.approx(1.1)
    assert s["uplift_finish_months"] == pytest.approx(1.25)
    assert s["slip_months_p80"] == 2
    assert s["reason"] == ""
    assert "cost P80 covered 4 of 6 (67%): in line with 80%" in s["verdict"]
    assert "P50 x 1.10 for an 80% chance" in s["verdict"]
    assert "finish P80 covered 3 of 6 (50%): forecasts were optimistic" in s["verdict"]
    assert "P50 duration x 1.25 (+2 months)" in s["verdict"]


def test_fewer_than_three_projects_is_missing_with_its_reason(result):
    s = result["summary"].set_index("months_before").loc[6]
    assert s["projects"] == 2  # C and D: October less 6 months is April
    for column in ("cost_coverage", "finish_coverage", "uplift_cost", "uplift_finish_months", "slip_months_p80"):
        assert math.isnan(s[column]), column
    assert "2 closed projects have a forecast made 6 or more months before finishing" in s["reason"]
    assert "at least 3" in s["verdict"]
    six = result["projects"][result["projects"]["months_before"] == 6]
    assert six["project_id"].tolist() == ["C", "D"]


def test_what_is_left_out_and_why(result):
    left = result["left_out"]
    three = dict(zip(*left[left["months_before"] == 3][["project_id", "reason"]].T.values))
    assert sorted(three) == ["E", "H", "K", "L"]  # F is active: not an outcome
    assert three["E"].startswith("no snapshot loaded 3 or more months before its finish (February 2026)")
    assert "no progress report" in three["H"]
    assert three["K"] == "not in the 2026-04-30 snapshot"
    assert three["L"] == "not forecast at the 2026-04-30 snapshot: no BAC (budget at completion) to forecast against"
    six = left[left["months_before"] == 6]
    # P finishes in July, A, G, K, L in August, B in September: April is not 6 months before
    assert sorted(six["project_id"]) == ["A", "B", "E", "G", "H", "K", "L", "P"]


def test_a_snapshot_with_no_outcome_yet_is_missing_not_zero(database):
    with connection.connect(database) as c:
        out = calibration(c, as_of="2026-04", months_before=3, draws=100)
    s = out["summary"].iloc[0]
    assert s["projects"] == 0 and math.isnan(s["cost_coverage"]) and math.isnan(s["finish_coverage"])
    assert out["projects"].empty
    assert out["left_out"]["project_id"].tolist() == ["E"]


def test_bad_arguments_are_one_line_errors(database):
    with connection.connect(database) as c:
        with pytest.raises(UsageError, match="months_before must be whole months >= 1"):
            calibration(c, months_before=(3, 0))
        with pytest.raises(UsageError, match="no snapshot is loaded for 2026-07-31"):
            calibration(c, as_of="2026-07")


def test_uplift_is_the_smallest_factor_covering_80_percent():
    # 10 ratios 1.0 .. 1.9: 8 of 10 (80%) are <= 1.7
    assert uplift([1 + i / 10 for i in range(10)]) == pytest.approx(1.7)
    # 9 ratios: 7 of 9 is 78%, short of 80%: the 8th, 1.7
    assert uplift([1 + i / 10 for i in range(9)]) == pytest.approx(1.7)
    assert math.isnan(uplift([]))


def test_the_demo_history(demo_db):
    with connection.connect(demo_db) as c:
        start = time.perf_counter()
        out = calibration(c)
        seconds = time.perf_counter() - start
        closed = c.sql("SELECT count(*) FROM projects WHERE status = 'closed' AND as_of = "
                       "(SELECT max(as_of) FROM loads)").fetchall()[0][0]
    summary = out["summary"]
    print(f"\ndemo calibration in {seconds:.1f} s\n{summary.drop(columns='verdict').to_string()}")
    print("\n".join(summary["verdict"]))
    coverage = summary["cost_coverage"].dropna()
    assert len(coverage) >= 1 and ((coverage >= 0) & (coverage <= 1)).all()
    assert ((summary["finish_coverage"].dropna() >= 0) & (summary["finish_coverage"].dropna() <= 1)).all()
    # every closed project is accounted for once per horizon: checked or left out with a reason
    for n in (3, 6):
        checked = out["projects"].loc[out["projects"]["months_before"] == n, "project_id"]
        left = out["left_out"].loc[out["left_out"]["months_before"] == n, "project_id"]
        assert len(checked) + len(left) == closed and not set(checked) & set(left)
    assert out["left_out"]["reason"].str.len().gt(0).all()
    assert pd.api.types.is_bool_dtype(out["projects"]["cost_covered"])
