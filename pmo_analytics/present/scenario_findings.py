"""The sentences of the arbitration page (notebook 08), one above each figure or table, computed from
the frames they describe (metrics.scenario_compare, the optimiser's results, present.scenario_tables):
who overloads the teams, spend against the limit, team-weeks, the KPIs that move, the optimiser's
result and suggestion, who a left-out project would displace, the frontier and the marginal values.

A count that could not be made (no month, no capacity) reads "–", never 0.
"""
from __future__ import annotations

import pandas as pd

from pmo_analytics.present import format as fmt
from pmo_analytics.present.findings import Finding

NAMED = 3          # drivers named in the sentence
TOLERANCE = 1e-6   # the optimiser's values and limits are compared to within this
NOTHING = 1e-9     # a marginal value this small adds nothing

NO_COMPARISON = ("No scenario is saved for this snapshot and no project drives an over-capacity team-week: "
                 "nothing to compare.")


def count(value) -> str:
    """A count of the comparison, or "–" where there was nothing to count (missing, not 0)."""
    return fmt.MISSING if fmt.is_missing(value) else f"{int(value):,}"


def overload_drivers(drivers: pd.DataFrame, over_weeks: int | None, as_of) -> Finding:
    """How many team-weeks after the snapshot are over capacity (scenario_compare.team_weeks_over: None
    without a plan) and the projects with most hours in them (overload_drivers)."""
    if over_weeks is None:
        return Finding("The exports carry no resource plan with capacities after the snapshot: "
                       "nothing to set against the teams' capacity.")
    if drivers.empty:
        return Finding(f"No team is planned above its capacity in any week after {as_of:%B %Y}.")
    first = drivers.iloc[0]
    then = [f"{r.project_id} ({r.hours:,.1f} h)" for r in drivers.iloc[1:NAMED].itertuples()]
    return Finding(f"{fmt.plural(over_weeks, 'team-week')} after {as_of:%B %Y} planned above capacity; "
                   f"{first['project_id']} {first['name']} has the most hours in them ({first['hours']:,.1f} h)"
                   + (f", then {', '.join(then)}." if then else "."))


def no_comparison(error=None) -> Finding:
    """Why no scenario is compared: the error that stopped it, else that there was nothing to compare."""
    return Finding(NO_COMPARISON if error is None else f"No scenario compared: {error}")


def _each(top: pd.DataFrame, column: str) -> str:
    return ", ".join(f"{name}: {count(top.at[name, column])}" for name in top.index[1:])


def spend_vs_limit(headline: pd.DataFrame, budget: pd.DataFrame, as_of) -> Finding:
    """Months after the snapshot with spend above the budget limit, the baseline's then each scenario's
    (compare()'s headline and budget frames)."""
    top = headline.set_index("scenario")
    months = budget.loc[budget["scenario"] == top.index[0], "month"].nunique()
    return Finding(f"Spend is above the budget limit in {count(top.iloc[0]['months_over_limit'])} of the "
                   f"{months} months after {as_of:%B %Y} in the baseline; {_each(top, 'months_over_limit')}.")


def team_weeks(headline: pd.DataFrame) -> Finding:
    """Team-weeks over capacity after the snapshot, the baseline's then each scenario's."""
    top = headline.set_index("scenario")
    return Finding(f"Team-weeks over capacity after the snapshot: {count(top.iloc[0]['group_weeks_over'])} in "
                   f"the baseline; {_each(top, 'group_weeks_over')}.")


def kpi_changes(moved: pd.DataFrame) -> Finding:
    """How many KPI changes there are (scenario_tables.kpi_changes), and how many go the better way."""
    if moved.empty:
        return Finding("No KPI moves in any scenario.")
    better, worse = int((moved["direction"] == "better").sum()), int((moved["direction"] == "worse").sum())
    return Finding(f"{fmt.plural(len(moved), 'KPI change')}: {better} for the better, {worse} for the worse.")


def no_optimisation(reason) -> Finding:
    """Why the snapshot cannot be optimised (no values, no monthly plan: the UsageError's message)."""
    return Finding(f"No optimisation for this snapshot: {reason}.")


def optimiser_result(best, naive, candidates: pd.DataFrame) -> Finding:
    """The optimiser's status, what it keeps and its value against the ranking by value per cost, and
    the projects under way it stops; or why it found no selection."""
    if not best.feasible:
        return Finding(f"The optimiser found no selection: {best.message}.")
    every = float(candidates["value"].sum())
    gap = fmt.percent((best.gap or 0) * 100, decimals=2)
    lead = f" ({fmt.percent((best.total_value / naive.total_value - 1) * 100, signed=True)})" \
        if naive.total_value else ""
    stops = (f"it stops {fmt.plural(len(best.dropped), 'project')} under way ({', '.join(best.dropped)})"
             if best.dropped else "it stops no project under way")
    return Finding(f"The optimiser's selection is {best.status} (gap {gap}, {best.seconds:.2f} s): it keeps "
                   f"{len(best.selection)} of {fmt.plural(len(candidates), 'candidate')}, "
                   f"worth {best.total_value:,.0f} of their {every:,.0f}, against {naive.total_value:,.0f} for the "
                   f"ranking by value per cost{lead}; {stops}.")


def suggestion(suggested: pd.DataFrame) -> Finding:
    """The optimiser's suggested changes in words (scenario_tables.suggestion)."""
    changes = ", ".join(suggested["change"]) if len(suggested) else "none, the plan fits as it is"
    return Finding(f"The optimiser suggests {fmt.plural(len(suggested), 'change')}: {changes}.")


