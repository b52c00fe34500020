"""The saved scenarios: every version of every scenario, kept in the workbench database as the TOML a
PMO brings to a committee (pmo_analytics.scenarios reads and writes that text; this module only
stores it). Saving publishes a new state of the database like a load does (store/publish.py): the
snapshots are never touched, and a failure leaves the live file as it was.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pmo_analytics.store import connection, publish

SCENARIOS_DDL = """CREATE TABLE IF NOT EXISTS scenarios (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    as_of DATE NOT NULL,         -- the snapshot it is built on
    saved_at TIMESTAMP NOT NULL,
    author TEXT,
    description TEXT,
    changes INTEGER NOT NULL,    -- how many changes it lists
    toml TEXT NOT NULL           -- the scenario as its TOML file reads
)"""
COLUMNS = ("name", "version", "as_of", "saved_at", "author", "description", "changes")


def _has_table(con) -> bool:
    return con.sql("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                   "AND table_name = 'scenarios'").fetchall()[0][0] > 0


def listing(con) -> list[dict]:
    """Every saved version (COLUMNS), by name then version; empty for a database that has none."""
    if not _has_table(con):
        return []
    rows = con.sql(f"SELECT {', '.join(COLUMNS)} FROM scenarios ORDER BY name, version").fetchall()
    return [dict(zip(COLUMNS, r)) for r in rows]


def text(con, name: str, version: int | None = None) -> tuple[int, str] | None:
    """(version, TOML) of scenario `name` at `version` (default: its latest), or None."""
    if not _has_table(con):
        return None
    rows = con.sql("SELECT version, toml FROM scenarios WHERE name = ? AND (? IS NULL OR version = ?) "
                   "ORDER BY version DESC LIMIT 1", params=[name, version, version]).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def save(database, name: str, as_of: dt.date, author: str | None, description: str | None, changes: int,
         make_text: Callable[[int], str]) -> int:
    """Publishes a new version of `name` (1 for a new name, else its latest + 1) and returns it;
    `make_text(version)` writes the TOML once the version is known (the text carries it)."""
    target = connection.db_path(database)
    con = connection.memory()
    try:
        with publish.publishing(con, target), publish.transaction(con):
            con.sql(SCENARIOS_DDL.replace("EXISTS scenarios", "EXISTS pub.scenarios", 1))
            version = con.sql("SELECT coalesce(max(version), 0) + 1 FROM pub.scenarios WHERE name = ?",
                              params=[name]).fetchall()[0][0]
            con.sql("INSERT INTO pub.scenarios VALUES (?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?)",
                    params=[name, version, as_of, author, description, changes, make_text(version)])
        return version
    finally:
        con.close()
