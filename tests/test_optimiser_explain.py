"""Explanations of an arbitration (issue 15), on the hand-solved cases of test_optimiser: the limits an
excluded project would break and by how much, whom forcing it in displaces, the structural reasons,
the value/budget frontier against the greedy ranking, and the value of one more FTE or 10% more budget."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics.optimiser import INFEASIBLE, OPTIMAL, Problem, optimise
from pmo_analytics.metrics.optimiser_explain import explain_excluded, frontier, marginal_values
from test_optimiser import CANDIDATES, frame, respects_every_limit, tiny


def test_binding_limits_and_displaced_projects():
    # The tiny case's optimum is {P1, P3}: spend [6, 6, 2], dev [100, 100, 0], qa [60, 60, 60].
    # Adding P2 (spend [0, 3, 3], dev m1 80, qa m2 50): spend m1 6 + 3 = 9 > 6 (3 more needed), m2 5 <= 6;
    # dev m1 100 + 80 = 180 > 150 (30 h); qa m2 60 + 50 = 110 > 100 (10 h).
    # Forced in, P2 fits beside nothing (P1 breaks m1, P3 breaks qa, P4 breaks m2): {P2} = 7, displacing
    # P1 and P3: 7 - 16 = -9.
    # Adding P4 (spend m2 5, dev m2 50): spend m2 2 + 5 = 7 > 6 (1 more needed); dev m2 50 <= 150.
    # Forced in: {P1, P4} = 13, displacing P3: 13 - 16 = -3.
    explained = explain_excluded(tiny())
    projects = explained.projects.set_index("project_id")
    assert list(projects.index) == ["P2", "P4"]
    binding = explained.binding
    p2 = binding[binding["project_id"] == "P2"]
    assert p2[["kind", "month_index", "needed"]].values.tolist() == \
        [["budget", 1, 3], ["capacity", 1, 30], ["capacity", 2, 10]]
    assert pd.isna(p2["role"].iloc[0]) and p2["role"].iloc[1:].tolist() == ["dev", "qa"]  # no role for budget
    p4 = binding[binding["project_id"] == "P4"]
    assert p4[["kind", "month_index", "used", "adding", "limit", "needed"]].values.tolist() == \
        [["budget", 2, 2, 5, 6, 1]]
    assert projects.loc["P2", "displaced"] == ("P1", "P3") and projects.loc["P2", "value_change"] == pytest.approx(-9)
    assert projects.loc["P4", "displaced"] == ("P3",) and projects.loc["P4", "value_change"] == pytest.approx(-3)
    assert projects.loc["P4", "forced_status"] == OPTIMAL and projects.loc["P4", "excluded_by"] == ""
    assert projects.loc["P4", "binding"] == "budget in month 2: 1.00 more needed"
    assert "qa in month 2: 10.0 h more needed" in projects.loc["P2", "binding"]


def test_structural_reasons():
    # Exclusion [P1, P3]: the optimum is {P1, P4} (test_optimiser), so P3 is out by the exclusion with P1.
    ex = explain_excluded(tiny(exclusions=[["P1", "P3"]]), resolve=False).projects.set_index("project_id")
    assert ex.loc["P3", "excluded_by"] == "exclusion with P1"
    # must_not P1: out, and not re-solved.
    mn = explain_excluded(tiny(candidates=CANDIDATES.assign(must_not=[True, False, False, False])))
    row = mn.projects.set_index("project_id").loc["P1"]
    assert row["excluded_by"] == "must_not" and row["forced_status"] == "not re-solved"
    # P3 depends on P2, and P2 + P3 breaks qa in m2 (110 > 100): the optimum is {P1, P4} = 13, P3 is out
    # because P2 is not selected, and forced in it cannot be funded (it brings P2 with it): infeasible.
    problem = tiny(dependencies=[("P3", "P2")])
    assert optimise(problem).selected == {"P1": 0, "P4": 0}
    dep = explain_excluded(problem, project_ids=["P3"]).projects.set_index("project_id").loc["P3"]
    assert dep["excluded_by"] == "depends on P2 (not selected)"
    assert dep["forced_status"] == INFEASIBLE and "qa" in dep["message"] and "over by 10.00 h" in dep["message"]


def test_explaining_an_infeasible_result_is_a_usage_error():
    candidates = frame([("M", 1, True)], ["project_id", "value", "must"])
    problem = Problem(candidates, frame([("M", 0, 5)], ["project_id", "month_index", "cost"]), budget=4, months=1)
    with pytest.raises(UsageError, match="infeasible"):
        explain_excluded(problem)


def greedy_trap(budget=None) -> Problem:
    # A value 6 cost 5, B value 11 cost 10, C value 4 cost 5 (ratios 1.2, 1.1, 0.8), one month.
    candidates = frame([("A", 6), ("B", 11), ("C", 4)], ["project_id", "value"])
    cost = frame([("A", 0, 5), ("B", 0, 10), ("C", 0, 5)], ["project_id", "month_index", "cost"])
    return Problem(candidates, cost, budget=budget, months=1)


def test_frontier_against_the_greedy_ranking():
    # The whole portfolio spends 20; 4 points give caps 5, 10, 15, 20.
    # cap 5: A (6); greedy A (6). cap 10: B (11) beats A + C (10); greedy A, not B, C: 10.
    # cap 15: A + B (17); greedy A, B: 17. cap 20: all three, 21; greedy the same.
    curve = frontier(greedy_trap(), points=4)
    assert curve["budget_cap"].tolist() == [5, 10, 15, 20]
    assert curve["optimiser_value"].tolist() == [6, 11, 17, 21]
    assert curve["greedy_value"].tolist() == [6, 10, 17, 21]
    assert curve["optimiser_cost"].tolist() == [5, 10, 15, 20]
    assert (curve["status"] == OPTIMAL).all() and (curve["gap"] <= 1e-4).all()
    assert curve["optimiser_value"].is_monotonic_increasing
    assert (curve["optimiser_value"] >= curve["greedy_value"]).all()


def test_frontier_of_the_tiny_case_is_non_decreasing_and_above_greedy():
    # The whole portfolio spends 8 + 6 + 6 + 5 = 25, but the monthly limits add up to 3 x 6 = 18: the
    # frontier tops out there, 10 caps 1.8 apart. Totals: P1 8, P2 6, P3 6, P4 5; pairs 11-14.
    # 1.8, 3.6: nothing; 5.4: P4 (3); 7.2: P2 (7); 9.0, 10.8: P1 (10); 12.6: the pairs under it, P2 + P3
    # (12; qa in m2), P2 + P4 and P3 + P4 (11; spend in m2), each break a limit: P1 (10); 14.4 to 18:
    # P1 + P3 (14) = 16. Greedy (P1, P2, P3, P4 by ratio) finds the same at every cap here.
    curve = frontier(tiny(), points=10)
    assert curve["budget_cap"].tolist() == pytest.approx(np.arange(1, 11) * 1.8)
    assert curve["optimiser_value"].tolist() == [0, 0, 3, 7, 10, 10, 10, 16, 16, 16]
    assert curve["greedy_value"].tolist() == [0, 0, 3, 7, 10, 10, 10, 16, 16, 16]
    assert curve["optimiser_value"].is_monotonic_increasing
    assert (curve["optimiser_value"] >= curve["greedy_value"]).all()


def test_marginal_value_of_one_more_fte_where_capacity_binds():
    # One month, dev capacity 100 h, budget 20. X value 8 (100 h, cost 10), Y value 5 (60 h, cost 6),
    # Z value 4 (40 h, cost 4). Base: Y + Z (100 h) = 9 beats X = 8.
    # +1 FTE (140 h): 240 h, all three (200 h, cost 20 <= 20) = 17: delta 8.
    # +10% budget (22): capacity still binds: 9, delta 0.
    candidates = frame([("X", 8), ("Y", 5), ("Z", 4)], ["project_id", "value"])
    cost = frame([("X", 0, 10), ("Y", 0, 6), ("Z", 0, 4)], ["project_id", "month_index", "cost"])
    demand = frame([("X", "dev", 0, 100), ("Y", "dev", 0, 60), ("Z", "dev", 0, 40)],
                   ["project_id", "role", "month_index", "hours"])
    capacity = frame([("dev", 0, 100)], ["role", "month_index", "hours"])
    problem = Problem(candidates, cost, demand, budget=20, capacity=capacity, months=1)
    base = optimise(problem)
    assert base.selected == {"Y": 0, "Z": 0}
    respects_every_limit(problem, base)
    table = marginal_values(problem, base).set_index("change")
    fte = table.loc["+1 FTE dev (140 h a month)"]
    assert (fte["value_before"], fte["value_after"], fte["delta"]) == (9, 17, 8)
    assert fte["binding_months"] == 1 and fte["kind"] == "capacity"
    budget = table.loc["+10% monthly budget"]
    assert (budget["value_before"], budget["value_after"], budget["delta"]) == (9, 9, 0)
    assert budget["binding_months"] == 0  # 10 of 20 used


def test_marginal_value_of_ten_percent_more_budget():
    # The greedy trap with D (value 3, cost 1), budget 10: B alone (11) is best (A + C 10, A + D 9, B + D
    # costs 11). Budget 11: B + D (cost 11) = 14; A + C + D (11) = 13: delta 3. A total cap of 10 as well:
    # +10% total alone leaves the monthly 10: 11, delta 0.
    trap = greedy_trap(budget=10)
    candidates = pd.concat([trap.candidates, frame([("D", 3)], ["project_id", "value"])], ignore_index=True)
    cost = pd.concat([trap.cost, frame([("D", 0, 1)], ["project_id", "month_index", "cost"])], ignore_index=True)
    problem = Problem(candidates, cost, budget=10, total_budget=10, months=1)
    table = marginal_values(problem).set_index("change")
    assert list(table.index) == ["+10% monthly budget", "+10% total budget"]
    assert table.loc["+10% monthly budget", ["value_before", "value_after", "delta"]].tolist() == [11, 11, 0]
    assert table.loc["+10% total budget", ["value_before", "value_after", "delta"]].tolist() == [11, 11, 0]
    monthly_only = marginal_values(Problem(candidates, cost, budget=10, months=1)).set_index("change")
    assert monthly_only.loc["+10% monthly budget", ["value_before", "value_after", "delta"]].tolist() == [11, 14, 3]
    assert monthly_only.loc["+10% monthly budget", "binding_months"] == 1


def test_forced_in_only_the_chosen_give_way_unless_asked():
    # One month, budget 10: A (value 10, cost 10) is chosen over B + C (3 + 2, cost 4 + 6).
    # Forcing B in, only A may give way: {B} = 3, objective 3 - 10 = -7.
    # Re-optimising everything: {B, C} = 5 (cost 10): displaces A, adds C, objective -5.
    candidates = frame([("A", 10), ("B", 3), ("C", 2)], ["project_id", "value"])
    cost = frame([("A", 0, 10), ("B", 0, 4), ("C", 0, 6)], ["project_id", "month_index", "cost"])
    problem = Problem(candidates, cost, budget=10, months=1)
    kept = explain_excluded(problem, project_ids=["B"]).projects.iloc[0]
    assert (kept["displaced"], kept["added"], kept["value_change"]) == (("A",), (), -7)
    assert kept["message"] == "forced in: displaces A; objective -7.00"
    free = explain_excluded(problem, project_ids=["B"], keep_others_out=False).projects.iloc[0]
    assert (free["displaced"], free["added"], free["value_change"]) == (("A",), ("C",), -5)
