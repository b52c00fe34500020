"""The headline numbers of a portfolio at one snapshot: what a director reads first.

Each number comes from the metric that owns it (budget variance, risk register, over-allocation
runs, milestone slippage, the loads record), so the overview, the monthly report and the dashboards
agree with the detailed views to the penny.
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
           "variance", "variance_pct", "over_budget", *[f"rag_{r}" for r in contract.RAG_RATINGS],
           "active_risks", "risk_emv", "over_allocated_people", "milestones_slipping", "quality_score"]
_WHOLE = "the headline is the whole snapshot"


def headline(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
             period_from=None, period_to=None, budget: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row: money totals, projects over budget and by RAG, risk exposure, overload, slipping
    milestones and the snapshot's data-quality score, for the filtered projects.

    `budget`: the budget_variance frame for the same filters, when the caller has it already. Takes
    as_of and the project filters; period_from / period_to are a UsageError (every number is the whole
    snapshot's, as the risks, people and milestones behind it are).
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
    risks = risk_register(con, **f)
    overload = over_allocations(con, **f)
    slips = milestone_slippage(con, **f)
    quality = con.sql("SELECT quality_score FROM loads WHERE as_of = ?", params=[snapshot]).fetchall()
    total = {c: budget[c].sum(min_count=1) for c in ("budget", "forecast", "committed", "consumed")}
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
        **{f"rag_{r}": int((budget["rag"] == r).sum()) for r in contract.RAG_RATINGS},
        "active_risks": int(risks["active"].sum()) if len(risks) else 0,
        "risk_emv": float(risks.loc[risks["active"], "emv"].sum()) if len(risks) else 0.0,
        "over_allocated_people": int(overload["resource_id"].nunique()) if len(overload) else 0,
        "milestones_slipping": int(slips["state"].isin(["missed", "likely_to_miss"]).sum()) if len(slips) else 0,
        "quality_score": quality[0][0] if quality else None,
    }
    return pd.DataFrame([row], columns=COLUMNS)
