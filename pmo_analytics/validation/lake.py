"""Checking the rows of a Parquet history folder before any of it is imported.

`read(con, folder)` finds the partitions (ingest.lake.open_lake: the layout, the footers), then checks,
and raises LakeRejected listing every problem when there is any error:

* one `loads` record per month, no month without one, and each partition holding as many rows as
  that record says (a deleted, renamed or half-copied partition; lake_loads.py);
* the values, with the rules a load applies (staged.check_staged: required columns, allowed
  values, ranges, money, duplicate keys, references within the month) and what only a lake gets
  wrong: a column whose type cannot hold the contract's (a STRUCT where a date is expected), dates
  outside contract.EARLIEST_DATE..LATEST_DATE (1900-2199), a timestamp with time zone that is no
  day, an `as_of` written in a file that is not its folder's.

Only the contract's columns are read, by the contract's names (no name or type from a file reaches
SQL); any other column is ignored with one warning per table. The partitions of one table that share
a schema are checked together in one pass; only when that pass finds anything is each checked on its
own, for messages naming the file and row. The checked rows stay staged in `con` for the import.
How a file's columns are converted to the contract's types is in lake_plan.py.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from pmo_analytics import contract
from pmo_analytics.contract import DATE, TEXT
from pmo_analytics.ingest.discovery import Source
from pmo_analytics.ingest.lake import Lake, LakeRejected, Partition, first_line, open_lake, shown
from pmo_analytics.problems import Problem
from pmo_analytics.validation.lake_loads import check_loads, check_months
from pmo_analytics.validation.lake_plan import (
    Plan,
    as_of_rule,
    batches,
    convert,
    ignore_unknown,
    in_files,
    in_years,
    source_of,
    typed_sql,
    years_rule,
)
from pmo_analytics.validation.rules import canonical_expr
from pmo_analytics.validation.snapshot import check_references
from pmo_analytics.validation.staged import check_staged
from pmo_analytics.validation.tablecheck import TableCheck

__all__ = ["Lake", "LakeRejected", "read"]


def read(con, folder, progress=None) -> Lake:
    """Finds, stages and checks history `folder` in `con`. Raises InputError (not a history folder) or
    LakeRejected (every problem found); warnings are passed to `progress` either way."""
    lake = open_lake(con, folder)
    check_loads(con, lake)
    check_months(lake)
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


def _typed(c: contract.Column, ftype: str, i: int) -> tuple[list[str], str, list[tuple], str] | None:
    """Reading contract column `c` from a file's column of type `ftype` as c<i>: the SELECT items, its
    text for the raw copy, the rules only a lake needs and how it converts; None when the type cannot
    hold it. A date outside the years FIRST..LAST is read as NULL and reported from its copy
    _lake_date_<i> (DuckDB cannot align year 300000 to a month)."""
    src = f'"{c.name}"'
    converted = convert(c.type, ftype, src)
    if converted is None:
        return None
    expr, how = converted
    select = [f"CAST({src} AS VARCHAR) AS _lake_text_{i}"] if how == "text" else []
    rules = []
    if how == "tz":
        select.append(f"timezone('UTC', {src}) AS _lake_utc_{i}")
        rules.append((c.name, "error", (f"'''' || _lake_utc_{i} || ' UTC'' is a moment, not a day (a timestamp "
                                        "with time zone that is not midnight UTC: its day depends on the time zone)'"),
                      f"_lake_utc_{i} IS NOT NULL AND _lake_utc_{i} <> CAST(_lake_utc_{i} AS DATE)", "stg"))
    if c.type == DATE:
        select += [f"CASE WHEN {in_years(expr)} THEN {expr} END AS c{i}", f"{expr} AS _lake_date_{i}"]
        rules.append(years_rule(c.name, f"_lake_date_{i}"))
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
            plan.errors.append((c.name, (f"{shown(part.columns[c.name])} in the file where the contract "
                                         f"expects {c.type}")))
            continue
        if c.type == DATE:
            plan.dates.append(len(plan.present))
        plan.texts |= typed[3] == "text"
        plan.raw.append(f"{typed[1]} AS c{len(plan.present)}")
        plan.present.append(c.name)
        plan.select += typed[0]
        plan.rules += typed[2]
    source = part.columns.get("source")
    converted = None if source is None else convert(TEXT, source, '"source"')
    if source is not None and converted is None:
        plan.errors.append(("source", f"{shown(source)} in the file where the contract expects TEXT"))
    plan.select.append(f"{converted[0]} AS source" if converted else "CAST(NULL AS VARCHAR) AS source")
    as_of_rule(part, plan)
    plan.errors += [(name, "required column is missing") for name in table.required if name not in part.columns]
    return plan


def _insert_sql(check: TableCheck, table: str) -> str:
    columns = ", ".join(f"{canonical_expr(check, c)} AS {c.name}" for c in contract.TABLES[table].columns)
    return f"SELECT _lake_month AS as_of, source, {columns} FROM {check.stg}"


def _check_table(con, lake: Lake, table: str) -> None:
    for n, parts in enumerate(batches(lake, table)):
        ignore_unknown(lake, parts, {"as_of", "source", *contract.TABLES[table].column_names})
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
        query, params = typed_sql(plan, parts)
        check = check_staged(con, Source(table, Path(f"{lake.shown}/{table}")), query, plan.present,
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
    part.check = TableCheck(source=source_of(part))
    plan = _plan(part, contract.TABLES[part.table])
    for column, message in plan.errors:
        lake.error(part.shown, message, column=column)
    if plan.errors:
        return
    typed = f"lake_{part.table}_{part.month:%Y%m%d}"
    try:
        sql, params = typed_sql(plan, [part], typed)
        con.sql(sql, params=params)
        texts = plan.texts or bool(plan.dates) and con.sql(  # a date read as NULL is not also "missing"
            f"SELECT count_if({' OR '.join(f'c{i} IS NULL AND _lake_date_{i} IS NOT NULL' for i in plan.dates)}) "
            f"FROM {typed}").fetchall()[0][0] > 0
        if texts:
            con.sql(f"CREATE OR REPLACE TABLE raw_{typed} AS SELECT {', '.join(plan.raw)} FROM {typed}")
        check = check_staged(con, part.check.source, typed, plan.present, f"raw_{typed}" if texts else None,
                                        plan.rules)
        con.sql(f"DROP TABLE {typed}")
        con.sql(f"DROP TABLE IF EXISTS raw_{typed}")
    except duckdb.Error as exc:
        lake.error(part.shown, f"cannot be read: {first_line(exc)}")
        return
    part.check = check
    lake.problems += in_files(part, check.problems)
    if publish:
        lake.inserts[part.table].append(_insert_sql(check, part.table))
        lake.staged[part.table].append((check.stg, plan.present))


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
        for problem in check_references(con, checks):
            lake.problems += in_files(by_file.get(problem.file), [problem])
