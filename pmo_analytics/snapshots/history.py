"""History beyond one machine: every snapshot as Parquet, partitioned by table and month (hive layout).

`export_parquet(database, out_dir)` writes

    DIR/<table>/as_of=YYYY-MM-DD/data_0.parquet

for the seven canonical tables and `loads` (the record of each snapshot: load time, files with their
SHA-256, row counts, quality score), with DuckDB's `COPY ... (FORMAT parquet, PARTITION_BY (as_of))`.
Spark (`spark.read.parquet("DIR/projects")`), Trino (a hive table partitioned by as_of) and DuckDB
(`read_parquet('DIR/projects/*/*.parquet', hive_partitioning = true)`) read it as it is; `as_of` is
the partition (a date in the folder name), every other column keeps its type in the files (DATE,
DOUBLE, INTEGER, TEXT, TIMESTAMP).

Exporting replaces the partitions of the months exported, one partition folder at a time (the new
one is written beside and renamed in), and leaves the other months' partitions alone: a data lake
can hold more history than one machine's database.

`import_parquet(in_dir, database)` reads such a folder back. Like a load, it builds the new database
beside the live one (a copy of it, if there is one), replaces the months found in the folder, checks
keys, commits, and swaps the file in with `os.replace`; months of the database that are not in the
folder stay. A failed import leaves the database byte-for-byte as it was.

A lake is input like any export: every partition is checked before anything is published (the layout,
each month's row counts against its `loads` record, the contract's rules; see lake_checks.py), and no
name or type from a file reaches SQL.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from pmo_analytics import contract
from pmo_analytics.exceptions import InputError, UsageError
from pmo_analytics.periods import month_end
from pmo_analytics.settings import db_path
from pmo_analytics.snapshots import loading as snapshots
from pmo_analytics.snapshots import summaries
from pmo_analytics.store import connection as db
from pmo_analytics.store import loads, publish
from pmo_analytics.validation import lake as lake_checks

# Every table of the workbench database, in dependency order; `loads` last.
TABLES: tuple[str, ...] = (*contract.TABLES, "loads")
KEYS: dict[str, tuple[str, ...]] = {**{t.name: t.key for t in contract.TABLES.values()}, "loads": ()}
DEFAULT_DIR = "history"

Progress = Callable[[str], object] | None


def export_parquet(database=None, out_dir=DEFAULT_DIR, months: Iterable | None = None,
                   progress: Progress = None) -> dict[str, int]:
    """Writes every snapshot (or only `months`, 'YYYY-MM' each) as hive-partitioned Parquet.

    Returns the rows written per table. The months exported replace their partitions in `out_dir`;
    other months' partitions stay.
    """
    source = db_path(database)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    with db.connect(source) as con:
        loaded = loads.months(con)
        if months is None:
            chosen = loaded
        else:
            chosen = sorted({month_end(m) for m in months})
            missing = [m for m in chosen if m not in loaded]
            if missing:
                raise UsageError(f"not loaded in {source}: {', '.join(f'{m:%Y-%m}' for m in missing)}")
        if not chosen:
            raise UsageError(f"{source}: no snapshots to export")
        # Absolute: DuckDB reads a leading ~ as the home folder.
        staging = Path(tempfile.mkdtemp(prefix=".export-", dir=out)).resolve()
        try:
            for i, table in enumerate(TABLES, 1):
                written[table] = _export_table(con, table, chosen, staging)
                if progress:
                    progress(f"[{i}/{len(TABLES)}] {table}: {written[table]:,} rows")
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    try:
        _swap_partitions(staging, out, chosen)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if progress:
        progress(f"exported {len(chosen)} snapshot(s) ({chosen[0]:%Y-%m} to {chosen[-1]:%Y-%m}) to {out}")
    return written


def _export_table(con, table: str, months: list[dt.date], staging: Path) -> int:
    """Writes one Parquet file per month of `table` into staging/<table>/as_of=<month>/; returns the rows.

    One COPY per file, to a path made here (a hive PARTITION_BY lets DuckDB build the folders, and it
    reads a backslash in their path as a separator)."""
    counts = dict(con.sql(f"SELECT as_of, count(*) FROM {table} WHERE as_of IN (SELECT unnest(?::DATE[])) "
                          "GROUP BY as_of", params=[months]).fetchall())
    order = f" ORDER BY {', '.join(KEYS[table])}" if KEYS[table] else ""
    for month in months:
        if counts.get(month):
            part = staging / table / f"as_of={month.isoformat()}"
            part.mkdir(parents=True)
            con.execute(f"COPY (SELECT * EXCLUDE (as_of) FROM {table} WHERE as_of = ?{order}) "
                        f"TO '{publish.sql_path(part / 'data_0.parquet')}' (FORMAT parquet)", [month])
    return sum(counts.values())


def _swap_partitions(staging: Path, out: Path, months: list[dt.date]) -> None:
    """Renames each new partition folder into place; the partition it replaces (or one the export
    no longer has rows for) is moved into the staging folder, which the caller deletes."""
    replaced = staging / ".replaced"
    for table in TABLES:
        for month in months:
            name = f"as_of={month.isoformat()}"
            new, final = staging / table / name, out / table / name
            old = replaced / table / name
            if final.exists():
                old.parent.mkdir(parents=True, exist_ok=True)
                os.rename(final, old)
            if new.exists():
                final.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.rename(new, final)
                except BaseException:
                    if old.exists():
                        os.rename(old, final)
                    raise


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
