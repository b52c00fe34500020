"""Arbitration on the demo portfolio: deferring the projects that overload the teams relieves them, and
the arbitration dashboard's board (ui/arbitration.py) shows it, in-process (the browser test is in
tests/test_dashboards_browser.py)."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import sha256

import pmo_analytics
from pmo_analytics.metrics import over_allocations, resource_load
from pmo_analytics.metrics.scenario_compare import compare, overload_drivers
from pmo_analytics.scenarios import Change, Scenario, view
from pmo_analytics.ui.arbitration import ArbitrationBoard

OCT = pd.Timestamp("2026-10-31")


def _team_weeks_over(con) -> int:
    """Team-weeks after the snapshot planned above the team's capacity: the red cells after the status
    line of the resources dashboard's team heatmap (its default view)."""
    weeks = resource_load(con, by="team", grain="week")
    return int(((pd.to_datetime(weeks["week"]) > OCT) & (weeks["utilisation"] > 1)).sum())


def _runs_after(con) -> int:
    runs = over_allocations(con)
    return int((pd.to_datetime(runs["end_week"]) > OCT).sum())


def test_deferring_the_two_most_over_allocating_projects_removes_the_over_allocation(demo_db):
    before = sha256(demo_db)
    with pmo_analytics.connect(demo_db) as con:
        drivers = overload_drivers(con, by="team", n=2)["project_id"].tolist()
        over_before, runs_before = _team_weeks_over(con), _runs_after(con)
        relief = Scenario("relief", "2026-10", tuple(Change("defer", project_id=p, months=3) for p in drivers))
        with view(con, relief) as plan:
            over_after, runs_after = _team_weeks_over(plan), _runs_after(plan)
            moved = resource_load(plan, by="team", grain="week")
    # Two teams are overloaded around the December quarter end (the demo's crunch runs), each by its
    # crunch project; deferring both by 3 months (13 weeks) moves their hours to Feb-Apr 2027, where no
    # team is over either: every week after the snapshot, to the last one the hours reach, is within capacity.
    assert len(drivers) == 2 and over_before >= 6
    assert over_after == 0
    assert pd.to_datetime(moved["week"]).max() > pd.Timestamp("2027-03-01")
    # People's own over-allocated runs after the snapshot fall too (some are other projects' peaks).
    assert runs_after < runs_before / 2
    assert sha256(demo_db) == before  # the snapshot is never touched


def _tiles(board) -> dict[str, tuple[str, str]]:
    found = re.findall(r"data-key='(\w+)'><div class='label'>[^<]*</div><div class='value'>([^<]*)</div>"
                       r"<div class='note'>([^<]*)<", board.tiles.value)
    return {key: (value, note) for key, value, note in found}


@pytest.fixture
def board(demo_db):
    return ArbitrationBoard(demo_db)


def test_the_board_defers_undoes_and_resets(board, demo_db):
    with pmo_analytics.connect(demo_db) as con:
        drivers = overload_drivers(con, n=2)["project_id"].tolist()
        over = _team_weeks_over(con)
    assert board.message is None and board.month.value == OCT.date()
    assert _tiles(board)["group_weeks_over"] == (str(over), f"baseline {over}")
    board.shift.value = 3
    for project in drivers:
        board.project.value = project
        board.defer.click()
    assert _tiles(board)["group_weeks_over"] == ("0", f"baseline {over}")
    assert [c.project_id for c in board.changes] == drivers
    assert board.listing.value.count("<li>") == 2 and "by 3 months" in board.listing.value
    board.stop.click()  # the last project again: stopping it replaces its deferral
    assert [(c.kind, c.project_id) for c in board.changes] == [("defer", drivers[0]), ("exclude", drivers[1])]
    board.undo.click()
    assert [c.project_id for c in board.changes] == [drivers[0]]
    board.reset.click()
    assert board.changes == [] and _tiles(board)["group_weeks_over"][0] == str(over)


