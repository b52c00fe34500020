"""The tables of the arbitration page (present/scenario_tables.py) on small frames built by hand, and
what the page builds them from that the notebook used to work out itself: the scenarios of a snapshot
(scenarios.library.for_snapshot, worked_example) and the team-weeks over capacity
(metrics.scenario_compare.team_weeks_over), on the hand-built portfolio of tests/test_scenarios.py."""
from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
from test_scenarios import OCT, SEP, database  # noqa: F401 - the module fixture, shared

from pmo_analytics.exceptions import ScenarioError
from pmo_analytics.metrics.optimiser import Result
from pmo_analytics.metrics.scenario_compare import team_weeks_over
from pmo_analytics.present import scenario_tables as st
from pmo_analytics.present import tables
from pmo_analytics.scenarios import Change, Scenario, library, view
from pmo_analytics.store import connection

NAMES = pd.DataFrame({"project_id": ["P1", "P2", "P3"], "name": ["Apollo", "Borealis", "Cygnus"],
                      "status": ["active", "planned", "on_hold"], "value": [10.0, 30.0, 30.0]})


def test_overload_drivers_say_what_is_counted():
    drivers = pd.DataFrame({"project_id": ["P1"], "name": ["Apollo"], "over_weeks": [4], "hours": [60.0]})
    table = st.overload_drivers(drivers)
    assert table.columns.tolist() == ["project_id", "name", "over_capacity_team_weeks", "hours_in_those_weeks"]
    assert table.iloc[0].tolist() == ["P1", "Apollo", 4, 60.0]
    html = tables.ReportTable(table, kinds=st.DRIVER_KINDS)._repr_html_()
    assert "Over capacity team weeks" in html and "60.0" in html


def test_headline_renames_and_keeps_the_committees_columns_in_order():
    frame = pd.DataFrame({"scenario": ["Baseline", "stop"], "budget": [2000.0, 1700.0], "forecast": [2100.0, 1750.0],
                          "variance": [100.0, 50.0], "months_over_limit": [1, None], "group_weeks_over": [10, 0],
                          "over_allocated_people": [3, 3], "milestones_slipping": [2, 2], "risk_emv": [640.0, 640.0]})
    table = st.headline(frame)
    assert table.columns.tolist() == st.HEADLINE_SHOWN  # variance is not shown
    assert table["months_over_the_budget_limit"].isna().tolist() == [False, True]  # missing stays missing
    assert table["team_weeks_over_capacity"].tolist() == [10, 0]


def test_kpi_changes_keep_only_what_moves_with_its_direction():
    kpis = pd.DataFrame({
        "scenario": ["Baseline", "stop", "stop", "stop", "stop"],
        "label": ["Risk closure rate", "Risk closure rate", "CPI median", "Mean risk age", "On-time rate"],
        "unit": ["%", "%", "ratio", "days", "%"], "value": [10.2, 11.9, 0.95, 166.5, 80.0],
        "delta": [np.nan, 1.7, -0.03, 1.0, 0.0],
        "better": pd.array([None, True, False, False, None], dtype="boolean")})
    # The baseline has no change (NaN) and On-time rate did not move (0): three rows remain.
    table = st.kpi_changes(kpis)
    assert table.values.tolist() == [
        ["stop", "Risk closure rate", "%", 11.9, "+1.7 pt", "better"],
        ["stop", "CPI median", "ratio", 0.95, "-0.03", "worse"],
        ["stop", "Mean risk age", "days", 166.5, "+1 days", "worse"]]
    assert st.kpi_changes(kpis.head(1)).empty


def _selection(*ids) -> pd.DataFrame:
    return pd.DataFrame({"project_id": list(ids), "shift": [0] * len(ids)})


