"""The baseline and N scenarios side by side: what each changes, spend by month against the budget
limit, team (or role) load by month and its change, the KPIs and the headline numbers.

Every number comes from the metric that owns it (budget_curve, resource_load, kpis, headline), run
unchanged on each scenario's view (scenarios.apply.view): the comparison can never disagree with
the dashboards. Months are those after the snapshot month: what arbitration can still change.
Spend is the forecast of the budget lines (what the projects will spend); the limit is the
scenario's budget_limit, else the one given, else the baseline's approved budget of that month: 0 in
a month without budget lines up to the baseline's last budgeted month, missing (no limit known)
after it, where a deferral may push spend.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics.budget import budget_curve
from pmo_analytics.metrics.forecast_engine import simulate
from pmo_analytics.metrics.forecast_inputs import forecast_inputs
from pmo_analytics.metrics.improvement import kpis
from pmo_analytics.metrics.portfolio import headline
from pmo_analytics.metrics.resources import resource_load
from pmo_analytics.metrics.scope import choice, resolve_as_of
from pmo_analytics.scenarios import Scenario, describe, view
from pmo_analytics.store import connection as db

BASELINE = "Baseline"
LOAD_BY = ("team", "role")
HEADLINE = ("budget", "forecast", "variance", "released_budget", "over_budget", "active_risks", "risk_emv",
            "over_allocated_people", "milestones_slipping")
FORECAST = ("cost_p50", "cost_p80", "prob_within_budget")
FORECAST_DRAWS, FORECAST_SEED = 2_000, 20261203


def _future(frame: pd.DataFrame, column: str, as_of: dt.date) -> pd.DataFrame:
    return frame[pd.to_datetime(frame[column]) > pd.Timestamp(as_of)]


def _spend(con, as_of: dt.date) -> pd.DataFrame:
    """month, spend (forecast) and budget of the months after the snapshot month."""
    curve = budget_curve(con, as_of=as_of)
    curve = _future(curve, "period", as_of)
    return pd.DataFrame({"month": pd.to_datetime(curve["period"]), "spend": curve["forecast"].to_numpy(),
                         "budget": curve["budget"].to_numpy()})


def _load(con, as_of: dt.date, by: str) -> tuple[pd.DataFrame, int | None]:
    """(group, month, utilisation, over_hours of the months after the snapshot, the group-weeks
    after the snapshot planned above the group's capacity: None when no week has a capacity)."""
    months = _future(resource_load(con, by=by, grain="month", as_of=as_of), "month", as_of)
    out = months.rename(columns={by: "group"})[["group", "month", "utilisation", "planned_hours", "capacity"]]
    return out, team_weeks_over(con, as_of, by)


def _kpis(con, as_of: dt.date) -> pd.DataFrame:
    frame = kpis(con, as_of=as_of)
    frame = frame[pd.to_datetime(frame["as_of"]) == pd.Timestamp(as_of)]
    return frame[["kpi", "label", "unit", "value", "higher_is_better"]]


def _forecast(con, as_of: dt.date) -> dict:
    """The portfolio's risk-adjusted cost (P50, P80) and its chance of staying within budget, from the
    same Monte Carlo as `pmo forecast` (FORECAST_DRAWS draws, fixed seed); missing when nothing can be
    forecast (no project with a budget to finish)."""
    try:
        sim = simulate(forecast_inputs(con, as_of=as_of), draws=FORECAST_DRAWS, seed=FORECAST_SEED)
    except UsageError:
        return dict.fromkeys(FORECAST)
    top = sim.portfolio.iloc[0]
    return {"cost_p50": float(top["cost_p50"]), "cost_p80": float(top["cost_p80"]),
            "prob_within_budget": float(top["prob_within_budget"])}


def _one(con, as_of: dt.date, by: str, with_kpis: bool, with_forecast: bool = False) -> dict:
    load, over_weeks = _load(con, as_of, by)
    top = headline(con, as_of=as_of)
    kpi = _kpis(con, as_of) if with_kpis else pd.DataFrame(columns=["kpi", "label", "unit", "value",
                                                                     "higher_is_better"])
    forecast = _forecast(con, as_of) if with_forecast else dict.fromkeys(FORECAST)
    return {"spend": _spend(con, as_of), "load": load, "kpis": kpi,
            "headline": {**(top.iloc[0].to_dict() if len(top) else {}), **forecast}, "over_weeks": over_weeks}


def compare(con, scenarios: list[Scenario], by: str = "team", budget_limit: float | None = None,
            with_kpis: bool = True, cache: dict | None = None, with_forecast: bool = False) -> dict:
    """Frames for the baseline (the scenarios' snapshot) and each scenario, in order:
    projects (scenario, project_id, name, change, who, why), budget (scenario, month, spend, limit, over),
    load (scenario, group, month, utilisation, delta: points of utilisation against the baseline's, as a
    fraction), kpis (scenario, kpi, label, unit, value, delta, better: the change goes the desirable way),
    headline (scenario, HEADLINE..., months_over_limit, group_weeks_over). `with_kpis=False` leaves the
    KPIs out (the history-wide part); `cache`, a dict the caller keeps, holds the baseline's numbers
    between calls on the same database (a dashboard redraws only the scenario). `with_forecast` adds
    each one's risk-adjusted cost_p50, cost_p80 and prob_within_budget to the headline (issue 16)."""
    choice(by, LOAD_BY, "by")
    if not scenarios:
        return {}
    as_of = scenarios[0].as_of
    if any(s.as_of != as_of for s in scenarios):
        raise UsageError("the scenarios compared must be built on the same snapshot; replay the older ones "
                         "first (pmo scenario replay NAME)")
    key = (as_of, by, with_kpis, with_forecast)
    if cache is None or key not in cache:
        base = _one(con, as_of, by, with_kpis, with_forecast)
        if cache is not None:
            cache[key] = base
    runs = {BASELINE: dict(cache[key] if cache is not None else base)}
    for s in scenarios:
        with view(con, s) as scenario_con:
            runs[s.name] = _one(scenario_con, as_of, by, with_kpis, with_forecast)
    approved = runs[BASELINE]["spend"].set_index("month")["budget"]
    limits = {s.name: s.budget_limit for s in scenarios}
    return {
        "projects": _projects(con, scenarios, as_of),
        "budget": _budget(runs, approved, limits, budget_limit),
        "load": _load_delta(runs),
        "kpis": _kpi_delta(runs),
        "headline": _headline(runs),
    }


def _budget(runs: dict, approved: pd.Series, limits: dict, given: float | None) -> pd.DataFrame:
    frames = []
    for name, run in runs.items():
        spend = run["spend"].copy()
        own = limits.get(name) if limits.get(name) is not None else given
        if own is not None:
            spend["limit"] = float(own)
        else:
            known = spend["month"] <= (approved.index.max() if len(approved) else pd.Timestamp.min)
            spend["limit"] = np.where(known, spend["month"].map(approved).fillna(0.0), np.nan)
        spend.insert(0, "scenario", name)
        frames.append(spend)
    out = pd.concat(frames, ignore_index=True)
    out["over"] = np.where(out["spend"] > out["limit"], out["spend"] - out["limit"], 0.0)
    out.loc[out["spend"].isna() | out["limit"].isna(), "over"] = np.nan
    for name, run in runs.items():
        over = out.loc[out["scenario"] == name, "over"]
        run["months_over_limit"] = int((over > 0).sum()) if over.notna().any() else None  # no month: not 0
    return out[["scenario", "month", "spend", "limit", "over"]]


def _load_delta(runs: dict) -> pd.DataFrame:
    base = runs[BASELINE]["load"].set_index(["group", "month"])["utilisation"]
    frames = []
    for name, run in runs.items():
        load = run["load"].copy()
        key = pd.MultiIndex.from_frame(load[["group", "month"]])
        load["delta"] = np.nan if name == BASELINE else load["utilisation"].to_numpy() - base.reindex(key).to_numpy()
        load.insert(0, "scenario", name)
        frames.append(load)
    return pd.concat(frames, ignore_index=True)


def _kpi_delta(runs: dict) -> pd.DataFrame:
    base = runs[BASELINE]["kpis"].set_index("kpi")["value"]
    frames = []
    for name, run in runs.items():
        k = run["kpis"].copy()
        k["delta"] = np.nan if name == BASELINE else k["value"].to_numpy() - k["kpi"].map(base).to_numpy()
        better = np.where(k["higher_is_better"].astype(bool), k["delta"] > 0, k["delta"] < 0)
        k["better"] = pd.array(np.where(k["delta"].isna() | (k["delta"] == 0), None, better), dtype="boolean")
        k.insert(0, "scenario", name)
        frames.append(k)
    return pd.concat(frames, ignore_index=True)


def _headline(runs: dict) -> pd.DataFrame:
    rows = []
    for name, run in runs.items():
        top = run["headline"]
        rows.append({"scenario": name, **{c: top.get(c) for c in (*HEADLINE, *FORECAST)},
                     "months_over_limit": run["months_over_limit"], "group_weeks_over": run["over_weeks"]})
    return pd.DataFrame(rows)


def _projects(con, scenarios: list[Scenario], as_of: dt.date) -> pd.DataFrame:
    names = dict(con.sql("SELECT project_id, name FROM projects WHERE as_of = ?", params=[as_of]).fetchall())
    rows = []
    for s in scenarios:
        for change in s.changes:
            project = change.project_id
            rows.append({"scenario": s.name, "project_id": project,
                         "name": names.get(project, change.name) if project else None,
                         "change": describe(change), "who": change.who or s.author, "why": change.why})
    return pd.DataFrame(rows, columns=["scenario", "project_id", "name", "change", "who", "why"])


def overload_drivers(con, as_of=None, by: str = "team", n: int = 10) -> pd.DataFrame:
    """The projects behind the over-capacity team (or role) weeks after the snapshot: for each project,
    its planned hours in the group-weeks whose planned hours exceed the group's capacity (every person
    of the group with a known weekly capacity), most first. These are what deferring would relieve.
    Columns: project_id, name, over_weeks (group-weeks it has hours in), hours."""
    choice(by, LOAD_BY, "by")
    as_of = resolve_as_of(con, as_of)
    q = f"""
    WITH a AS (
        SELECT r.{by} AS grp, a.week, a.project_id, coalesce(a.planned_hours, 0) AS hours
        FROM allocations a JOIN resources r ON r.as_of = a.as_of AND r.resource_id = a.resource_id
        WHERE a.as_of = ? AND a.week > ? AND r.weekly_capacity_hours IS NOT NULL
    ),
    cap AS (
        SELECT {by} AS grp, sum(weekly_capacity_hours) AS capacity FROM resources
        WHERE as_of = ? AND weekly_capacity_hours IS NOT NULL GROUP BY 1
    ),
    over AS (
        SELECT a.grp, a.week FROM a JOIN cap USING (grp)
        GROUP BY a.grp, a.week HAVING sum(a.hours) > any_value(cap.capacity)
    )
    SELECT a.project_id, any_value(p.name) AS name, count(DISTINCT (a.grp, a.week)) AS over_weeks,
           sum(a.hours) AS hours
    FROM a JOIN over USING (grp, week)
    LEFT JOIN projects p ON p.as_of = ? AND p.project_id = a.project_id
    WHERE a.hours > 0
    GROUP BY a.project_id ORDER BY hours DESC, a.project_id LIMIT ?
    """
    return db.frame(con, q, [as_of, as_of, as_of, as_of, int(n)])


def team_weeks_over(con, as_of=None, by: str = "team") -> int | None:
    """The team (or role) weeks after the snapshot whose planned hours exceed the group's capacity, as
    the comparison counts them; None when no week after the snapshot has a capacity (no plan: not 0)."""
    choice(by, LOAD_BY, "by")
    as_of = resolve_as_of(con, as_of)
    weeks = _future(resource_load(con, by=by, grain="week", as_of=as_of), "week", as_of)
    return int((weeks["utilisation"] > 1).sum()) if weeks["utilisation"].notna().any() else None
