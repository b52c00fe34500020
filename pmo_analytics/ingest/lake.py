"""The files of a Parquet history folder (as `pmo export --parquet` writes it), before any is read.

`open_lake(con, folder)` walks the folder and reads every file's footer: a table folder may hold only
partition folders `as_of=YYYY-MM-DD` (a month end), inside the history folder, holding only `*.parquet`
files that share one schema. Anything else is an error naming it (lake_checks.py then checks the rows).

Paths reach DuckDB as bound parameters with their glob characters escaped, so a folder named `a?b`
or `lake[1]` is read, not a pattern matching its neighbours.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pmo_analytics import contract
from pmo_analytics.exceptions import InputError, ValidationFailed
from pmo_analytics.problems import Problem

if TYPE_CHECKING:
    from pmo_analytics.validation.tablecheck import TableCheck

LOADS = "loads"
TABLES: tuple[str, ...] = (*contract.TABLES, LOADS)
FIRST, LAST = contract.EARLIEST_DATE, contract.LATEST_DATE  # the days a date in a history may be
_PARTITION = re.compile(r"as_of=([0-9]{4})-([0-9]{2})-([0-9]{2})")


class LakeRejected(ValidationFailed, InputError):
    """A history folder that cannot be imported; `problems` lists every finding."""

    def __init__(self, problems):
        super().__init__(problems)
        errors = [str(p) for p in self.problems if p.severity == "error"]
        self.args = (errors[0].removeprefix("error: ") if len(errors) == 1 else
                     f"{len(errors)} errors in the history; nothing was imported:\n" + "\n".join(errors),)


@dataclass
class Partition:
    """One partition folder: its files (resolved), how messages name them, their rows and columns."""

    table: str
    month: dt.date
    shown: str
    files: list[Path] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # per file, from its footer
    columns: dict[str, str] = field(default_factory=dict)  # name as DuckDB binds it -> DuckDB type
    readable: bool = True
    complete: bool = True  # False when an entry of it was refused (its rows are not counted then)
    check: TableCheck | None = None  # once checked on its own: its staged table and problems

    @property
    def total(self) -> int:
        return sum(self.rows)


@dataclass
class Lake:
    src: Path
    shown: str
    root: Path
    parts: dict[str, dict[dt.date, Partition]] = field(default_factory=lambda: {t: {} for t in TABLES})
    months: list[dt.date] = field(default_factory=list)  # months with a sound loads record
    counts: dict[dt.date, dict[str, int]] = field(default_factory=dict)  # loads' rows_<table>
    problems: list[Problem] = field(default_factory=list)
    ignored: dict[str, dict[str, None]] = field(default_factory=lambda: {t: {} for t in TABLES})
    inserts: dict[str, list[str]] = field(default_factory=lambda: {t: [] for t in TABLES})  # checked rows
    staged: dict[str, list[tuple[str, list[str]]]] = field(default_factory=lambda: {t: [] for t in TABLES})
    broken: set[str] = field(default_factory=set)  # tables whose folder itself is unusable

    def error(self, where: str, message: str, column: str | None = None) -> None:
        self.problems.append(Problem("error", where, message, column=column))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def shown(text, limit: int = 60) -> str:
    """`text` (a name from a lake) as a message may show it: on one line, escaped, cut at `limit`."""
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text))
    return text if len(text) <= limit else text[:limit] + "..."


def glob_escaped(path: Path) -> str:
    """A path DuckDB's readers take literally: each glob character (* ? [) in brackets."""
    return re.sub(r"([*?\[])", r"[\1]", str(path))


def first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return shown(text.splitlines()[0] if text else type(exc).__name__, 200)


def open_lake(con, folder) -> Lake:
    """The partitions and files of history `folder`, their footers read; problems in lake.problems.
    Raises InputError when `folder` is not a history folder at all."""
    src = Path(folder)
    if not src.exists():
        raise InputError(f"{shown(src)}: no such folder")
    if not src.is_dir():
        raise InputError(f"{shown(src)}: a file, not a history folder (expected the folder `pmo export "
                         "--parquet` writes)")
    lake = Lake(src, shown(src, 200), src.resolve())
    if not (src / LOADS).is_dir():
        raise InputError(f"{lake.shown}: not a PMO history folder (expected {lake.shown}/loads/"
                         "as_of=YYYY-MM-DD/*.parquet, as `export_parquet` writes)")
    for table in TABLES:
        _walk(lake, table)
        _footers(con, lake, table)
    if not lake.parts[LOADS] and not lake.errors:
        raise InputError(f"{lake.shown}: not a PMO history folder (no partition in {lake.shown}/loads)")
    return lake


def _inside(lake: Lake, path: Path) -> bool:
    try:
        return path.resolve().is_relative_to(lake.root)
    except (OSError, RuntimeError):  # a link loop
        return False


def _link(path: Path) -> str:
    try:
        return f"a link to {shown(os.readlink(path), 200)}, outside the history folder; refused"
    except OSError:
        return "a link that leads outside the history folder; refused"