def test_optimiser_summary_one_row_per_method():
    candidates = pd.DataFrame({"project_id": ["P1", "P2", "P3", "P4", "P5"], "value": [50.0, 40, 60, 30, 20]})
    best = Result("optimal", "", "milp", total_value=150.0, total_cost=900.0, selection=_selection("P1", "P2", "P3"),
                  dropped=("P4",))
    naive = Result("greedy", "", "greedy", total_value=120.0, total_cost=700.0, selection=_selection("P1", "P3"))
    table = st.optimiser_summary(best, naive, candidates)
    # Every value 200: 150 / 200 = 0.75 and 120 / 200 = 0.6; left out 5 - 3 = 2 and 5 - 2 = 3.
    assert table.values.tolist() == [["optimiser", "optimal", 3, 2, 1, 150.0, 0.75, 900.0],
                                     ["ranking by value / cost", "greedy", 2, 3, 0, 120.0, 0.6, 700.0]]
    assert table.columns.tolist() == ["method", "status", "projects_kept", "left_out", "stopped_under_way",
                                      "value_kept", "share_of_all_value", "spend_kept"]
    worthless = st.optimiser_summary(best, naive, candidates.assign(value=0.0))
    assert worthless["share_of_all_value"].isna().all()  # no value to share: missing, not 0


def test_suggestion_in_words_with_names_and_status():
    advice = [{"kind": "exclude", "project_id": "P3", "months": None, "who": "optimiser", "why": "value 30, cost 900"},
              {"kind": "defer", "project_id": "P2", "months": 2, "who": "optimiser", "why": "Data in 2026-12"}]
    table = st.suggestion(advice, NAMES)
    assert table.values.tolist() == [["P3", "Cygnus", "on_hold", "exclude P3", "value 30, cost 900"],
                                     ["P2", "Borealis", "planned", "defer P2 by 2 months", "Data in 2026-12"]]
    empty = st.suggestion([], NAMES)
    assert empty.empty and empty.columns.tolist() == ["project_id", "name", "status", "change", "why"]


def test_left_out_ids_most_valuable_first_then_by_id():
    # P1 is selected; P2 and P3 tie on 30 (by id), then P4 at 5.
    candidates = pd.DataFrame({"project_id": ["P4", "P3", "P1", "P2"], "value": [5.0, 30.0, 10.0, 30.0]})
    assert st.left_out_ids(candidates, {"P1": 0}) == ["P2", "P3", "P4"]
    assert st.left_out_ids(candidates, {"P1": 0}, n=2) == ["P2", "P3"]
    assert st.left_out_ids(candidates, {"P1": 0, "P2": 0, "P3": 1, "P4": 0}) == []


def _explained(excluded_by) -> pd.DataFrame:
    return pd.DataFrame({
        "project_id": ["P2", "P3", "P1"], "value": [30.0, 30.0, 10.0], "excluded_by": excluded_by,
        "binding": ["budget in month 0: 1.50 more needed; Data in month 1: 2.0 h more needed", "", "x"],
        "forced_status": ["optimal", "optimal", "infeasible"],
        "displaced": [("P4", "P5"), (), ()], "added": [(), (), ()], "value_change": [-46.4, 0.0, np.nan],
        "message": ["", "", ""]})


def test_left_out_counts_the_limits_and_says_who_makes_room():
    table = st.left_out(_explained(["", "", ""]), NAMES)
    # P2 breaks 2 limits ("more needed" twice); P3 none; P1's re-solve found no selection.
    assert table.columns.tolist() == ["project_id", "name", "value", "limits_broken", "forcing_it_in_displaces",
                                      "value_change_if_forced_in"]  # no rule keeps any out: no excluded_by
    assert table[["project_id", "name", "limits_broken", "forcing_it_in_displaces"]].values.tolist() == [
        ["P2", "Borealis", 2, "P4, P5"], ["P3", "Cygnus", 0, "nothing"],
        ["P1", "Apollo", 0, "cannot come in (infeasible)"]]
    assert table["value_change_if_forced_in"].tolist()[:2] == [-46.4, 0.0]
    ruled = st.left_out(_explained(["", "must_not", ""]), NAMES)
    assert ruled["excluded_by"].tolist() == ["", "must_not", ""]


