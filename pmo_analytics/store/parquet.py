"""History beyond one machine: every snapshot as Parquet, partitioned by table and month (hive layout).

`export_parquet(database, out_dir)` writes

    DIR/<table>/as_of=YYYY-MM-DD/data_0.parquet

for the seven canonical tables and `loads` (the record of each snapshot: load time, files with their
SHA-256, row counts, quality score), one `COPY ... (FORMAT parquet)` per partition.
Spark (`spark.read.parquet("DIR/projects")`), Trino (a hive table partitioned by as_of) and DuckDB
(`read_parquet('DIR/projects/*/*.parquet', hive_partitioning = true)`) read it as it is; `as_of` is
the partition (a date in the folder name), every other column keeps its type in the files (DATE,
DOUBLE, INTEGER, TEXT, TIMESTAMP).

Exporting replaces the partitions of the months exported, one partition folder at a time (the new
one is written beside and renamed in), and leaves the other months' partitions alone: a data lake
can hold more history than one machine's database. Reading such a folder back is
snapshots/lake_import.py.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from pmo_analytics import contract
from pmo_analytics.exceptions import UsageError
from pmo_analytics.periods import month_end
from pmo_analytics.settings import db_path
from pmo_analytics.store import connection as db
from pmo_analytics.store import loads, publish

__all__ = ["DEFAULT_DIR", "KEYS", "TABLES", "export_parquet"]

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
    """Puts each new partition folder in place (publish.replace_folder: the old one back if the new one
    cannot go in); a partition it replaces, or one the export no longer has rows for, is set aside
    in the staging folder, which the caller deletes."""
    replaced = staging / ".replaced"

    def set_aside(table: str, name: str):
        def move(old: Path) -> None:
            (replaced / table).mkdir(parents=True, exist_ok=True)
            os.rename(old, replaced / table / name)
        return move

    for table in TABLES:
        for month in months:
            name = f"as_of={month.isoformat()}"
            new, final = staging / table / name, out / table / name
            if new.exists():
                final.parent.mkdir(parents=True, exist_ok=True)
                publish.replace_folder(new, final, set_aside(table, name))
            elif final.exists():
                set_aside(table, name)(final)

