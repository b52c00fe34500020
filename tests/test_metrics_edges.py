"""Issue 13, "Numbers a PMO can sign": the edge cases where a metric used to give a number it could
not stand behind. Every expected value is worked by hand in the comments, never computed with the
code under test.

1. A risk with a blank probability is not assessed: no band, score or EMV (it was banded 1 and
   scored), counted apart, sorted last, left out of the matrix; exposure then agrees with the matrix.
2. A milestone not achieved slips max(forecast, status date) - baseline (a missed milestone kept its
   stale forecast and understated its slip).
3. Month-grain capacity counts only the export's weeks in the month, and actual utilisation only the
   booked weeks (it counted every Monday of the month, and the unbooked current week).
4. A person with a blank capacity is left out of load and capacity, counted, and warned about.
5. A project with spend but a blank or zero BAC is warned about at load.
"""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import CANONICAL
from conftest import insert as _insert

from pmo_analytics import contract
from pmo_analytics.metrics import changes, milestones, resources, risks
from pmo_analytics.snapshots import summaries
from pmo_analytics.store import connection as db

LOADS = ["as_of", "loaded_at", "files", "warnings", "checksum"]
PROJECTS = ["as_of", "project_id", "name", "portfolio", "status"]


def _database(snapshots):
    c = db.memory()
    for ddl in contract.all_ddl():
        c.sql(ddl)
    for snap in snapshots:
        _insert(c, "loads", LOADS, [(snap, "2024-06-01 09:00:00", "test", 0, "x")])
        _insert(c, "projects", PROJECTS, [(snap, "P1", "Apollo", "Alpha", "active"),
                                          (snap, "P2", "Borealis", "Beta", "active")])
    return c


# ------------------------------------------------------------------------------ 1. unassessed risks

FEB, MAR = "2024-02-29", "2024-03-31"
RISK_COLS = ["as_of", "risk_id", "project_id", "title", "probability", "impact", "impact_cost", "status"]
# March. band = ceil(p x 5) clamped 1..5, score = band x impact, emv = p x cost; no probability: none.
#  id  proj prob  impact cost    status      band score emv     (before issue 13: band, score)
#  A1  P1   0.5   4      10 000  open        3    12    5 000
#  A2  P1   -     5      80 000  open        -    -     -       (1, 5)
#  A3  P1   0.9   2       1 000  mitigating  5    10      900
#  A4  P1   -     3      -       closed      -    -     -       (closed: not active anyway)
#  A5  P2   0.3   2      -       open        2     4    -       (no cost, so no emv; but assessed)
#  A6  P2   -     5      50 000  open        -    -     -       (1, 5)
# February holds A1, A3 and A5 as in March.
MARCH_RISKS = [("A1", "P1", 0.5, 4, 10_000, "open"), ("A2", "P1", None, 5, 80_000, "open"),
               ("A3", "P1", 0.9, 2, 1_000, "mitigating"), ("A4", "P1", None, 3, None, "closed"),
               ("A5", "P2", 0.3, 2, None, "open"), ("A6", "P2", None, 5, 50_000, "open")]


@pytest.fixture
def risk_con():
    c = _database((FEB, MAR))
    for snap, rows in ((FEB, [r for r in MARCH_RISKS if r[0] in ("A1", "A3", "A5")]), (MAR, MARCH_RISKS)):
        _insert(c, "risks", RISK_COLS, [(snap, rid, pid, f"Risk {rid}", *rest) for rid, pid, *rest in rows])
    summaries.refresh(c)  # drift reads the publish-time project_status summary
    yield c
    c.close()


def test_a_blank_probability_has_no_band_score_or_emv(risk_con):
    reg = risks.risk_register(risk_con).set_index("risk_id")
    for rid in ("A2", "A4", "A6"):
        assert pd.isna(reg.loc[rid, "probability_band"]), rid  # was 1: greatest(NULL, 1) is 1 in DuckDB
        assert pd.isna(reg.loc[rid, "score"]), rid              # was 1 x impact
        assert pd.isna(reg.loc[rid, "emv"]), rid
    assert (reg.loc["A1", "probability_band"], reg.loc["A1", "score"]) == (3, 12)
    assert (reg.loc["A5", "probability_band"], reg.loc["A5", "score"]) == (2, 4)


