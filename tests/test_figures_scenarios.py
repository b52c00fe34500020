"""The arbitration figures (issue 15): scenario spend against the limit, the change in load, the capacity
fit, the optimiser's frontier and the marginal values, from small frames with the answers worked by hand."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from pmo_analytics.exceptions import UsageError
from pmo_analytics.present import figures
from figurekit import by_gid, close_figures, same_color  # noqa: F401 - close_figures is an autouse fixture

NAN = float("nan")
MONTHS = pd.to_datetime(["2027-01-01", "2027-02-01", "2027-03-01", "2027-04-01"])




# ------------------------------------------------------------------------------ spend against the limit
def budget_frame(own_limit: float | None = None) -> pd.DataFrame:
    """The scenario rows come first in the frame: the figure still draws the baseline first.
    Limits 100, 110, 100, 120. Baseline 100, 120, 90, 130: over in Feb (120 > 110) and Apr (130 > 120) = 2.
    defer-two 80, 110, (not reported), 125: Feb 110 is not over 110; Apr 125 > 120 = 1."""
    limit = [100.0, 110.0, 100.0, 120.0]
    scenario = pd.DataFrame({"scenario": "defer-two", "month": MONTHS, "spend": [80.0, 110.0, NAN, 125.0],
                             "limit": limit if own_limit is None else [own_limit] * 4})
    base = pd.DataFrame({"scenario": "Baseline", "month": MONTHS, "spend": [100.0, 120.0, 90.0, 130.0],
                         "limit": limit})
    return pd.concat([scenario, base], ignore_index=True)


def test_scenario_budget_lines_limit_and_months_over():
    fig = figures.scenario_budget(budget_frame(), currency="GBP")
    ax = fig.axes[0]
    spend = [line for line in ax.get_lines() if (line.get_gid() or "").startswith("spend:")]
    assert [line.get_gid() for line in spend] == ["spend:Baseline", "spend:defer-two"]
    assert same_color(spend[0].get_color(), figures.COLORS["muted"])
    assert not same_color(spend[1].get_color(), figures.COLORS["muted"])
    assert not same_color(spend[1].get_color(), figures.COLORS["warning"])
    (limit,) = [line for line in ax.get_lines() if line.get_gid() == "limit"]
    # each month's limit held from the edge before its point to the edge after (the last repeated to close it)
    assert list(limit.get_ydata()) == [100.0, 110.0, 100.0, 120.0, 120.0]
    assert limit.get_drawstyle() == "steps-post"
    edges = pd.DatetimeIndex(limit.get_xdata())
    assert all(edges[i] < MONTHS[i] < edges[i + 1] for i in range(4))
    (over,) = by_gid(ax, "over")
    # Baseline Feb 120 and Apr 130, defer-two Apr 125
    assert sorted(map(float, over.get_offsets()[:, 1])) == [120.0, 125.0, 130.0]
    assert same_color(over.get_facecolor()[0], figures.COLORS["warning"])
    assert ax.get_xticks().size == 4  # a tick on each month
    assert ax.get_title(loc="left") == ("Baseline: 2 months over the limit; defer-two: 1; "
                                        "gaps: spend not reported")
    assert ax.get_ylabel() == "Spend per month (forecast) (GBP)"
    assert fig.get_suptitle() == "Spend by month against the budget limit"


def test_scenario_budget_does_not_draw_missing_spend_as_zero():
    ax = figures.scenario_budget(budget_frame()).axes[0]
    (line,) = [line for line in ax.get_lines() if line.get_gid() == "spend:defer-two"]
    y = np.asarray(line.get_ydata(), float)
    assert np.isnan(y[2]) and list(y[[0, 1, 3]]) == [80.0, 110.0, 125.0]


def test_scenario_budget_a_scenario_limit_of_its_own_gets_its_own_line():
    # defer-two's own limit 100 a month: 80 no, 110 yes, missing no, 125 yes = 2
    ax = figures.scenario_budget(budget_frame(own_limit=100.0)).axes[0]
    limits = [line for line in ax.get_lines() if line.get_gid() == "limit"]
    assert [list(line.get_ydata()) for line in limits] == [[100.0, 110.0, 100.0, 120.0, 120.0], [100.0] * 5]
    assert all(line.get_linestyle() == "--" for line in limits)
    assert ax.get_title(loc="left").startswith("Baseline: 2 months over the limit; defer-two: 2")


def test_scenario_budget_nothing_over_says_so():
    frame = budget_frame().assign(limit=1000.0)
    ax = figures.scenario_budget(frame).axes[0]
    assert by_gid(ax, "over") == []
    assert ax.get_title(loc="left").startswith("No month over the limit, in the baseline or any scenario")


def test_scenario_budget_notes_for_absent_spend():
    empty = figures.scenario_budget(budget_frame().iloc[:0])
    assert isinstance(empty, figures.Note)
    assert empty.text.startswith("No monthly spend to compare")
    no_spend = figures.scenario_budget(budget_frame().assign(spend=NAN))
    assert no_spend.text == "No spend reported for the months ahead, in the baseline or any scenario"
    assert plt.get_fignums() == []


# ------------------------------------------------------------------------------ change in load
def load_frame() -> pd.DataFrame:
    """Teams A and B, Jan and Feb; utilisation and its delta against the baseline's (fractions):
    baseline  A 0.9, 1.2   B 0.5, 0.6
    defer-two A 0.6, 1.1   B 0.5, 0.7  -> A -30, -10 points; B 0, +10
    add-one   A 1.0, 1.3   B  - , 0.6  -> A +10, +10 points; B (no capacity), 0
    Still over 100%: defer-two A Feb (1.1) and add-one A Feb (1.3); add-one A Jan is 1.0, not over."""
    rows = [("Baseline", "A", 0, 0.9, NAN), ("Baseline", "A", 1, 1.2, NAN), ("Baseline", "B", 0, 0.5, NAN),
            ("Baseline", "B", 1, 0.6, NAN),
            ("defer-two", "A", 0, 0.6, 0.6 - 0.9), ("defer-two", "A", 1, 1.1, 1.1 - 1.2),
            ("defer-two", "B", 0, 0.5, 0.0), ("defer-two", "B", 1, 0.7, 0.7 - 0.6),
            ("add-one", "A", 0, 1.0, 1.0 - 0.9), ("add-one", "A", 1, 1.3, 1.3 - 1.2),
            ("add-one", "B", 0, NAN, NAN), ("add-one", "B", 1, 0.6, 0.0)]
    frame = pd.DataFrame(rows, columns=["scenario", "group", "m", "utilisation", "delta"])
    frame["month"] = MONTHS[frame["m"]]
    return frame.drop(columns="m")


def cell_texts(ax) -> dict:
    """{(row, column): text} of the heatmap's annotations (cell centres at row + 0.5, column + 0.5)."""
    return {(int(t.get_position()[1]), int(t.get_position()[0])): t.get_text() for t in ax.texts}


