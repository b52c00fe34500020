"""Checking the rows of a Parquet history folder before any of it is imported.

`read(con, folder)` finds the partitions (lake_files.open_lake: the layout, the footers), then checks,
and raises LakeRejected listing every problem when there is any error:

* one `loads` record per month, no month without one, and each partition holding as many rows as
  that record says (a deleted, renamed or half-copied partition);
* the values, with the rules a load applies (validation.check_staged: required columns, allowed
  values, ranges, money, duplicate keys, references within the month) and what only a lake gets
  wrong: a column whose type cannot hold the contract's (a STRUCT where a date is expected), dates
  outside contract.EARLIEST_DATE..LATEST_DATE (1900-2199), a timestamp with time zone that is no
  day, an `as_of` written in a file that is not its folder's.

Only the contract's columns are read, by the contract's names (no name or type from a file reaches
SQL); any other column is ignored with one warning per table. The partitions of one table that share
a schema are checked together in one pass; only when that pass finds anything is each checked on its
own, for messages naming the file and row. The checked rows stay staged in `con` for the import.
"""
from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pmo_analytics import contract
from pmo_analytics.contract import DATE, INTEGER, NUMBER, TEXT
from pmo_analytics.ingest.discovery import Source
from pmo_analytics.ingest.lake import (
    FIRST,
    LAST,
    LOADS,
    Lake,
    LakeRejected,
    Partition,
    first_line,
    glob_escaped,
    open_lake,
    shown,
)
from pmo_analytics.validation import rules as validation
from pmo_analytics.validation.rules import Problem, TableCheck

__all__ = ["Lake", "LakeRejected", "read"]

_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
             "UBIGINT", "UHUGEINT"}
_TIMESTAMPS = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}
_TZ = "TIMESTAMP WITH TIME ZONE"
WHOLE, TIMESTAMP = "WHOLE", "TIMESTAMP"  # loads' counts and load time, beside the contract's types
_LOADS_TYPES = {"VARCHAR": TEXT, "BIGINT": WHOLE, "INTEGER": WHOLE, "DOUBLE": NUMBER, "TIMESTAMP": TIMESTAMP}
_SQL_TYPES = {TEXT: "VARCHAR", WHOLE: "DOUBLE", NUMBER: "DOUBLE", TIMESTAMP: "TIMESTAMP"}


def read(con, folder, progress=None) -> Lake:
    """Finds, stages and checks history `folder` in `con`. Raises InputError (not a history folder) or
    LakeRejected (every problem found); warnings are passed to `progress` either way."""
    lake = open_lake(con, folder)
    _check_loads(con, lake)
    _check_months(lake)
    for table in contract.TABLES:
        _check_table(con, lake, table)
    _references(con, lake)
    for table, names in lake.ignored.items():
        if names:
            lake.problems.append(Problem("warning", f"{lake.shown}/{table}", f"{len(names)} column(s) not in "
                                         f"the contract ignored: {', '.join(shown(n, 40) for n in names)}"))
    warnings = [p for p in lake.problems if p.severity == "warning"]
    for p in warnings if progress else ():
        progress(str(p))
    if lake.errors:
        raise LakeRejected(lake.errors + warnings)
    return lake


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


def _convert(target: str, ftype: str, src: str) -> tuple[str, str] | None:
    """SQL reading a file's column (of DuckDB type `ftype`) as the `target` type, and how: "text"
    (parsed from text; what does not parse is reported), "tz" (a moment, its UTC date) or ""; None
    when a column of that type cannot hold such values (a STRUCT, LIST or MAP, a BLOB, ...)."""
    if target == TEXT:
        if ftype == "VARCHAR":
            return f"NULLIF(trim({src}), '')", ""  # '' is an empty cell, as in a CSV
        return (f"CAST({src} AS VARCHAR)", "") if ftype in _INTEGERS else None
    if target == DATE:
        if ftype == "DATE":
            return src, ""
        if ftype in _TIMESTAMPS:
            return f"CAST({src} AS DATE)", ""
        if ftype == _TZ:
            return f"CAST(timezone('UTC', {src}) AS DATE)", "tz"
        if ftype == "VARCHAR":
            text = f"NULLIF(trim({src}), '')"
            return f"coalesce(TRY_CAST({text} AS DATE), TRY_CAST(TRY_CAST({text} AS TIMESTAMP) AS DATE))", "text"
        return None
    if target == TIMESTAMP:
        if ftype in _TIMESTAMPS or ftype == "DATE":
            return f"CAST({src} AS TIMESTAMP)", ""
        return (f"timezone('UTC', {src})", "") if ftype == _TZ else None
    if ftype in _INTEGERS or ftype in ("FLOAT", "DOUBLE") or ftype.startswith("DECIMAL("):
        return f"CAST({src} AS DOUBLE)", ""
    if ftype == "VARCHAR" and target in (NUMBER, INTEGER):
        return f"TRY_CAST(NULLIF(trim({src}), '') AS DOUBLE)", "text"
    return None


