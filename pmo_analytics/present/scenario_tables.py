"""The tables of the arbitration page (notebook 08), as frames ready for tables.ReportTable: readable
column names, words instead of codes, and the kinds of the columns tables.COLUMNS does not declare
(pass `kinds=` the table's *_KINDS).

Each function takes what the metrics return (overload_drivers, compare, optimise / greedy,
arbitration.suggestion, explain_excluded) and only renames, selects and words; no SQL.
"""
from __future__ import annotations

import pandas as pd

from pmo_analytics.present import format as fmt
from pmo_analytics.scenarios import Change, describe

LEFT_OUT_SHOWN = 10  # left-out projects explained (one re-solve each), most valuable first

DRIVER_KINDS = {"over_capacity_team_weeks": "int", "hours_in_those_weeks": "hours"}
HEADLINE_KINDS = {"risk_exposure": "money"}
SUMMARY_KINDS = {"share_of_all_value": "share", "spend_kept": "money", "value_kept": "number"}
LEFT_OUT_KINDS = {"value": "number", "limits_broken": "int", "value_change_if_forced_in": "number"}

HEADLINE_NAMES = {
    "months_over_limit": "months_over_the_budget_limit", "group_weeks_over": "team_weeks_over_capacity",
    "over_allocated_people": "people_over_allocated_now",
    "milestones_slipping": "milestones_missed_or_likely_to_miss", "risk_emv": "risk_exposure"}
HEADLINE_SHOWN = ["scenario", "budget", "forecast", "months_over_the_budget_limit", "team_weeks_over_capacity",
                  "people_over_allocated_now", "milestones_missed_or_likely_to_miss", "risk_exposure"]
METHODS = {"milp": "optimiser", "greedy": "ranking by value / cost"}
NAME_COLUMNS = ["project_id", "name", "status"]


def overload_drivers(drivers: pd.DataFrame) -> pd.DataFrame:
    """The projects behind the over-capacity team-weeks, with headings that say what is counted."""
    return drivers.rename(columns={"over_weeks": "over_capacity_team_weeks", "hours": "hours_in_those_weeks"})


def headline(frame: pd.DataFrame) -> pd.DataFrame:
    """The comparison's headline numbers, baseline first, under the names a committee reads."""
    return frame.rename(columns=HEADLINE_NAMES)[HEADLINE_SHOWN]


def kpi_changes(kpis: pd.DataFrame) -> pd.DataFrame:
    """The KPIs that move in some scenario (a known change other than 0): scenario, label, unit, value,
    change (in the KPI's unit, "+1.7 pt") and direction ("better" / "worse")."""
    moved = kpis[kpis["delta"].notna() & (kpis["delta"] != 0)]
    moved = moved.assign(change=[fmt.kpi_change(d, u) for d, u in zip(moved["delta"], moved["unit"])],
                         direction=moved["better"].map({True: "better", False: "worse"}))
    return moved[["scenario", "label", "unit", "value", "change", "direction"]].reset_index(drop=True)


def optimiser_summary(best, naive, candidates: pd.DataFrame) -> pd.DataFrame:
    """One row per method (the optimiser, the ranking by value / cost): status, projects kept, left out
    and stopped under way, the value kept and its share of every candidate's value, the spend kept."""
    every = float(candidates["value"].sum())
    return pd.DataFrame([{
        "method": METHODS.get(r.method, r.method), "status": r.status,
        "projects_kept": len(r.selection), "left_out": len(candidates) - len(r.selection),
        "stopped_under_way": len(r.dropped), "value_kept": r.total_value,
        "share_of_all_value": r.total_value / every if every else None, "spend_kept": r.total_cost}
        for r in (best, naive)])


def suggestion(advice: list[dict], names: pd.DataFrame) -> pd.DataFrame:
    """The optimiser's suggestion (arbitration.suggestion: scenario changes as dicts) with each project's
    name and status: project_id, name, status, change (in words) and why, in the suggestion's order."""
    rows = pd.DataFrame([{**a, "change": describe(Change(**a))} for a in advice],
                        columns=["kind", "project_id", "months", "who", "why", "change"])
    rows = rows.merge(names[NAME_COLUMNS], on="project_id", how="left")
    return rows[["project_id", "name", "status", "change", "why"]]


def left_out_ids(candidates: pd.DataFrame, selected, n: int = LEFT_OUT_SHOWN) -> list:
    """The candidates not in `selected` (project ids), most valuable first (then by id), at most n:
    the projects the left-out table explains."""
    out = candidates[~candidates["project_id"].isin(list(selected))]
    return out.sort_values(["value", "project_id"], ascending=[False, True])["project_id"].head(n).tolist()


def _displaces(displaced, value_change, forced_status) -> str:
    if fmt.is_missing(value_change):
        return f"cannot come in ({forced_status})"
    return ", ".join(displaced) or "nothing"


def left_out(explained: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """Why each left-out project is out (explain_excluded(...).projects): project_id, name, value,
    excluded_by (only when some project has a rule against it), limits_broken (how many limits adding it
    at its planned dates would break), forcing_it_in_displaces (who must make room, or why it cannot come
    in) and value_change_if_forced_in."""
    why = explained.assign(
        limits_broken=[part.count(" more needed") for part in explained["binding"]],
        forcing_it_in_displaces=[_displaces(d, v, s) for d, v, s in zip(explained["displaced"],
                                                                         explained["value_change"],
                                                                         explained["forced_status"])])
    why = why.merge(names[NAME_COLUMNS], on="project_id", how="left").rename(
        columns={"value_change": "value_change_if_forced_in"})
    shown = ["project_id", "name", "value", "excluded_by", "limits_broken", "forcing_it_in_displaces",
             "value_change_if_forced_in"]
    return why[[c for c in shown if c != "excluded_by" or why[c].astype(bool).any()]]


__all__ = ["DRIVER_KINDS", "HEADLINE_KINDS", "LEFT_OUT_KINDS", "LEFT_OUT_SHOWN", "SUMMARY_KINDS", "headline",
           "kpi_changes", "left_out", "left_out_ids", "optimiser_summary", "overload_drivers", "suggestion"]
