"""Every table of the database, created in one place: the canonical tables (from the contract), the
`loads` record, and the summaries computed when a snapshot is published (snapshots/summaries.py
fills them)."""
from __future__ import annotations

from pmo_analytics import contract

SUMMARY_TABLES = ("project_status", "resource_month", "milestone_history", "project_schedule")

SUMMARY_DDL = (
    """CREATE TABLE IF NOT EXISTS project_status (
    as_of DATE NOT NULL,
    project_id TEXT NOT NULL,
    budget DOUBLE,            -- all budget lines of the snapshot, every period
    forecast DOUBLE,
    consumed DOUBLE,
    pv DOUBLE,                -- budget of the periods up to the snapshot month (missing when none)
    ac DOUBLE,                -- consumed in those periods
    percent_complete DOUBLE   -- the last progress reported up to the snapshot month
)""",
    """CREATE TABLE IF NOT EXISTS resource_month (
    as_of DATE NOT NULL,
    resource_id TEXT NOT NULL,
    peak_planned DOUBLE,      -- planned hours of the person's busiest week of the snapshot month
    capacity DOUBLE,          -- weekly_capacity_hours
    projects TEXT[]           -- the projects with planned or booked hours that month
)""",
    """CREATE TABLE IF NOT EXISTS milestone_history (
    as_of DATE NOT NULL,
    project_id TEXT NOT NULL,
    milestone_id TEXT NOT NULL,
    project_name TEXT,        -- the project as it was at that snapshot
    portfolio TEXT,
    program TEXT,
    department TEXT,
    name TEXT,
    baseline_date DATE,
    forecast_date DATE,
    actual_date DATE,
    slip_days BIGINT,         -- as metrics.milestones defines them
    state TEXT,
    forecast_change_days BIGINT  -- this forecast minus the one at the previous loaded snapshot
)""",
    """CREATE TABLE IF NOT EXISTS project_schedule (
    as_of DATE NOT NULL,
    project_id TEXT NOT NULL,  -- the active projects with an earned value at the snapshot month
    es DOUBLE,                 -- Earned Schedule, in months (as metrics.earned_value defines it)
    "at" INTEGER               -- the snapshot month's period: months since the first budget period, + 1
)""",
    "CREATE TABLE IF NOT EXISTS summary_version (version INTEGER NOT NULL)",
)


def _in(catalog: str | None, statement: str) -> str:
    if not catalog:
        return statement
    return statement.replace("CREATE TABLE IF NOT EXISTS ", f"CREATE TABLE IF NOT EXISTS {catalog}.", 1)


def summary_ddl(catalog: str | None = None) -> list[str]:
    """CREATE TABLE statements of the summaries (in `catalog` when given; "main" is the default)."""
    return [_in(None if catalog == "main" else catalog, d) for d in SUMMARY_DDL]


def ensure(con, catalog: str) -> None:
    """Creates missing canonical tables and `loads` in `catalog` and adds the columns a newer contract
    declares (a database written by an older version keeps its rows)."""
    for ddl in contract.all_ddl():
        con.sql(_in(catalog, ddl))
    existing = {(t, c) for t, c in con.sql(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = ?", params=[catalog]).fetchall()}
    for table in contract.TABLES.values():
        for c in table.columns:
            if (table.name, c.name) not in existing:
                con.sql(f"ALTER TABLE {catalog}.{table.name} ADD COLUMN {c.name} {c.type}")
