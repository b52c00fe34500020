"""The arbitration of issue 15 on a snapshot: which projects the forecasts and the people can carry in the
months after it, as the optimiser's Problem (`problem`) or as a "does the plan fit" view (`fit`).

The calendar is the months after the snapshot month: month_index 0 is the first month after as_of, up
to `horizon` months, and no further than the exports reach (the last month with a budget line or an
allocated week), since nothing is known beyond them.

  * candidates: the projects planned, active or on hold with future cost or future planned hours;
    value = projects.value_score (missing stays missing), current = active.
  * cost: per project and month, sum of coalesce(forecast, budget) of its future budget lines (what it
    will spend; the budget where no forecast is reported). A line with neither is left out and counted
    in cost.attrs["unpriced_lines"].
  * budget limit: per month, the approved budget (budget lines' budget) of every project planned,
    active or on hold: "do the forecasts fit in the approved budget". A month whose lines report no
    budget has no limit (missing, not zero).
  * demand: planned hours of the future weeks (Monday after as_of; a week counts in the month of its
    Monday) by the person's role ("(no role)" without one). People without a known weekly capacity are
    left out, as in metrics.resources: demand.attrs["no_capacity"] people, ["no_capacity_hours"] hours.
  * capacity: per role and month, the weekly capacity of the role's people x the export's weeks in the
    month (the Mondays from the snapshot's first to last allocated week, as metrics.resources counts
    them). Months after the export's last week have no capacity row: the export says nothing about
    them, so the optimiser leaves them unconstrained. With project filters, the hours the people are
    planned on live projects outside the filters are `held` and taken off (never below zero): those
    projects keep their people. The budget limit is then the filtered projects' approved budget.

Filters: as_of, portfolio, program, department, project_ids (bound as parameters, as every metric).
Each query runs on a connection to the workbench database or on a scenario's view with the same tables.

    problem = arbitration.problem(con, shift_window=3)    # candidates=read_candidates(path, con) adds rules
    result = optimiser.optimise(problem)
    changes = arbitration.suggestion(result, problem)    # exclude / defer, as scenario changes
    view = arbitration.fit(con)                          # budget and roles month by month, two queries
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics import arbitration_candidates as candidates_file
from pmo_analytics.metrics.arbitration_candidates import read_candidates
from pmo_analytics.metrics.arbitration_suggest import suggestion
from pmo_analytics.metrics.optimiser import Problem
from pmo_analytics.metrics.scope import Scope
from pmo_analytics.store import connection as db

__all__ = ["SnapshotProblem", "inputs", "problem", "fit", "limits", "read_candidates", "suggestion", "NO_ROLE",
           "HORIZON"]

NO_ROLE = "(no role)"
HORIZON = 36
MAX_HORIZON = 240
HONOURS = ("as_of", "portfolio", "program", "department", "project_ids")
WHY = "the arbitration plans the months after the snapshot (horizon=), not a period of its own"

# The shared WITH list (fixed text; {value} and {pcond} are fixed expressions, values are parameters:
# as_of, as_of, horizon, then the project filters').
_PREFIX = """WITH s AS (
    SELECT CAST(? AS DATE) AS as_of,
           CAST(date_trunc('month', CAST(? AS DATE)) + INTERVAL 1 MONTH AS DATE) AS first_month,
           CAST(? AS INTEGER) AS horizon
),
p AS (  -- live projects may still spend; in_scope ones pass the filters
    SELECT p.project_id, p.name, p.status, {value} AS value,
           coalesce(p.status IN ('planned', 'active', 'on_hold'), FALSE) AS live,
           coalesce(({pcond}), FALSE) AS in_scope
    FROM projects p, s WHERE p.as_of = s.as_of
),
lines AS (  -- the future budget lines of the live projects in scope
    SELECT b.project_id, datediff('month', s.first_month, date_trunc('month', b.period)) AS month_index,
           b.budget, coalesce(b.forecast, b.budget) AS cost
    FROM budget_lines b JOIN p ON p.project_id = b.project_id AND p.live AND p.in_scope, s
    WHERE b.as_of = s.as_of AND b.period >= s.first_month AND b.period < s.first_month + to_months(s.horizon)
),
alloc AS (
    SELECT a.resource_id, a.project_id, date_trunc('week', a.week)::DATE AS monday,
           coalesce(a.planned_hours, 0) AS planned
    FROM allocations a, s WHERE a.as_of = s.as_of
),
calendar AS (  -- the export's weeks after the snapshot date, in the month of their Monday
    SELECT w.monday, datediff('month', s.first_month, date_trunc('month', w.monday)) AS month_index
    FROM (SELECT unnest(generate_series(min(monday)::TIMESTAMP, max(monday)::TIMESTAMP,
                                        INTERVAL 7 DAY))::DATE AS monday FROM alloc) w, s
    WHERE w.monday > s.as_of AND w.monday < s.first_month + to_months(s.horizon)
),
people AS (  -- the people with a known weekly capacity, in their role (or team: {group})
    SELECT r.resource_id, {group} AS role, r.weekly_capacity_hours AS weekly
    FROM resources r, s WHERE r.as_of = s.as_of AND r.weekly_capacity_hours IS NOT NULL
),
future AS (  -- planned hours of those weeks on live projects; known: the person has a capacity
    SELECT a.resource_id, a.project_id, c.month_index, a.planned, p.in_scope,
           pe.resource_id IS NOT NULL AS known, pe.role
    FROM alloc a
    JOIN calendar c ON c.monday = a.monday
    JOIN p ON p.project_id = a.project_id AND p.live
    LEFT JOIN people pe ON pe.resource_id = a.resource_id
    WHERE a.planned > 0
),
cand AS (
    SELECT project_id FROM p
    WHERE live AND in_scope AND (project_id IN (SELECT project_id FROM lines WHERE cost > 0)
                                 OR project_id IN (SELECT project_id FROM future WHERE in_scope))
)"""


@dataclass(frozen=True, eq=False)
class SnapshotProblem(Problem):
    """An optimiser Problem built from a snapshot: also its as_of and the month of month_index 0 (for
    the words of a suggestion: "2027-02" rather than "month 3")."""

    as_of: dt.date | None = None
    first_month: dt.date | None = None


def _check_horizon(horizon) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or not 1 <= horizon <= MAX_HORIZON:
        raise UsageError(f"horizon must be a whole number of months, 1 to {MAX_HORIZON}; got {horizon!r}")
    return int(horizon)


# The groups whose hours a month can hold (fixed text): a person's role, or their team as "team: <name>".
GROUPS = {"role": "coalesce(r.role, '(no role)')", "team": "'team: ' || coalesce(r.team, '(no team)')"}


def _context(con, as_of, horizon, filters: dict, group: str = "role") -> tuple[Scope, str, list]:
    """The scope, the WITH list with its project filters (people counted by `group`), and its parameters."""
    scope = Scope.of(con, "arbitration", honours=HONOURS, why=WHY, as_of=as_of, **filters)
    if scope.as_of is None:
        raise UsageError("no snapshot is loaded yet: load one first (pmo load or pmo demo)")
    pcond, pparams = scope.projects("p")
    columns = con.sql("SELECT * FROM projects LIMIT 0").columns
    value = "p.value_score" if "value_score" in columns else "CAST(NULL AS DOUBLE)"  # an older database
    prefix = _PREFIX.format(value=value, pcond=pcond, group=GROUPS[group])
    return scope, prefix, [scope.as_of, scope.as_of, _check_horizon(horizon), *pparams]


def _months(con, prefix: str, params: list) -> pd.DataFrame:
    """month_index, month, cost (all live projects in scope) and limit (their approved budget)."""
    q = f"""{prefix}
    SELECT l.month_index, CAST(s.first_month + to_months(l.month_index) AS DATE) AS month,
           sum(l.cost) AS cost, sum(l.budget) AS "limit"
    FROM lines l, s
    GROUP BY l.month_index, s.first_month
    ORDER BY l.month_index"""
    return db.frame(con, q, params)


def _role_months(con, prefix: str, params: list) -> pd.DataFrame:
    """Per role and month with demand or capacity: demand (hours of the projects in scope), gross
    (capacity x weeks; missing after the export's last week), held (hours on live projects outside the
    filters) and capacity = gross - held, never below zero."""
    q = f"""{prefix},
    weeks AS (SELECT month_index, count(*) AS weeks FROM calendar GROUP BY month_index),
    supply AS (
        SELECT pe.role, w.month_index, sum(pe.weekly * w.weeks) AS gross
        FROM people pe CROSS JOIN weeks w GROUP BY pe.role, w.month_index
    ),
    held AS (SELECT role, month_index, sum(planned) AS held FROM future WHERE known AND NOT in_scope
             GROUP BY role, month_index),
    need AS (SELECT role, month_index, sum(planned) AS demand FROM future WHERE known AND in_scope
             GROUP BY role, month_index),
    joined AS (
        SELECT coalesce(u.role, n.role) AS role, coalesce(u.month_index, n.month_index) AS month_index,
               coalesce(n.demand, 0) AS demand, u.gross
        FROM supply u FULL JOIN need n ON n.role = u.role AND n.month_index = u.month_index
    )
    SELECT j.role, j.month_index, CAST(s.first_month + to_months(j.month_index) AS DATE) AS month,
           j.demand, j.gross, CASE WHEN j.gross IS NOT NULL THEN coalesce(h.held, 0) END AS held,
           greatest(j.gross - coalesce(h.held, 0), 0) AS capacity
    FROM joined j CROSS JOIN s
    LEFT JOIN held h ON h.role = j.role AND h.month_index = j.month_index
    ORDER BY j.role, j.month_index"""
    return db.frame(con, q, params)


def _project_frames(con, prefix: str, params: list) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, tuple]:
    """candidates, cost and demand, and (unpriced lines, people left out, their hours)."""
    month = "CAST(s.first_month + to_months(month_index) AS DATE) AS month"
    candidates = db.frame(con, f"""{prefix}
    SELECT project_id, name, status, value, status = 'active' AS current
    FROM p WHERE project_id IN (SELECT project_id FROM cand) ORDER BY project_id""", params)
    cost = db.frame(con, f"""{prefix}
    SELECT project_id, month_index, {month}, sum(cost) AS cost
    FROM lines, s WHERE cost IS NOT NULL AND project_id IN (SELECT project_id FROM cand)
    GROUP BY project_id, month_index, s.first_month ORDER BY project_id, month_index""", params)
    demand = db.frame(con, f"""{prefix}
    SELECT project_id, role, month_index, {month}, sum(planned) AS hours
    FROM future, s WHERE known AND in_scope
    GROUP BY project_id, role, month_index, s.first_month ORDER BY project_id, role, month_index""", params)
    left = con.sql(f"""{prefix}
    SELECT (SELECT count(*) FROM lines WHERE cost IS NULL AND project_id IN (SELECT project_id FROM cand)),
           (SELECT count(DISTINCT resource_id) FROM future WHERE NOT known AND in_scope),
           (SELECT coalesce(sum(planned), 0) FROM future WHERE NOT known AND in_scope)""",
                   params=params).fetchall()[0]
    return candidates, cost, demand, left


def inputs(con, as_of=None, horizon: int = HORIZON, portfolio=None, program=None, department=None,
           project_ids=None, capacity_by: tuple[str, ...] = ("role",)) -> dict[str, pd.DataFrame]:
    """The frames the optimiser needs for the months after the snapshot (module docstring):
    candidates (project_id, name, status, value, current), cost (project_id, month_index, month, cost),
    budget (month_index, month, limit), demand (project_id, role, month_index, month, hours) and
    capacity (role, month_index, month, hours, gross, held). Months: 0 = the first after as_of.
    capacity_by=("role", "team") also limits each team's hours a month (rows "team: <name>"): the
    resources dashboard shows load by team, and a plan that fits every role can still overload one."""
    filters = {"portfolio": portfolio, "program": program, "department": department, "project_ids": project_ids}
    return _inputs(con, as_of, horizon, filters, tuple(capacity_by))


def _inputs(con, as_of, horizon, filters: dict, capacity_by: tuple[str, ...] = ("role",)) -> dict[str, pd.DataFrame]:
    if not capacity_by or any(g not in GROUPS for g in capacity_by):
        raise UsageError(f"capacity_by must name some of {', '.join(GROUPS)}; got {capacity_by!r}")
    scope, prefix, params = _context(con, as_of, horizon, filters, capacity_by[0])
    candidates, cost, demand, (unpriced, people, hours) = _project_frames(con, prefix, params)
    months = _months(con, prefix, params)
    roles = _role_months(con, prefix, params)
    for group in capacity_by[1:]:  # the same hours again, held by another grouping of the same people
        _, other, _ = _context(con, as_of, horizon, filters, group)
        demand = pd.concat([demand, _project_frames(con, other, params)[2]], ignore_index=True)
        roles = pd.concat([roles, _role_months(con, other, params)], ignore_index=True)
    capacity = roles[roles["gross"].notna()].rename(columns={"capacity": "hours"})
    cost.attrs["unpriced_lines"] = int(unpriced)
    demand.attrs.update(no_capacity=int(people), no_capacity_hours=float(hours))
    for frame in (candidates, cost, demand):
        frame.attrs["as_of"] = scope.as_of
    return {"candidates": candidates, "cost": cost,
            "budget": months[["month_index", "month", "limit"]].reset_index(drop=True), "demand": demand,
            "capacity": capacity[["role", "month_index", "month", "hours", "gross", "held"]].reset_index(drop=True)}


def _reach(data: dict, horizon: int) -> int:
    """The months the problem plans: up to the last month any export reaches, within the horizon."""
    seen = [data[k]["month_index"].max() for k in ("cost", "budget", "demand", "capacity") if len(data[k])]
    return min(horizon, int(max(seen)) + 1) if seen else horizon


def limits(budget_limit, default: pd.DataFrame, months: int) -> np.ndarray:
    """The monthly budget limits as a length-`months` array (NaN = no limit): None -> `default`
    (month_index, limit), a number -> every month, a frame month_index/limit -> those months."""
    if budget_limit is None:
        budget_limit = default
    if not isinstance(budget_limit, pd.DataFrame):
        try:
            value = float(budget_limit)
        except (TypeError, ValueError):
            value = np.nan
        if not np.isfinite(value) or value < 0:
            raise UsageError(f"budget_limit must be a number >= 0 or a frame month_index/limit; got {budget_limit!r}")
        return np.full(months, value)
    missing = [c for c in ("month_index", "limit") if c not in budget_limit.columns]
    if missing:
        raise UsageError(f"budget_limit: the column(s) {missing} are missing (month_index, limit)")
    m = pd.to_numeric(budget_limit["month_index"], errors="coerce")
    value = pd.to_numeric(budget_limit["limit"], errors="coerce")
    if m.isna().any() or (m != m.round()).any() or (m < 0).any() or m.duplicated().any():
        raise UsageError("budget_limit: month_index must be whole numbers >= 0, each month once")
    if (value < 0).any():
        raise UsageError("budget_limit: a monthly limit is negative")
    out = np.full(months, np.nan)
    inside = (m < months).to_numpy()
    out[m[inside].astype(int).to_numpy()] = value[inside].to_numpy(float)
    return out


def problem(con, as_of=None, budget_limit=None, candidates: pd.DataFrame | None = None, shift_window: int = 0,
            change_penalty: float = 0.0, horizon: int = HORIZON, capacity_by: tuple[str, ...] = ("role",),
            **filters) -> SnapshotProblem:
    """The optimiser's Problem for the snapshot (module docstring). budget_limit: None (the approved
    budget per month), a number (every month) or a frame month_index/limit. capacity_by: as in inputs().
    candidates: a frame from
    read_candidates (or by hand, same columns) overriding values and adding must, must_not, shift
    windows, exclusive groups and dependencies. A candidate with no value is a UsageError."""
    data = _inputs(con, as_of, horizon, filters, tuple(capacity_by))
    found = data["candidates"]
    as_of = found.attrs["as_of"]
    if found.empty:
        raise UsageError(f"no project to arbitrate: none is planned, active or on hold with cost or hours in the "
                         f"{horizon} months after {as_of:%Y-%m}")
    known = None if candidates is None else _snapshot_ids(con, as_of)
    merged = candidates_file.merge(found, candidates, known, horizon=horizon, as_of=as_of)
    months = _reach(data, horizon)
    demand = data["demand"][["project_id", "role", "month_index", "hours"]]
    return SnapshotProblem(
        candidates=_no_earlier_than_next_month(merged.frame, data, shift_window),
        cost=data["cost"][["project_id", "month_index", "cost"]],
        demand=demand, budget=limits(budget_limit, data["budget"], months),
        capacity=data["capacity"][["role", "month_index", "hours"]], exclusions=merged.exclusions,
        dependencies=merged.dependencies, change_penalty=change_penalty, shift_window=shift_window,
        months=months, as_of=as_of, first_month=_first_month(as_of))


def _no_earlier_than_next_month(frame: pd.DataFrame, data: dict, window: int) -> pd.DataFrame:
    """Caps each project's earliest shift so its first future line or planned week (even one of zero
    cost, which the optimiser would not count) stays after the snapshot month: a scenario can only
    bring forward what has not happened (scenarios/projects.py refuses the rest)."""
    first = pd.concat([data["cost"][["project_id", "month_index"]],
                       data["demand"][["project_id", "month_index"]]]).groupby("project_id")["month_index"].min()
    earliest = pd.to_numeric(frame["earliest_shift"], errors="coerce").fillna(-window)
    cap = -frame["project_id"].map(first).fillna(0).astype(int)
    return frame.assign(earliest_shift=np.minimum(0, np.maximum(earliest, cap)).astype(int))


def _first_month(as_of: dt.date) -> dt.date:
    return dt.date(as_of.year + as_of.month // 12, as_of.month % 12 + 1, 1)


def _snapshot_ids(con, as_of) -> set:
    rows = con.sql("SELECT project_id FROM projects WHERE as_of = ?", params=[as_of]).fetchall()
    return {r[0] for r in rows}


def fit(con, as_of=None, budget_limit=None, horizon: int = HORIZON, **filters) -> dict[str, pd.DataFrame]:
    """Does the plan fit, month by month, in two queries (a dashboard redraws it on every toggle):
    budget: month_index, month, cost (every candidate), limit, over (cost - limit where positive, else 0;
    missing without a limit); roles: role, month_index, month, demand, capacity (missing after the
    export's last week), utilisation (demand / capacity), over. budget_limit as in `problem`; on a
    scenario whose changes take projects out, pass the base snapshot's limits (inputs(...)["budget"])
    so the approved budget stays what it was."""
    _, prefix, params = _context(con, as_of, horizon, filters)
    months = _months(con, prefix, params)
    limit = limits(budget_limit, months, int(months["month_index"].max()) + 1 if len(months) else 0)
    budget = months.assign(limit=limit[months["month_index"].to_numpy(int)] if len(months) else np.nan)
    budget["over"] = (budget["cost"] - budget["limit"]).clip(lower=0)
    roles = _role_months(con, prefix, params)
    roles["utilisation"] = roles["demand"] / roles["capacity"].where(roles["capacity"] > 0)
    roles["over"] = (roles["demand"] - roles["capacity"]).clip(lower=0)
    return {"budget": budget[["month_index", "month", "cost", "limit", "over"]],
            "roles": roles[["role", "month_index", "month", "demand", "capacity", "utilisation", "over"]]}
