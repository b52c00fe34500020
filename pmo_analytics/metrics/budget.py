"""Budget metrics: approved budget against forecast, commitments and actual spend.

Vocabulary (the workbench convention, DESIGN.md): **budget** is the approved budget, **forecast** the
expected final spend, **committed** the open orders placed but not yet paid (it EXCLUDES what is already
consumed: an order moves from committed to consumed when it is paid) and **consumed** the actual spend.
So what is still free to spend is `uncommitted = budget - committed - consumed`.

Every function reads one snapshot (`as_of`, default the latest loaded) and sums budget_lines over all the
snapshot's periods unless period_from / period_to narrow them.

Project status changes what the money means (issue 13, one rule for every rollup and the headline):
  * closed: the project has finished, so its forecast IS its spend: forecast = consumed (whatever its
    budget lines still forecast), and its variance is consumed - budget.
  * cancelled: it will not spend its budget, so it has no variance. It is left out of every money total
    of a rollup (program, portfolio, department) and of metrics.portfolio.headline (bac, budget,
    forecast, committed, consumed, remaining, uncommitted, variance, burn rate) and shown apart: the
    rollup's `cancelled` (how many) and `released_budget` = sum of max(budget - consumed, 0) over them
    (the approved budget they hand back; what they spent is sunk, never a negative release).
  * over budget: a project that can still change its outcome (planned, active or on hold: any status
    but closed and cancelled) whose forecast exceeds its budget. A closed project that finished above
    its budget is `closed_over_budget` instead: a fact to learn from, not an overrun to manage.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from pmo_analytics.metrics.scope import Scope
from pmo_analytics.store import connection as db

# Descriptive project columns carried by project rows (fixed text, never user input).
PROJECT_COLUMNS = ("name", "portfolio", "program", "department", "status", "rag", "currency")

# Group columns per `by` choice, over the per-project rows (fixed text, never user input).
GROUPS = {
    "project": ("project_id", *PROJECT_COLUMNS),
    "program": ("program",),
    "portfolio": ("portfolio",),
    "department": ("department",),
}
BY = tuple(GROUPS)

# Months the burn rate averages over (the as_of month and the two before it).
BURN_MONTHS = 3

# A closed project's forecast is what it spent (fixed text over the given column expressions).
CLOSED_FORECAST = "CASE WHEN {status} = 'closed' THEN {consumed} ELSE {forecast} END"

# The per-project money columns budget_variance rolls up (with the flags its rules need).
_PROJECT_MONEY = ("bac", "budget", "forecast", "committed", "consumed", "burn_rate", "cancelled",
                  "released_budget")


def _scope(con, metric, by, **filters) -> Scope:
    """The scope of a budget metric: every filter, and `by` one of BY."""
    return Scope.of(con, metric, by=by, groups=GROUPS, **filters)


def _group_select(scope: Scope) -> tuple[str, str]:
    """(columns to select, columns to group by) for the scope's rollup level."""
    group = scope.group
    if scope.by == "project":
        return group.select, group.group_by
    # Rollups: one currency is expected per portfolio; a mix shows as e.g. 'EUR,GBP'.
    rollup = (f"{group.select}, count(DISTINCT project_id) AS n_projects, "
              "string_agg(DISTINCT currency, ',' ORDER BY currency) AS currency")
    return rollup, group.group_by


