"""Per-snapshot summaries, computed once when a snapshot is published.

A snapshot never changes after it is published, so the per-project and per-person figures that the
history-wide metrics need at every snapshot (the KPIs over 36 months, month-over-month drift, the
milestone trend) are computed once at publish time instead of re-reading every budget line,
allocation and milestone of every month on each call. Each summary is a plain SQL statement over the
canonical tables, defined here next to the code that fills it; snapshots.py and history.py refresh
the months they write, in the same transaction; a database whose summaries are missing or of another
VERSION gets them all recomputed on its next publish, or by `pmo refresh`.
"""
from __future__ import annotations

from collections.abc import Iterable

from pmo_analytics.definitions import SLIP, STATE, previous_snapshots
from pmo_analytics.store import schema as store_schema

# Raise this whenever a summary's definition below changes: a database holding another version gets
# every summary recomputed on its next publish (or `pmo refresh`). 3: definitions.SLIP counts a milestone
# not achieved as at least as late as the status date (milestone_history's slip_days). 4: project_schedule.
VERSION = 4

# project_status: the status-month earned-value inputs of every project (see metrics.earned_value).
_PROJECT_STATUS = """
INSERT INTO {s}.project_status
WITH lines AS (
    SELECT b.as_of, b.project_id,
           sum(b.budget) AS budget, sum(b.forecast) AS forecast, sum(b.consumed) AS consumed,
           sum(coalesce(b.budget, 0)) FILTER (WHERE b.period <= b.as_of) AS pv,
           sum(coalesce(b.consumed, 0)) FILTER (WHERE b.period <= b.as_of) AS ac
    FROM {s}.budget_lines b
    WHERE b.as_of BETWEEN ? AND ? AND b.as_of IN (SELECT unnest(?::DATE[]))
    GROUP BY b.as_of, b.project_id
),
prog AS (
    SELECT g.as_of, g.project_id, arg_max(g.percent_complete, g.period) AS percent_complete
    FROM {s}.progress g
    WHERE g.as_of BETWEEN ? AND ? AND g.as_of IN (SELECT unnest(?::DATE[])) AND g.period <= g.as_of
    GROUP BY g.as_of, g.project_id
)
SELECT p.as_of, p.project_id, l.budget, l.forecast, l.consumed, l.pv, l.ac, g.percent_complete
FROM {s}.projects p
LEFT JOIN lines l ON l.as_of = p.as_of AND l.project_id = p.project_id
LEFT JOIN prog g ON g.as_of = p.as_of AND g.project_id = p.project_id
WHERE p.as_of BETWEEN ? AND ? AND p.as_of IN (SELECT unnest(?::DATE[]))
"""

# resource_month: each person's load in the snapshot month, as resource_load counts it: every project
# counts, and a month holds the weeks whose Monday falls in it. Weeks are Mondays once loaded, so a
# week's slot in its month is (day - 1) // 7, 0..4, and the busiest slot is the busiest week.
_SLOTS = ", ".join(f"sum(CASE WHEN slot = {i} THEN planned ELSE 0 END)" for i in range(5))
_RESOURCE_MONTH = f"""
INSERT INTO {{s}}.resource_month
WITH month_alloc AS (
    SELECT a.as_of, a.resource_id, a.project_id, (day(a.week) - 1) // 7 AS slot,
           coalesce(a.planned_hours, 0) AS planned,
           coalesce(a.planned_hours, 0) > 0 OR coalesce(a.actual_hours, 0) > 0 AS has_hours
    FROM {{s}}.allocations a
    WHERE a.as_of BETWEEN ? AND ? AND a.as_of IN (SELECT unnest(?::DATE[]))
      AND (a.as_of - a.week) BETWEEN 0 AND 30 AND month(a.week) = month(a.as_of)
)
SELECT m.as_of, m.resource_id, greatest({_SLOTS}) AS peak_planned,
       any_value(r.weekly_capacity_hours) AS capacity,
       coalesce(list_sort(list_distinct(list(m.project_id) FILTER (WHERE m.has_hours))), []) AS projects
FROM month_alloc m
LEFT JOIN {{s}}.resources r ON r.as_of = m.as_of AND r.resource_id = m.resource_id
GROUP BY m.as_of, m.resource_id
"""


