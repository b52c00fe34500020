"""The SQL behind improvement.kpis: one CTE chain per group of tables, every snapshot up to as_of at once.

Each group's chain ends in a CTE `{group}_wide` (as_of, and per KPI three columns: the value `{kpi}`,
`{kpi}__n` how many it was measured over and `{kpi}__missing` how many lacked the inputs) and reads
every table with a constant `as_of <= snapshot`, so DuckDB skips row groups by zone map. The chains
need a CTE `snaps` (as_of, prev_as_of, ref_as_of) of the snapshots up to as_of; see improvement.kpis.

Missing inputs are never zeros (issue 13): a project without a progress report up to the status month
has no EV, so no CPI and no SPI(t); it is left out of the medians and counted in n_missing.

Grouped (`by`, a column of projects such as "portfolio"): every chain also carries the project's group
at each snapshot as `grp` and aggregates per (as_of, grp), so one query gives every group's KPIs, each
as the query filtered to that group would (the projects a group holds at a snapshot are those the
filter selects there). The chains then also need a CTE `grps(grp)` of the groups wanted.
"""
from __future__ import annotations

from pmo_analytics.definitions import ACTIVE, STATE
from pmo_analytics.metrics.scope import Scope
from pmo_analytics.snapshots.summaries import evm_status_ctes

__all__ = ["GROUPS", "evm_status_ctes", "group_ctes", "schedule_cte"]

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


def schedule_cte(compare: str) -> str:
    """CTE `schedule(as_of, project_id, es, at, spi_t)`: Earned Schedule and SPI(t) = ES / AT of the
    active projects, computed when each snapshot was published (summaries.project_schedule), for the
    snapshots whose as_of `compare`s ("=" or "<=") the parameter."""
    return f"""
    schedule AS (
        SELECT as_of, project_id, es, "at", es / NULLIF("at", 0) AS spi_t FROM project_schedule
        WHERE as_of {compare} ?
    )"""


def _counts(kpi: str, measured: str, population: str = "count(*)") -> str:
    """The `{kpi}__n` (items measured) and `{kpi}__missing` (items of the population without the
    inputs) columns of a KPI: `measured` counts the first, `population` all of them."""
    return f"{measured} AS {kpi}__n, {population} - {measured} AS {kpi}__missing"


def _wide_counts(alias: str, kpis: tuple[str, ...]) -> str:
    """The count columns of `kpis` from the CTE aliased `alias`, 0 at a snapshot it has no row for."""
    return ", ".join(f"coalesce({alias}.{k}__n, 0) AS {k}__n, coalesce({alias}.{k}__missing, 0) AS {k}__missing"
                     for k in kpis)


def _grouped(by: str | None, alias: str) -> tuple[str, str, str]:
    """(", {alias}.grp", " AND {alias}.grp = gg.grp", " CROSS JOIN grps gg") when grouped, else empty text:
    the group column to carry, the join on it and the cross join giving every group each snapshot."""
    if by is None:
        return "", "", ""
    return f", {alias}.grp", f" AND {alias}.grp = gg.grp", " CROSS JOIN grps gg"


