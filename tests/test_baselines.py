"""Baseline control (metrics/baselines.py): the original baseline kept across snapshots, every
re-baseline logged, slips against the original and the current baseline. Every expected value is
worked by hand from the three snapshots written below."""
from __future__ import annotations

import datetime as dt

import pytest

import pmo_analytics
from pmo_analytics import metrics
from pmo_analytics.exceptions import UsageError
from pmo_analytics.snapshots import loading as snapshots

PROJECT_COLUMNS = "project_id,name,portfolio,department,status,end_date,baseline_end_date,bac"
MONTHS = {
    # P1: re-baselined in March (BAC 100,000 -> 120,000; finish 2026-06-30 -> 2026-08-31)
    # P2: no baseline finish in January (the first given, in February, is the original, not a
    #     re-baseline); BAC left blank in February (changes nothing): 50,000 in January -> 55,000 in March
    # P3: first appears in March, on its baseline
    "2026-01": ["P1,Alpha,Core,Ops,active,2026-06-30,2026-06-30,100000",
                "P2,Beta,Core,IT,active,2026-12-31,,50000"],
    "2026-02": ["P1,Alpha,Core,Ops,active,2026-07-31,2026-06-30,100000",
                "P2,Beta,Core,IT,active,2026-12-31,2026-12-31,"],
    "2026-03": ["P1,Alpha,Core,Ops,active,2026-09-15,2026-08-31,120000",
                "P2,Beta,Core,IT,active,2027-01-31,2026-12-31,55000",
                "P3,Gamma,Edge,IT,active,2026-10-31,2026-10-31,10000"],
}
MILESTONE_COLUMNS = "project_id,milestone_id,name,baseline_date,forecast_date,actual_date"
MILESTONES = {
    # M1 achieved 2026-02-20 in February, re-baselined to 2026-03-01 in March (+14 days, after the fact)
    # M2 re-baselined in March from 2026-05-31 to 2026-07-31 (+61 days), forecast 2026-08-15
    "2026-01": ["P1,M1,Design,2026-02-15,2026-02-15,", "P1,M2,Build,2026-05-31,2026-05-31,"],
    "2026-02": ["P1,M1,Design,2026-02-15,2026-02-20,2026-02-20", "P1,M2,Build,2026-05-31,2026-06-30,"],
    "2026-03": ["P1,M1,Design,2026-03-01,2026-02-20,2026-02-20", "P1,M2,Build,2026-07-31,2026-08-15,"],
}


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    folder = tmp_path_factory.mktemp("baselines")
    database = folder / "pmo.duckdb"
    reports = {}
    for month, rows in MONTHS.items():
        exports = folder / month
        exports.mkdir()
        (exports / "projects.csv").write_text("\n".join([PROJECT_COLUMNS, *rows]) + "\n")
        (exports / "milestones.csv").write_text("\n".join([MILESTONE_COLUMNS, *MILESTONES[month]]) + "\n")
        reports[month] = snapshots.load([exports], month, database=database)
    return database, reports


@pytest.fixture
def con(history):
    with pmo_analytics.connect(history[0]) as connection:
        yield connection


MARCH = dt.date(2026, 3, 31)


def test_every_rebaseline_is_logged_once_with_old_and_new(con):
    log = metrics.rebaselines(con)
    shown = log[["project_id", "what", "milestone_id", "old", "new", "change", "unit"]]
    rows = [tuple(r) for r in shown.astype(object).where(shown.notna(), None).itertuples(index=False)]
    assert rows == [
        ("P1", "bac", None, "100000.00", "120000.00", 20000.0, "money"),
        ("P1", "baseline_end_date", None, "2026-06-30", "2026-08-31", 62.0, "days"),  # 31 (Jul) + 31 (Aug)
        ("P1", "milestone", "M1", "2026-02-15", "2026-03-01", 14.0, "days"),          # 13 (Feb) + 1
        ("P1", "milestone", "M2", "2026-05-31", "2026-07-31", 61.0, "days"),          # 30 (Jun) + 31 (Jul)
        ("P2", "bac", None, "50000.00", "55000.00", 5000.0, "money"),                 # February's blank skipped
    ]
    assert set(log["as_of"].dt.date) == {MARCH}
    assert list(log.loc[log["what"] == "milestone", "milestone_name"]) == ["Design", "Build"]
    assert list(log["project_name"].unique()) == ["Alpha", "Beta"]


def test_rebaselines_take_the_snapshot_and_the_filters(con):
    assert metrics.rebaselines(con, as_of="2026-02").empty           # nothing changed before March
    assert len(metrics.rebaselines(con, period_from="2026-03")) == 5
    assert metrics.rebaselines(con, period_to="2026-02").empty
    assert list(metrics.rebaselines(con, project_ids="P2")["what"]) == ["bac"]
    assert list(metrics.rebaselines(con, department="IT")["project_id"]) == ["P2"]
    assert metrics.rebaselines(con, portfolio="'; DROP TABLE projects; --").empty