def test_load_delta_cells_are_the_hand_deltas_in_points():
    fig = figures.scenario_load_delta(load_frame())
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A · defer-two", "A · add-one", "B · defer-two",
                                                            "B · add-one"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Jan 2027", "Feb 2027"]
    mesh = ax.collections[0]
    assert mesh.get_array().size == 4 * 2  # no baseline rows
    assert cell_texts(ax) == {(0, 0): "-30", (0, 1): "-10", (1, 0): "+10", (1, 1): "+10",
                              (2, 0): "0", (2, 1): "+10", (3, 1): "0"}  # B · add-one Jan: no capacity
    assert mesh.norm(0) == pytest.approx(0.5)  # centred on no change
    less, more = mesh.cmap(mesh.norm(-30)), mesh.cmap(mesh.norm(30))
    assert less[1] > less[0] and more[0] > more[1]  # green less load, red more
    over = sorted((p.get_y(), p.get_x()) for p in by_gid(ax, "over"))
    assert [(round(y), round(x)) for y, x in over] == [(0, 1), (1, 1)]
    assert fig.axes[1].get_ylabel() == "Change in utilisation (points)"
    assert ax.get_ylabel() == "Team · scenario"
    assert ax.get_title(loc="left") == ("2 teams x 2 scenarios; points of capacity; outlined: still over 100%; "
                                        "blank: no capacity or no baseline plan that month")


def test_load_delta_notes():
    frame = load_frame()
    unchanged = frame.assign(delta=np.where(frame["scenario"] == "Baseline", NAN, 0.0))
    assert figures.scenario_load_delta(unchanged).text == "No scenario changes the load of any team"
    assert figures.scenario_load_delta(unchanged, by="role").text == "No scenario changes the load of any role"
    only_base = frame[frame["scenario"] == "Baseline"]
    assert figures.scenario_load_delta(only_base).text == "No scenario to compare with the baseline"
    no_capacity = frame.assign(utilisation=NAN, delta=NAN)
    assert figures.scenario_load_delta(no_capacity).text.startswith("No capacity in these exports")
    assert isinstance(figures.scenario_load_delta(frame.iloc[:0]), figures.Note)
    assert plt.get_fignums() == []