# milestone_history: the milestone trend table, every milestone at every snapshot with what the trend
# would otherwise join on each call (the project then, the previous snapshot's forecast). A month's
# rows depend on the month before. The newest month, published after the others as a PMO does each
# month, is appended in the trend's order (project, milestone); any other publish rewrites the table
# whole in the trend's order (project, milestone, snapshot), computing again only the rows of the
# months published and of the snapshots after them (whose previous forecast may have changed) and
# copying the rest. The trend sorts the table on each call, which DuckDB does faster the more it is
# presorted: at 5,000 projects x 36 months, 81 ms sorted whole, 81 ms with the last 12 months
# appended, 100 ms with all 36 appended one by one; rewriting it took 0.3-0.5 s of every publish.
_MILESTONE_ROWS = f"""
SELECT m.as_of, m.project_id, m.milestone_id, p.name, p.portfolio, p.program, p.department,
       m.name, m.baseline_date, m.forecast_date, m.actual_date, {SLIP}, {STATE},
       date_diff('day', q.forecast_date, m.forecast_date)
FROM {{s}}.milestones m
JOIN snaps sn ON sn.as_of = m.as_of
LEFT JOIN {{s}}.milestones q
    ON q.as_of = sn.prev_as_of AND q.project_id = m.project_id AND q.milestone_id = m.milestone_id
LEFT JOIN {{s}}.projects p ON p.as_of = m.as_of AND p.project_id = m.project_id
"""
_MILESTONE_ORDER = "ORDER BY project_id, milestone_id, as_of"


def evm_status_ctes(schema: str = "") -> str:
    """CTEs `ev` and `evm`: each project's status-month EVM at each snapshot, from the project_status
    summary (`schema`: the catalog holding it, e.g. "pub" while publishing; the default one otherwise).

    Needs a CTE `p(as_of, project_id, bac, ...)` of the projects wanted. The definitions are
    earned_value.evm's status row: PV / AC = budget / consumed of every period up to the status month,
    EV = the last reported percent_complete up to then x BAC / 100, missing when no progress was
    reported up to then (project_status.percent_complete IS NULL: not 0% complete), CPI = EV / AC,
    SPI = EV / PV, EAC = BAC / CPI; a project has a status row only when its first budget period is
    not after the status month. budget_variance's totals over all periods come along (budget,
    forecast, consumed, variance_pct). Shared with changes.py (its eac was missing without progress
    before too: BAC / 0).
    """
    t = f"{schema}." if schema else ""
    return f"""
    ev AS (
        SELECT p.*, s.budget, s.forecast, s.consumed,
               s.pv, s.ac,  -- both NULL when no budget period is up to the status month: no status row
               CASE WHEN s.pv IS NOT NULL THEN s.percent_complete * p.bac / 100 END AS ev
        FROM p
        LEFT JOIN {t}project_status s ON s.as_of = p.as_of AND s.project_id = p.project_id
    ),
    evm AS (
        SELECT *, ev / NULLIF(ac, 0) AS cpi, ev / NULLIF(pv, 0) AS spi,
               bac / NULLIF(ev / NULLIF(ac, 0), 0) AS eac,
               (forecast - budget) / NULLIF(budget, 0) * 100 AS variance_pct
        FROM ev
    )"""


