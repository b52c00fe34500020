"""The SQL behind improvement.kpis: one CTE chain per group of tables, every snapshot up to as_of at once.

Each group's chain ends in a CTE `{group}_wide` (as_of, one column per KPI) and reads every table with a
constant `as_of <= snapshot`, so DuckDB skips row groups by zone map. The chains need a CTE `snaps`
(as_of, prev_as_of, ref_as_of) of the snapshots up to as_of; see improvement.kpis.
"""
from __future__ import annotations

from pmo_analytics.definitions import ACTIVE, STATE
from pmo_analytics.metrics.scope import Scope

# Every KPI the code computes, grouped by the tables one part of the query reads.
GROUPS = {
    "budget": ("within_budget_share", "cpi_median", "spi_median", "cpi_below_0_9_share",
               "forecast_accuracy"),
    "milestones": ("milestone_on_time_rate",),
    "risks": ("risk_closure_rate", "mean_risk_age_days"),
    "resources": ("over_allocated_resources",),
    "loads": ("data_quality_score",),
}

# within_budget_share: a forecast within this many % of budget counts as on budget.
BUDGET_TOLERANCE_PCT = 5.0
# cpi_below_0_9_share's threshold.
CPI_FLOOR = 0.9


def evm_status_ctes() -> str:
    """CTEs `ev` and `evm`: each project's status-month EVM at each snapshot, from the project_status
    summary (see summaries.py).

    Needs a CTE `p(as_of, project_id, bac, ...)` of the projects wanted. The definitions are
    earned_value.evm's status row: PV / AC = budget / consumed of every period up to the status month,
    EV = the last reported percent_complete up to then (0 before the first) x BAC / 100, CPI = EV / AC,
    SPI = EV / PV, EAC = BAC / CPI; a project has a status row only when its first budget period is
    not after the status month. budget_variance's totals over all periods come along (budget,
    forecast, consumed, variance_pct). Shared with changes.py.
    """
    return """
    ev AS (
        SELECT p.*, s.budget, s.forecast, s.consumed,
               s.pv, s.ac,  -- both NULL when no budget period is up to the status month: no status row
               CASE WHEN s.pv IS NOT NULL THEN coalesce(s.percent_complete, 0) * p.bac / 100 END AS ev
        FROM p
        LEFT JOIN project_status s ON s.as_of = p.as_of AND s.project_id = p.project_id
    ),
    evm AS (
        SELECT *, ev / NULLIF(ac, 0) AS cpi, ev / NULLIF(pv, 0) AS spi,
               bac / NULLIF(ev / NULLIF(ac, 0), 0) AS eac,
               (forecast - budget) / NULLIF(budget, 0) * 100 AS variance_pct
        FROM ev
    )"""


def _budget(scope: Scope) -> tuple[str, list]:
    """Budget and EVM KPIs of the active projects, and forecast accuracy at closure."""
    pcond, pparams = scope.projects("p")
    sql = f"""
    p AS (
        SELECT p.as_of, p.project_id, p.status, p.bac FROM projects p
        WHERE p.as_of <= ? AND {pcond}
    ),
    {evm_status_ctes().strip()},
    budget_kpis AS (
        SELECT as_of,
               100.0 * count(*) FILTER (WHERE abs(variance_pct) <= {BUDGET_TOLERANCE_PCT} + 1e-9)
                   / NULLIF(count(variance_pct), 0) AS within_budget_share,
               median(cpi) AS cpi_median,
               median(spi) AS spi_median,
               100.0 * count(*) FILTER (WHERE cpi < {CPI_FLOOR}) / NULLIF(count(cpi), 0)
                   AS cpi_below_0_9_share
        FROM evm WHERE status = 'active'
        GROUP BY as_of
    ),
    closed_now AS (  -- projects closed at a snapshot that were not closed at the one before
        SELECT e.as_of, e.project_id, s.ref_as_of, e.consumed AS actual
        FROM evm e
        JOIN snaps s ON s.as_of = e.as_of
        LEFT JOIN projects q ON q.as_of = s.prev_as_of AND q.project_id = e.project_id
        WHERE e.status = 'closed' AND s.prev_as_of IS NOT NULL AND s.ref_as_of IS NOT NULL
          AND q.status IS DISTINCT FROM 'closed'
    ),
    accuracy AS (
        SELECT n.as_of, 100 * (1 - abs(r.forecast - n.actual) / NULLIF(n.actual, 0)) AS acc
        FROM closed_now n
        JOIN evm r ON r.as_of = n.ref_as_of AND r.project_id = n.project_id
    ),
    budget_wide AS (
        SELECT s.as_of, k.within_budget_share, k.cpi_median, k.spi_median, k.cpi_below_0_9_share,
               a.forecast_accuracy
        FROM snaps s
        LEFT JOIN budget_kpis k ON k.as_of = s.as_of
        LEFT JOIN (SELECT as_of, avg(CASE WHEN acc < 0 THEN 0 ELSE acc END) AS forecast_accuracy
                   FROM accuracy GROUP BY as_of) a ON a.as_of = s.as_of
    )"""
    return sql, [scope.as_of, *pparams]


