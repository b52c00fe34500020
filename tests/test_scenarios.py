"""Scenarios applied to a small hand-built portfolio: every change checked against values worked by hand.

The database (on disk, built once) holds two snapshots, 2026-09 and 2026-10. The October one (as_of
2026-10-31, the latest) is the one the hand calculations describe:

  projects   P1 Apollo   Alpha  active   2026-09-01 .. 2027-01-31  bac 1000  GBP
             P2 Borealis Alpha  active   2026-10-01 .. 2026-12-31  bac  600  GBP
             P3 Cygnus   Beta   on_hold  2026-09-01 .. 2026-12-31  bac  300  GBP
             P4 Dorado   Beta   closed   2026-03-01 .. 2026-09-30  bac  100  GBP
  budget lines (labour)  budget / forecast / committed / consumed
             P1  2026-09 200/200/-/180   2026-10 200/210/-/210   2026-11 300/300/50/-   2026-12 300/320/-/-
             P2  2026-10 200/200/-/150   2026-11 200/200/-/-     2026-12 200/250/-/-
             P3  2026-09 100/100/-/100   2026-11 100/100/-/-     2026-12 100/100/-/-
             P4  2026-09 100/ 90/-/ 90
  resources  R1 Ann Data Analyst 40 h/wk   R2 Bob Data Engineer 40   R3 Cat Web Analyst 20
             R4 Dan Web Engineer 30
  planned hours per Monday (after the snapshot date 2026-10-31 is the future)
             R1 P1  10-26 20 (booked 20), 11-02 20, 11-09 20, 12-07 10      R1 P2  11-02 10
             R2 P2  10-26 30 (booked 28), 11-02 30, 11-09 30                R3 P1  11-02 10, 11-16 10
             R4 P3  11-02 15
  risks      K1 P2 open 0.5 x 1000 = emv 500; K2 P2 mitigating 0.2 x 200 = 40; K3 P2 closed;
             K4 P1 open 0.1 x 1000 = 100
  milestones P1 M1 achieved 2026-10-20; P1 M2 open, forecast 2026-12-20; P1 M3 open, forecast
             2026-10-25 (missed: before the snapshot); P2 M1 open, forecast 2026-12-10

The September snapshot (for stale / replay): P1, P2, P3 active, P4 active, P5 Eridanus active (gone
in October); P1 has budget lines 2026-09 and 2026-10 and P4 one for 2026-10.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import insert, sha256

from pmo_analytics import contract
from pmo_analytics.exceptions import ScenarioError
from pmo_analytics.metrics import budget_curve, budget_variance, headline, resource_load, risk_exposure
from pmo_analytics.scenarios import Change, Scenario, replay, stale, view
from pmo_analytics.snapshots import summaries
from pmo_analytics.store import connection, schema

SEP, OCT = dt.date(2026, 9, 30), dt.date(2026, 10, 31)
PROJECT_COLS = ["as_of", "project_id", "name", "portfolio", "status", "start_date", "end_date", "bac", "currency"]
LINE_COLS = ["as_of", "project_id", "period", "category", "budget", "forecast", "committed", "consumed"]
ALLOC_COLS = ["as_of", "resource_id", "project_id", "week", "planned_hours", "actual_hours"]


def _october(c) -> None:
    insert(c, "projects", PROJECT_COLS, [
        (OCT, "P1", "Apollo", "Alpha", "active", "2026-09-01", "2027-01-31", 1000, "GBP"),
        (OCT, "P2", "Borealis", "Alpha", "active", "2026-10-01", "2026-12-31", 600, "GBP"),
        (OCT, "P3", "Cygnus", "Beta", "on_hold", "2026-09-01", "2026-12-31", 300, "GBP"),
        (OCT, "P4", "Dorado", "Beta", "closed", "2026-03-01", "2026-09-30", 100, "GBP")])
    insert(c, "budget_lines", LINE_COLS, [(OCT, *line) for line in [
        ("P1", "2026-09-01", "labour", 200, 200, None, 180), ("P1", "2026-10-01", "labour", 200, 210, None, 210),
        ("P1", "2026-11-01", "labour", 300, 300, 50, None), ("P1", "2026-12-01", "labour", 300, 320, None, None),
        ("P2", "2026-10-01", "labour", 200, 200, None, 150), ("P2", "2026-11-01", "labour", 200, 200, None, None),
        ("P2", "2026-12-01", "labour", 200, 250, None, None),
        ("P3", "2026-09-01", "labour", 100, 100, None, 100), ("P3", "2026-11-01", "labour", 100, 100, None, None),
        ("P3", "2026-12-01", "labour", 100, 100, None, None),
        ("P4", "2026-09-01", "labour", 100, 90, None, 90)]])
    insert(c, "allocations", ALLOC_COLS, [
        (OCT, "R1", "P1", "2026-10-26", 20, 20), (OCT, "R1", "P1", "2026-11-02", 20, None),
        (OCT, "R1", "P1", "2026-11-09", 20, None), (OCT, "R1", "P1", "2026-12-07", 10, None),
        (OCT, "R1", "P2", "2026-11-02", 10, None),
        (OCT, "R2", "P2", "2026-10-26", 30, 28), (OCT, "R2", "P2", "2026-11-02", 30, None),
        (OCT, "R2", "P2", "2026-11-09", 30, None),
        (OCT, "R3", "P1", "2026-11-02", 10, None), (OCT, "R3", "P1", "2026-11-16", 10, None),
        (OCT, "R4", "P3", "2026-11-02", 15, None)])
    insert(c, "risks", ["as_of", "risk_id", "project_id", "title", "probability", "impact_cost", "status"], [
        (OCT, "K1", "P2", "Vendor late", 0.5, 1000, "open"), (OCT, "K2", "P2", "Scope creep", 0.2, 200, "mitigating"),
        (OCT, "K3", "P2", "Old one", 0.9, 5000, "closed"), (OCT, "K4", "P1", "Key person", 0.1, 1000, "open")])
    insert(c, "milestones", ["as_of", "project_id", "milestone_id", "name", "baseline_date", "forecast_date",
                             "actual_date"], [
        (OCT, "P1", "M1", "Design", "2026-10-15", "2026-10-15", "2026-10-20"),
        (OCT, "P1", "M2", "Build", "2026-12-15", "2026-12-20", None),
        (OCT, "P1", "M3", "Review", "2026-10-25", "2026-10-25", None),
        (OCT, "P2", "M1", "Go-live", "2026-12-10", "2026-12-10", None)])


def _september(c) -> None:
    insert(c, "projects", PROJECT_COLS, [
        (SEP, "P1", "Apollo", "Alpha", "active", "2026-09-01", "2027-01-31", 1000, "GBP"),
        (SEP, "P2", "Borealis", "Alpha", "active", "2026-10-01", "2026-12-31", 600, "GBP"),
        (SEP, "P3", "Cygnus", "Beta", "active", "2026-09-01", "2026-12-31", 300, "GBP"),
        (SEP, "P4", "Dorado", "Beta", "active", "2026-03-01", "2026-10-31", 100, "GBP"),
        (SEP, "P5", "Eridanus", "Beta", "active", "2026-09-01", "2026-12-31", 50, "GBP")])
    insert(c, "budget_lines", LINE_COLS, [
        (SEP, "P1", "2026-09-01", "labour", 200, 200, None, 180),
        (SEP, "P1", "2026-10-01", "labour", 200, 200, None, None),
        (SEP, "P4", "2026-10-01", "labour", 100, 100, None, None)])


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """The two snapshots above in a DuckDB file, summaries computed as a publish would."""
    path = tmp_path_factory.mktemp("scenarios") / "pmo.duckdb"
    c = connection.connect(path, read_only=False)
    for ddl in contract.all_ddl() + schema.summary_ddl():
        c.sql(ddl)
    resources = [("R1", "Ann", "Data", "Analyst", 40, 50), ("R2", "Bob", "Data", "Engineer", 40, 60),
                 ("R3", "Cat", "Web", "Analyst", 20, 40), ("R4", "Dan", "Web", "Engineer", 30, 70)]
    for snap in (SEP, OCT):
        insert(c, "resources", ["as_of", "resource_id", "name", "team", "role", "weekly_capacity_hours", "cost_rate"],
               [(snap, *r) for r in resources])
    _september(c)
    _october(c)
    counts = {t: dict(c.sql(f"SELECT as_of, count(*) FROM {t} GROUP BY as_of").fetchall()) for t in contract.TABLES}
    for snap in (SEP, OCT):
        insert(c, "loads", ["as_of", "loaded_at", "files", *[f"rows_{t}" for t in contract.TABLES], "warnings",
                            "quality_score", "checksum"],
               [(snap, "2026-11-02 09:00:00", "{}", *[counts[t].get(snap, 0) for t in contract.TABLES], 0, 100.0, "x")])
    summaries.refresh(c, "main")
    c.close()
    return path


@pytest.fixture
def con(database):
    with connection.connect(database) as c:
        yield c


def _view(con, *changes, **kw):
    return view(con, Scenario("test", OCT, changes, **kw))


def _rows(v, sql, *params):
    return v.sql(sql, params=list(params)).fetchall()


def _alloc(v, project=None):
    """{(resource, project, 'MM-DD' or 'YYYY-MM-DD'): planned} of the October snapshot in the view."""
    rows = _rows(v, "SELECT resource_id, project_id, week, planned_hours FROM allocations WHERE as_of = ?", OCT)
    return {(r, p, w.isoformat()): h for r, p, w, h in rows if project in (None, p)}


def _lines(v, project):
    rows = _rows(v, "SELECT period, budget, forecast FROM budget_lines WHERE as_of = ? AND project_id = ? "
                    "ORDER BY period", OCT, project)
    return [(p.isoformat()[:7], b, f) for p, b, f in rows]


def _month(df, column, key, month):
    rows = df[(df[column] == key) & (df["month"] == pd.Timestamp(month))]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_defer_moves_the_future_and_keeps_history(con):
    with _view(con, Change("defer", project_id="P1", months=2, who="J. Smith", why="frees analysts")) as v:
        # Budget lines after October move 2 months: 2026-11 -> 2027-01, 2026-12 -> 2027-02.
        assert _lines(v, "P1") == [("2026-09", 200, 200), ("2026-10", 200, 210), ("2027-01", 300, 300),
                                   ("2027-02", 300, 320)]
        # Weeks after 2026-10-31 move round(2 x 52 / 12) = round(8.67) = 9 weeks = 63 days:
        # 11-02 -> 2027-01-04, 11-09 -> 01-11, 12-07 -> 02-08, 11-16 -> 01-18; 10-26 is history.
        assert _alloc(v, "P1") == {("R1", "P1", "2026-10-26"): 20, ("R1", "P1", "2027-01-04"): 20,
                                   ("R1", "P1", "2027-01-11"): 20, ("R1", "P1", "2027-02-08"): 10,
                                   ("R3", "P1", "2027-01-04"): 10, ("R3", "P1", "2027-01-18"): 10}
        # The open milestone after the snapshot moves 2 months; the achieved one and the one already
        # missed (forecast before the snapshot date) stay as they were.
        assert _rows(v, "SELECT milestone_id, forecast_date FROM milestones WHERE as_of = ? AND project_id = 'P1' "
                        "ORDER BY 1", OCT) == [("M1", dt.date(2026, 10, 15)), ("M2", dt.date(2027, 2, 20)),
                                               ("M3", dt.date(2026, 10, 25))]
        # end 2027-01-31 + 2 months = 2027-03-31; the start (before the snapshot) stays.
        assert _rows(v, "SELECT start_date, end_date FROM projects WHERE as_of = ? AND project_id = 'P1'", OCT) == [
            (dt.date(2026, 9, 1), dt.date(2027, 3, 31))]
        # September's rows are untouched: P1 still plans 2026-10.
        assert _rows(v, "SELECT period FROM budget_lines WHERE as_of = ? AND project_id = 'P1' ORDER BY 1", SEP) == [
            (dt.date(2026, 9, 1),), (dt.date(2026, 10, 1),)]
        curve = budget_curve(v).set_index("period")
        load = resource_load(v, grain="month")
    # budget by month: 09 P1 200 + P3 100 + P4 100 = 400; 10 P1 200 + P2 200 = 400; 11 and 12 P2 200 +
    # P3 100 = 300; 2027-01 and 02 P1 300 each; the running total ends at 2000, as before the defer.
    assert curve["budget"].to_dict() == {pd.Timestamp(m): b for m, b in [
        ("2026-09-01", 400), ("2026-10-01", 400), ("2026-11-01", 300), ("2026-12-01", 300),
        ("2027-01-01", 300), ("2027-02-01", 300)]}
    assert curve["cum_budget"].iloc[-1] == 2000
    # Ann in November: only P2 11-02 10 h (was P1 20 + 20 + P2 10 = 50); in January P1 20 + 20 = 40 h
    # against 40 h x 4 Mondays (01-04, 11, 18, 25) = 160.
    assert _month(load, "resource_id", "R1", "2026-11-01")["planned_hours"] == 10
    jan = _month(load, "resource_id", "R1", "2027-01-01")
    assert (jan["planned_hours"], jan["capacity"]) == (40, 160)


def test_defer_then_bring_forward(con):
    # +3 months then -2 = +1: budget 2026-11 -> 2026-12, 2026-12 -> 2027-01; weeks +13 - 9 = +4:
    # 11-02 -> 11-30, 12-07 -> 2027-01-04.
    with _view(con, Change("defer", project_id="P1", months=3), Change("defer", project_id="P1", months=-2)) as v:
        assert _lines(v, "P1")[2:] == [("2026-12", 300, 300), ("2027-01", 300, 320)]
        assert _alloc(v, "P1")[("R1", "P1", "2026-11-30")] == 20
        assert _alloc(v, "P1")[("R1", "P1", "2027-01-04")] == 10


def test_cut_scales_the_future_and_the_bac(con):
    with _view(con, Change("cut", project_id="P2", percent=25)) as v:
        # Future lines x 0.75: 200 -> 150, 200 -> 150; forecast 200 -> 150, 250 -> 187.5; October stays.
        assert _lines(v, "P2") == [("2026-10", 200, 200), ("2026-11", 150, 150), ("2026-12", 150, 187.5)]
        # bac 600 - 25% of the future budget 400 = 500
        assert _rows(v, "SELECT bac FROM projects WHERE as_of = ? AND project_id = 'P2'", OCT) == [(500,)]
        # Future hours x 0.75: R1 10 -> 7.5, R2 30 -> 22.5 twice; R2's booked week 10-26 stays 30.
        assert _alloc(v, "P2") == {("R1", "P2", "2026-11-02"): 7.5, ("R2", "P2", "2026-10-26"): 30,
                                   ("R2", "P2", "2026-11-02"): 22.5, ("R2", "P2", "2026-11-09"): 22.5}
        # The month's summary is rebuilt: P2's budget 200 + 150 + 150 = 500.
        assert _rows(v, "SELECT budget FROM project_status WHERE as_of = ? AND project_id = 'P2'", OCT) == [(500,)]


def test_move_all_of_a_persons_hours(con):
    with _view(con, Change("move", resource_id="R1", project_id="P1", to_project="P2", period=["2026-11"])) as v:
        a = _alloc(v)
    # Ann's P1 weeks of November (11-02 20, 11-09 20) go to P2: 11-02 merges with her 10 h there = 30.
    assert ("R1", "P1", "2026-11-02") not in a and ("R1", "P1", "2026-11-09") not in a
    assert (a[("R1", "P2", "2026-11-02")], a[("R1", "P2", "2026-11-09")]) == (30, 20)
    # December and Cat's hours stay on P1.
    assert (a[("R1", "P1", "2026-12-07")], a[("R3", "P1", "2026-11-02")]) == (10, 10)


def test_move_half_of_a_persons_hours(con):
    with _view(con, Change("move", resource_id="R1", project_id="P1", to_project="P2", period=["2026-11"],
                           percent=50)) as v:
        a = _alloc(v)
    # 50% of 20 = 10 moves each week: P1 keeps 10 + 10; P2 11-02 10 + 10 = 20, 11-09 a new row of 10.
    assert (a[("R1", "P1", "2026-11-02")], a[("R1", "P1", "2026-11-09")]) == (10, 10)
    assert (a[("R1", "P2", "2026-11-02")], a[("R1", "P2", "2026-11-09")]) == (20, 10)


def test_move_by_role(con):
    move = Change("move", role="Analyst", project_id="P1", to_project="P3", period=["2026-11", "2026-12"])
    with _view(con, move) as v:
        a = _alloc(v)
        load = resource_load(v, by="role", grain="month")
    # Every Analyst (Ann, Cat) leaves P1 in November and December: Ann 20 + 20 + 10, Cat 10 + 10 to P3.
    assert [k for k in a if k[1] == "P1"] == [("R1", "P1", "2026-10-26")]
    assert a[("R1", "P3", "2026-11-02")] == 20 and a[("R1", "P3", "2026-12-07")] == 10
    assert a[("R3", "P3", "2026-11-16")] == 10
    # The role's November load is unchanged: Ann 20 + 20 + 10 (P2) + Cat 10 + 10 = 70 h.
    assert _month(load, "role", "Analyst", "2026-11-01")["planned_hours"] == 70


def test_hire_adds_capacity_by_role(con):
    with _view(con, Change("hire", role="Engineer", people=2)) as v:
        hired = _rows(v, "SELECT resource_id, name, team, weekly_capacity_hours, cost_rate FROM resources "
                         "WHERE as_of = ? AND resource_id LIKE 'NEW-%' ORDER BY 1", OCT)
        load = resource_load(v, by="role", grain="month")
    # Engineers: Bob 40 and Dan 30 h -> median 35; teams Data and Web tie -> Data; cost 60 and 70 -> 65.
    assert hired == [("NEW-engineer-1", "New Engineer 1 (scenario)", "Data", 35, 65),
                     ("NEW-engineer-2", "New Engineer 2 (scenario)", "Data", 35, 65)]
    # November has 5 calendar Mondays: capacity (40 + 30 + 35 + 35) x 5 = 700 (was 350).
    engineers = _month(load, "role", "Engineer", "2026-11-01")
    assert (engineers["capacity"], engineers["resources"]) == (700, 4)


def test_hire_of_a_new_role_and_numbering(con):
    changes = (Change("hire", role="Data Designer"), Change("hire", role="Data Designer", weekly_hours=20, team="Web"))
    with _view(con, *changes) as v:
        hired = _rows(v, "SELECT resource_id, team, role, weekly_capacity_hours FROM resources "
                         "WHERE as_of = ? AND resource_id LIKE 'NEW-%' ORDER BY 1", OCT)
    # A role nobody has: 37.5 h and no team; the second hire is numbered on.
    assert hired == [("NEW-data-designer-1", None, "Data Designer", 37.5),
                     ("NEW-data-designer-2", "Web", "Data Designer", 20)]


def test_add_spreads_demand_over_the_roles_people(con, database):
    add = Change("add", project_id="NEW-001", name="Data platform", portfolio="Alpha",
                 budget={"2026-12": 500, "2027-01": 1000}, demand={"Analyst": {"2026-12": 240}})
    with _view(con, add) as v:
        project = _rows(v, "SELECT status, start_date, end_date, bac, currency FROM projects "
                           "WHERE as_of = ? AND project_id = 'NEW-001'", OCT)
        lines = _rows(v, "SELECT period, category, budget, forecast, committed, consumed FROM budget_lines "
                         "WHERE as_of = ? AND project_id = 'NEW-001' ORDER BY 1", OCT)
        a = _alloc(v, "NEW-001")
        counts = _rows(v, "SELECT rows_projects, rows_budget_lines, rows_allocations FROM loads WHERE as_of = ?", OCT)
    assert project == [("planned", dt.date(2026, 12, 1), dt.date(2027, 1, 31), 1500, "GBP")]
    assert lines == [(dt.date(2026, 12, 1), "proposed", 500, 500, None, None),
                     (dt.date(2027, 1, 1), "proposed", 1000, 1000, None, None)]
    # 240 h over December's 4 Mondays (7, 14, 21, 28) = 60 h a week, split by capacity 40 : 20
    # between Ann (40 h) and Cat (20 h).
    assert a == {**{("R1", "NEW-001", f"2026-12-{d:02d}"): 40 for d in (7, 14, 21, 28)},
                 **{("R3", "NEW-001", f"2026-12-{d:02d}"): 20 for d in (7, 14, 21, 28)}}
    # The loads record counts the new rows: 4 + 1 projects, 11 + 2 lines, 11 + 8 allocations.
    assert counts == [(5, 13, 19)]


def test_defer_moves_a_start_still_to_come(con):
    add = Change("add", project_id="NEW-001", name="Data platform", portfolio="Alpha",
                 budget={"2026-12": 500, "2027-01": 1000})
    with _view(con, add, Change("defer", project_id="NEW-001", months=1)) as v:
        dates = _rows(v, "SELECT start_date, end_date FROM projects WHERE as_of = ? AND project_id = 'NEW-001'", OCT)
        assert _lines(v, "NEW-001") == [("2027-01", 500, 500), ("2027-02", 1000, 1000)]
    # 2026-12-01 + 1 month = 2027-01-01; 2027-01-31 + 1 month = 2027-02-28 (the month's last day).
    assert dates == [(dt.date(2027, 1, 1), dt.date(2027, 2, 28))]


def test_add_needs_people_of_the_role(con):
    add = Change("add", project_id="NEW-002", name="Studio", portfolio="Beta", demand={"Designer": {"2026-12": 100}})
    with pytest.raises(ScenarioError, match=r"^scenario 'test', change 1 \(add\): demand for Designer: nobody "
                                            r".*hire first$"):
        _view(con, add)
    # Hired first, the one designer (37.5 h) takes all of it: 100 h / 4 Mondays = 25 h a week.
    with _view(con, Change("hire", role="Designer"), add) as v:
        assert set(_alloc(v, "NEW-002").values()) == {25}


def test_exclude_is_a_cancellation_at_the_snapshot(con):
    base = headline(con).iloc[0]
    with _view(con, Change("exclude", project_id="P2")) as v:
        top = headline(v).iloc[0]
        exposure = risk_exposure(v).set_index("project_id")
        load = resource_load(v, grain="month")
        curve = budget_curve(v).set_index("period")["budget"]
        milestones = _rows(v, "SELECT milestone_id FROM milestones WHERE as_of = ? AND project_id = 'P2'", OCT)
    # Money before: P1 1000 + P2 600 + P3 300 (P4 closed: 100) = 2000 budget; after, P2 leaves: 1400.
    assert (base["budget"], top["budget"]) == (2000, 1400)
    # forecast: 1030 + 650 + 300 + 90 (P4's spend) = 2070 before; 2070 - 650 = 1420 after.
    assert (base["forecast"], top["forecast"]) == (2070, 1420)
    # released: what is left of P2's budget to date, 200 - 150 = 50 (its future lines are gone).
    assert (top["cancelled"], top["released_budget"]) == (1, 50)
    # Risks: P2's K1 (500) and K2 (40) leave the exposure; K4 (P1, 100) stays.
    assert (base["risk_emv"], top["risk_emv"]) == (640, 100)
    assert (exposure.loc["P2", "active_risks"], exposure.loc["P2", "total_emv"]) == (0, 0)
    # Hours: Bob's November (30 + 30) goes; October (30, booked) is history.
    assert _month(load, "resource_id", "R2", "2026-11-01")["planned_hours"] == 0
    assert _month(load, "resource_id", "R2", "2026-10-01")["planned_hours"] == 30
    # Budget by month: November P1 300 + P3 100 = 400 (was 600), December 400 (was 600); October keeps P2's 200.
    assert (curve[pd.Timestamp("2026-10-01")], curve[pd.Timestamp("2026-11-01")],
            curve[pd.Timestamp("2026-12-01")]) == (400, 400, 400)
    assert milestones == []


def test_include_undoes_an_exclude_and_brings_back_on_hold(con):
    with _view(con) as plain, _view(con, Change("exclude", project_id="P2"), Change("include", project_id="P2")) as v:
        for table in ("projects", "budget_lines", "allocations", "risks", "milestones"):
            q = f"SELECT * EXCLUDE (source) FROM {table} WHERE as_of = ? ORDER BY ALL"
            assert _rows(v, q, OCT) == _rows(plain, q, OCT), table
    with _view(con, Change("include", project_id="P3")) as v:
        # P3 on hold -> active: active projects 2 (P1, P2) -> 3.
        assert (headline(con).iloc[0]["active_projects"], headline(v).iloc[0]["active_projects"]) == (2, 3)


@pytest.mark.parametrize("change, message", [
    (Change("defer", project_id="PRJ-9999", months=2),
     "scenario 'test', change 2 (defer): PRJ-9999 is not in the 2026-10 snapshot"),
    (Change("defer", project_id="P1", months=-1),
     "scenario 'test', change 2 (defer): P1's first future month is 2026-11: bringing it forward 1 month(s) "
     "would move it into the 2026-10 snapshot month or earlier"),
    (Change("cut", project_id="P4", percent=10),
     "scenario 'test', change 2 (cut): P4 is closed in the 2026-10 snapshot"),
    (Change("move", resource_id="R9", project_id="P1", to_project="P2", period=["2026-11"]),
     "scenario 'test', change 2 (move): resource_id R9 is not in the 2026-10 snapshot"),
    (Change("move", resource_id="R1", project_id="P1", to_project="P2", period=["2026-10"]),
     "scenario 'test', change 2 (move): period 2026-10 is not after the 2026-10 snapshot: only what is still to "
     "come can change"),
    (Change("include", project_id="P1"), "scenario 'test', change 2 (include): P1 is active in the 2026-10 snapshot: "
     "include brings back a project on hold or cancelled, or one an earlier change excluded"),
    (Change("exclude", project_id="P3"), "scenario 'test', change 2 (exclude): P3 is already excluded by change 1"),
    (Change("defer", project_id="P3", months=1),
     "scenario 'test', change 2 (defer): P3 is excluded by change 1; include it first"),
    (Change("add", project_id="P1", name="Again", portfolio="Alpha", budget={"2026-12": 1}),
     "scenario 'test', change 2 (add): P1 is already in the 2026-10 snapshot: give the proposal a new project_id"),
])
def test_changes_that_cannot_apply_are_named(con, change, message):
    with pytest.raises(ScenarioError) as err:
        _view(con, Change("exclude", project_id="P3"), change)
    assert str(err.value) == message


def test_a_scenario_on_a_month_not_loaded(con):
    with pytest.raises(ScenarioError, match=r"no 2026-12 snapshot in the database \(loaded: 2026-09, 2026-10\)"):
        view(con, Scenario("late", "2026-12"))


def test_the_source_database_is_never_written(database):
    before = sha256(database)
    with connection.connect(database) as c, _view(c, Change("exclude", project_id="P2"),
                                                  Change("hire", role="Analyst")) as v:
        assert _rows(v, "SELECT status FROM projects WHERE as_of = ? AND project_id = 'P2'", OCT) == [("cancelled",)]
        assert _rows(c, "SELECT status FROM projects WHERE as_of = ? AND project_id = 'P2'", OCT) == [("active",)]
    assert sha256(database) == before


def test_budget_variance_on_the_view_matches_the_changes(con):
    with _view(con, Change("cut", project_id="P1", percent=50)) as v:
        p1 = budget_variance(v).set_index("project_id").loc["P1"]
    # budget 200 + 200 + 150 + 150 = 700; forecast 200 + 210 + 150 + 160 = 720; bac 1000 - 50% x 600 = 700
    assert (p1["budget"], p1["forecast"], p1["bac"]) == (700, 720, 700)


def test_stale_and_replay(con):
    september = Scenario("autumn", "2026-09", (
        Change("defer", project_id="P1", months=2, who="PMO", why="go-live first"),
        Change("exclude", project_id="P4"),
        Change("cut", project_id="P5", percent=20),
        Change("exclude", project_id="P2")), version=3, author="PMO")
    assert stale(con, september) == OCT
    assert stale(con, Scenario("now", "2026-10")) is None
    replayed, notes = replay(con, september)
    assert (replayed.as_of, replayed.version, replayed.name, replayed.author) == (OCT, 4, "autumn", "PMO")
    assert replayed.changes == (september.changes[0], september.changes[3])
    # P4 closed in October, P5 gone from it.
    assert notes == ["change 2 (exclude P4): P4 is already closed in the 2026-10 snapshot",
                     "change 3 (cut P5's remaining scope by 20%): P5 is not in the 2026-10 snapshot"]
    with view(con, replayed) as v:
        assert _lines(v, "P1")[2:] == [("2027-01", 300, 300), ("2027-02", 300, 320)]
    with pytest.raises(ScenarioError, match="replay needs a later one"):
        replay(con, replayed)