def test_exposure_counts_unassessed_risks_and_agrees_with_the_matrix(risk_con):
    df = risks.risk_exposure(risk_con).set_index("project_id")
    # P1: active A1, A2, A3; score 12 + 10 = 22 (A2 adds nothing; it added 5: 27); emv 5 000 + 900.
    assert (df.loc["P1", "active_risks"], df.loc["P1", "total_score"], df.loc["P1", "unassessed_risks"]) == (3, 22, 1)
    assert df.loc["P1", "total_emv"] == pytest.approx(5_900)
    # P2: active A5, A6; score 4 (A6 added 5: 9); emv 0 (A5 has no cost, A6 no probability).
    assert (df.loc["P2", "active_risks"], df.loc["P2", "total_score"], df.loc["P2", "unassessed_risks"]) == (2, 4, 1)
    assert df.loc["P2", "total_emv"] == 0
    # The matrix places A1 (band 3, impact 4), A3 (5, 2) and A5 (2, 2): 3 risks, scores 12 + 10 + 4 = 26,
    # the same 26 as the exposure's 22 + 4 (it was 27 + 9 = 36 against the matrix's 26).
    matrix = risks.risk_matrix(risk_con)
    placed = matrix[matrix["count"] > 0].set_index(["probability_band", "impact"])["count"].to_dict()
    assert placed == {(5, 2): 1, (3, 4): 1, (2, 2): 1}
    assert (matrix["score"] * matrix["count"]).sum() == 26 == df.total_score.sum()


def test_top_risks_put_unassessed_risks_last(risk_con):
    # emv desc: A1 5 000, A3 900; then A5 (no emv, score 4); then the unassessed A2, A6 by risk_id.
    # (Before: A2 and A6 scored 5 and came before A5.)
    assert list(risks.top_risks(risk_con).risk_id) == ["A1", "A3", "A5", "A2", "A6"]
    assert list(risks.top_risks(risk_con, project_ids="P2").risk_id) == ["A5", "A6"]


def test_trend_and_drift_leave_unassessed_risks_out(risk_con):
    trend = risks.exposure_trend(risk_con)
    rows = trend.set_index([trend.as_of.dt.strftime("%Y-%m-%d"), "portfolio"])
    # Alpha (P1): February A1 + A3 = 12 + 10 = 22; March the same 22 (A2 not assessed; it made 27).
    assert (rows.loc[(FEB, "Alpha"), "total_score"], rows.loc[(FEB, "Alpha"), "unassessed_risks"]) == (22, 0)
    assert (rows.loc[(MAR, "Alpha"), "total_score"], rows.loc[(MAR, "Alpha"), "unassessed_risks"]) == (22, 1)
    assert (rows.loc[(MAR, "Beta"), "total_score"], rows.loc[(MAR, "Beta"), "unassessed_risks"]) == (4, 1)
    # P2's top risk (largest emv, then score): A5 in February, still A5 in March, since A6 has no
    # score. Before, A6 scored 5 > 4 and drift reported the top risk changing to A6.
    d = changes.drift(risk_con)
    assert d[d.measure == "top_risk"].empty


def test_band_of_a_blank_probability():
    c = db.memory()
    got = c.sql(f"SELECT {risks.BAND} FROM (SELECT NULL::DOUBLE AS probability) r").fetchall()[0][0]
    assert got is None  # was 1


# ---------------------------------------------------------------------------- 2. milestone slip

