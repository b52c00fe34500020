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
from pmo_analytics.metrics.earned_value import evm
from pmo_analytics.metrics.milestones import milestone_slippage
from pmo_analytics.metrics.resources import _alloc_cte, over_allocations
from pmo_analytics.metrics.risks import risk_register
from pmo_analytics.metrics.scope import PROJECTS, SNAPSHOT, Scope, _as_list, period_where
from pmo_analytics.store import connection as db

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
    overload = over_allocations(con, **f, period_from=month, period_to=month)
    overloaded = int(overload["resource_id"].nunique()) if len(overload) else 0
    return _row(snapshot, budget, risk_register(con, **f), overloaded, milestone_slippage(con, **f),
                _quality(con, snapshot))


def _quality(con, snapshot) -> tuple | None:
    """(quality_score, rows_risks) of the snapshot's load, None when it is not loaded."""
    rows = con.sql("SELECT quality_score, rows_risks FROM loads WHERE as_of = ?", params=[snapshot]).fetchall()
    return rows[0] if rows else None


def _row(snapshot, budget: pd.DataFrame, risks: pd.DataFrame, overloaded: int, slips: pd.DataFrame,
         quality: tuple | None) -> pd.DataFrame:
    """The headline row from a selection's frames (budget_variance, risk_register, milestone_slippage),
    its over-allocated people and its load's (quality_score, rows_risks)."""
    no_register = quality is not None and not quality[1]  # no risk register in the exports: missing, not 0
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
        "over_allocated_people": overloaded,
        "milestones_slipping": int(slips["state"].isin(["missed", "likely_to_miss"]).sum()) if len(slips) else 0,
        "quality_score": quality[0] if quality else None,
    }
    return pd.DataFrame([row], columns=COLUMNS)


class Snapshot:
    """Every project's frames of one snapshot that a headline, its worst projects and the CPI/SPI
    quadrant need, read once (budget_variance, evm, risk_register, milestone_slippage, the people over
    capacity in its month and who has hours on which project then). `select(**project_filters)` gives
    a selection's headline, budget and evm frames as the metrics would read them (the same rows, order
    and dtypes) without a query: a dashboard's filter redraw then reads nothing (issue 18).

    Every number of these metrics is per project (a person's load counts all their projects whatever
    the filters), so a selection's rows are the whole snapshot's rows of its projects."""

    def __init__(self, con, as_of=None):
        whole = {"as_of": as_of}
        self.budget = budget_variance(con, **whole)
        self.as_of = Scope.of(con, "headline", honours=SNAPSHOT + PROJECTS, why=_WHOLE, as_of=as_of).as_of
        self.evm = evm(con, **whole)
        self.risks = risk_register(con, **whole)
        self.slips = milestone_slippage(con, **whole)
        self.quality = _quality(con, self.as_of) if self.as_of else None
        self.overloaded: set = set()
        self.hours = pd.DataFrame(columns=["resource_id", "project_id"])
        if self.as_of is not None:
            month = self.as_of.replace(day=1)
            over = over_allocations(con, **whole, period_from=month, period_to=month)
            self.overloaded = set(over["resource_id"].dropna())
            self.hours = _hours_on(con, self.as_of, month)

    def select(self, portfolio=None, program=None, department=None, project_ids=None) -> dict:
        """{"headline", "budget", "evm"} of the projects the filters select (None: no filter), as
        headline(), budget_variance() and evm() give them for the same filters."""
        given = {"portfolio": portfolio, "program": program, "department": department, "project_id": project_ids}
        if all(v is None for v in given.values()):
            budget, frames = self.budget, (self.evm, self.risks, self.slips)
            overloaded = len(self.overloaded)
        else:
            chosen = pd.Series(True, index=self.budget.index)
            for column, value in given.items():
                if value is not None:
                    chosen &= self.budget[column].isin([str(v) for v in _as_list(value)])
            ids = set(self.budget.loc[chosen, "project_id"])
            budget = _rows(self.budget, chosen)
            frames = tuple(_rows(frame, frame["project_id"].isin(ids)) for frame in (self.evm, self.risks, self.slips))
            people = set(self.hours.loc[self.hours["project_id"].isin(ids), "resource_id"])
            overloaded = len(self.overloaded & people)
        evm_rows, risks, slips = frames
        if self.as_of is None or budget.empty:
            head = pd.DataFrame(columns=COLUMNS)
        else:
            head = _row(self.as_of, budget, risks, overloaded, slips, self.quality)
        return {"headline": head, "budget": budget.copy(), "evm": evm_rows.copy()}


_NULLABLE = {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "boolean"}


def _rows(frame: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """frame's rows where mask holds, numbered from 0, with the dtypes a query of just those rows gives."""
    return as_queried(frame[mask].reset_index(drop=True))


def as_queried(rows: pd.DataFrame) -> pd.DataFrame:
    """Some rows of a query's frame with the dtypes a query of just those rows gives (store.connection.frame:
    a nullable Int64 or boolean column only when it holds a missing value)."""
    for column in rows.columns:
        dtype = rows[column].dtype
        if str(dtype) in _NULLABLE and not rows[column].isna().any():
            rows[column] = rows[column].to_numpy(dtype=dtype.numpy_dtype)
    return rows


def _hours_on(con, snapshot, month) -> pd.DataFrame:
    """(resource_id, project_id) of the allocations with hours in `month` (planned or booked): the
    people over_allocations counts for a selection are those with hours on its projects."""
    wcond, wparams = period_where("a.week", month, month)
    q = f"""
    WITH {_alloc_cte("TRUE", wcond)}
    SELECT DISTINCT resource_id, project_id FROM alloc WHERE planned > 0 OR coalesce(actual, 0) > 0
    """
    return db.frame(con, q, [snapshot, *wparams])
