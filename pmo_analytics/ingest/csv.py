"""Staging export files as DuckDB tables with their row numbers: CSV typed or as text, Excel and Parquet as text.

A staged table keeps the file's rows in order, so `rowid + 1` is the data row (1 = first row under
the header) and validation can point at the exact row and column of each problem. Columns are
named c0, c1, ... by position, whatever the header says. A CSV is first read typed (DuckDB converts
while reading, the fast path); if any value does not convert, it is read again as text so every
bad cell can be reported. XLSX goes through pandas + openpyxl (DuckDB's Excel extension would need
the internet); Parquet through DuckDB.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pmo_analytics.contract import TABLES
from pmo_analytics.exceptions import InputError
from pmo_analytics.ingest.parquet import stage_parquet
from pmo_analytics.ingest.text import first_error_line, header, literal

if TYPE_CHECKING:
    from pmo_analytics.ingest.discovery import Source


def positional(n: int) -> list[str]:
    """Staged tables name their columns c0, c1, ... so any header (duplicates, quotes) is safe."""
    return [f"c{i}" for i in range(n)]


def stage_text(con: duckdb.DuckDBPyConnection, source: Source, name: str) -> tuple[list[str], list[str]]:
    """Reads one file into table `name` as text, columns c0..cN in file order; returns the header and
    notes on how it was read (a workbook's percent cells, hidden sheets, merged ranges)."""
    con.sql(f"DROP TABLE IF EXISTS {name}")
    if source.format == "csv":
        names = header(source)
        _read_csv(con, source.path, name, ["VARCHAR"] * len(names))
        return names, []
    if source.format == "xlsx":
        return _stage_xlsx(con, source.path, name, source.sheet)
    return stage_parquet(con, source.path, name), []


def stage_typed_csv(con: duckdb.DuckDBPyConnection, source: Source, name: str, types: list[str],
                    select: list[str]) -> bool:
    """The fast path: DuckDB converts while reading and `select` shapes the rows into table `name`.

    Returns False when some value does not convert; the caller then stages the file as text.
    """
    con.sql(f"DROP TABLE IF EXISTS {name}")
    try:
        _read_csv(con, source.path, name, types, select)
    except duckdb.ConversionException:
        return False
    return True


MAX_LINE_BYTES = 4_000_000  # DuckDB reads no longer CSV line than this (a runaway quote, a pasted file)
# DuckDB's own limit. Its read buffer is 16 lines of the limit, so a higher limit reads a file of up to
# 64 MB in one buffer on one thread (allocations.csv of 5,000 projects: 130 ms instead of 75 ms). A
# file is read under this limit first and again under MAX_LINE_BYTES only when a line is longer.
DEFAULT_LINE_BYTES = 2_097_152


def _read_csv(con, path: Path, name: str, types: list[str], select: list[str] | None = None) -> None:
    columns = "{" + ", ".join(f"'{c}': '{t}'" for c, t in zip(positional(len(types)), types)) + "}"
    for limit in (DEFAULT_LINE_BYTES, MAX_LINE_BYTES):
        longer = "" if limit == DEFAULT_LINE_BYTES else f", max_line_size={limit}"
        try:
            with literal(path) as readable:
                con.sql(f"CREATE TABLE {name} AS SELECT {', '.join(select or ['*'])} FROM read_csv(?, header=true, "
                        f"auto_detect=false, columns={columns}, delim=',', quote='\"', escape='\"', "
                        f"dateformat='%Y-%m-%d', strict_mode=true, null_padding=false{longer})",
                        params=[readable])
            return
        except duckdb.ConversionException:
            raise
        except duckdb.Error as exc:
            if limit == DEFAULT_LINE_BYTES and "Maximum line size" in str(exc):
                continue
            raise InputError(f"{path}: cannot read as CSV: {_csv_error(exc)}") from None


def _csv_error(exc: Exception) -> str:
    """DuckDB's CSV error, said in one line a person can act on."""
    text = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    widths = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if line and widths:
        n = int(line.group(1))
        return (f"line {n} (row {n - 1}) has {widths.group(2)} columns where the header has {widths.group(1)} "
                "(a truncated file, or a delimiter inside an unquoted value?)")
    size = re.search(r"Maximum line size of \d+ bytes exceeded\. Actual Size:\s*(\d+)", text)
    if line and size:
        n = int(line.group(1))
        return (f"line {n} (row {n - 1}) is {int(size.group(1)):,} bytes long, over the {MAX_LINE_BYTES:,} a CSV "
                "line may have (a quote that is never closed, or a document pasted into a cell?)")
    if "unicode" in text.lower():
        return "not UTF-8 text; save it as UTF-8 or give --profile european"
    if line:
        return f"line {line.group(1)}: {first_error_line(exc)}"
    return first_error_line(exc)


def _stage_xlsx(con, path: Path, name: str, sheet: str | None = None) -> tuple[list[str], list[str]]:
    """Stages a workbook's sheet as text (workbooks.read: the visible sheet named after the table, else
    the first visible one); a formula or error cell in a contract column is an error naming the cell."""
    import pandas as pd

    from pmo_analytics.ingest import workbooks

    table = name.split("_", 1)[1]
    read = workbooks.read(path, sheet=sheet, table=table, columns=TABLES[table].column_names)
    names = read.header
    frame = pd.DataFrame([[v or None for v in row] for row in read.rows], columns=positional(len(names)),
                         dtype=object)
    con.register("_xlsx_frame", frame)
    try:
        cols = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in frame.columns) or "NULL AS c0"
        con.sql(f"CREATE TABLE {name} AS SELECT {cols} FROM _xlsx_frame")
    finally:
        con.unregister("_xlsx_frame")
    return names, list(read.notes)