def _month(name: str) -> tuple[dt.date | None, str]:
    """The month end a partition folder's name gives, or why it gives none."""
    match = _PARTITION.fullmatch(name)
    if not match:
        return None, "not a partition folder (expected as_of=YYYY-MM-DD); move it out of the history"
    try:
        day = dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None, f"{shown(name[6:])} is not a date; move it out of the history"
    if not FIRST <= day <= LAST:
        return None, f"{day} is outside the years {FIRST.year}..{LAST.year}"
    if (day + dt.timedelta(days=1)).day != 1:
        return None, f"{day} is not the last day of a month (snapshots are dated at month ends)"
    return day, ""


def _listing(lake: Lake, folder: Path, where: str) -> list[Path] | None:
    try:
        return sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        lake.error(where, f"cannot be listed: {shown(exc.strerror or exc)}")
        return None


def _walk(lake: Lake, table: str) -> None:
    """Finds the table's partitions and their files; anything else in its folder is an error."""
    folder, where = lake.src / table, f"{lake.shown}/{table}"
    if not folder.exists() and not folder.is_symlink():
        return
    if not _inside(lake, folder) or not folder.is_dir():
        lake.broken.add(table)
        return lake.error(where, _link(folder) if not _inside(lake, folder) else
                          "a file where the folder of a table is expected")
    entries = _listing(lake, folder, where)
    if entries is None:
        lake.broken.add(table)
    for entry in entries or []:
        name = f"{where}/{shown(entry.name)}"
        month, why = _month(entry.name)
        if why:
            lake.error(name, why if entry.is_dir() else f"a stray file in a table folder ({why})")
        elif not _inside(lake, entry):
            lake.error(name, _link(entry))
        elif not entry.is_dir():
            lake.error(name, "a file where a partition folder is expected")
        else:
            lake.parts[table][month] = part = Partition(table, month, name)
            files = _listing(lake, entry, name)
            part.readable = files is not None
            for f in files or []:
                part.complete &= _inside(lake, f) and f.is_file() and f.name.endswith(".parquet")
                if not _inside(lake, f):
                    lake.error(f"{name}/{shown(f.name)}", _link(f))
                elif not (f.is_file() and f.name.endswith(".parquet")):
                    lake.error(f"{name}/{shown(f.name)}", "not a Parquet file of the partition (a partition "
                               "holds *.parquet files only); move it out of the history")
                else:
                    part.files.append(f.resolve())
                    part.names.append(f"{name}/{shown(f.name)}")


def _per_file(con, sql: str, files: list[Path]) -> list[tuple] | None:
    try:
        return con.sql(sql, params=[[glob_escaped(f) for f in files]]).fetchall()
    except duckdb.Error:
        return None


def _row_counts(con, lake: Lake, parts: list[Partition]) -> dict[Path, int]:
    """Rows per file from the footers; a file that is not Parquet is an error (its partition is not
    read further)."""
    sql = "SELECT file_name, num_rows FROM parquet_file_metadata(?)"
    meta = _per_file(con, sql, [f for p in parts for f in p.files])
    if meta is None:  # some file is not Parquet: find which
        meta = []
        for part in parts:
            for f, name in zip(part.files, part.names):
                try:
                    meta += con.sql(sql, params=[[glob_escaped(f)]]).fetchall()
                except duckdb.Error as exc:
                    part.readable = False
                    reason = first_line(exc).replace(shown(f, 200), shown(f.name))
                    lake.error(name, f"not a readable Parquet file (truncated or corrupt?): {reason}")
    return {Path(f): n for f, n in meta}


def _footers(con, lake: Lake, table: str) -> None:
    """Rows and columns of every partition of `table`; a partition whose files do not share one schema
    is an error (files of two exports mixed)."""
    parts = [p for p in lake.parts[table].values() if p.files and p.readable]
    if not parts:
        return
    rows = _row_counts(con, lake, parts)
    parts = [p for p in parts if p.readable]
    schema: dict[Path, list] = {}
    # What DuckDB reads (names, types, nesting); not whether a writer marked a column REQUIRED.
    sql = "SELECT file_name, name, duckdb_type, num_children FROM parquet_schema(?)"
    for f, *columns in _per_file(con, sql, [f for p in parts for f in p.files]) or []:
        schema.setdefault(Path(f), []).append(tuple(columns))
    described: dict[str, dict[str, str]] = {}
    for part in parts:
        part.rows = [rows.get(f, 0) for f in part.files]
        first = schema.get(part.files[0])
        other = next((f for f in part.files if schema.get(f) != first), None)
        if other is not None:
            part.readable = False
            lake.error(part.shown, f"its files do not share one schema ({shown(part.files[0].name)} and "
                       f"{shown(other.name)} differ in their columns or types): files of two exports mixed?")
            continue
        key = repr(first) if first is not None else str(part.files[0])
        if key not in described:
            try:
                found = con.sql("DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false)",
                                params=[[glob_escaped(part.files[0])]]).fetchall()
            except duckdb.Error as exc:
                part.readable = False
                lake.error(part.names[0], f"cannot be read: {first_line(exc)}")
                continue
            described[key] = {name: type_ for name, type_, *_ in found}
        part.columns = dict(described[key])