def test_baseline_slip_per_project_against_original_and_current(con):
    slip = metrics.baseline_slip(con).set_index("project_id")
    assert list(slip.index) == ["P1", "P2", "P3"]
    p1 = slip.loc["P1"]
    assert p1["original_baseline_end_date"].date() == dt.date(2026, 6, 30)
    assert p1["baseline_end_date"].date() == dt.date(2026, 8, 31)
    assert p1["forecast_end_date"].date() == dt.date(2026, 9, 15)
    # 2026-06-30 -> 2026-09-15: 31 + 31 + 15 = 77 days; against the current baseline 15; moved 62
    assert (p1["slip_vs_original_days"], p1["slip_vs_current_days"], p1["rebaselined_days"]) == (77, 15, 62)
    assert (p1["original_bac"], p1["bac"], p1["bac_change"]) == (100_000, 120_000, 20_000)
    assert p1["bac_change_pct"] == pytest.approx(20.0)
    assert (p1["finish_rebaselines"], p1["bac_rebaselines"]) == (1, 1)
    p2 = slip.loc["P2"]
    # the original finish is February's (January had none): 2026-12-31 -> 2027-01-31 is 31 days
    assert (p2["slip_vs_original_days"], p2["slip_vs_current_days"], p2["rebaselined_days"]) == (31, 31, 0)
    assert (p2["original_bac"], p2["bac"], p2["bac_change_pct"]) == (50_000, 55_000, pytest.approx(10.0))
    assert (p2["finish_rebaselines"], p2["bac_rebaselines"]) == (0, 1)
    p3 = slip.loc["P3"]
    assert p3["first_as_of"].date() == MARCH
    assert (p3["slip_vs_original_days"], p3["rebaselined_days"], p3["bac_change"]) == (0, 0, 0)


def test_baseline_slip_at_an_earlier_snapshot_sees_only_the_history_up_to_it(con):
    feb = metrics.baseline_slip(con, as_of="2026-02").set_index("project_id")
    assert list(feb.index) == ["P1", "P2"]
    # P1 in February: forecast 2026-07-31 against the (still original) 2026-06-30: 31 days both ways
    assert (feb.loc["P1", "slip_vs_original_days"], feb.loc["P1", "slip_vs_current_days"]) == (31, 31)
    assert feb.loc["P1", "bac_rebaselines"] == 0
    assert feb.loc["P2", "bac"] == 50_000                    # February left it blank: January's stands


def test_baseline_slip_per_milestone(con):
    ms = metrics.baseline_slip(con, by="milestone").set_index("milestone_id")
    m1, m2 = ms.loc["M1"], ms.loc["M2"]
    # M1 achieved 2026-02-20: 5 days after its original 2026-02-15, 9 days before the moved 2026-03-01
    assert (m1["slip_vs_original_days"], m1["slip_vs_current_days"], m1["rebaselined_days"]) == (5, -9, 14)
    # M2 forecast 2026-08-15: 76 days after 2026-05-31 (30 + 31 + 15), 15 after 2026-07-31
    assert (m2["slip_vs_original_days"], m2["slip_vs_current_days"], m2["rebaselined_days"]) == (76, 15, 61)
    assert (m1["rebaselines"], m2["rebaselines"]) == (1, 1)
    assert m2["original_baseline_date"].date() == dt.date(2026, 5, 31)
    # period filters keep milestones by their current baseline date
    assert list(metrics.baseline_slip(con, by="milestone", period_from="2026-07")["milestone_id"]) == ["M2"]


def test_baseline_slip_refuses_what_it_cannot_honour(con):
    with pytest.raises(UsageError, match="baseline_slip does not take period_from"):
        metrics.baseline_slip(con, period_from="2026-01")
    with pytest.raises(UsageError, match="by must be one of project, milestone"):
        metrics.baseline_slip(con, by="team")


def test_a_clean_history_loads_without_history_warnings(history):
    _, reports = history
    assert not [str(w) for r in reports.values() for w in r.warnings
                if "restated" in str(w) or "IDs change" in str(w)]


def test_the_demo_history_has_no_rebaselines_and_no_history_warnings(demo_db):
    """The demo portfolio keeps its baselines (bac and baseline_end_date never change) and its past."""
    with pmo_analytics.connect(demo_db) as con:
        assert metrics.rebaselines(con).empty
        slip = metrics.baseline_slip(con)
        assert (slip["rebaselined_days"].fillna(0) == 0).all() and (slip["bac_change"].fillna(0).abs() < 0.01).all()
        assert (slip["slip_vs_original_days"] == slip["slip_vs_current_days"]).all()
