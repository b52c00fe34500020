"""The headline numbers of a portfolio at one snapshot: what a director reads first.

Each number comes from the metric that owns it (budget variance, risk register, over-allocation
runs, milestone slippage, the loads record), so the overview, the monthly report and the dashboards
agree with the detailed views to the penny. The definitions (issue 13, written once here and in
budget.py; the README's Definitions table repeats them):
  * money (budget, forecast, committed, consumed, variance): every project that is not cancelled, a
    closed project's forecast being its spend (budget_variance's rollup rule);
  * cancelled / released_budget: how many projects are cancelled, and the sum of their
    max(budget - consumed, 0), shown apart from the totals;
  * over_budget: projects not closed or cancelled (planned, active, on hold) whose forecast exceeds
    their budget; closed_over_budget: closed projects whose spend exceeded their budget;
  * rag_<rating>: projects by their RAG as reported in the export (projects.rag, the delivery
    confidence: green, amber_green, amber, amber_red, red), one count per rating, never merged;
    rag_none: projects reported without one. The counts add up to `projects`;
  * over_allocated_people: people planned above their weekly capacity in at least one week whose
    Monday falls in the snapshot month (all their projects counted): over_allocations over that
    month, the same people as the KPI over_allocated_resources.
"""
from __future__ import annotations

import pandas as pd

from pmo_analytics import contract
from pmo_analytics.metrics.budget import budget_variance
from pmo_analytics.metrics.milestones import milestone_slippage
from pmo_analytics.metrics.resources import over_allocations
from pmo_analytics.metrics.risks import risk_register
from pmo_analytics.metrics.scope import PROJECTS, SNAPSHOT, Scope

COLUMNS = ["as_of", "currency", "projects", "active_projects", "budget", "forecast", "committed", "consumed",
           "variance", "variance_pct", "over_budget", "closed_over_budget", "cancelled", "released_budget",
           *[f"rag_{r}" for r in contract.RAG_RATINGS], "rag_none",
           "active_risks", "risk_emv", "over_allocated_people", "milestones_slipping", "quality_score"]
_WHOLE = "the headline is the whole snapshot"


def headline(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
             period_from=None, period_to=None, budget: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row: money totals, projects over budget and by RAG, released budget, risk exposure,
    overload, slipping milestones and the snapshot's data-quality score, for the filtered projects
    (the definitions are in the module docstring).

    `budget`: the budget_variance frame (by project) for the same filters, when the caller has it
    already. Takes as_of and the project filters; period_from / period_to are a UsageError (every
    number is the whole snapshot's, as the risks, people and milestones behind it are).
    """
    scope = Scope.of(con, "headline", honours=SNAPSHOT + PROJECTS, why=_WHOLE, as_of=as_of,
                     portfolio=portfolio, program=program, department=department,
                     project_ids=project_ids, period_from=period_from, period_to=period_to)
    snapshot = scope.as_of
    f = {"as_of": snapshot, "portfolio": portfolio, "program": program, "department": department,
         "project_ids": project_ids}
    if budget is None:
        budget = budget_variance(con, **f)
    if snapshot is None or budget.empty:
        return pd.DataFrame(columns=COLUMNS)
    month = snapshot.replace(day=1)
    risks = risk_register(con, **f)
    overload = over_allocations(con, **f, period_from=month, period_to=month)
    slips = milestone_slippage(con, **f)
    quality = con.sql("SELECT quality_score, rows_risks FROM loads WHERE as_of = ?", params=[snapshot]).fetchall()
    no_register = bool(quality) and not quality[0][1]  # no risk register in the exports: missing, not 0
    cancelled = budget["status"] == "cancelled"
    live = budget[~cancelled]
    total = {c: live[c].sum(min_count=1) for c in ("budget", "forecast", "committed", "consumed")}
    variance = total["forecast"] - total["budget"]
    row = {
        "as_of": snapshot,
        "currency": ",".join(sorted(budget["currency"].dropna().unique())) or None,
        "projects": len(budget),
        "active_projects": int((budget["status"] == "active").sum()),
        **total,
        "variance": variance,
        "variance_pct": 100 * variance / total["budget"] if total["budget"] else None,
        "over_budget": int(budget["over_budget"].fillna(False).astype(bool).sum()),
        "closed_over_budget": int(budget["closed_over_budget"].fillna(False).astype(bool).sum()),
        "cancelled": int(cancelled.sum()),
        "released_budget": float(budget["released_budget"].sum()),
        **{f"rag_{r}": int((budget["rag"] == r).sum()) for r in contract.RAG_RATINGS},
        "rag_none": int((~budget["rag"].isin(contract.RAG_RATINGS)).sum()),
        "active_risks": None if no_register else int(risks["active"].sum()) if len(risks) else 0,
        "risk_emv": None if no_register else float(risks.loc[risks["active"], "emv"].sum()) if len(risks) else 0.0,
        "over_allocated_people": int(overload["resource_id"].nunique()) if len(overload) else 0,
        "milestones_slipping": int(slips["state"].isin(["missed", "likely_to_miss"]).sum()) if len(slips) else 0,
        "quality_score": quality[0][0] if quality else None,
    }
    return pd.DataFrame([row], columns=COLUMNS)
