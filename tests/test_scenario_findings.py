"""The sentences of the arbitration page (present/scenario_findings.py) on small frames and results
built by hand: counts, plurals, the baseline first, and a count that could not be made read as "–"
(never 0)."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd

from pmo_analytics.exceptions import ScenarioError
from pmo_analytics.metrics.optimiser import Result
from pmo_analytics.present import scenario_findings as sf

OCT = dt.date(2026, 10, 31)


def _drivers(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["project_id", "name", "over_weeks", "hours"])


def _headline(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["scenario", "months_over_limit", "group_weeks_over"])


def _selection(*ids) -> pd.DataFrame:
    return pd.DataFrame({"project_id": list(ids), "shift": [0] * len(ids)})


def test_overload_drivers_names_the_first_three_with_their_hours():
    drivers = _drivers(("P1", "Apollo", 4, 1234.5), ("P2", "Borealis", 2, 70.0), ("P3", "Cygnus", 1, 15.04),
                       ("P4", "Dorado", 1, 3.0))
    assert str(sf.overload_drivers(drivers, 7, OCT)) == (
        "7 team-weeks after October 2026 planned above capacity; P1 Apollo has the most hours in them "
        "(1,234.5 h), then P2 (70.0 h), P3 (15.0 h).")
    assert str(sf.overload_drivers(drivers.head(1), 1, OCT)) == (
        "1 team-week after October 2026 planned above capacity; P1 Apollo has the most hours in them (1,234.5 h).")


def test_overload_drivers_tells_no_plan_from_no_overload():
    assert str(sf.overload_drivers(_drivers(), None, OCT)) == (
        "The exports carry no resource plan with capacities after the snapshot: nothing to set against the "
        "teams' capacity.")
    assert str(sf.overload_drivers(_drivers(), 0, OCT)) == (
        "No team is planned above its capacity in any week after October 2026.")


def test_no_comparison_says_why():
    assert str(sf.no_comparison()) == sf.NO_COMPARISON
    assert str(sf.no_comparison(ScenarioError("no scenario 'x' is saved"))) == (
        "No scenario compared: no scenario 'x' is saved")


def test_spend_vs_limit_counts_the_baselines_months_and_shows_missing_as_a_dash():
    headline = _headline(("Baseline", 2, 10), ("defer", 1, 0), ("stop", None, np.nan))
    months = pd.to_datetime(["2026-11-01", "2026-12-01", "2026-11-01", "2026-12-01", "2027-01-01"])
    budget = pd.DataFrame({"scenario": ["Baseline", "Baseline", "defer", "defer", "defer"], "month": months})
    # The baseline has 2 months after October (the deferral's January is its own); stop could not count.
    assert str(sf.spend_vs_limit(headline, budget, OCT)) == (
        "Spend is above the budget limit in 2 of the 2 months after October 2026 in the baseline; "
        "defer: 1, stop: –.")


def test_team_weeks_keeps_a_known_zero_and_a_missing_count_apart():
    headline = _headline(("Baseline", 2, None), ("defer", 1, 0))
    assert str(sf.team_weeks(headline)) == (
        "Team-weeks over capacity after the snapshot: – in the baseline; defer: 0.")


def test_kpi_changes_counts_better_and_worse():
    moved = pd.DataFrame({"direction": ["better", "worse", "better"]})
    assert str(sf.kpi_changes(moved)) == "3 KPI changes: 2 for the better, 1 for the worse."
    assert str(sf.kpi_changes(moved.head(1))) == "1 KPI change: 1 for the better, 0 for the worse."
    assert str(sf.kpi_changes(moved.head(0))) == "No KPI moves in any scenario."


def test_optimiser_result_against_the_ranking():
    candidates = pd.DataFrame({"project_id": ["P1", "P2", "P3", "P4", "P5"], "value": [50.0, 40, 60, 30, 20]})
    best = Result("optimal", "", "milp", total_value=150.0, gap=0.00012, seconds=1.234,
                  selection=_selection("P1", "P2", "P3"), dropped=("P4",))
    naive = Result("greedy", "", "greedy", total_value=120.0, selection=_selection("P1", "P3"))
    # 150 / 120 - 1 = +25.0%; the gap 0.012% to 2 places is 0.01%; every value 50+40+60+30+20 = 200.
    assert str(sf.optimiser_result(best, naive, candidates)) == (
        "The optimiser's selection is optimal (gap 0.01%, 1.23 s): it keeps 3 of 5 candidates, worth 150 of "
        "their 200, against 120 for the ranking by value per cost (+25.0%); it stops 1 project under way (P4).")
    nothing = Result("greedy", "", "greedy", total_value=0.0)
    plain = Result("optimal", "", "milp", total_value=50.0, gap=None, seconds=0.5, selection=_selection("P1"))
    assert str(sf.optimiser_result(plain, nothing, candidates.head(1))) == (
        "The optimiser's selection is optimal (gap 0.00%, 0.50 s): it keeps 1 of 1 candidate, worth 50 of "
        "their 50, against 0 for the ranking by value per cost; it stops no project under way.")


def test_optimiser_result_without_a_selection_gives_the_solvers_reason():
    failed = Result("infeasible", "P1 must go ahead but needs 120 of 100 in 2026-11", "milp")
    assert str(sf.optimiser_result(failed, None, pd.DataFrame({"value": []}))) == (
        "The optimiser found no selection: P1 must go ahead but needs 120 of 100 in 2026-11.")
    assert str(sf.no_optimisation("31 candidate project(s) have no value")) == (
        "No optimisation for this snapshot: 31 candidate project(s) have no value.")


def test_suggestion_lists_the_changes_or_says_the_plan_fits():
    suggested = pd.DataFrame({"change": ["exclude P3", "defer P2 by 2 months"]})
    assert str(sf.suggestion(suggested)) == "The optimiser suggests 2 changes: exclude P3, defer P2 by 2 months."
    assert str(sf.suggestion(suggested.head(0))) == (
        "The optimiser suggests 0 changes: none, the plan fits as it is.")


def test_applied_suggestion_from_the_baseline_to_the_plan():
    applied = _headline(("Baseline", 3, 12), ("optimiser", 0, None))
    assert str(sf.applied_suggestion(applied)) == (
        "Applied as a scenario, the suggestion takes the months over the budget limit from 3 to 0 and the "
        "team-weeks over capacity from 12 to –.")
    assert str(sf.applied_suggestion(None, ScenarioError("change 1: no project P9"))) == (
        "The suggestion cannot be applied as a scenario: change 1: no project P9")


def test_forced_in_says_who_makes_room_or_that_it_cannot_come_in():
    why = pd.DataFrame({"project_id": ["P5", "P6", "P7"],
                        "forcing_it_in_displaces": ["P1, P2", "nothing", "cannot come in (infeasible)"],
                        "value_change_if_forced_in": [-46.4, 0.0, np.nan]})
    assert str(sf.forced_in(why)) == (
        "Forcing a left-out project in: P5 displaces P1, P2 (-46); P6 displaces nothing (+0); "
        "P7 cannot come in (infeasible).")


def _curve(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["budget_cap", "optimiser_value", "greedy_value"])


def test_frontier_names_the_largest_lead():
    # Leads: 50 / 40 - 1 = 25%, 90 / 80 - 1 = 12.5%, 0 at the top; none at a cap where greedy keeps nothing.
    curve = _curve((0.5e6, 10.0, 0.0), (1e6, 50.0, 40.0), (2e6, 90.0, 80.0), (3e6, 100.0, 100.0))
    assert str(sf.frontier(curve, "GBP")) == (
        "At every cap the optimiser's selection is worth at least the ranking's; its largest lead is +25.0% "
        "at a cap of £1.0m (50 against 40).")
    assert str(sf.frontier(_curve((1e6, 50.0, 50.0)), "GBP")) == (
        "At every cap the optimiser's selection is worth at least the ranking's.")
    worse = _curve((1e6, 49.0, 50.0), (2e6, 90.0, 60.0))
    assert str(sf.frontier(worse, "EUR")).startswith(
        "At some cap the ranking's selection is worth more (within the optimiser's gap); its largest lead "
        "is +50.0% at a cap of €2.0m")


def test_frontier_leaves_out_a_cap_without_a_selection():
    # The first cap is below the must-do projects' cost: no value on either side, not "the ranking wins".
    curve = _curve((1e6, np.nan, np.nan), (2e6, 60.0, 60.0))
    assert str(sf.frontier(curve)) == "At every cap the optimiser's selection is worth at least the ranking's."
    assert str(sf.frontier(curve.head(1))) == (
        "No budget cap leaves room for a selection: the projects that must go ahead cost more.")


def test_marginal_values_counts_what_adds_nothing():
    worth = pd.DataFrame({"change": ["+10% monthly budget", "+1 FTE Analyst", "+1 FTE Engineer", "+1 FTE team: Web",
                                     "+10% total budget"],
                          "delta": [47.0, 0.0, 1e-12, 12.4, np.nan]})
    # Adds value: 47 and 12.4; adds nothing: 0 and 1e-12 (below 1e-9); the failed re-solve (NaN) is neither.
    assert str(sf.marginal_values(worth)) == "+10% monthly budget adds most value (+47); 2 changes of 5 add nothing."
    assert str(sf.marginal_values(worth.iloc[[1, 4]])) == "No change adds value; 1 change of 2 adds nothing."


def _result(spare_budget, spare_hours, **kw) -> Result:
    return Result("optimal", "", "milp", budget=pd.DataFrame({"spare": spare_budget}),
                  capacity=pd.DataFrame({"spare": spare_hours}), **kw)


def test_key_numbers_as_the_notebook_tests_check_them():
    drivers = _drivers(("P2", "Borealis", 2, 70.0), ("P1", "Apollo", 4, 60.0), ("P3", "Cygnus", 1, 15.0))
    headline = _headline(("Baseline", 19, 10), ("worked-example", 18, 0))
    problem = SimpleNamespace(candidates=pd.DataFrame({"project_id": ["P3", "P1", "P2", "P4"],
                                                       "value": [1000.0, 500.0, 300.0, 20.0]}))
    # The spare of a limit the selection uses up within 1e-6 still counts as respected; a month with no
    # limit (NaN) has nothing to break.
    best = _result([0.0, -1e-7, np.nan], [5.0], total_value=1500.0, selection=_selection("P1", "P3"))
    naive = Result("greedy", "", "greedy", total_value=1320.0, selection=_selection("P3", "P2", "P4"))
    applied = _headline(("Baseline", 19, 10), ("optimiser", 0, None))
    assert sf.key_numbers(OCT, drivers, headline, problem, best, naive, applied).split("\n") == [
        "snapshot: 2026-10",
        "top overload drivers: P2, P1",
        "Baseline: team-weeks over capacity 10, months over the budget limit 19",
        "worked-example: team-weeks over capacity 0, months over the budget limit 18",
        "optimiser: optimal, keeps 2 of 4, value 1,500 of 1,820; every limit respected: True",
        "ranking by value / cost: keeps 3, value 1,320",
        "left out: P2, P4",
        "suggestion applied: months over the budget limit 0, team-weeks over capacity –"]
    broken = _result([0.0], [-0.5], total_value=1500.0, selection=_selection("P1", "P3"))
    assert "every limit respected: False" in sf.key_numbers(OCT, drivers, None, problem, broken, naive)


def test_key_numbers_without_drivers_scenarios_or_optimiser():
    assert sf.key_numbers(OCT, _drivers()) == "snapshot: 2026-10\ntop overload drivers: none\noptimiser: not run"
    failed = Result("infeasible", "no room", "milp")
    assert sf.key_numbers(OCT, _drivers(), None, None, failed).endswith("optimiser: not run")


def test_count_is_a_dash_when_missing_never_zero():
    assert [sf.count(v) for v in (None, np.nan, pd.NA, 0, 1234.0)] == ["–", "–", "–", "0", "1,234"]