def budget_variance(con, by: str = "project", as_of=None, portfolio=None, program=None,
                    department=None, project_ids=None, period_from=None,
                    period_to=None) -> pd.DataFrame:
    """Budget, forecast, committed, consumed and what is left, per project or rolled up.

    One row per project / program / portfolio / department of the snapshot. Money columns sum
    budget_lines over every period of the snapshot (or only [period_from, period_to]); bac sums
    projects.bac. A closed project's forecast is its consumed (see the module docstring).
    remaining = budget - consumed; uncommitted = budget - committed - consumed (committed EXCLUDES
    consumed: open orders not yet paid); variance = forecast - budget (positive = overspend expected);
    variance_pct = variance / budget * 100. burn_rate = mean monthly consumed over the 3 months ending
    with the as_of month (a project that started less than 3 months ago is averaged over the months it
    has run; rollups add their projects' burn rates); months_left = remaining / burn_rate (negative once
    consumed exceeds budget, missing when nothing is being burnt). Missing stays missing: a project
    without budget lines (or a column its export leaves blank) shows NaN, not zero.

    Project rows: over_budget = not closed or cancelled and forecast > budget; closed_over_budget =
    closed and consumed > budget; a cancelled project keeps its money columns as exported but has no
    variance (variance, variance_pct missing; over_budget False) and released_budget =
    max(budget - consumed, 0) (0 on every other project). Rollup rows: every money column is over the
    projects that are not cancelled; n_projects counts all the group's projects, cancelled those
    cancelled, released_budget sums theirs; over_budget = the rollup's forecast > its budget.
    """
    scope = _scope(con, "budget_variance", by, as_of=as_of, portfolio=portfolio, program=program,
                   department=department, project_ids=project_ids, period_from=period_from,
                   period_to=period_to)
    pcond, pparams = scope.projects("p")
    bcond, bparams = scope.periods("b.period")
    select_keys, group_keys = _group_select(scope)
    if scope.by == "project":
        grouped = f"SELECT {select_keys}, {', '.join(_PROJECT_MONEY)} FROM per_project"
        tail = f"""CASE WHEN cancelled THEN NULL ELSE forecast - budget END AS variance,
           CASE WHEN cancelled THEN NULL ELSE (forecast - budget) / NULLIF(budget, 0) * 100 END
               AS variance_pct,
           burn_rate,
           (budget - consumed) / NULLIF(burn_rate, 0) AS months_left,
           coalesce(status NOT IN ('closed', 'cancelled'), TRUE) AND coalesce(forecast > budget, FALSE)
               AS over_budget,
           coalesce(status = 'closed' AND consumed > budget, FALSE) AS closed_over_budget,
           released_budget"""
    else:
        live = " FILTER (WHERE NOT cancelled)"
        sums = ", ".join(f"sum({c}){live} AS {c}" for c in
                         ("bac", "budget", "forecast", "committed", "consumed", "burn_rate"))
        grouped = f"""SELECT {select_keys}, {sums},
               count(*) FILTER (WHERE cancelled) AS cancelled,
               coalesce(sum(released_budget), 0) AS released_budget
        FROM per_project
        GROUP BY {group_keys}"""
        tail = """forecast - budget AS variance,
           (forecast - budget) / NULLIF(budget, 0) * 100 AS variance_pct,
           burn_rate,
           (budget - consumed) / NULLIF(burn_rate, 0) AS months_left,
           coalesce(forecast > budget, FALSE) AS over_budget,
           cancelled, released_budget"""
    exclude = "burn_rate, released_budget, cancelled"
    q = f"""
    WITH s AS (
        SELECT CAST(? AS DATE) AS as_of,
               CAST(date_trunc('month', CAST(? AS DATE)) AS DATE) AS status_month
    ),
    p AS (
        SELECT p.* FROM projects p, s WHERE p.as_of = s.as_of AND {pcond}
    ),
    lines AS (  -- money per project over the selected periods
        SELECT b.project_id, sum(b.budget) AS budget, sum(b.forecast) AS forecast,
               sum(b.committed) AS committed, sum(b.consumed) AS consumed
        FROM budget_lines b, s
        WHERE b.as_of = s.as_of AND b.project_id IN (SELECT project_id FROM p) AND {bcond}
        GROUP BY b.project_id
    ),
    burn AS (  -- mean monthly consumed over the last 3 months the project has run, up to as_of
        SELECT b.project_id,
               coalesce(sum(b.consumed) FILTER (
                   WHERE b.period > s.status_month - to_months({BURN_MONTHS})
                     AND b.period <= s.status_month), 0)
               / greatest(1, least({BURN_MONTHS},
                                   datediff('month', min(b.period), s.status_month) + 1)) AS burn_rate
        FROM budget_lines b, s
        WHERE b.as_of = s.as_of AND b.project_id IN (SELECT project_id FROM p)
        GROUP BY b.project_id, s.status_month
    ),
    per_project AS (
        SELECT p.project_id, {", ".join("p." + c for c in PROJECT_COLUMNS)}, p.bac,
               l.budget,
               {CLOSED_FORECAST.format(status="p.status", forecast="l.forecast", consumed="l.consumed")}
                   AS forecast,
               l.committed, l.consumed, bu.burn_rate,
               coalesce(p.status = 'cancelled', FALSE) AS cancelled,
               CASE WHEN p.status IS DISTINCT FROM 'cancelled' THEN 0
                    WHEN l.budget - l.consumed IS NOT NULL THEN greatest(l.budget - l.consumed, 0)
               END AS released_budget
        FROM p
        LEFT JOIN lines l ON l.project_id = p.project_id
        LEFT JOIN burn bu ON bu.project_id = p.project_id
    ),
    grouped AS (
        {grouped}
    )
    SELECT * EXCLUDE ({exclude}),
           budget - consumed AS remaining,
           budget - committed - consumed AS uncommitted,
           {tail}
    FROM grouped
    ORDER BY {scope.group.key} NULLS LAST
    """
    return db.frame(con, q, [scope.as_of, scope.as_of, *pparams, *bparams])


