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
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb

from . import contract, db, filters, snapshots, summaries
from .exceptions import InputError, UsageError
from .settings import db_path

# Every table of the workbench database, in dependency order; `loads` last.
TABLES: tuple[str, ...] = (*contract.TABLES, "loads")
KEYS: dict[str, tuple[str, ...]] = {**{t.name: t.key for t in contract.TABLES.values()}, "loads": ()}
DEFAULT_DIR = "history"
_PARTITION = re.compile(r"^as_of=(\d{4}-\d{2}-\d{2})$")

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
        loaded = filters.snapshots(con)
        if months is None:
            chosen = loaded
        else:
            chosen = sorted({filters.month_end(m) for m in months})
            missing = [m for m in chosen if m not in loaded]
            if missing:
                raise UsageError(f"not loaded in {source}: {', '.join(f'{m:%Y-%m}' for m in missing)}")
        if not chosen:
            raise UsageError(f"{source}: no snapshots to export")
        staging = Path(tempfile.mkdtemp(prefix=".export-", dir=out))
        try:
            in_months = ", ".join(f"DATE '{m.isoformat()}'" for m in chosen)
            for i, table in enumerate(TABLES, 1):
                order = ", ".join(("as_of", *KEYS[table]))
                query = f"SELECT * FROM {table} WHERE as_of IN ({in_months}) ORDER BY {order}"
                rows = con.sql(f"SELECT count(*) FROM ({query})").fetchall()[0][0]
                written[table] = rows
                if rows:
                    con.sql(f"COPY ({query}) TO '{snapshots._sql_path(staging / table)}' "
                            "(FORMAT parquet, PARTITION_BY (as_of), FILENAME_PATTERN 'data_{i}')")
                if progress:
                    progress(f"[{i}/{len(TABLES)}] {table}: {rows:,} rows")
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


def partitions(in_dir, table: str) -> dict[dt.date, list[Path]]:
    """The Parquet files of one table in a history folder, by month."""
    found: dict[dt.date, list[Path]] = {}
    folder = Path(in_dir) / table
    if not folder.is_dir():
        return found
    for part in sorted(folder.iterdir()):
        match = _PARTITION.match(part.name)
        if match and part.is_dir():
            files = sorted(part.glob("*.parquet"))
            if files:
                found[dt.date.fromisoformat(match.group(1))] = files
    return found


def import_parquet(in_dir, database=None, progress: Progress = None) -> list[dt.date]:
    """Reads a history folder (as export_parquet writes it) into the database; returns the months.

    The months in the folder replace those months in the database (every table); other months stay.
    Built beside the live file and swapped in atomically; raises InputError (database unchanged)
    when the folder is not a history export, a file cannot be read or a key is duplicated.
    """
    src = Path(in_dir)
    loads = partitions(src, "loads")
    if not loads:
        raise InputError(f"{src}: not a PMO history folder (expected {src}/loads/as_of=YYYY-MM-DD/*.parquet, "
                         "as `export_parquet` writes)")
    months = sorted(loads)
    files = {t: partitions(src, t) for t in TABLES}
    for table, parts in files.items():
        extra = sorted(set(parts) - set(months))
        if extra:
            raise InputError(f"{src / table}: month(s) {', '.join(f'{m:%Y-%m}' for m in extra)} have no "
                             "record in loads/; export the history again")
    target = db_path(database)
    target.parent.mkdir(parents=True, exist_ok=True)
    con = db.memory()
    try:
        with snapshots.publishing(con, target):
            in_months = ", ".join(f"DATE '{m.isoformat()}'" for m in months)
            con.sql("BEGIN TRANSACTION")
            try:
                for i, table in enumerate(TABLES, 1):
                    con.sql(f"DELETE FROM pub.{table} WHERE as_of IN ({in_months})")
                    paths = [p for ps in files[table].values() for p in ps]
                    if paths:
                        _insert(con, table, paths, in_months)
                    if progress:
                        progress(f"[{i}/{len(TABLES)}] {table}: {len(paths)} file(s)")
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


def _insert(con, table: str, paths: list[Path], in_months: str) -> None:
    listed = ", ".join(f"'{snapshots._sql_path(p)}'" for p in paths)
    source = (f"read_parquet([{listed}], hive_partitioning = true, hive_types = {{'as_of': DATE}}, "
              "union_by_name = true)")
    try:
        columns = con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()
        have = {r[0] for r in con.sql(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'pub' AND table_name = ?",
            params=[table]).fetchall()}
        for name, type_, *_ in columns:
            if name not in have:  # written by a newer contract: kept, not dropped
                con.sql(f'ALTER TABLE pub.{table} ADD COLUMN "{name}" {type_}')
        con.sql(f"INSERT INTO pub.{table} BY NAME SELECT * FROM {source}")
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError(f"{paths[0].parent.parent}: cannot read it into {table}: {first}") from None
    key = KEYS[table] or ()
    if key:
        dup = con.sql(f"SELECT as_of, {', '.join(key)} FROM pub.{table} WHERE as_of IN ({in_months}) "
                      "GROUP BY ALL HAVING count(*) > 1 LIMIT 1").fetchall()
        if dup:
            raise InputError(f"{paths[0].parent.parent}: duplicate key {dup[0][1:]} in {dup[0][0]:%Y-%m}")
    else:  # loads: one record per month
        dup = con.sql(f"SELECT as_of FROM pub.{table} WHERE as_of IN ({in_months}) GROUP BY as_of "
                      "HAVING count(*) > 1 LIMIT 1").fetchall()
        if dup:
            raise InputError(f"{paths[0].parent.parent}: two records for {dup[0][0]:%Y-%m}")