def _q(v: str) -> str:
    """SQL showing a value in a message: quoted, cut at 40 characters, -1.0 shown as -1."""
    return f"'''' || left(regexp_replace(CAST({v} AS VARCHAR), '\\.0$', ''), 40) || ''''"


def _in_years(v: str, type_: str = "DATE") -> str:
    return f"{v} BETWEEN {type_} '{FIRST}' AND {type_} '{LAST}'"


def _years_rule(column: str, v: str, type_: str = "DATE") -> tuple:
    return (column, "error", f"{_q(v)} || ' is outside the years {FIRST.year}..{LAST.year}'",
            f"{v} IS NOT NULL AND NOT ({_in_years(v, type_)})", "stg")


def _typed(c: contract.Column, ftype: str, i: int) -> tuple[list[str], str, list[tuple], str] | None:
    """Reading contract column `c` from a file's column of type `ftype` as c<i>: the SELECT items, its
    text for the raw copy, the rules only a lake needs and how it converts; None when the type cannot
    hold it. A date outside the years FIRST..LAST is read as NULL and reported from its copy
    _lake_date_<i> (DuckDB cannot align year 300000 to a month)."""
    src = f'"{c.name}"'
    converted = _convert(c.type, ftype, src)
    if converted is None:
        return None
    expr, how = converted
    select = [f"CAST({src} AS VARCHAR) AS _lake_text_{i}"] if how == "text" else []
    rules = []
    if how == "tz":
        select.append(f"timezone('UTC', {src}) AS _lake_utc_{i}")
        rules.append((c.name, "error", f"'''' || _lake_utc_{i} || ' UTC'' is a moment, not a day (a timestamp "
                      "with time zone that is not midnight UTC: its day depends on the time zone)'",
                      f"_lake_utc_{i} IS NOT NULL AND _lake_utc_{i} <> CAST(_lake_utc_{i} AS DATE)", "stg"))
    if c.type == DATE:
        select += [f"CASE WHEN {_in_years(expr)} THEN {expr} END AS c{i}", f"{expr} AS _lake_date_{i}"]
        rules.append(_years_rule(c.name, f"_lake_date_{i}"))
        text = f"CAST(_lake_date_{i} AS VARCHAR)"
    else:
        select.append(f"{expr} AS c{i}")
        text = f"CAST(c{i} AS VARCHAR)"
    return select, f"_lake_text_{i}" if how == "text" else text, rules, how


def _plan(part: Partition, table: contract.Table) -> Plan:
    plan = Plan()
    for c in table.columns:
        if c.name not in part.columns:
            continue
        typed = _typed(c, part.columns[c.name], len(plan.present))
        if typed is None:
            plan.errors.append((c.name, f"{shown(part.columns[c.name])} in the file where the contract "
                                f"expects {c.type}"))
            continue
        if c.type == DATE:
            plan.dates.append(len(plan.present))
        plan.texts |= typed[3] == "text"
        plan.raw.append(f"{typed[1]} AS c{len(plan.present)}")
        plan.present.append(c.name)
        plan.select += typed[0]
        plan.rules += typed[2]
    source = part.columns.get("source")
    converted = None if source is None else _convert(TEXT, source, '"source"')
    if source is not None and converted is None:
        plan.errors.append(("source", f"{shown(source)} in the file where the contract expects TEXT"))
    plan.select.append(f"{converted[0]} AS source" if converted else "CAST(NULL AS VARCHAR) AS source")
    _as_of(part, plan)
    plan.errors += [(name, "required column is missing") for name in table.required if name not in part.columns]
    return plan


def _as_of(part: Partition, plan: Plan) -> None:
    """An as_of column written inside the files must agree with the folder's."""
    ftype = part.columns.get("as_of")
    if ftype is None:
        return
    if not (ftype in ("VARCHAR", "DATE", _TZ) or ftype in _TIMESTAMPS):
        plan.errors.append(("as_of", f"{shown(ftype)} in the file where a date is expected"))
        return
    parsed = "coalesce(TRY_CAST(_lake_as_of AS DATE), TRY_CAST(TRY_CAST(_lake_as_of AS TIMESTAMP) AS DATE))"
    value = "timezone('UTC', \"as_of\")" if ftype == _TZ else '"as_of"'
    plan.select.append(f"CAST({value} AS VARCHAR) AS _lake_as_of")
    plan.rules.append(("as_of", "error", f"'as_of ' || coalesce({_q('_lake_as_of')}, 'NULL') || ' written in "
                       "the file disagrees with its folder as_of=' || _lake_month",
                       f"{parsed} IS DISTINCT FROM _lake_month", "stg"))


