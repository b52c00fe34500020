"""The `loads` table: which snapshots are in the database, and each one's record.

Read without pandas, so `pmo snapshots` starts as fast as DuckDB does.
"""
from __future__ import annotations

import datetime as dt

from pmo_analytics.store import connection

COLUMNS = ("month", "as_of", "projects", "budget_lines", "progress", "resources", "allocations", "risks",
           "milestones", "warnings", "quality_score", "loaded_at")
_LIST = """
    SELECT strftime(as_of, '%Y-%m') AS month, as_of,
           rows_projects, rows_budget_lines, rows_progress, rows_resources, rows_allocations, rows_risks,
           rows_milestones, warnings, quality_score, strftime(loaded_at, '%Y-%m-%d %H:%M') AS loaded_at
    FROM loads ORDER BY as_of"""


def months(con) -> list[dt.date]:
    """Every loaded snapshot date, oldest first."""
    return [r[0] for r in con.sql("SELECT as_of FROM loads ORDER BY as_of").fetchall()]


def latest(con) -> dt.date | None:
    """The newest loaded snapshot, or None in an empty database."""
    rows = con.sql("SELECT max(as_of) FROM loads").fetchall()
    return rows[0][0] if rows else None


def record(con, as_of: dt.date) -> dict | None:
    """One snapshot's `loads` row as a dict (files, row counts, quality score, load time), or None."""
    rel = con.sql("SELECT * FROM loads WHERE as_of = ?", params=[as_of])
    rows = rel.fetchall()
    return dict(zip(rel.columns, rows[0])) if rows else None


def snapshot_rows(database=None) -> list[tuple]:
    """Every snapshot with its row counts, warnings, quality score and load time (COLUMNS)."""
    with connection.connect(database) as con:
        return con.sql(_LIST).fetchall()


def list_snapshots(database=None):
    """snapshot_rows as a DataFrame (pandas is imported here only)."""
    import pandas as pd

    return pd.DataFrame(snapshot_rows(database), columns=list(COLUMNS))
