"""What a schedule file carries beyond the contract's tables, kept per snapshot and project: its
activities (durations, float, constraints, critical flag, baseline dates) and their relationships, so
that the DCMA-14 health check (metrics/schedule_health.py) can run on a loaded month. The rows are
written by the load that publishes the schedule's canonical tables, in the same transaction; loading a
project's schedule again for a month replaces that project's rows of that month only.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

_D, _T, _F = "DATE", "TEXT", "DOUBLE"
TABLES: dict[str, dict[str, str]] = {
    "schedules": {
        "project_id": _T, "file": _T, "source_format": _T, "status_date": _D, "start": _D, "finish": _D,
        "hours_per_day": _F, "activities": "INTEGER", "relations": "INTEGER"},
    "schedule_activities": {
        "project_id": _T, "activity_id": _T, "name": _T, "kind": _T, "code": _T, "wbs": _T,
        "percent_complete": _F, "duration_days": _F, "remaining_days": _F, "baseline_duration_days": _F,
        "start": _D, "finish": _D, "baseline_start": _D, "baseline_finish": _D, "actual_start": _D,
        "actual_finish": _D, "total_float_days": _F, "critical": "BOOLEAN", "constraint_type": _T,
        "constraint_date": _D, "resources": "INTEGER", "cost": _F, "baseline_cost": _F, "actual_cost": _F,
        "parent_id": _T},
    "schedule_relations": {
        "project_id": _T, "predecessor": _T, "successor": _T, "type": _T, "lag_days": _F},
}


def ddl(catalog: str | None = None) -> list[str]:
    """CREATE TABLE statements of the schedule tables (in `catalog` when given)."""
    prefix = f"{catalog}." if catalog else ""
    return [f"CREATE TABLE IF NOT EXISTS {prefix}{name} (\n    as_of DATE NOT NULL,\n    "
            + ",\n    ".join(f"{c} {t}" for c, t in columns.items()) + "\n)"
            for name, columns in TABLES.items()]


def has_tables(con, catalog: str | None = None) -> bool:
    """Whether the database holds the schedule tables (one written before issue 17 holds none)."""
    found = con.sql("SELECT count(*) FROM duckdb_tables() WHERE database_name = coalesce(?, current_database()) "
                    "AND table_name IN (SELECT unnest(?::VARCHAR[]))", params=[catalog, list(TABLES)]).fetchall()[0][0]
    return found == len(TABLES)


def replace(con, catalog: str, as_of: dt.date, project_id: str, header: dict,
            activities: pd.DataFrame, relations: pd.DataFrame) -> None:
    """Replaces `project_id`'s schedule rows of month `as_of` in `catalog` (inside the caller's
    transaction): one `schedules` row from `header`, and the activity and relationship frames."""
    for stmt in ddl(catalog):
        con.sql(stmt)
    frames = {"schedules": pd.DataFrame([header]), "schedule_activities": activities,
              "schedule_relations": relations}
    for name, frame in frames.items():
        con.sql(f"DELETE FROM {catalog}.{name} WHERE as_of = ? AND project_id = ?", params=[as_of, project_id])
        if not len(frame):
            continue
        columns = list(TABLES[name])
        staged = frame.reindex(columns=[c for c in columns if c != "project_id"]).copy()
        staged.insert(0, "project_id", project_id)
        con.register("_schedule_rows", staged)
        try:
            con.sql(f"INSERT INTO {catalog}.{name} (as_of, {', '.join(columns)}) "
                    f"SELECT ?::DATE, {', '.join(columns)} FROM _schedule_rows", params=[as_of])
        finally:
            con.unregister("_schedule_rows")