def _typed_sql(plan: Plan, parts: list[Partition], name: str | None = None) -> tuple[str, list]:
    """The query reading the files of `parts` (one schema) with `plan` (CREATE TABLE `name` from it, when
    given), and its parameters."""
    reads = [f"SELECT {', '.join(plan.select)}, DATE '{p.month}' AS _lake_month FROM read_parquet(?, "
             "hive_partitioning = false)" for p in parts]
    query = " UNION ALL ".join(reads)
    return (f"CREATE OR REPLACE TABLE {name} AS {query}" if name else f"({query})",
            [[glob_escaped(f) for f in p.files] for p in parts])


def _source(part: Partition) -> Source:
    """What problems name: the file itself, or the partition folder when it holds several."""
    return Source(part.table, Path(part.names[0] if len(part.files) == 1 else part.shown))


def _batches(lake: Lake, table: str) -> list[list[Partition]]:
    """The table's partitions to check (readable, of a sound month), grouped by schema."""
    groups: dict[str, list[Partition]] = {}
    for month, part in sorted(lake.parts[table].items()):
        if part.readable and part.files and (table == LOADS or month in lake.months):
            groups.setdefault(repr(sorted(part.columns.items())), []).append(part)
    return list(groups.values())


def _ignore_unknown(lake: Lake, parts: list[Partition], known) -> None:
    for part in parts:
        for name in part.columns:
            if name not in known:
                lake.ignored[part.table][name] = None


def _insert_sql(check: TableCheck, table: str) -> str:
    columns = ", ".join(f"{validation.canonical_expr(check, c)} AS {c.name}" for c in contract.TABLES[table].columns)
    return f"SELECT _lake_month AS as_of, source, {columns} FROM {check.stg}"


def _check_table(con, lake: Lake, table: str) -> None:
    for n, parts in enumerate(_batches(lake, table)):
        _ignore_unknown(lake, parts, {"as_of", "source", *contract.TABLES[table].column_names})
        if len(parts) == 1 or not _check_together(con, lake, table, parts, n):
            for part in parts:
                _check_one(con, lake, part)


def _check_together(con, lake: Lake, table: str, parts: list[Partition], n: int) -> bool:
    """Checks partitions of one schema in one pass; True when it finds nothing at all (their rows are
    then imported from its table), False to check each on its own for exact messages."""
    plan = _plan(parts[0], contract.TABLES[table])
    if plan.errors or plan.texts:
        return False
    key = contract.TABLES[table].key
    try:
        query, params = _typed_sql(plan, parts)
        check = validation.check_staged(con, Source(table, Path(f"{lake.shown}/{table}")), query, plan.present,
                                        None, plan.rules, keys=False, name=f"lake_{table}_all{n}", params=params)
        repeated = con.sql(f"SELECT count(*) FROM (SELECT 1 FROM {check.stg} WHERE "
                           f"{' AND '.join(f'{k} IS NOT NULL' for k in key)} GROUP BY _lake_month, "
                           f"{', '.join(key)} HAVING count(*) > 1)").fetchall()[0][0]
    except duckdb.Error:
        return False
    if check.problems or repeated:
        con.sql(f"DROP TABLE {check.stg}")
        return False
    lake.inserts[table].append(_insert_sql(check, table))
    lake.staged[table].append((check.stg, plan.present))
    return True


def _check_one(con, lake: Lake, part: Partition, publish: bool = True) -> None:
    """Stages one partition and checks it: every problem with its file and row."""
    part.check = TableCheck(source=_source(part))
    plan = _plan(part, contract.TABLES[part.table])
    for column, message in plan.errors:
        lake.error(part.shown, message, column=column)
    if plan.errors:
        return
    typed = f"lake_{part.table}_{part.month:%Y%m%d}"
    try:
        sql, params = _typed_sql(plan, [part], typed)
        con.sql(sql, params=params)
        texts = plan.texts or bool(plan.dates) and con.sql(  # a date read as NULL is not also "missing"
            f"SELECT count_if({' OR '.join(f'c{i} IS NULL AND _lake_date_{i} IS NOT NULL' for i in plan.dates)}) "
            f"FROM {typed}").fetchall()[0][0] > 0
        if texts:
            con.sql(f"CREATE OR REPLACE TABLE raw_{typed} AS SELECT {', '.join(plan.raw)} FROM {typed}")
        check = validation.check_staged(con, part.check.source, typed, plan.present, f"raw_{typed}" if texts else None,
                                        plan.rules)
        con.sql(f"DROP TABLE {typed}")
        con.sql(f"DROP TABLE IF EXISTS raw_{typed}")
    except duckdb.Error as exc:
        lake.error(part.shown, f"cannot be read: {first_line(exc)}")
        return
    part.check = check
    lake.problems += _in_files(part, check.problems)
    if publish:
        lake.inserts[part.table].append(_insert_sql(check, part.table))
        lake.staged[part.table].append((check.stg, plan.present))