# What the tables are built from -------------------------------------------------------------------

@pytest.fixture
def saved(database, tmp_path):  # noqa: F811
    """A copy of the hand-built database with scenarios saved: a-plan (versions 1 and 2) and b-plan on
    October, old on September."""
    path = tmp_path / "pmo.duckdb"
    shutil.copy(database, path)
    defer = Change("defer", project_id="P2", months=1)
    library.save(Scenario("a-plan", OCT, (defer,)), database=path)
    library.save(Scenario("a-plan", OCT, (defer, Change("exclude", project_id="P3"))), database=path)
    library.save(Scenario("b-plan", OCT, (Change("exclude", project_id="P1"),)), database=path)
    library.save(Scenario("old", SEP, (defer,)), database=path)
    return path


def test_for_snapshot_takes_the_latest_version_of_each_saved_for_it(saved):
    chosen = library.for_snapshot(OCT, database=saved)
    assert [(s.name, s.version, len(s.changes)) for s in chosen] == [("a-plan", 2, 2), ("b-plan", 1, 1)]
    assert [s.name for s in library.for_snapshot(SEP, database=saved)] == ["old"]
    assert library.for_snapshot(dt.date(2026, 8, 31), database=saved) == []


def test_for_snapshot_takes_the_named_ones_in_their_order(saved):
    assert [s.name for s in library.for_snapshot(OCT, ["b-plan", "a-plan"], database=saved)] == ["b-plan", "a-plan"]
    with pytest.raises(ScenarioError) as refused:
        library.for_snapshot(OCT, ["a-plan", "old"], database=saved)
    assert str(refused.value) == ("scenario 'old' is built on the 2026-09 snapshot, not 2026-10: set month = "
                                  "'2026-09', or replay it (pmo scenario replay old)")
    with pytest.raises(ScenarioError, match="no scenario 'nope' is saved"):
        library.for_snapshot(OCT, ["nope"], database=saved)


def test_worked_example_defers_the_two_largest_drivers():
    example = library.worked_example(pd.Series(["P2", "P1", "P3"]), OCT)
    assert example.name == "worked-example" and example.as_of == OCT and example.author == "PMO"
    assert [(c.kind, c.project_id, c.months, c.who) for c in example.changes] == [
        ("defer", "P2", 3, "PMO"), ("defer", "P1", 3, "PMO")]
    assert example.description == "defer the 2 largest overload drivers by 3 months"
    assert library.worked_example(["P3"], OCT, months=1).description == "defer the largest overload driver by 1 month"
    assert library.worked_example([], OCT) is None


def test_team_weeks_over_capacity_after_the_snapshot(database, tmp_path):  # noqa: F811
    # Data team 80 h a week, Web 50: the busiest week, 11-02, holds Data 20 + 10 + 30 = 60 and Web 10 + 15
    # = 25, so no team-week is over (a known 0). A proposed project needing 1000 Engineer hours in November
    # puts R2 at 114.3 h and R4 at 85.7 h in each of its 5 weeks: 5 Data + 5 Web team-weeks over; by role,
    # the 5 Engineer weeks (R2 + R4 = 70 h a week).
    new = Change("add", project_id="NEW", name="Big", portfolio="Alpha", budget={"2026-11": 100.0},
                 demand={"Engineer": {"2026-11": 1000.0}})
    with connection.connect(database) as con:
        assert team_weeks_over(con, as_of=OCT) == 0
        with view(con, Scenario("big", OCT, (new,))) as v:
            assert team_weeks_over(v, as_of=OCT) == 10
            assert team_weeks_over(v, as_of=OCT, by="role") == 5
    unplanned = tmp_path / "unplanned.duckdb"
    shutil.copy(database, unplanned)
    with duckdb.connect(str(unplanned)) as con:
        con.execute("UPDATE resources SET weekly_capacity_hours = NULL")
    with connection.connect(unplanned) as con:
        assert team_weeks_over(con, as_of=OCT) is None  # no capacity to count against: missing, not 0
