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
# not achieved as at least as late as the status date (milestone_history's slip_days).
VERSION = 3

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
    for table in ("project_status", "resource_month"):
        con.sql(f"DELETE FROM {schema}.{table} WHERE as_of BETWEEN ? AND ? AND as_of IN (SELECT unnest(?::DATE[]))",
                params=within)
    if months:
        con.sql(_PROJECT_STATUS.format(s=schema), params=within * 3)
        con.sql(_RESOURCE_MONTH.format(s=schema), params=within)
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