MAY = "2024-05-31"
MS_COLS = ["as_of", "project_id", "milestone_id", "name", "baseline_date", "forecast_date", "actual_date"]
# Status date (as_of) 2024-05-31. Not achieved: slip = max(forecast or baseline, as_of) - baseline.
#  id  baseline    forecast    actual      state            slip  worked out                     (before)
#  N1  2024-05-01  2024-05-10  -           missed            30   05-31 - 05-01                  (9)
#  N2  2024-04-15  -           -           missed            46   04-15 -> 04-30 15, + 31 (May)  (0)
#  N3  2024-06-10  2024-06-20  -           likely_to_miss    10   forecast after as_of: 06-20 - 06-10
#  N4  2024-05-20  -           2024-05-25  achieved_late      5   actual - baseline
#  N5  2024-07-01  2024-05-15  -           missed           -31   05-31 -> 07-01 = 31 days early  (-47:
#                                                                 05-15 -> 07-01 = 16 + 30 + 1)
MAY_MILESTONES = [("N1", "Design", "2024-05-01", "2024-05-10", None),
                  ("N2", "Build", "2024-04-15", None, None),
                  ("N3", "Test", "2024-06-10", "2024-06-20", None),
                  ("N4", "Train", "2024-05-20", None, "2024-05-25"),
                  ("N5", "Pilot", "2024-07-01", "2024-05-15", None)]


@pytest.fixture
def ms_con():
    c = _database((MAY,))
    _insert(c, "milestones", MS_COLS, [(MAY, "P1", *r) for r in MAY_MILESTONES])
    summaries.refresh(c)  # as publishing does: the milestone trend reads the milestone_history summary
    yield c
    c.close()


def test_a_missed_milestone_slips_to_the_status_date(ms_con):
    want = {"N1": 30, "N2": 46, "N3": 10, "N4": 5, "N5": -31}
    df = milestones.milestone_slippage(ms_con).set_index("milestone_id")
    assert df.slip_days.to_dict() == want
    assert df.state.to_dict() == {"N1": "missed", "N2": "missed", "N3": "likely_to_miss",
                                  "N4": "achieved_late", "N5": "missed"}
    # mean (30 + 46 + 10 + 5 - 31) / 5 = 60 / 5 = 12; max 46 (before: (9 + 0 + 10 + 5 - 47) / 5, max 10).
    p1 = milestones.milestone_summary(ms_con).set_index("project_id").loc["P1"]
    assert (p1.mean_slip_days, p1.max_slip_days) == (12, 46)
    # The trend (from the publish-time summary) says the same.
    trend = milestones.milestone_trend(ms_con).set_index("milestone_id")
    assert trend.slip_days.to_dict() == want


def test_summaries_of_the_old_slip_are_recomputed(ms_con):
    # A database whose summaries were computed with the old slip (version 2) is out of date.
    ms_con.sql("UPDATE summary_version SET version = 2")
    assert not summaries.current(ms_con)


# ------------------------------------------------------------------ 3. and 4. month-grain capacity

ALLOC_COLS = ["as_of", "resource_id", "project_id", "week", "planned_hours", "actual_hours"]
# Snapshot 2024-03-31 (a Sunday: the week of Monday 03-25 is the current week, nobody has booked it).
# The export's weeks are the Mondays 02-26, 03-04, 03-11, 03-18, 03-25 and 04-01.
#   person (team T)  capacity  week:   02-26   03-04   03-11   03-18   03-25   04-01
#   R1 Ann           40        plan    20      40      40      30      30      10
#                              actual  18      42      38      36      -       0   (0 written ahead)
#   R2 Bob           30        plan    -       30      30      30      30      -
#                              actual  -       28      30      -       -       -   (03-18 not booked)
#   R3 Cy            blank     plan    -       20      -       -       -       -
# The last week anyone booked hours in (actual > 0) is 03-18.
# Months hold the export's weeks whose Monday is in them: February 1 (02-26), March 4, April 1 (04-01).
# (Before: every Monday of every month from February to April: 4 + 4 + 5.)
ALLOCATIONS = [
    ("R1", "2024-02-26", 20, 18), ("R1", "2024-03-04", 40, 42), ("R1", "2024-03-11", 40, 38),
    ("R1", "2024-03-18", 30, 36), ("R1", "2024-03-25", 30, None), ("R1", "2024-04-01", 10, 0),
    ("R2", "2024-03-04", 30, 28), ("R2", "2024-03-11", 30, 30), ("R2", "2024-03-18", 30, None),
    ("R2", "2024-03-25", 30, None),
    ("R3", "2024-03-04", 20, None),
]


