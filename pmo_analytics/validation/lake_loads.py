"""The `loads` records of a Parquet history: one per month, each read with the loads table's types and
checked, and every partition holding as many rows as its month's record says."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from pmo_analytics import contract
from pmo_analytics.contract import NUMBER, TEXT
from pmo_analytics.ingest.discovery import Source
from pmo_analytics.ingest.lake import LOADS, Lake, Partition, first_line, shown
from pmo_analytics.validation.lake_plan import (
    TIMESTAMP,
    WHOLE,
    Plan,
    as_of_rule,
    batches,
    convert,
    ignore_unknown,
    in_files,
    quoted,
    source_of,
    typed_sql,
    years_rule,
)
from pmo_analytics.validation.staged import check_staged

__all__ = ["check_loads", "check_months"]

_LOADS_TYPES = {"VARCHAR": TEXT, "BIGINT": WHOLE, "INTEGER": WHOLE, "DOUBLE": NUMBER, "TIMESTAMP": TIMESTAMP}
_SQL_TYPES = {TEXT: "VARCHAR", WHOLE: "DOUBLE", NUMBER: "DOUBLE", TIMESTAMP: "TIMESTAMP"}


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
        rules.append((name, "error", f"{quoted(name)} || ' is not a count (a whole number, 0 or more)'",
                      f"isnan({name}) OR {name} < 0 OR {name} > 1e15 OR {name} <> round({name})", "stg"))
    elif target == NUMBER:
        rules.append((name, "error", f"{quoted(name)} || ' is outside 0..100'",
                      f"isnan({name}) OR {name} < 0 OR {name} > 100", "stg"))
    elif target == TIMESTAMP:
        rules.append(years_rule(name, name, "TIMESTAMP"))
    elif name == "files":
        rules.append((name, "error", "'not a JSON object (the files the month was loaded from)'",
                      (f"{name} IS NOT NULL AND NOT CASE WHEN json_valid({name}) THEN json_type({name}) = 'OBJECT' "
                       "ELSE false END"), "stg"))
    return rules


def _loads_plan(part: Partition, columns: dict[str, tuple[str, bool, str]]) -> Plan:
    plan = Plan(present=list(columns))
    for name, (target, required, ddl_type) in columns.items():
        ftype = part.columns.get(name)
        converted = None if ftype is None else convert(target, ftype, f'"{name}"')
        if ftype is not None and (converted is None or converted[1] == "text"):
            plan.errors.append((name, f"{shown(ftype)} in the file where {ddl_type} is expected"))
        elif ftype is None and required:
            plan.errors.append((name, "required column is missing"))
        plan.select.append(f"{converted[0] if converted else f'CAST(NULL AS {_SQL_TYPES[target]})'} AS {name}")
        plan.rules += _loads_rules(name, target, required)
    as_of_rule(part, plan)
    return plan


def check_loads(con, lake: Lake) -> None:
    """Checks the loads records (together, or each on its own when that finds anything); keeps each
    month's row counts in lake.counts."""
    columns = _loads_columns(con)
    for n, parts in enumerate(batches(lake, LOADS)):
        ignore_unknown(lake, parts, {"as_of", *columns})
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
    source = source_of(parts[0]) if report else Source(LOADS, Path(f"{lake.shown}/{LOADS}"))
    try:
        sql, params = typed_sql(plan, parts, typed)
        con.sql(sql, params=params)
        check = check_staged(con, source, typed, plan.present, None, plan.rules, contract_rules=False)
    except duckdb.Error as exc:
        if report:
            parts[0].readable = False
            lake.error(parts[0].shown, f"cannot be read: {first_line(exc)}")
        return False
    if check.problems and not report:
        con.sql(f"DROP TABLE {typed}")
        return False
    lake.problems += in_files(parts[0], check.problems) if report else []
    lake.inserts[LOADS].append(f"SELECT _lake_month AS as_of, {', '.join(columns)} FROM {typed}")
    single = [p.month for p in parts if p.total == 1 and not check.blocked]
    counts = con.sql(f"SELECT _lake_month, {', '.join(f'rows_{t}' for t in contract.TABLES)} FROM {typed} "
                     "WHERE _lake_month IN (SELECT unnest(?::DATE[]))", params=[single]).fetchall()
    lake.counts.update({month: dict(zip(contract.TABLES, map(int, n))) for month, *n in counts})
    return True


def check_months(lake: Lake) -> None:
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