def budget_by_category(con, by: str = "project", as_of=None, portfolio=None, program=None,
                       department=None, project_ids=None, period_from=None,
                       period_to=None) -> pd.DataFrame:
    """The budget_variance money columns split by cost category, per project or rolled up.

    One row per group and category present in budget_lines. Same definitions as budget_variance
    (committed excludes consumed); budget_share_pct = the category's share of the group's budget, in %.
    No bac (it is not split by category) and no burn rate.
    """
    scope = _scope(con, "budget_by_category", by, as_of=as_of, portfolio=portfolio, program=program,
                   department=department, project_ids=project_ids, period_from=period_from,
                   period_to=period_to)
    pcond, pparams = scope.projects("p")
    bcond, bparams = scope.periods("b.period")
    select_keys, group_keys = _group_select(scope)
    key = scope.group.key
    q = f"""
    WITH p AS (
        SELECT p.* FROM projects p WHERE p.as_of = CAST(? AS DATE) AND {pcond}
    ),
    grouped AS (
        SELECT {select_keys}, category, sum(budget) AS budget, sum(forecast) AS forecast,
               sum(committed) AS committed, sum(consumed) AS consumed
        FROM (
            SELECT p.*, b.category, b.budget, b.forecast, b.committed, b.consumed
            FROM budget_lines b JOIN p ON p.project_id = b.project_id AND p.as_of = b.as_of
            WHERE {bcond}
        )
        GROUP BY {group_keys}, category
    )
    SELECT *,
           budget - consumed AS remaining,
           budget - committed - consumed AS uncommitted,
           forecast - budget AS variance,
           (forecast - budget) / NULLIF(budget, 0) * 100 AS variance_pct,
           coalesce(forecast > budget, FALSE) AS over_budget,
           budget / NULLIF(sum(budget) OVER (PARTITION BY {key}), 0) * 100 AS budget_share_pct
    FROM grouped
    ORDER BY {key} NULLS LAST, category
    """
    return db.frame(con, q, [scope.as_of, *pparams, *bparams])


def budget_curve(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
                 period_from=None, period_to=None, by_project: bool | None = None) -> pd.DataFrame:
    """Budget, forecast, committed and consumed per month with running totals, for S-curves.

    Per project and period when `by_project` is true (default: when project_ids names exactly one
    project), otherwise rolled up over every filtered project. cum_budget / cum_forecast /
    cum_consumed are running totals from the first period of the snapshot, so a period_from/period_to
    window shows the true cumulative position, not one restarted at period_from. Periods are those
    present in budget_lines (first of month).
    """
    scope = Scope.of(con, "budget_curve", as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    if by_project is None:
        if project_ids is None:
            by_project = False
        elif isinstance(project_ids, str) or not isinstance(project_ids, Iterable):
            by_project = True
        else:
            by_project = len({str(i) for i in project_ids}) == 1
    pcond, pparams = scope.projects("p")
    wcond, wparams = scope.periods("period")
    key = "project_id, " if by_project else ""
    partition = "PARTITION BY project_id" if by_project else ""
    q = f"""
    WITH p AS (
        SELECT p.project_id FROM projects p WHERE p.as_of = CAST(? AS DATE) AND {pcond}
    ),
    per_period AS (
        SELECT {key} b.period, sum(b.budget) AS budget, sum(b.forecast) AS forecast,
               sum(b.committed) AS committed, sum(b.consumed) AS consumed
        FROM budget_lines b
        WHERE b.as_of = CAST(? AS DATE) AND b.project_id IN (SELECT project_id FROM p)
        GROUP BY {key} b.period
    ),
    running AS (
        SELECT *,
               sum(budget) OVER w AS cum_budget,
               sum(forecast) OVER w AS cum_forecast,
               sum(consumed) OVER w AS cum_consumed
        FROM per_period
        WINDOW w AS ({partition} ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    )
    SELECT * FROM running WHERE {wcond} ORDER BY {key} period
    """
    return db.frame(con, q, [scope.as_of, *pparams, scope.as_of, *wparams])
