"""Resource load and over-allocation runs, checked against hand-computed values."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import insert as _insert

from pmo_analytics import contract
from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics import resources as m
from pmo_analytics.store import connection as db

MAR, FEB = "2024-03-31", "2024-02-29"
HOSTILE = "x' OR 1=1 --"


@pytest.fixture
def con():
    """Two snapshots. The March one (latest) is the one the hand calculations below describe.

    Projects: P1 and P3 in portfolio Alpha, P2 in Beta.
    Resources: R1 Ann (team Data, Analyst, 40 h/wk), R2 Bob (Data, Engineer, 40 h/wk),
               R3 Cat (Web, Analyst, 20 h/wk).
    Planned hours per Monday (March snapshot):
                 03-04      03-11          03-18          03-25          04-01
      R1 Ann     P1 30      P1 30 + P2 20  P1 25 + P2 20  P1 20          P2 35
                 = 30       = 50 (over 10) = 45 (over 5)  = 20           = 35
      R2 Bob     P2 10      P2 10          P2 10          P2 10          P2 10
      R3 Cat     P3 25      P3 10          -              P2 15 + P3 10  -
                 (over 5)                                 = 25 (over 5)
    So Ann is overloaded in exactly two (consecutive) weeks, 03-11 and 03-18; Cat in two separate
    weeks (two runs); Bob never. Actual hours: Ann 03-11 booked P1 28 + P2 20 = 48; others NULL.
    February snapshot: only Ann, P1 60 h in week 03-04 (over 20).
    """
    c = db.memory()
    for ddl in contract.all_ddl():
        c.sql(ddl)
    for snap in (FEB, MAR):
        _insert(c, "loads", ["as_of", "loaded_at", "files", "warnings", "checksum"],
                [(snap, "2024-04-01 09:00:00", "test", 0, "x")])
        _insert(c, "projects", ["as_of", "project_id", "name", "portfolio", "status"],
                [(snap, "P1", "Apollo", "Alpha", "active"), (snap, "P2", "Borealis", "Beta", "active"),
                 (snap, "P3", "Cygnus", "Alpha", "active")])
        _insert(c, "resources",
                ["as_of", "resource_id", "name", "team", "role", "weekly_capacity_hours"],
                [(snap, "R1", "Ann", "Data", "Analyst", 40), (snap, "R2", "Bob", "Data", "Engineer", 40),
                 (snap, "R3", "Cat", "Web", "Analyst", 20)])
    cols = ["as_of", "resource_id", "project_id", "week", "planned_hours", "actual_hours"]
    _insert(c, "allocations", cols, [
        (MAR, "R1", "P1", "2024-03-04", 30, 30),
        (MAR, "R1", "P1", "2024-03-11", 30, 28), (MAR, "R1", "P2", "2024-03-11", 20, 20),
        (MAR, "R1", "P1", "2024-03-18", 25, None), (MAR, "R1", "P2", "2024-03-18", 20, None),
        (MAR, "R1", "P1", "2024-03-25", 20, None),
        (MAR, "R1", "P2", "2024-04-01", 35, None),
        (MAR, "R2", "P2", "2024-03-04", 10, None), (MAR, "R2", "P2", "2024-03-11", 10, None),
        (MAR, "R2", "P2", "2024-03-18", 10, None), (MAR, "R2", "P2", "2024-03-25", 10, None),
        (MAR, "R2", "P2", "2024-04-01", 10, None),
        (MAR, "R3", "P3", "2024-03-04", 25, None), (MAR, "R3", "P3", "2024-03-11", 10, None),
        (MAR, "R3", "P2", "2024-03-25", 15, None), (MAR, "R3", "P3", "2024-03-25", 10, None),
        (FEB, "R1", "P1", "2024-03-04", 60, None),
    ])
    yield c
    c.close()


def _row(df, **where):
    mask = pd.Series(True, index=df.index)
    for k, v in where.items():
        mask &= df[k] == v
    rows = df[mask]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_weekly_resource_load(con):
    df = m.resource_load(con)
    # 3 resources x 5 calendar weeks (03-04 .. 04-01), including Cat's empty weeks.
    assert len(df) == 15
    ann = _row(df, resource_id="R1", week=pd.Timestamp("2024-03-11"))
    assert ann["capacity"] == 40
    assert ann["planned_hours"] == 50
    assert ann["actual_hours"] == 48
    assert ann["utilisation"] == pytest.approx(50 / 40)
    assert ann["actual_utilisation"] == pytest.approx(48 / 40)
    assert ann["availability"] == -10
    assert ann["over_hours"] == 10
    assert bool(ann["over_allocated"])
    assert ann["filtered_hours"] == 50  # no project filter: every hour is "filtered"
    cat_empty = _row(df, resource_id="R3", week=pd.Timestamp("2024-03-18"))
    assert (cat_empty["planned_hours"], cat_empty["availability"], cat_empty["over_hours"]) == (0, 20, 0)
    assert not bool(cat_empty["over_allocated"])
    # Nothing booked yet (future week): actual hours are missing, not zero.
    bob_future = _row(df, resource_id="R2", week=pd.Timestamp("2024-04-01"))
    assert pd.isna(bob_future["actual_hours"]) and pd.isna(bob_future["actual_utilisation"])
    # Ann is over in exactly the two known weeks.
    over = df[(df.resource_id == "R1") & df.over_allocated]
    assert list(over.week) == [pd.Timestamp("2024-03-11"), pd.Timestamp("2024-03-18")]
    assert list(over.over_hours) == [10, 5]


def test_team_rollup_keeps_overload_despite_colleague_slack(con):
    df = m.resource_load(con, by="team")
    data = _row(df, team="Data", week=pd.Timestamp("2024-03-11"))
    # Ann 50 + Bob 10 = 60 planned against 80 capacity: the team has 20 h slack...
    assert data["resources"] == 2
    assert data["capacity"] == 80
    assert data["planned_hours"] == 60
    assert data["availability"] == 20
    assert data["utilisation"] == pytest.approx(0.75)
    # ...but Ann's 10 h overload is still there.
    assert data["over_hours"] == 10
    assert bool(data["over_allocated"])
    quiet = _row(df, team="Data", week=pd.Timestamp("2024-03-25"))
    assert quiet["over_hours"] == 0 and not bool(quiet["over_allocated"])


def test_role_rollup(con):
    df = m.resource_load(con, by="role")
    # Analysts = Ann + Cat. Week 03-04: capacity 40 + 20 = 60, planned 30 + 25 = 55, Cat over 5.
    analysts = _row(df, role="Analyst", week=pd.Timestamp("2024-03-04"))
    assert (analysts["capacity"], analysts["planned_hours"], analysts["over_hours"]) == (60, 55, 5)
    assert bool(analysts["over_allocated"])


def test_month_grain_capacity(con):
    df = m.resource_load(con, grain="month")
    ann_mar = _row(df, resource_id="R1", month=pd.Timestamp("2024-03-01"))
    # March 2024 has four Mondays (4, 11, 18, 25): 4 x 40 = 160 h capacity.
    assert ann_mar["capacity"] == 160
    assert ann_mar["planned_hours"] == 30 + 50 + 45 + 20  # 145
    assert ann_mar["availability"] == 15
    # over_hours is summed per week (10 + 5), so the month shows it although 145 < 160.
    assert ann_mar["over_hours"] == 15
    assert bool(ann_mar["over_allocated"])
    ann_apr = _row(df, resource_id="R1", month=pd.Timestamp("2024-04-01"))
    # The export's weeks run 03-04 .. 04-01, so April holds one of them (Monday 1 April): 1 x 40 = 40 h,
    # of which 35 planned. (Before issue 13 April counted all five of its Mondays, 1 .. 29 April,
    # 200 h, four of them outside the export: utilisation 35 / 200 instead of 35 / 40.)
    assert ann_apr["capacity"] == 40
    assert ann_apr["planned_hours"] == 35
    assert ann_apr["utilisation"] == pytest.approx(35 / 40)
    team = m.resource_load(con, by="team", grain="month")
    web_mar = _row(team, team="Web", month=pd.Timestamp("2024-03-01"))
    # Cat: 4 x 20 = 80 h; 25 + 10 + 0 + 25 = 60 planned; over 5 + 5 = 10.
    assert (web_mar["capacity"], web_mar["planned_hours"], web_mar["over_hours"]) == (80, 60, 10)



def test_rows_in_resource_order_and_people_without_capacity_left_out(con):
    """People without a known capacity (missing from resources, or capacity blank) are left out and
    counted. (Before issue 13 their hours stayed in: R0 and Bob had rows with no capacity and Data's
    03-11 load was Ann 50 + Bob 10 = 60 against Ann's 40 h alone.)"""
    cols = ["as_of", "resource_id", "project_id", "week", "planned_hours", "actual_hours"]
    _insert(con, "allocations", cols, [(MAR, "R0", "P1", "2024-03-11", 12, None)])
    con.sql("UPDATE resources SET weekly_capacity_hours = NULL WHERE resource_id = 'R2'")
    df = m.resource_load(con)
    assert len(df) == 10  # Ann and Cat x 5 weeks; R0 (unknown) and Bob (blank capacity) left out
    assert list(df.resource_id) == sorted(df.resource_id) and df.resource_id.iloc[0] == "R1"
    assert df.groupby("resource_id").week.is_monotonic_increasing.all()
    assert set(df.resource_id) == {"R1", "R3"}
    # Left out: R0 (12 h in 03-11) and Bob (10 h in each of 5 weeks): 2 people, 12 + 50 = 62 h.
    assert df.attrs == {"no_capacity": 2, "no_capacity_hours": 62}
    data = _row(m.resource_load(con, by="team"), team="Data", week=pd.Timestamp("2024-03-11"))
    # Data is Ann alone now: 40 h capacity, 50 planned, over 10.
    assert (data["resources"], data["capacity"], data["planned_hours"], data["over_hours"]) == (1, 40, 50, 10)


def test_over_allocations_runs(con):
    df = m.over_allocations(con)
    assert list(df.columns) == ["resource_id", "name", "team", "start_week", "end_week", "weeks",
                                "peak_over_hours", "total_over_hours", "projects"]
    ann = df[df.resource_id == "R1"]
    assert len(ann) == 1  # the two consecutive weeks form one run
    run = ann.iloc[0]
    assert run["start_week"] == pd.Timestamp("2024-03-11")
    assert run["end_week"] == pd.Timestamp("2024-03-18")
    assert run["weeks"] == 2
    assert run["peak_over_hours"] == 10
    assert run["total_over_hours"] == 15
    # P1 30 + 25 = 55 h, P2 20 + 20 = 40 h in those weeks: largest first.
    assert run["projects"] == "P1, P2"
    assert (run["name"], run["team"]) == ("Ann", "Data")
    # Cat: 03-04 and 03-25 are not consecutive, so two one-week runs.
    cat = df[df.resource_id == "R3"].sort_values("start_week")
    assert list(cat.start_week) == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-25")]
    assert list(cat.weeks) == [1, 1]
    assert list(cat.total_over_hours) == [5, 5]
    assert list(cat.projects) == ["P3", "P2, P3"]  # P2 15 h before P3 10 h
    assert "R2" not in set(df.resource_id)


def test_portfolio_filter_chooses_people_but_counts_all_their_hours(con):
    df = m.resource_load(con, portfolio="Alpha")
    # Alpha = P1, P3: Ann and Cat work on it, Bob (P2 only) does not.
    assert set(df.resource_id) == {"R1", "R3"}
    ann = _row(df, resource_id="R1", week=pd.Timestamp("2024-03-11"))
    assert ann["planned_hours"] == 50  # all of Ann's hours
    assert ann["filtered_hours"] == 30  # the P1 share
    assert ann["over_hours"] == 10
    beta = m.over_allocations(con, portfolio="Beta")
    assert set(beta.resource_id) == {"R1", "R3"}  # both also work on P2
    assert set(m.over_allocations(con, project_ids=["P3"]).resource_id) == {"R3"}


def test_period_filter(con):
    df = m.resource_load(con, period_from="2024-04", period_to="2024-04")
    assert set(df.week) == {pd.Timestamp("2024-04-01")}
    runs = m.over_allocations(con, period_from="2024-03", period_to="2024-03")
    assert len(runs) == 3
    assert m.over_allocations(con, period_from="2024-04").empty


def test_hostile_filter_gives_empty_frame_with_columns(con):
    for fn in (m.resource_load, m.over_allocations):
        full = fn(con)
        empty = fn(con, portfolio=HOSTILE)
        assert empty.empty
        assert list(empty.columns) == list(full.columns)
    assert m.resource_load(con, by="team", department=[HOSTILE, "x"]).empty


def test_invalid_choices_raise_usage_error(con):
    with pytest.raises(UsageError):
        m.resource_load(con, by="team; DROP TABLE resources")
    with pytest.raises(UsageError):
        m.resource_load(con, grain="day")
    with pytest.raises(UsageError):
        m.resource_load(con, as_of="not a month")


def test_as_of_picks_the_snapshot(con):
    feb = m.over_allocations(con, as_of="2024-02")
    assert len(feb) == 1
    assert feb.iloc[0]["start_week"] == pd.Timestamp("2024-03-04")
    assert feb.iloc[0]["total_over_hours"] == 20
    assert m.over_allocations(con, as_of=dt.date(2024, 3, 31)).equals(m.over_allocations(con))
    assert len(m.resource_load(con, as_of="2024-02")) == 3  # 3 resources x 1 week
    assert m.resource_load(con, as_of="2023-01").empty  # no such snapshot


def test_empty_database():
    c = db.memory()
    for ddl in contract.all_ddl():
        c.sql(ddl)
    assert m.resource_load(c).empty
    assert m.over_allocations(c).empty