def _in_files(part: Partition | None, problems: list[Problem]) -> list[Problem]:
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


def _loads_columns(con) -> dict[str, tuple[str, bool, str]]:
    """The columns of the loads table (as_of aside): name -> (type read here, required, DDL type). The
    row counts are required too: each partition is checked against them."""
    con.sql(contract.LOADS_DDL.replace("CREATE TABLE IF NOT EXISTS loads", "CREATE OR REPLACE TEMP TABLE "
                                       "lake_loads_ddl", 1))
    rows = con.sql("SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE table_name = "
                   "'lake_loads_ddl' ORDER BY column_index").fetchall()
    con.sql("DROP TABLE lake_loads_ddl")
    return {n: (_LOADS_TYPES.get(t, TEXT), not nullable or n.startswith("rows_"), t) for n, t, nullable in rows
            if n != "as_of"}


def _loads_rules(name: str, target: str, required: bool) -> list[tuple]:
    rules = [(name, "error", "'missing value (the column is required)'", f"{name} IS NULL", "stg")] if required else []
    if target == WHOLE:
        rules.append((name, "error", f"{_q(name)} || ' is not a count (a whole number, 0 or more)'",
                      f"isnan({name}) OR {name} < 0 OR {name} > 1e15 OR {name} <> round({name})", "stg"))
    elif target == NUMBER:
        rules.append((name, "error", f"{_q(name)} || ' is outside 0..100'",
                      f"isnan({name}) OR {name} < 0 OR {name} > 100", "stg"))
    elif target == TIMESTAMP:
        rules.append(_years_rule(name, name, "TIMESTAMP"))
    elif name == "files":
        rules.append((name, "error", "'not a JSON object (the files the month was loaded from)'",
                      f"{name} IS NOT NULL AND NOT CASE WHEN json_valid({name}) THEN json_type({name}) = 'OBJECT' "
                      "ELSE false END", "stg"))
    return rules


def _loads_plan(part: Partition, columns: dict[str, tuple[str, bool, str]]) -> Plan:
    plan = Plan(present=list(columns))
    for name, (target, required, ddl_type) in columns.items():
        ftype = part.columns.get(name)
        converted = None if ftype is None else _convert(target, ftype, f'"{name}"')
        if ftype is not None and (converted is None or converted[1] == "text"):
            plan.errors.append((name, f"{shown(ftype)} in the file where {ddl_type} is expected"))
        elif ftype is None and required:
            plan.errors.append((name, "required column is missing"))
        plan.select.append(f"{converted[0] if converted else f'CAST(NULL AS {_SQL_TYPES[target]})'} AS {name}")
        plan.rules += _loads_rules(name, target, required)
    _as_of(part, plan)
    return plan


def _check_loads(con, lake: Lake) -> None:
    """Checks the loads records (together, or each on its own when that finds anything); keeps each
    month's row counts in lake.counts."""
    columns = _loads_columns(con)
    for n, parts in enumerate(_batches(lake, LOADS)):
        _ignore_unknown(lake, parts, {"as_of", *columns})
        if len(parts) > 1 and _check_loads_of(con, lake, parts, columns, f"lake_loads_all{n}", report=False):
            continue
        for part in parts:
            _check_loads_of(con, lake, [part], columns, f"lake_loads_{part.month:%Y%m%d}", report=True)