def _schedule_ctes(schema: str) -> str:
    """CTEs ending in `schedule(as_of, project_id, es, at)`: Earned Schedule (Lipke) at the status
    month of each snapshot, for the active projects of `evm` with an EV.

    As earned_value.evm: periods are months from the project's first budget period (period 1); PV(t)
    is the cumulative budget (all categories); PD = the first period whose PV reaches BAC (else the
    last period with budget); ES = C + (EV - PV(C)) / (PV(C+1) - PV(C)) with C the last period whose
    PV(C) <= EV, ES = PD once EV >= BAC; AT = the status month's period index; SPI(t) = ES / AT. A
    project that reported 100% has finished: AT stops at the period of its first 100% report and ES
    is PD. It reads the snapshots' budget lines of those projects only. Parameters: the newest
    snapshot wanted, twice. Filled into project_schedule at publish time (kpis reads it from there).
    """
    t = f"{schema}." if schema else ""
    return f"""
    es_lines AS (  -- the PV curve's months: the active projects with an EV, all categories together
        SELECT b.as_of, b.project_id, CAST(date_trunc('month', b.period) AS DATE) AS period,
               sum(coalesce(b.budget, 0)) AS budget
        FROM {t}budget_lines b
        JOIN evm e ON e.as_of = b.as_of AND e.project_id = b.project_id
        WHERE b.as_of <= ? AND e.status = 'active' AND e.ev IS NOT NULL
        GROUP BY ALL
    ),
    es_points AS (
        SELECT *, pv - budget AS pv_before,
               CAST(datediff('month', first_period, period) + 1 AS INTEGER) AS idx
        FROM (SELECT *, sum(budget) OVER w AS pv, min(period) OVER w1 AS first_period
              FROM es_lines
              WINDOW w AS (PARTITION BY as_of, project_id ORDER BY period),
                     w1 AS (PARTITION BY as_of, project_id))
    ),
    es_planned AS (  -- PD, and the status and finish period indices
        SELECT e.as_of, e.project_id, e.ev, e.bac, any_value(t.first_period) AS first_period,
               coalesce(min(t.idx) FILTER (WHERE t.budget > 0 AND t.pv >= e.bac - 0.005),
                        max(t.idx) FILTER (WHERE t.budget > 0)) AS pd
        FROM es_points t JOIN evm e ON e.as_of = t.as_of AND e.project_id = t.project_id
        GROUP BY e.as_of, e.project_id, e.ev, e.bac
    ),
    es_full AS (  -- the first report of 100% up to the status month: the project's finish
        SELECT g.as_of, g.project_id, min(CAST(date_trunc('month', g.period) AS DATE)) AS first_full
        FROM {t}progress g
        WHERE g.as_of <= ? AND g.percent_complete >= 100
          AND date_trunc('month', g.period) <= date_trunc('month', g.as_of)
        GROUP BY g.as_of, g.project_id
    ),
    es_steps AS (
        SELECT t.as_of, t.project_id, t.idx, t.pv, t.pv_before
        FROM es_points t JOIN es_planned l ON l.as_of = t.as_of AND l.project_id = t.project_id
        WHERE t.budget > 0 AND t.idx <= l.pd
    ),
    es_next AS (  -- the first step whose PV passes EV (PV rises with every step: budget > 0)
        SELECT n.as_of, n.project_id, min(n.idx) AS idx, min_by(n.pv, n.idx) AS pv,
               min_by(n.pv_before, n.idx) AS pv_before
        FROM es_steps n JOIN es_planned l ON l.as_of = n.as_of AND l.project_id = n.project_id
        WHERE l.ev + 1e-9 < n.pv
        GROUP BY n.as_of, n.project_id
    ),
    es_found AS (
        SELECT l.*, f.first_full,
               CASE WHEN l.pd IS NULL OR l.ev IS NULL THEN NULL
                    WHEN l.ev >= l.bac OR n.idx IS NULL THEN l.pd
                    ELSE n.idx - 1 + (l.ev - n.pv_before) / NULLIF(n.pv - n.pv_before, 0)
               END AS es_now,
               CAST(datediff('month', l.first_period, date_trunc('month', l.as_of)) + 1 AS INTEGER)
                   AS at_now
        FROM es_planned l
        LEFT JOIN es_next n ON n.as_of = l.as_of AND n.project_id = l.project_id
        LEFT JOIN es_full f ON f.as_of = l.as_of AND f.project_id = l.project_id
    ),
    schedule AS (
        SELECT as_of, project_id, es, "at"
        FROM (
            SELECT as_of, project_id,
                   CASE WHEN first_full IS NOT NULL AND bac IS NOT NULL THEN pd ELSE es_now END AS es,
                   CASE WHEN first_full IS NULL THEN at_now
                        WHEN first_full > first_period
                            THEN CAST(datediff('month', first_period, first_full) + 1 AS INTEGER)
                        ELSE 1 END AS "at"
            FROM es_found
        )
    )"""


# project_schedule: each active project's Earned Schedule at each snapshot (kpis' SPI(t) median and its
# spread), from the month's budget lines and progress. Computed for 36 snapshots on every call, it made
# kpis 0.64 s at 5,000 projects; read from here, 0.09 s; a month's publish pays about 35 ms for it.
def _project_schedule(s: str) -> str:
    return f"""
INSERT INTO {s}.project_schedule
WITH p AS (
    SELECT p.as_of, p.project_id, p.status, p.bac FROM {s}.projects p
    -- list_contains, not IN (SELECT unnest(...)): that semi-join made the month's query 0.2 s, not 0.04 s
    WHERE p.as_of BETWEEN ? AND ? AND list_contains(?::DATE[], p.as_of)
),
{evm_status_ctes(s).strip()},
{_schedule_ctes(s).strip()}
SELECT as_of, project_id, es, "at" FROM schedule
"""