def _budget(scope: Scope, by: str | None = None) -> tuple[str, list]:
    """Budget and EVM KPIs of the active projects, and forecast accuracy at closure.

    Every active project is in the population of within_budget_share, cpi_median,
    cpi_below_0_9_share and spi_median; each is measured over those that have its inputs (a budget;
    a CPI, i.e. progress reported and something spent; an SPI(t)) and the rest are n_missing.
    forecast_accuracy's population is the projects closed at the snapshot (not at the one before),
    measured when the snapshot at least 3 months earlier has their forecast and they spent anything.
    """
    pcond, pparams = scope.projects("p")
    key = f", p.{by} AS grp" if by else ""
    e_grp, _, _ = _grouped(by, "e")
    n_grp, _, _ = _grouped(by, "n")
    _, k_on, every = _grouped(by, "k")
    _, a_on, _ = _grouped(by, "a")
    sql = f"""
    p AS (
        SELECT p.as_of, p.project_id, p.status, p.bac{key} FROM projects p
        WHERE p.as_of <= ? AND {pcond}
    ),
    {evm_status_ctes().strip()},
    {schedule_cte("<=").strip()},
    budget_kpis AS (
        SELECT e.as_of{e_grp},
               100.0 * count(*) FILTER (WHERE abs(e.variance_pct) <= {BUDGET_TOLERANCE_PCT} + 1e-9)
                   / NULLIF(count(e.variance_pct), 0) AS within_budget_share,
               {_counts("within_budget_share", "count(e.variance_pct)")},
               median(e.cpi) AS cpi_median, {_counts("cpi_median", "count(e.cpi)")},
               median(t.spi_t) AS spi_median, {_counts("spi_median", "count(t.spi_t)")},
               100.0 * count(*) FILTER (WHERE e.cpi < {CPI_FLOOR}) / NULLIF(count(e.cpi), 0)
                   AS cpi_below_0_9_share, {_counts("cpi_below_0_9_share", "count(e.cpi)")}
        FROM evm e
        LEFT JOIN schedule t ON t.as_of = e.as_of AND t.project_id = e.project_id
        WHERE e.status = 'active'
        GROUP BY e.as_of{e_grp}
    ),
    closed_now AS (  -- projects closed at a snapshot that were not closed at the one before
        SELECT e.as_of, e.project_id, s.ref_as_of, e.consumed AS actual{e_grp}
        FROM evm e
        JOIN snaps s ON s.as_of = e.as_of
        LEFT JOIN projects q ON q.as_of = s.prev_as_of AND q.project_id = e.project_id
        WHERE e.status = 'closed' AND s.prev_as_of IS NOT NULL
          AND q.status IS DISTINCT FROM 'closed'
    ),
    accuracy AS (
        SELECT n.as_of{n_grp},
               100 * (1 - abs(r.forecast - n.actual) / NULLIF(n.actual, 0)) AS acc
        FROM closed_now n
        LEFT JOIN evm r ON r.as_of = n.ref_as_of AND r.project_id = n.project_id{" AND r.grp = n.grp" * bool(by)}
    ),
    budget_wide AS (
        SELECT s.as_of{", gg.grp" * bool(by)}, k.within_budget_share, k.cpi_median, k.spi_median,
               k.cpi_below_0_9_share, {_wide_counts("k", GROUPS["budget"][:-1])},
               a.forecast_accuracy, {_wide_counts("a", ("forecast_accuracy",))}
        FROM snaps s{every}
        LEFT JOIN budget_kpis k ON k.as_of = s.as_of{k_on}
        LEFT JOIN (SELECT as_of{", grp" * bool(by)}, avg(CASE WHEN acc < 0 THEN 0 ELSE acc END) AS forecast_accuracy,
                          {_counts("forecast_accuracy", "count(acc)")}
                   FROM accuracy GROUP BY ALL) a ON a.as_of = s.as_of{a_on}
    )"""
    return sql, [scope.as_of, *pparams, scope.as_of]


def _milestones(scope: Scope, by: str | None = None) -> tuple[str, list]:
    """The share of achieved milestones achieved on time."""
    pcond, pparams = scope.projects("p")
    grp = ", grp" * bool(by)
    sql = f"""
    milestones_wide AS (  -- measured over the achieved milestones (nothing can be missing: n_missing 0)
        SELECT as_of{grp},
               100.0 * count(*) FILTER (WHERE state = 'achieved_on_time')
                   / NULLIF(count(*) FILTER (WHERE state LIKE 'achieved%'), 0) AS milestone_on_time_rate,
               count(*) FILTER (WHERE state LIKE 'achieved%') AS milestone_on_time_rate__n,
               0 AS milestone_on_time_rate__missing
        FROM (
            SELECT m.as_of, {STATE} AS state{f", p.{by} AS grp" if by else ""}
            FROM milestones m
            JOIN projects p ON p.as_of = m.as_of AND p.project_id = m.project_id
            WHERE m.as_of <= ? AND {pcond}
        )
        GROUP BY as_of{grp}
    )"""
    return sql, [scope.as_of, *pparams]