def _check_loads_of(con, lake: Lake, parts: list[Partition], columns, typed: str, report: bool) -> bool:
    plan = _loads_plan(parts[0], columns)
    if report:
        for column, message in plan.errors:
            lake.error(parts[0].shown, message, column=column)
    if plan.errors:
        if report:
            parts[0].readable = False
        return False
    source = _source(parts[0]) if report else Source(LOADS, Path(f"{lake.shown}/{LOADS}"))
    try:
        sql, params = _typed_sql(plan, parts, typed)
        con.sql(sql, params=params)
        check = validation.check_staged(con, source, typed, plan.present, None, plan.rules, contract_rules=False)
    except duckdb.Error as exc:
        if report:
            parts[0].readable = False
            lake.error(parts[0].shown, f"cannot be read: {first_line(exc)}")
        return False
    if check.problems and not report:
        con.sql(f"DROP TABLE {typed}")
        return False
    lake.problems += _in_files(parts[0], check.problems) if report else []
    lake.inserts[LOADS].append(f"SELECT _lake_month AS as_of, {', '.join(columns)} FROM {typed}")
    single = [p.month for p in parts if p.total == 1 and not check.blocked]
    counts = con.sql(f"SELECT _lake_month, {', '.join(f'rows_{t}' for t in contract.TABLES)} FROM {typed} "
                     "WHERE _lake_month IN (SELECT unnest(?::DATE[]))", params=[single]).fetchall()
    lake.counts.update({month: dict(zip(contract.TABLES, map(int, n))) for month, *n in counts})
    return True


def _check_months(lake: Lake) -> None:
    """One loads record per month, none missing, and each partition as long as its record says."""
    held: dict[dt.date, list[str]] = {}
    for table in contract.TABLES:
        for month in lake.parts[table]:
            held.setdefault(month, []).append(table)
    for month in sorted(set(held) - set(lake.parts[LOADS])):
        lake.error(lake.shown, f"{month:%Y-%m} (as_of={month}) has partitions in {', '.join(held[month])} but no "
                   "record in loads/; export the history again")
    for month, part in sorted(lake.parts[LOADS].items()):
        records = part.total if part.readable else None
        if records == 0:
            also = f" although {', '.join(held[month])} have partitions for it" if month in held else ""
            lake.error(part.shown, f"an empty partition: {month:%Y-%m} has no record in loads/{also}")
        elif records is not None and records > 1:
            lake.error(part.shown, f"{records} records for {month:%Y-%m} (one expected)")
        elif records == 1 and month not in held:
            lake.error(part.shown, f"{month:%Y-%m} has a record in loads/ but no partition in any other table "
                       "(a half-copied history?)")
        elif month in lake.counts:
            lake.months.append(month)
            for table in contract.TABLES:
                _check_count(lake, table, month)


def _check_count(lake: Lake, table: str, month: dt.date) -> None:
    part, said = lake.parts[table].get(month), lake.counts[month][table]
    if table in lake.broken or part is not None and not (part.readable and part.complete):
        return
    rows = part.total if part else 0
    if rows != said:
        hint = "a deleted or half-copied partition?" if rows < said else "files of another export copied in?"
        lake.error(part.shown if part else f"{lake.shown}/{table}/as_of={month}",
                   f"{rows} rows where loads says {said} ({hint})")


def _reference_gaps(con, lake: Lake) -> set[dt.date]:
    """Months where some key points to no row of that month (one query per reference over every staged
    table); check_references then names each row."""
    months: set[dt.date] = set()
    for table in contract.TABLES.values():
        for c in table.columns:
            if not c.references:
                continue
            ref_table, ref_col = c.references.split(".")
            mine = [f"SELECT _lake_month, {c.name} AS k FROM {stg}" for stg, cols in lake.staged[table.name]
                    if c.name in cols]
            theirs = [f"SELECT _lake_month, {ref_col} AS k FROM {stg}" for stg, _ in lake.staged[ref_table]]
            if not mine:
                continue
            theirs = theirs or ["SELECT CAST(NULL AS DATE) AS _lake_month, CAST(NULL AS VARCHAR) AS k WHERE false"]
            months |= {m for (m,) in con.sql(
                f"SELECT DISTINCT _lake_month FROM ({' UNION ALL '.join(mine)}) a WHERE k IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM ({' UNION ALL '.join(theirs)}) b WHERE b._lake_month = a._lake_month AND b.k = a.k)"
            ).fetchall()}
    return months


def _references(con, lake: Lake) -> None:
    """Keys pointing to a project or resource missing from the same month, with file and row."""
    if lake.broken:  # its partitions are unknown: every reference to it would be "not checked"
        return
    for month in sorted(_reference_gaps(con, lake)):
        parts = {t: lake.parts[t][month] for t in contract.TABLES if month in lake.parts[t]}
        for part in parts.values():
            if part.check is None and part.readable and part.files:  # passed when checked together
                _check_one(con, lake, part, publish=False)
        checks = {t: p.check for t, p in parts.items() if p.check is not None}
        by_file = {str(c.source.path): parts[t] for t, c in checks.items()}
        for problem in validation.check_references(con, checks):
            lake.problems += _in_files(by_file.get(problem.file), [problem])