def refresh(con, schema: str = "main", months: Iterable | None = None) -> None:
    """Recomputes the summaries of `months` (default: every loaded snapshot) from the canonical tables
    in `schema`, and rebuilds the milestone history. Runs inside the caller's transaction if any."""
    for statement in store_schema.summary_ddl(schema):
        con.sql(statement)
    loaded = [r[0] for r in con.sql(f"SELECT as_of FROM {schema}.loads").fetchall()]
    months = sorted(set(loaded if months is None else months))
    # The range lets DuckDB skip the row groups of other months (a table is appended month by month);
    # the IN list alone is a join over every month's rows (resource_month at 36 months, 16M
    # allocations: 0.3 s, 0.1 s with the range).
    within = [months[0], months[-1], months] if months else [None, None, months]
    for table in ("project_status", "resource_month", "project_schedule"):
        con.sql(f"DELETE FROM {schema}.{table} WHERE as_of BETWEEN ? AND ? AND as_of IN (SELECT unnest(?::DATE[]))",
                params=within)
    if months:
        con.sql(_PROJECT_STATUS.format(s=schema), params=within * 3)
        con.sql(_RESOURCE_MONTH.format(s=schema), params=within)
        con.sql(_project_schedule(schema), params=within + [months[-1], months[-1]])
    _milestone_history(con, schema, None if set(months) >= set(loaded) else months,
                       appends=len(months) == 1 and months[0] == max(loaded, default=None))
    if set(months) >= set(loaded):  # every snapshot is now computed by this version
        con.sql(f"DELETE FROM {schema}.summary_version")
        con.sql(f"INSERT INTO {schema}.summary_version VALUES (?)", params=[VERSION])


def _milestone_history(con, schema: str, months: list | None, appends: bool = False) -> None:
    """Brings milestone_history up to date (see above): with `appends` (one month, the newest), its
    rows are replaced at the end of the table; otherwise the table is rewritten in the trend's order,
    every row computed again when `months` is None, else only those of `months` and of the snapshot
    after each."""
    ddl = store_schema.summary_ddl(schema)[store_schema.SUMMARY_TABLES.index("milestone_history")]
    snaps = previous_snapshots(f"{schema}.loads")
    if months is None:
        con.sql(ddl.replace("CREATE TABLE IF NOT EXISTS", "CREATE OR REPLACE TABLE", 1))
        con.sql(f"INSERT INTO {schema}.milestone_history WITH snaps AS ({snaps}) "
                f"{_MILESTONE_ROWS.format(s=schema)} {_MILESTONE_ORDER}")
        return
    changed = (f"SELECT * FROM ({snaps}) WHERE as_of IN (SELECT unnest(?::DATE[])) "
               "OR prev_as_of IN (SELECT unnest(?::DATE[]))")
    if appends:
        con.sql(f"DELETE FROM {schema}.milestone_history WHERE as_of = ?", params=[months[0]])
        con.sql(f"""INSERT INTO {schema}.milestone_history WITH snaps AS ({changed})
                    {_MILESTONE_ROWS.format(s=schema)} ORDER BY project_id, milestone_id""",
                params=[months, months])
        return
    con.sql(f"ALTER TABLE {schema}.milestone_history RENAME TO milestone_history_old")
    con.sql(ddl)
    con.sql(f"""INSERT INTO {schema}.milestone_history
        WITH snaps AS ({changed})
        SELECT * FROM (SELECT * FROM {schema}.milestone_history_old WHERE as_of NOT IN (SELECT as_of FROM snaps)
                       UNION ALL ({_MILESTONE_ROWS.format(s=schema)}))
        {_MILESTONE_ORDER}""", params=[months, months])
    con.sql(f"DROP TABLE {schema}.milestone_history_old")


def current(con, schema: str = "main") -> bool:
    """True when the summaries in `schema` exist and were computed by this VERSION (databases written
    by an older version lack them or hold an older definition)."""
    database = "current_database()" if schema == "main" else "?"
    params = [] if schema == "main" else [schema]
    rows = con.sql(f"SELECT count(*) FROM duckdb_tables() WHERE database_name = {database} "
                   "AND table_name IN (SELECT unnest(?::VARCHAR[]))",
                   params=[*params, [*store_schema.SUMMARY_TABLES, "summary_version"]]).fetchall()
    if rows[0][0] < len(store_schema.SUMMARY_TABLES) + 1:
        return False
    return con.sql(f"SELECT max(version) FROM {schema}.summary_version").fetchall()[0][0] == VERSION
