"""The baseline and scenarios side by side (metrics/scenario_compare.py), on the hand-built portfolio
of tests/test_scenarios.py (its docstring lists every row), with the values worked by hand."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from test_scenarios import OCT, database  # noqa: F401 - the module fixture, shared

from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics.scenario_compare import compare, overload_drivers
from pmo_analytics.present.scenarios import comparison_text
from pmo_analytics.scenarios import Change, Scenario, view
from pmo_analytics.store import connection

NOV, DEC, JAN = pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01"), pd.Timestamp("2027-01-01")
DEFER_P2 = Scenario("defer-p2", OCT, (Change("defer", project_id="P2", months=1, who="Ann", why="Data team"),))
STOP_P3 = Scenario("stop-p3", OCT, (Change("exclude", project_id="P3"),), author="PMO", budget_limit=550.0)


@pytest.fixture(scope="module")
def frames(database):  # noqa: F811
    with connection.connect(database) as con:
        return compare(con, [DEFER_P2, STOP_P3], by="team")


def _at(df, **keys):
    rows = df
    for k, v in keys.items():
        rows = rows[rows[k] == v]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_spend_by_month_against_the_limit(frames):
    b = frames["budget"]
    # Baseline forecasts after October: Nov P1 300 + P2 200 + P3 100 = 600; Dec P1 320 + P2 250 + P3 100 = 670.
    # The limit is the approved budget: Nov 300 + 200 + 100 = 600, Dec 300 + 200 + 100 = 600; Dec is 70 over.
    assert _at(b, scenario="Baseline", month=NOV)[["spend", "limit", "over"]].tolist() == [600, 600, 0]
    assert _at(b, scenario="Baseline", month=DEC)[["spend", "limit", "over"]].tolist() == [670, 600, 70]
    # Deferring P2 one month: Nov 300 + 100 = 400; Dec 320 + 200 + 100 = 620 (20 over); Jan P2's 250,
    # after the baseline's last budgeted month, so no limit is known there.
    assert _at(b, scenario="defer-p2", month=NOV)["spend"] == 400
    assert _at(b, scenario="defer-p2", month=DEC)[["spend", "over"]].tolist() == [620, 20]
    jan = _at(b, scenario="defer-p2", month=JAN)
    assert jan["spend"] == 250 and pd.isna(jan["limit"]) and pd.isna(jan["over"])
    # Stopping P3 drops its future lines; its own limit of 550 a month: Nov 500 (fits), Dec 570 (20 over).
    assert _at(b, scenario="stop-p3", month=NOV)[["spend", "limit", "over"]].tolist() == [500, 550, 0]
    assert _at(b, scenario="stop-p3", month=DEC)[["spend", "over"]].tolist() == [570, 20]
    top = frames["headline"].set_index("scenario")
    assert top["months_over_limit"].to_dict() == {"Baseline": 1, "defer-p2": 1, "stop-p3": 1}


def test_team_load_and_its_change(frames):
    load = frames["load"]
    # Calendar: the Mondays 10-26 .. 12-07; Nov holds 5 of them, Dec 1. Data team = R1 40 + R2 40 = 80 h a week.
    # Baseline Data Nov: R1 P1 20 + 20, R1 P2 10, R2 P2 30 + 30 = 110 of 400 = 0.275; Dec: R1 10 of 80 = 0.125.
    assert _at(load, scenario="Baseline", group="Data", month=NOV)["utilisation"] == pytest.approx(0.275)
    assert pd.isna(_at(load, scenario="Baseline", group="Data", month=NOV)["delta"])
    # P2 one month later is 4 weeks later: R1 11-02 -> 11-30 stays in Nov, R2 11-02 -> 11-30, 11-09 -> 12-07.
    # Data Nov: 40 + 10 + 30 = 80 of 400 = 0.2 (-0.075); Dec: R1 10 + R2 30 = 40 of 80 = 0.5 (+0.375).
    nov = _at(load, scenario="defer-p2", group="Data", month=NOV)
    dec = _at(load, scenario="defer-p2", group="Data", month=DEC)
    assert (nov["utilisation"], nov["delta"]) == pytest.approx((0.2, -0.075))
    assert (dec["utilisation"], dec["delta"]) == pytest.approx((0.5, 0.375))
    # Stopping P3 frees R4's 15 hours of 11-02: Web Nov (R3 20 + R4 30 = 50 a week, 250) from 35 to 20.
    web = _at(load, scenario="stop-p3", group="Web", month=NOV)
    assert (web["utilisation"], web["delta"]) == pytest.approx((20 / 250, -15 / 250))


def test_headline_and_the_changes_listed(frames):
    top = frames["headline"].set_index("scenario")
    # Budget of the projects not cancelled: P1 1000 + P2 600 + P3 300 + P4 100 = 2000 (deferring moves, keeps);
    # stopping P3 cancels it: 1700.
    assert top["budget"].to_dict() == {"Baseline": 2000, "defer-p2": 2000, "stop-p3": 1700}
    projects = frames["projects"]
    assert projects[["scenario", "project_id", "name", "who", "why"]].fillna("").values.tolist() == [
        ["defer-p2", "P2", "Borealis", "Ann", "Data team"], ["stop-p3", "P3", "Cygnus", "PMO", ""]]
    text = comparison_text(frames, "GBP")
    assert "Budget (approved, all projects)" in text and "£1.7k (-£300)" in text


def test_scenarios_of_different_snapshots_are_refused(database):  # noqa: F811
    older = Scenario("old", dt.date(2026, 9, 30), ())
    with connection.connect(database) as con, pytest.raises(UsageError, match="same snapshot"):
        compare(con, [DEFER_P2, older])


def test_overload_drivers_are_the_projects_in_over_capacity_team_weeks(database):  # noqa: F811
    # A proposed project needing 1000 Engineer hours in November, spread by capacity over R2 (40) and
    # R4 (30): R2 1000 x 4/7 / 5 Mondays = 114.29 a week, R4 85.71. Every Data week of Nov is then over
    # 80 (R2 alone), every Web week over 50 (R4 alone): 10 team-weeks, all the new project's 1000 hours.
    # P2 in those weeks: R1 11-02 10 + R2 11-02 30 + 11-09 30 = 70 (2 weeks); P1: R1 20 + 20 in Data,
    # R3 10 + 10 in Web = 60 (4 weeks); P3: R4 15 (1 week).
    new = Change("add", project_id="NEW", name="Big", portfolio="Alpha", budget={"2026-11": 100.0},
                 demand={"Engineer": {"2026-11": 1000.0}})
    with connection.connect(database) as con, view(con, Scenario("big", OCT, (new,))) as v:
        drivers = overload_drivers(v, by="team")
    assert drivers["project_id"].tolist() == ["NEW", "P2", "P1", "P3"]
    assert drivers["hours"].tolist() == pytest.approx([1000, 70, 60, 15])
    assert drivers["over_weeks"].tolist() == [10, 2, 4, 1]


def test_without_progress_reports_the_forecast_is_missing_not_zero(database):  # noqa: F811
    # The hand-built portfolio reports no progress: nothing can be forecast, so the risk-adjusted rows are
    # missing for the baseline and the scenario alike, and the text leaves them out.
    with connection.connect(database) as con:
        frames = compare(con, [DEFER_P2], with_kpis=False, with_forecast=True)
    top = frames["headline"]
    assert top[["cost_p50", "cost_p80", "prob_within_budget"]].isna().all().all()
    assert "cost P80" not in comparison_text(frames, "GBP")