# ------------------------------------------------------------------------------ one scenario's capacity fit
def test_capacity_fit_draws_the_named_scenario_red_above_100():
    fig = figures.capacity_fit(load_frame(), scenario="defer-two")
    ax = fig.axes[0]
    assert "defer-two" in fig.get_suptitle()
    mesh = ax.collections[0]
    assert mesh.get_array().size == 2 * 2
    # A peaks at 110%, B at 70%: highest peak first
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B"]
    assert ax.get_ylabel() == "Team" and ax.get_xlabel() == "Month"
    over = mesh.cmap(mesh.norm(110))
    assert over[0] > over[2]


def test_capacity_fit_without_a_scenario_column_and_asking_for_one():
    one = load_frame().query("scenario == 'add-one'").drop(columns="scenario")
    fig = figures.capacity_fit(one, by="role")
    assert fig.axes[0].get_ylabel() == "Role"
    with pytest.raises(UsageError, match="name it"):
        figures.capacity_fit(load_frame())
    with pytest.raises(UsageError, match="no scenario 'nope'"):
        figures.capacity_fit(load_frame(), scenario="nope")


# ------------------------------------------------------------------------------ the optimiser
def frontier_frame() -> pd.DataFrame:
    """Cap 100 infeasible (skipped). Leads: 200 (10 - 10) / 10 = 0%; 300 (18 - 15) / 15 = +20.0%;
    400 (20 - 19.9) / 19.9 = 0.5% (under 1%: not written). The 300 solve stopped at a 2% gap."""
    return pd.DataFrame({"budget_cap": [100.0, 200.0, 300.0, 400.0], "optimiser_value": [NAN, 10.0, 18.0, 20.0],
                         "greedy_value": [NAN, 10.0, 15.0, 19.9], "gap": [NAN, 0.0, 0.02, 0.0],
                         "status": ["infeasible", "optimal", "time_limit", "optimal"]})


def test_frontier_curves_and_the_gap_written_above_one_percent():
    fig = figures.optimiser_frontier(frontier_frame(), currency="GBP")
    ax = fig.axes[0]
    assert "value the optimiser finds above ranking by value/cost" in fig.get_suptitle()
    (best,) = [line for line in ax.get_lines() if line.get_gid() == "optimiser"]
    (naive,) = [line for line in ax.get_lines() if line.get_gid() == "greedy"]
    assert list(best.get_xdata()) == [200.0, 300.0, 400.0]
    assert list(best.get_ydata()) == [10.0, 18.0, 20.0] and list(naive.get_ydata()) == [10.0, 15.0, 19.9]
    assert [t.get_text() for t in by_gid(ax, "gap")] == ["+20.0%"]
    assert ax.get_xlabel() == "Total budget cap (GBP)"
    sub = ax.get_title(loc="left")
    assert sub.startswith("3 budget caps; the optimiser leads the ranking by up to +20.0% (at a cap of £300)")
    assert sub.split("\n")[1:] == ["1 cap below the must-do projects' cost skipped (infeasible)",
                                   "Solved to within 2.0% of the best bound: smaller differences are noise"]


def test_frontier_notes():
    assert isinstance(figures.optimiser_frontier(frontier_frame().iloc[:0]), figures.Note)
    infeasible = frontier_frame().assign(optimiser_value=NAN, greedy_value=NAN)
    assert figures.optimiser_frontier(infeasible).text.startswith("No budget cap in the frontier is feasible")
    assert plt.get_fignums() == []


def marginal_frame() -> pd.DataFrame:
    return pd.DataFrame({"change": ["+1 FTE dev (140 h a month)", "+1 FTE qa (140 h a month)",
                                    "+10% monthly budget", "+10% total budget"],
                         "kind": ["capacity", "capacity", "budget", "total budget"],
                         "role": ["dev", "qa", None, None], "delta": [5.0, 0.0, 12.5, NAN],
                         "status": ["optimal", "optimal", "optimal", "infeasible"]})


def test_marginal_values_largest_first_and_no_gain_labelled():
    fig = figures.marginal_values_chart(marginal_frame())
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["+10% monthly budget", "+1 FTE dev (140 h a month)",
                                                            "+1 FTE qa (140 h a month)", "+10% total budget"]
    (bars,) = ax.containers
    assert [p.get_width() for p in bars.patches] == [12.5, 5.0, 0.0, 0.0]
    assert [t.get_text() for t in by_gid(ax, "delta")] == ["+12.50", "+5.00", "no gain", "not solved (infeasible)"]
    assert ax.get_title(loc="left").endswith("; 1 change with no gain")


def test_marginal_values_notes():
    assert isinstance(figures.marginal_values_chart(marginal_frame().iloc[:0]), figures.Note)
    assert figures.marginal_values_chart(marginal_frame().assign(delta=NAN)).text.startswith(
        "No change could be re-solved")
    assert plt.get_fignums() == []