def applied_suggestion(headline: pd.DataFrame | None, error=None) -> Finding:
    """What the suggestion does applied as a scenario (compare()'s headline: the baseline, then it), or
    the error that kept it from applying."""
    if error is not None or headline is None:
        return Finding(f"The suggestion cannot be applied as a scenario: {error}")
    base, plan = headline.iloc[0], headline.iloc[1]
    return Finding(f"Applied as a scenario, the suggestion takes the months over the budget limit from "
                   f"{count(base['months_over_limit'])} to {count(plan['months_over_limit'])} and the "
                   f"team-weeks over capacity from {count(base['group_weeks_over'])} to "
                   f"{count(plan['group_weeks_over'])}.")


def forced_in(left_out: pd.DataFrame) -> Finding:
    """Who each left-out project would displace if forced in, and the value it would cost
    (scenario_tables.left_out); or that it cannot come in."""
    parts = [f"{r.project_id} displaces {r.forcing_it_in_displaces} ({r.value_change_if_forced_in:+,.0f})"
             if not fmt.is_missing(r.value_change_if_forced_in) else f"{r.project_id} {r.forcing_it_in_displaces}"
             for r in left_out.itertuples()]
    return Finding("Forcing a left-out project in: " + "; ".join(parts) + ".")


def frontier(curve: pd.DataFrame, currency: str | None = None) -> Finding:
    """Whether the optimiser's value is at least the ranking's at every budget cap with a selection
    (optimiser_explain.frontier), and its largest lead."""
    known = curve.dropna(subset=["optimiser_value", "greedy_value"])
    if known.empty:
        return Finding("No budget cap leaves room for a selection: the projects that must go ahead cost more.")
    above = bool((known["optimiser_value"] >= known["greedy_value"] - TOLERANCE).all())
    text = ("At every cap the optimiser's selection is worth at least the ranking's" if above else
            "At some cap the ranking's selection is worth more (within the optimiser's gap)")
    leads = (known["optimiser_value"] / known["greedy_value"] - 1).where(known["greedy_value"] > 0)
    if leads.notna().any() and leads.max() > 0:
        widest = known.loc[leads.idxmax()]
        text += (f"; its largest lead is {fmt.percent(leads.max() * 100, signed=True)} at a cap of "
                 f"{fmt.money(widest['budget_cap'], currency)} ({widest['optimiser_value']:,.0f} against "
                 f"{widest['greedy_value']:,.0f})")
    return Finding(text + ".")


def marginal_values(worth: pd.DataFrame) -> Finding:
    """The change (one more FTE in a role or team, more budget) that adds most value, and how many of
    them add nothing (optimiser_explain.marginal_values)."""
    gains = worth[worth["delta"] > NOTHING].sort_values("delta", ascending=False)
    none = int((worth["delta"].abs() <= NOTHING).sum())
    lead = (f"{gains.iloc[0]['change']} adds most value ({gains.iloc[0]['delta']:+,.0f}); " if len(gains)
            else "No change adds value; ")
    return Finding(lead + f"{fmt.plural(none, 'change')} of {len(worth)} add{'s' if none == 1 else ''} nothing.")


def _respects_every_limit(best) -> bool:
    return bool((best.budget["spare"].fillna(0) >= -TOLERANCE).all()
                and (best.capacity["spare"].fillna(0) >= -TOLERANCE).all())


def key_numbers(as_of, drivers: pd.DataFrame, headline: pd.DataFrame | None = None, problem=None, best=None,
                naive=None, applied: pd.DataFrame | None = None) -> str:
    """The page's key numbers, one a line, as the notebook tests check them on the demo portfolio: the
    drivers, each scenario's counts, the optimiser's answer (or "not run") and the applied suggestion."""
    lines = [f"snapshot: {as_of:%Y-%m}", f"top overload drivers: {', '.join(drivers['project_id'].head(2)) or 'none'}"]
    for row in (headline.itertuples() if headline is not None else ()):
        lines.append(f"{row.scenario}: team-weeks over capacity {count(row.group_weeks_over)}, "
                     f"months over the budget limit {count(row.months_over_limit)}")
    if best is None or not best.feasible:
        return "\n".join([*lines, "optimiser: not run"])
    candidates = problem.candidates
    lines += [f"optimiser: {best.status}, keeps {len(best.selection)} of {len(candidates)}, value "
              f"{best.total_value:,.0f} of {float(candidates['value'].sum()):,.0f}; every limit respected: "
              f"{_respects_every_limit(best)}",
              f"ranking by value / cost: keeps {len(naive.selection)}, value {naive.total_value:,.0f}",
              f"left out: {', '.join(sorted(set(candidates['project_id']) - set(best.selected)))}"]
    if applied is not None:
        plan = applied.iloc[1]
        lines.append(f"suggestion applied: months over the budget limit {count(plan['months_over_limit'])}, "
                     f"team-weeks over capacity {count(plan['group_weeks_over'])}")
    return "\n".join(lines)


__all__ = ["NO_COMPARISON", "applied_suggestion", "count", "forced_in", "frontier", "key_numbers",
           "kpi_changes", "marginal_values", "no_comparison", "no_optimisation", "optimiser_result",
           "overload_drivers", "spend_vs_limit", "suggestion", "team_weeks"]