@pytest.fixture
def load_con():
    c = _database((MAR,))
    _insert(c, "resources", ["as_of", "resource_id", "name", "team", "role", "weekly_capacity_hours"],
            [(MAR, "R1", "Ann", "T", "Analyst", 40), (MAR, "R2", "Bob", "T", "Analyst", 30),
             (MAR, "R3", "Cy", "T", "Analyst", None)])
    _insert(c, "allocations", ALLOC_COLS, [(MAR, rid, "P1", week, plan, act) for rid, week, plan, act in ALLOCATIONS])
    yield c
    c.close()


def _month(df, month, **where):
    rows = df[df.month == pd.Timestamp(month)]
    for k, v in where.items():
        rows = rows[rows[k] == v]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_month_capacity_counts_only_the_exported_weeks(load_con):
    df = resources.resource_load(load_con, grain="month")
    feb = _month(df, "2024-02-01", resource_id="R1")
    # February: one exported week, 1 x 40 = 40 h (was 4 x 40 = 160); 20 planned: 50 % (was 12.5 %).
    assert (feb.capacity, feb.planned_hours, feb.availability) == (40, 20, 20)
    assert feb.utilisation == pytest.approx(20 / 40)
    mar = _month(df, "2024-03-01", resource_id="R1")
    # March: 4 x 40 = 160 h; 40 + 40 + 30 + 30 = 140 planned.
    assert (mar.capacity, mar.planned_hours) == (160, 140)
    assert mar.utilisation == pytest.approx(140 / 160)
    apr = _month(df, "2024-04-01", resource_id="R1")
    # April: one exported week (04-01), 40 h (was 5 x 40 = 200); 10 planned: 25 % (was 5 %).
    assert (apr.capacity, apr.planned_hours, apr.availability) == (40, 10, 30)
    assert apr.utilisation == pytest.approx(10 / 40)
    bob_feb = _month(df, "2024-02-01", resource_id="R2")
    # Bob has no allocation in the export's February week: it is his spare capacity, 30 h (was 120).
    assert (bob_feb.capacity, bob_feb.planned_hours, bob_feb.availability) == (30, 0, 30)


def test_actual_utilisation_leaves_out_the_unbooked_weeks(load_con):
    df = resources.resource_load(load_con, grain="month")
    mar = _month(df, "2024-03-01", resource_id="R1")
    # Booked weeks of March: 03-04, 03-11, 03-18 (03-25 is after the last booked week): 3 x 40 = 120 h.
    # Actual 42 + 38 + 36 = 116: 116 / 120 (was 116 / 160, as if 03-25 had been booked as zero).
    assert mar.actual_hours == 116
    assert mar.actual_utilisation == pytest.approx(116 / 120)
    feb = _month(df, "2024-02-01", resource_id="R1")
    assert feb.actual_utilisation == pytest.approx(18 / 40)  # was 18 / 160
    apr = _month(df, "2024-04-01", resource_id="R1")
    # April has no booked week: the 0 written for 04-01 is not a booking, so no actual utilisation (was 0 / 200).
    assert apr.actual_hours == 0 and pd.isna(apr.actual_utilisation)
    bob = _month(df, "2024-03-01", resource_id="R2")
    # Bob booked 28 + 30 and nothing in the booked week 03-18 (zero there): 58 / (3 x 30) (was 58 / 120).
    assert bob.actual_utilisation == pytest.approx(58 / 90)
    team = _month(resources.resource_load(load_con, by="team", grain="month"), "2024-03-01", team="T")
    # Team T in March: booked capacity 120 + 90 = 210, actual 116 + 58 = 174.
    assert team.actual_utilisation == pytest.approx(174 / 210)
    weekly = resources.resource_load(load_con).set_index(["resource_id", "week"])
    # Week grain: 03-18 is booked, 36 / 40; 04-01 is not, so no ratio although 0 is written (was 0 / 40).
    assert weekly.loc[("R1", pd.Timestamp("2024-03-18")), "actual_utilisation"] == pytest.approx(36 / 40)
    assert pd.isna(weekly.loc[("R1", pd.Timestamp("2024-04-01")), "actual_utilisation"])