def _risks(scope: Scope, by: str | None = None) -> tuple[str, list]:
    """Risk closure since the previous snapshot, and the mean age of active risks.

    Closure rate = of the risks active (open or mitigating) at the previous snapshot and still in the
    register, the share now closed: closed / (closed + occurred + still active). A risk that occurred
    is not a success of risk management: it stays in the denominator, not the numerator. Risks
    dropped from the register have no known outcome: they are not measured (n_missing).
    """
    pcond, pparams = scope.projects("p")
    a_grp, _, every = _grouped(by, "a")
    _, c_on, _ = _grouped(by, "c")
    _, g_on, _ = _grouped(by, "g")
    sql = f"""
    active_risks AS (  -- active risks of the filtered projects at each snapshot
        SELECT r.as_of, r.risk_id, r.raised_date{f", p.{by} AS grp" if by else ""}
        FROM risks r
        JOIN projects p ON p.as_of = r.as_of AND p.project_id = r.project_id
        WHERE r.as_of <= ? AND {ACTIVE} AND {pcond}
    ),
    closure AS (  -- of the risks active at the previous snapshot and still registered, those now closed
        SELECT s.as_of{a_grp},
               100.0 * count(*) FILTER (WHERE q.status = 'closed')
                   / NULLIF(count(q.risk_id), 0) AS risk_closure_rate,
               {_counts("risk_closure_rate", "count(q.risk_id)")}
        FROM snaps s
        JOIN active_risks a ON a.as_of = s.prev_as_of
        LEFT JOIN risks q ON q.as_of = s.as_of AND q.risk_id = a.risk_id AND q.as_of <= ?
        GROUP BY s.as_of{a_grp}
    ),
    risks_wide AS (
        SELECT s.as_of{", gg.grp" * bool(by)}, c.risk_closure_rate, {_wide_counts("c", ("risk_closure_rate",))},
               g.mean_risk_age_days, {_wide_counts("g", ("mean_risk_age_days",))}
        FROM snaps s{every}
        LEFT JOIN closure c ON c.as_of = s.as_of{c_on}
        LEFT JOIN (SELECT as_of{", grp" * bool(by)}, avg(date_diff('day', raised_date, as_of)) AS mean_risk_age_days,
                          {_counts("mean_risk_age_days", "count(raised_date)")}
                   FROM active_risks GROUP BY ALL) g ON g.as_of = s.as_of{g_on}
    )"""
    return sql, [scope.as_of, *pparams, scope.as_of]


def _resources(scope: Scope, by: str | None = None) -> tuple[str, list]:
    """People over capacity in some week (Monday) of the snapshot's month, from the resource_month
    summary (summaries.py): as resource_load, a person's load counts every project; project filters
    choose the people (those with hours on the filtered projects in the month). The same people as
    metrics.portfolio.headline's over_allocated_people (over_allocations over the month). n: people
    allocated in the month with a known weekly capacity; n_missing: those without one. Snapshots
    without allocations in their month have no value."""
    pcond, pparams = scope.projects("p")
    grp = ", grp" * bool(by)
    if scope.filters_projects or by:
        people = f"""(
            SELECT DISTINCT m.as_of, m.resource_id, m.peak_planned, m.capacity{f", p.{by} AS grp" if by else ""}
            FROM (SELECT as_of, resource_id, peak_planned, capacity, unnest(projects) AS project_id
                  FROM resource_month WHERE as_of <= ?) m
            JOIN projects p ON p.as_of = m.as_of AND p.project_id = m.project_id
            WHERE {pcond}
        )"""
    else:
        people = "(SELECT * FROM resource_month WHERE as_of <= ?)"
    sql = f"""
    resources_wide AS (
        SELECT as_of{grp}, count(*) FILTER (WHERE peak_planned > capacity) AS over_allocated_resources,
               {_counts("over_allocated_resources", "count(capacity)")}
        FROM {people}
        GROUP BY as_of{grp}
    )"""
    return sql, [scope.as_of, *pparams]


def _loads(scope: Scope, by: str | None = None) -> tuple[str, list]:
    """The data-quality score of each load (the whole load's: project filters do not apply)."""
    _, _, every = _grouped(by, "l")
    sql = f"""
    loads_wide AS (
        SELECT l.as_of{", gg.grp" * bool(by)}, l.quality_score AS data_quality_score,
               CAST(l.quality_score IS NOT NULL AS INTEGER) AS data_quality_score__n,
               CAST(l.quality_score IS NULL AS INTEGER) AS data_quality_score__missing
        FROM loads l{every} WHERE l.as_of <= ?
    )"""
    return sql, [scope.as_of]


_QUERIES = {"budget": _budget, "milestones": _milestones, "risks": _risks, "resources": _resources,
            "loads": _loads}


def group_ctes(group: str, scope: Scope, by: str | None = None) -> tuple[str, list]:
    """(CTE text producing wide per-snapshot values `{group}_wide`, its parameters) for one KPI group;
    `by` (a projects column, checked by the caller) groups them (see the module docstring)."""
    return _QUERIES[group](scope, by)
