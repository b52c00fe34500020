"""Milestone metrics, checked against hand-computed values."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import insert as _insert

from pmo_analytics import contract
from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics import milestones as m
from pmo_analytics.snapshots import summaries
from pmo_analytics.store import connection as db

MAR, FEB = "2024-03-31", "2024-02-29"
HOSTILE = "x' OR 1=1 --"
COLS = ["as_of", "project_id", "milestone_id", "name", "baseline_date", "forecast_date", "actual_date"]

# March snapshot (as_of 2024-03-31):
#  proj id  name     baseline    forecast    actual      slip  state
#  P1   M1  Design   2024-01-15  -           2024-01-10   -5   achieved_on_time
#  P1   M2  Build    2024-02-01  -           2024-02-11   10   achieved_late
#  P1   M3  Test     2024-06-10  2024-06-22  -            12   likely_to_miss
#  P1   M4  Go-live  2024-09-01  2024-09-01  -             0   on_track
#  P2   M1  Kickoff  2024-03-01  2024-03-20  -            30   missed (forecast passed too)
#       (issue 13: not achieved at as_of 03-31, so it lands 03-31 at the earliest: 03-31 - 03-01 = 30;
#        the stale forecast gave 03-20 - 03-01 = 19, which understated the slip)
#  P2   M2  Spec     2024-03-01  2024-04-10  -            40   likely_to_miss (forecast ahead)
#  P2   M3  Deliver  2024-02-20  -           2024-02-20    0   achieved_on_time (on the day)
MARCH = [
    ("P1", "M1", "Design", "2024-01-15", None, "2024-01-10"),
    ("P1", "M2", "Build", "2024-02-01", None, "2024-02-11"),
    ("P1", "M3", "Test", "2024-06-10", "2024-06-22", None),
    ("P1", "M4", "Go-live", "2024-09-01", "2024-09-01", None),
    ("P2", "M1", "Kickoff", "2024-03-01", "2024-03-20", None),
    ("P2", "M2", "Spec", "2024-03-01", "2024-04-10", None),
    ("P2", "M3", "Deliver", "2024-02-20", None, "2024-02-20"),
]
# February snapshot (as_of 2024-02-29): M3 was forecast for 06-15 (slip 5), then moved to 06-22;
# M2 was forecast for 02-08 and not achieved by 02-29 -> missed.
FEBRUARY = [
    ("P1", "M2", "Build", "2024-02-01", "2024-02-08", None),
    ("P1", "M3", "Test", "2024-06-10", "2024-06-15", None),
]


@pytest.fixture
def con():
    """Projects P1 (Alpha, PA, IT), P2 (Beta, PB, Ops), P3 (Alpha, PA, IT; no milestones)."""
    c = db.memory()
    for ddl in contract.all_ddl():
        c.sql(ddl)
    for snap, rows in ((FEB, FEBRUARY), (MAR, MARCH)):
        _insert(c, "loads", ["as_of", "loaded_at", "files", "warnings", "checksum"],
                [(snap, "2024-04-01 09:00:00", "test", 0, "x")])
        _insert(c, "projects", ["as_of", "project_id", "name", "portfolio", "program", "department",
                                "status"],
                [(snap, "P1", "Apollo", "Alpha", "PA", "IT", "active"),
                 (snap, "P2", "Borealis", "Beta", "PB", "Ops", "active"),
                 (snap, "P3", "Cygnus", "Alpha", "PA", "IT", "active")])
        _insert(c, "milestones", COLS, [(snap, *r) for r in rows])
    summaries.refresh(c)  # as publishing a snapshot does
    yield c
    c.close()


def test_slippage_and_states(con):
    df = m.milestone_slippage(con).set_index(["project_id", "milestone_id"])
    assert len(df) == 7
    test = df.loc[("P1", "M3")]
    assert test["slip_days"] == 12  # 2024-06-22 - 2024-06-10
    assert test["state"] == "likely_to_miss"
    assert test["project_name"] == "Apollo" and test["portfolio"] == "Alpha"
    assert dict(df["state"]) == {
        ("P1", "M1"): "achieved_on_time", ("P1", "M2"): "achieved_late",
        ("P1", "M3"): "likely_to_miss", ("P1", "M4"): "on_track",
        ("P2", "M1"): "missed", ("P2", "M2"): "likely_to_miss", ("P2", "M3"): "achieved_on_time",
    }
    assert dict(df["slip_days"]) == {
        ("P1", "M1"): -5, ("P1", "M2"): 10, ("P1", "M3"): 12, ("P1", "M4"): 0,
        ("P2", "M1"): 30, ("P2", "M2"): 40, ("P2", "M3"): 0,  # M1 was 19 before issue 13 (stale forecast)
    }
    assert set(df["state"]) <= set(m.STATES)


def test_summary_on_time_rate(con):
    df = m.milestone_summary(con).set_index("project_id")
    p1 = df.loc["P1"]
    # P1: 4 milestones; achieved M1 (on time) and M2 (late): rate 1/2; M3 likely to miss.
    assert (p1.milestones, p1.achieved, p1.achieved_on_time, p1.missed, p1.likely_to_miss) == (4, 2, 1, 0, 1)
    assert p1.on_time_rate == pytest.approx(0.5)
    assert p1.mean_slip_days == pytest.approx((-5 + 10 + 12 + 0) / 4)
    assert p1.max_slip_days == 12
    p2 = df.loc["P2"]
    # P2: 3 milestones; achieved M3 on time: rate 1/1; M1 missed; M2 likely to miss.
    assert (p2.milestones, p2.achieved, p2.missed, p2.likely_to_miss) == (3, 1, 1, 1)
    assert p2.on_time_rate == pytest.approx(1.0)
    assert p2.mean_slip_days == pytest.approx((30 + 40 + 0) / 3)  # M1 missed: 30, not 19 (issue 13)
    assert p2.max_slip_days == 40
    # P3 has no milestones: zeros, and no rate rather than a division by zero.
    assert df.loc["P3", "milestones"] == 0 and pd.isna(df.loc["P3", "on_time_rate"])
    port = m.milestone_summary(con, by="portfolio").set_index("portfolio")
    assert port.loc["Alpha", "milestones"] == 4 and port.loc["Alpha", "on_time_rate"] == pytest.approx(0.5)
    assert list(m.milestone_summary(con, by="department", portfolio="Beta").department) == ["Ops"]


def test_trend_follows_the_forecast(con):
    df = m.milestone_trend(con)
    assert list(df.columns[:10]) == ["as_of", "project_id", "project_name", "milestone_id", "name",
                                     "baseline_date", "forecast_date", "actual_date", "slip_days",
                                     "state"]
    assert len(df) == 9  # 2 in February + 7 in March
    m3 = df[(df.project_id == "P1") & (df.milestone_id == "M3")].sort_values("as_of")
    assert list(m3.as_of) == [pd.Timestamp(FEB), pd.Timestamp(MAR)]
    assert list(m3.forecast_date) == [pd.Timestamp("2024-06-15"), pd.Timestamp("2024-06-22")]
    assert list(m3.slip_days) == [5, 12]
    assert pd.isna(m3.forecast_change_days.iloc[0]) and m3.forecast_change_days.iloc[1] == 7
    m2 = df[(df.project_id == "P1") & (df.milestone_id == "M2")].sort_values("as_of")
    assert list(m2.state) == ["missed", "achieved_late"]
    # A period filter keeps March only, yet the change is still measured against February.
    march = m.milestone_trend(con, period_from="2024-03")
    assert set(march.as_of) == {pd.Timestamp(MAR)}
    assert march.set_index(["project_id", "milestone_id"]).loc[("P1", "M3"), "forecast_change_days"] == 7
    with pytest.raises(UsageError, match="milestone_trend does not take as_of"):  # it spans every snapshot
        m.milestone_trend(con, as_of="2024-02")
    assert set(m.milestone_trend(con, portfolio="Beta").project_id) == {"P2"}



def test_trend_change_is_against_the_previous_snapshot(con):
    """A milestone missing from the previous snapshot has no change, even if it was there before."""
    jan = "2024-01-31"
    _insert(con, "loads", ["as_of", "loaded_at", "files", "warnings", "checksum"],
            [(jan, "2024-02-01 09:00:00", "test", 0, "x")])
    _insert(con, "projects", ["as_of", "project_id", "name", "portfolio", "status"],
            [(jan, "P1", "Apollo", "Alpha", "active")])
    _insert(con, "milestones", COLS, [(jan, "P1", "M4", "Go-live", "2024-09-01", "2024-08-20", None)])
    summaries.refresh(con)
    df = m.milestone_trend(con)
    go_live = df[(df.project_id == "P1") & (df.milestone_id == "M4")]
    assert list(go_live.as_of) == [pd.Timestamp(jan), pd.Timestamp(MAR)]  # not in February
    assert go_live.forecast_change_days.isna().all()
    test = df[(df.project_id == "P1") & (df.milestone_id == "M3")]
    assert list(test.forecast_change_days.isna()) == [True, False]  # new in February, +7 in March


def test_as_of_picks_the_snapshot(con):
    feb = m.milestone_slippage(con, as_of="2024-02").set_index("milestone_id")
    assert list(feb.index) == ["M2", "M3"]
    assert feb.loc["M2", "state"] == "missed"
    assert feb.loc["M3", "slip_days"] == 5
    assert m.milestone_summary(con, as_of="2024-02").set_index("project_id").loc["P1", "missed"] == 1
    assert m.milestone_slippage(con, as_of="2023-12").empty


def test_portfolio_filter(con):
    df = m.milestone_slippage(con, portfolio="Beta")
    assert set(df.project_id) == {"P2"} and len(df) == 3
    assert set(m.milestone_summary(con, portfolio=["Alpha"]).project_id) == {"P1", "P3"}


def test_hostile_filter_gives_empty_frames(con):
    for fn in (m.milestone_slippage, m.milestone_summary, m.milestone_trend):
        full = fn(con)
        empty = fn(con, portfolio=HOSTILE)
        assert empty.empty, fn.__name__
        assert list(empty.columns) == list(full.columns), fn.__name__


def test_invalid_by_raises_usage_error(con):
    with pytest.raises(UsageError):
        m.milestone_summary(con, by="manager")
    with pytest.raises(UsageError):
        m.milestone_summary(con, by=["project"])


def test_empty_database():
    c = db.memory()
    for ddl in contract.all_ddl():
        c.sql(ddl)
    summaries.refresh(c)
    for fn in (m.milestone_slippage, m.milestone_summary, m.milestone_trend):
        assert fn(c).empty, fn.__name__