def _milestones(scope: Scope) -> tuple[str, list]:
    """The share of achieved milestones achieved on time."""
    pcond, pparams = scope.projects("p")
    sql = f"""
    milestones_wide AS (
        SELECT as_of,
               100.0 * count(*) FILTER (WHERE state = 'achieved_on_time')
                   / NULLIF(count(*) FILTER (WHERE state LIKE 'achieved%'), 0) AS milestone_on_time_rate
        FROM (
            SELECT m.as_of, {STATE} AS state
            FROM milestones m
            JOIN projects p ON p.as_of = m.as_of AND p.project_id = m.project_id
            WHERE m.as_of <= ? AND {pcond}
        )
        GROUP BY as_of
    )"""
    return sql, [scope.as_of, *pparams]


def _risks(scope: Scope) -> tuple[str, list]:
    """Risk closure since the previous snapshot, and the mean age of active risks."""
    pcond, pparams = scope.projects("p")
    sql = f"""
    active_risks AS (  -- active risks of the filtered projects at each snapshot
        SELECT r.as_of, r.risk_id, r.raised_date
        FROM risks r
        JOIN projects p ON p.as_of = r.as_of AND p.project_id = r.project_id
        WHERE r.as_of <= ? AND {ACTIVE} AND {pcond}
    ),
    closure AS (  -- of the risks active at the previous snapshot, those now closed or occurred
        SELECT s.as_of,
               100.0 * count(*) FILTER (WHERE q.status IN ('closed', 'occurred'))
                   / NULLIF(count(*), 0) AS risk_closure_rate
        FROM snaps s
        JOIN active_risks a ON a.as_of = s.prev_as_of
        LEFT JOIN risks q ON q.as_of = s.as_of AND q.risk_id = a.risk_id AND q.as_of <= ?
        GROUP BY s.as_of
    ),
    risks_wide AS (
        SELECT s.as_of, c.risk_closure_rate, g.mean_risk_age_days
        FROM snaps s
        LEFT JOIN closure c ON c.as_of = s.as_of
        LEFT JOIN (SELECT as_of, avg(date_diff('day', raised_date, as_of)) AS mean_risk_age_days
                   FROM active_risks GROUP BY as_of) g ON g.as_of = s.as_of
    )"""
    return sql, [scope.as_of, *pparams, scope.as_of]


def _resources(scope: Scope) -> tuple[str, list]:
    """People over capacity in some week of the snapshot's month, from the resource_month summary
    (summaries.py): as resource_load, a person's load counts every project; project filters choose the
    people (those with hours on the filtered projects in the month). Snapshots without allocations in
    their month have no value."""
    pcond, pparams = scope.projects("p")
    if scope.filters_projects:
        people = f"""(
            SELECT DISTINCT m.as_of, m.resource_id, m.peak_planned, m.capacity
            FROM (SELECT as_of, resource_id, peak_planned, capacity, unnest(projects) AS project_id
                  FROM resource_month WHERE as_of <= ?) m
            JOIN projects p ON p.as_of = m.as_of AND p.project_id = m.project_id
            WHERE {pcond}
        )"""
    else:
        people = "(SELECT * FROM resource_month WHERE as_of <= ?)"
    sql = f"""
    resources_wide AS (
        SELECT as_of, count(*) FILTER (WHERE peak_planned > capacity) AS over_allocated_resources
        FROM {people}
        GROUP BY as_of
    )"""
    return sql, [scope.as_of, *pparams]


def _loads(scope: Scope) -> tuple[str, list]:
    """The data-quality score of each load (the whole load's: project filters do not apply)."""
    sql = """
    loads_wide AS (
        SELECT l.as_of, l.quality_score AS data_quality_score
        FROM loads l WHERE l.as_of <= ?
    )"""
    return sql, [scope.as_of]


_QUERIES = {"budget": _budget, "milestones": _milestones, "risks": _risks, "resources": _resources,
            "loads": _loads}


def group_ctes(group: str, scope: Scope) -> tuple[str, list]:
    """(CTE text producing wide per-snapshot values `{group}_wide`, its parameters) for one KPI group."""
    return _QUERIES[group](scope)
