"""Opening the workbench database.

Readers (metrics, notebooks, dashboards) open short-lived read-only connections; only the snapshot
publisher writes, and it writes to a copy that is swapped in whole (see snapshots.py).
"""
from __future__ import annotations

import os

import duckdb

from .exceptions import DatabaseMissing
from .settings import db_path

# No extension may be fetched at run time: there is no internet where the workbench runs.
CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def connect(path: str | os.PathLike | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to the workbench database (path, then $PMO_DB, then data/pmo.duckdb)."""
    target = db_path(path)
    if read_only and not target.exists():
        raise DatabaseMissing(f"{target}: no database yet; load a snapshot first (pmo load or pmo demo)")
    if not read_only:
        target.parent.mkdir(parents=True, exist_ok=True)
    return _quiet(duckdb.connect(str(target), read_only=read_only, config=CONFIG))


def memory() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the workbench's settings, for staging and tests."""
    return _quiet(duckdb.connect(":memory:", config=CONFIG))


def _quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    # DuckDB's own progress bar would draw over the CLI's progress lines and notebook outputs.
    con.sql("SET enable_progress_bar = false")
    return con
