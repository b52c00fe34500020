"""Reading a Parquet history folder (as store.parquet.export_parquet writes it) back into the database.

Like a load, `import_parquet(in_dir, database)` builds the new database beside the live one (a copy of
it, if there is one), replaces the months found in the folder, checks keys, commits, and swaps the
file in with `os.replace`; months of the database that are not in the folder stay. A failed import
leaves the database byte-for-byte as it was.

A lake is input like any export: every partition is checked before anything is published (the layout,
each month's row counts against its `loads` record, the contract's rules; see validation/lake.py), and
no name or type from a file reaches SQL.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from pmo_analytics.exceptions import InputError
from pmo_analytics.settings import db_path
from pmo_analytics.snapshots import loading as snapshots
from pmo_analytics.snapshots import summaries
from pmo_analytics.store import connection as db
from pmo_analytics.store import publish
from pmo_analytics.store.parquet import TABLES
from pmo_analytics.validation import lake as lake_checks

__all__ = ["import_parquet"]

Progress = Callable[[str], object] | None


def import_parquet(in_dir, database=None, progress: Progress = None) -> list[dt.date]:
    """Reads a history folder (as export_parquet writes it) into the database; returns the months.

    The months in the folder replace those months in the database (every table); other months stay.
    Every partition is checked first (lake_checks.read); built beside the live file and swapped in
    atomically. Raises InputError (database unchanged) when the folder is not a history export, or
    lake_checks.LakeRejected (an InputError listing every problem) when any of it is wrong.
    """
    src = Path(in_dir)
    target = db_path(database)
    con = db.memory()
    try:
        lake = lake_checks.read(con, src, progress)
        months = lake.months
        if not months:  # read() reports why first; this only guards the publish
            raise InputError(f"{src}: no month of this history can be imported")
        target.parent.mkdir(parents=True, exist_ok=True)
        with publish.publishing(con, target, prepare=snapshots.backfill):
            con.sql("BEGIN TRANSACTION")
            try:
                for i, table in enumerate(TABLES, 1):
                    con.sql(f"DELETE FROM pub.{table} WHERE as_of IN (SELECT unnest(?::DATE[]))", params=[months])
                    for select in lake.inserts[table]:
                        con.sql(f"INSERT INTO pub.{table} BY NAME {select}")
                    if progress:
                        files = sum(len(p.files) for m, p in lake.parts[table].items() if m in months)
                        progress(f"[{i}/{len(TABLES)}] {table}: {files} file(s)")
                summaries.refresh(con, "pub", months)
                con.sql("COMMIT")
            except BaseException:
                con.sql("ROLLBACK")
                raise
    finally:
        con.close()
    if progress:
        progress(f"imported {len(months)} snapshot(s) ({months[0]:%Y-%m} to {months[-1]:%Y-%m}) into {target}")
    return months