def test_a_person_without_capacity_adds_neither_load_nor_capacity(load_con):
    team = _month(resources.resource_load(load_con, by="team", grain="month"), "2024-03-01", team="T")
    # Team T in March: Ann and Bob only, capacity 160 + 120 = 280, planned 140 + 120 = 260.
    # (Before: Cy's 20 h were added to the load with no capacity: 280 / 280 = 100 %.)
    assert (team.resources, team.capacity, team.planned_hours) == (2, 280, 260)
    assert team.utilisation == pytest.approx(260 / 280)
    weekly = resources.resource_load(load_con)
    assert set(weekly.resource_id) == {"R1", "R2"}  # Cy has no row (he had six, with no capacity)
    assert weekly.attrs == {"no_capacity": 1, "no_capacity_hours": 20}  # Cy, his 20 h of 03-04
    assert "R3" not in set(resources.over_allocations(load_con).resource_id)


# --------------------------------------------------------------------- 4. and 5. warnings at load

def _canonical(tmp_path):
    folder = tmp_path / "exports"
    shutil.copytree(CANONICAL, folder)
    return folder


def test_blank_capacity_is_warned_about_and_left_out(run, db_file, tmp_path):
    folder = _canonical(tmp_path)
    people = folder / "resources.csv"
    # RES-02 Kim Ross, data row 2: capacity 22.5 made blank. She has 20 h on PRJ-001 in week 2025-02-03.
    people.write_text(people.read_text().replace("RES-02,Kim Ross,Platform,Tester,IT,22.5,55",
                                                 "RES-02,Kim Ross,Platform,Tester,IT,,55"))
    code, _, err = run("load", folder, "--as-of", "2025-02", "--db", db_file)
    assert code == 0, err
    assert (f"warning: {people}: row 2, column weekly_capacity_hours: blank capacity: this person's hours "
            "are left out of load and capacity") in err.splitlines()
    with db.connect(db_file) as con:
        load = resources.resource_load(con)
    assert "RES-02" not in set(load.resource_id)
    assert load.attrs == {"no_capacity": 1, "no_capacity_hours": 20}


def test_spend_without_bac_is_warned_about(run, db_file, tmp_path):
    folder = _canonical(tmp_path)
    projects = folder / "projects.csv"
    text = projects.read_text()
    # PRJ-001 (row 1): bac 120000 -> 0; consumed 21 000 + 33 000 = 54 000 in its budget lines.
    # PRJ-002 (row 2): bac 45000.50 -> blank; consumed 14 000. PRJ-003 has no budget lines: no warning.
    text = text.replace("2025-08-31,120000,GBP", "2025-08-31,0,GBP").replace("2025-06-30,45000.50,GBP",
                                                                             "2025-06-30,,GBP")
    projects.write_text(text)
    code, _, err = run("load", folder, "--as-of", "2025-02", "--db", db_file)
    assert code == 0, err
    lines = err.splitlines()
    assert (f"warning: {projects}: row 1, column bac: PRJ-001: bac is 0 but 54,000.00 is consumed: "
            "earned value cannot be computed") in lines
    assert (f"warning: {projects}: row 2, column bac: PRJ-002: bac is blank but 14,000.00 is consumed: "
            "earned value cannot be computed") in lines
    assert "PRJ-003: bac" not in err
    # Budget lines loaded alone are checked against the projects already in the month.
    spend = tmp_path / "budget_lines.csv"
    spend.write_text("project_id,period,category,budget,forecast,committed,consumed\n"
                     "PRJ-002,2025-02-01,capex,15000,15000,0,2500.5\n")
    code, _, err = run("load", spend, "--as-of", "2025-02", "--db", db_file)
    assert code == 0, err
    assert (f"warning: {spend}: column consumed: PRJ-002: bac is blank but 2,500.50 is consumed: "
            "earned value cannot be computed") in err.splitlines()
