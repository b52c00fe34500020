"""How the partitions of a Parquet history are read: a file's column types converted to the contract's
(a Plan of SELECT items and rules only a lake needs), partitions grouped by schema, and problems moved to
the file and row they are in. Only the contract's names reach SQL."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

from pmo_analytics.contract import DATE, INTEGER, NUMBER, TEXT
from pmo_analytics.ingest.discovery import Source
from pmo_analytics.ingest.lake import FIRST, LAST, LOADS, Lake, Partition, glob_escaped, shown
from pmo_analytics.problems import Problem

INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT", "UHUGEINT"}
TIMESTAMPS = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}
TZ = "TIMESTAMP WITH TIME ZONE"
WHOLE, TIMESTAMP = "WHOLE", "TIMESTAMP"  # loads' counts and load time, beside the contract's types


@dataclass
class Plan:
    """How to read partitions of one schema: SELECT items, the raw text copy, rules only a lake needs,
    the contract columns present (c0..cN), positions of the dates, and the errors that forbid it."""

    select: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    rules: list[tuple] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    dates: list[int] = field(default_factory=list)
    errors: list[tuple[str | None, str]] = field(default_factory=list)
    texts: bool = False  # some value is parsed from text


def convert(target: str, ftype: str, src: str) -> tuple[str, str] | None:
    """SQL reading a file's column (of DuckDB type `ftype`) as the `target` type, and how: "text"
    (parsed from text; what does not parse is reported), "tz" (a moment, its UTC date) or ""; None
    when a column of that type cannot hold such values (a STRUCT, LIST or MAP, a BLOB, ...)."""
    if target == TEXT:
        if ftype == "VARCHAR":
            return f"NULLIF(trim({src}), '')", ""  # '' is an empty cell, as in a CSV
        return (f"CAST({src} AS VARCHAR)", "") if ftype in INTEGERS else None
    if target == DATE:
        if ftype == "DATE":
            return src, ""
        if ftype in TIMESTAMPS:
            return f"CAST({src} AS DATE)", ""
        if ftype == TZ:
            return f"CAST(timezone('UTC', {src}) AS DATE)", "tz"
        if ftype == "VARCHAR":
            text = f"NULLIF(trim({src}), '')"
            return f"coalesce(TRY_CAST({text} AS DATE), TRY_CAST(TRY_CAST({text} AS TIMESTAMP) AS DATE))", "text"
        return None
    if target == TIMESTAMP:
        if ftype in TIMESTAMPS or ftype == "DATE":
            return f"CAST({src} AS TIMESTAMP)", ""
        return (f"timezone('UTC', {src})", "") if ftype == TZ else None
    if ftype in INTEGERS or ftype in ("FLOAT", "DOUBLE") or ftype.startswith("DECIMAL("):
        return f"CAST({src} AS DOUBLE)", ""
    if ftype == "VARCHAR" and target in (NUMBER, INTEGER):
        return f"TRY_CAST(NULLIF(trim({src}), '') AS DOUBLE)", "text"
    return None


def quoted(v: str) -> str:
    """SQL showing a value in a message: quoted, cut at 40 characters, -1.0 shown as -1."""
    return f"'''' || left(regexp_replace(CAST({v} AS VARCHAR), '\\.0$', ''), 40) || ''''"


def in_years(v: str, type_: str = "DATE") -> str:
    return f"{v} BETWEEN {type_} '{FIRST}' AND {type_} '{LAST}'"


def years_rule(column: str, v: str, type_: str = "DATE") -> tuple:
    return (column, "error", f"{quoted(v)} || ' is outside the years {FIRST.year}..{LAST.year}'",
            f"{v} IS NOT NULL AND NOT ({in_years(v, type_)})", "stg")


def as_of_rule(part: Partition, plan: Plan) -> None:
    """An as_of column written inside the files must agree with the folder's."""
    ftype = part.columns.get("as_of")
    if ftype is None:
        return
    if not (ftype in ("VARCHAR", "DATE", TZ) or ftype in TIMESTAMPS):
        plan.errors.append(("as_of", f"{shown(ftype)} in the file where a date is expected"))
        return
    parsed = "coalesce(TRY_CAST(_lake_as_of AS DATE), TRY_CAST(TRY_CAST(_lake_as_of AS TIMESTAMP) AS DATE))"
    value = "timezone('UTC', \"as_of\")" if ftype == TZ else '"as_of"'
    plan.select.append(f"CAST({value} AS VARCHAR) AS _lake_as_of")
    plan.rules.append(("as_of", "error", (f"'as_of ' || coalesce({quoted('_lake_as_of')}, 'NULL') || ' written in "
                                          "the file disagrees with its folder as_of=' || _lake_month"),
                       f"{parsed} IS DISTINCT FROM _lake_month", "stg"))


def typed_sql(plan: Plan, parts: list[Partition], name: str | None = None) -> tuple[str, list]:
    """The query reading the files of `parts` (one schema) with `plan` (CREATE TABLE `name` from it, when
    given), and its parameters."""
    reads = [f"SELECT {', '.join(plan.select)}, DATE '{p.month}' AS _lake_month FROM read_parquet(?, "
             "hive_partitioning = false)" for p in parts]
    query = " UNION ALL ".join(reads)
    return (f"CREATE OR REPLACE TABLE {name} AS {query}" if name else f"({query})",
            [[glob_escaped(f) for f in p.files] for p in parts])


def source_of(part: Partition) -> Source:
    """What problems name: the file itself, or the partition folder when it holds several."""
    return Source(part.table, Path(part.names[0] if len(part.files) == 1 else part.shown))


def batches(lake: Lake, table: str) -> list[list[Partition]]:
    """The table's partitions to check (readable, of a sound month), grouped by schema."""
    groups: dict[str, list[Partition]] = {}
    for month, part in sorted(lake.parts[table].items()):
        if part.readable and part.files and (table == LOADS or month in lake.months):
            groups.setdefault(repr(sorted(part.columns.items())), []).append(part)
    return list(groups.values())


def ignore_unknown(lake: Lake, parts: list[Partition], known) -> None:
    for part in parts:
        for name in part.columns:
            if name not in known:
                lake.ignored[part.table][name] = None


def in_files(part: Partition | None, problems: list[Problem]) -> list[Problem]:
    """Problems of a partition of several files, each moved to the file (and row in it) it is in."""
    if part is None or len(part.files) < 2:
        return problems
    starts = [0]
    for n in part.rows:
        starts.append(starts[-1] + n)

    def where(row: int) -> tuple[str, int]:
        i = max(0, min(bisect.bisect_right(starts, row - 1) - 1, len(part.files) - 1))
        return part.names[i], row - starts[i]

    moved = []
    for p in problems:
        message = re.sub(r"first in row (\d+)", lambda m: "first in {} row {}".format(*where(int(m.group(1)))),
                         p.message)
        file, row = where(p.row) if p.row else (p.file, None)
        moved.append(Problem(p.severity, file, message, row, p.column))
    return moved