def test_the_optimisers_suggestion_fits_every_months_budget(board, demo_db):
    assert int(_tiles(board)["months_over_limit"][0]) > 0  # the demo's forecasts run over its approved budget
    board.suggest.click()
    assert "Optimiser: optimal" in board.advice.value and board.suggested
    assert all(c.why for c in board.suggested)
    board.use.click()
    assert _tiles(board)["months_over_limit"][0] == "0"
    # Checked apart from the board: the plan's spend against the approved budget of every month.
    with pmo_analytics.connect(demo_db) as con:
        frames = compare(con, [board.scenario()], with_kpis=False)
    plan = frames["budget"][frames["budget"]["scenario"] == "your-plan"]
    assert (plan["spend"] <= plan["limit"] + 0.01).all()


def test_a_snapshot_with_nothing_to_arbitrate_says_so_in_one_line(uk_2023_copy):
    board = ArbitrationBoard(uk_2023_copy)  # uk_2023.csv loaded as 2023-03 (conftest.uk_2023_db)
    assert board.message.startswith("Nothing to arbitrate in the Mar 2023 snapshot")
    assert "£0" not in board.tiles.value and board.defer.disabled and board.suggest.disabled


def test_the_boards_figures_are_sent_as_base64_png_text(board):
    """Outputs set on the Output widget by a button's redraw carry the PNG as base64 text, as the kernel
    sends it; raw bytes reach the page as a binary buffer and show as a broken image."""
    import base64

    board.project.value = board.project.options[0][1]
    board.defer.click()
    pngs = [o["data"]["image/png"] for o in board.out.outputs if "image/png" in o["data"]]
    assert len(pngs) == 2 and all(isinstance(p, str) for p in pngs)
    assert all(base64.b64decode(p)[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_pmo_scenario_optimise_saves_a_plan_that_fits(demo_db, tmp_path, run):
    import shutil

    database = tmp_path / "pmo.duckdb"
    shutil.copyfile(demo_db, database)
    code, out, err = run("scenario", "optimise", "--db", database, "--save", "best")
    assert (code, err) == (0, "")
    assert "optimiser: optimal, gap 0.00%" in out and "saved scenario 'best' version 1" in out
    code, out, err = run("scenario", "show", "best", "--db", database)
    rows = {line[:46].strip(): line[46:].split() for line in out.splitlines()[3:10]}
    # Fixed dates: the plan fits the approved budget of every month and every team's hours a month, and
    # with it every team-week (the crunch projects go or the teams could not hold them).
    assert rows["Months over the budget limit"][1] == "0"
    assert rows["Team-weeks over capacity (after the snapshot)"][1] == "0"
    code, out, err = run("scenario", "optimise", "--db", database, "--shift", "3", "--time-limit", "30",
                         "--save", "shifted")
    assert (code, err) == (0, ""), err
    code, out, err = run("scenario", "show", "shifted", "--db", database)
    assert code == 0, err
    rows = {line[:46].strip(): line[46:].split() for line in out.splitlines()[3:10]}
    assert rows["Months over the budget limit"][1] == "0"


def test_each_scenario_carries_its_risk_adjusted_cost(demo_db):
    from pmo_analytics.metrics.forecast_engine import simulate
    from pmo_analytics.metrics.forecast_inputs import forecast_inputs

    with pmo_analytics.connect(demo_db) as con:
        drivers = overload_drivers(con, n=2)["project_id"].tolist()
        later = Scenario("later", "2026-10", tuple(Change("defer", project_id=p, months=3) for p in drivers))
        stop = Scenario("stop", "2026-10", (Change("exclude", project_id=drivers[0]),))
        frames = compare(con, [later, stop], with_kpis=False, with_forecast=True)
        alone = simulate(forecast_inputs(con), draws=2_000, seed=20261203).portfolio.iloc[0]
    top = frames["headline"].set_index("scenario")
    # The baseline's numbers are the Monte Carlo's on the snapshot itself, same draws and seed.
    assert top.at["Baseline", "cost_p80"] == pytest.approx(alone["cost_p80"])
    # Deferring moves cost in time, not in size; stopping a project takes its cost to come away.
    assert top.at["later", "cost_p80"] == pytest.approx(top.at["Baseline", "cost_p80"], rel=0.01)
    assert top.at["stop", "cost_p80"] < top.at["Baseline", "cost_p80"]
    assert 0 <= top.at["stop", "prob_within_budget"] <= 1
