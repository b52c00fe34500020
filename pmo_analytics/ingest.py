"""Reading export files into DuckDB staging tables, as text, with their row numbers.

Every file becomes a table `raw_<table>` of VARCHAR columns in file order, so `rowid + 1` is the
data row (1 = first row under the header) and validation can point at the exact row and column of
each problem before any value is converted. CSV goes through DuckDB's reader; XLSX through pandas + openpyxl (DuckDB's Excel
extension would need the internet); Parquet through DuckDB.
"""
from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .contract import TABLES
from .exceptions import InputError, UsageError

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "parquet"}


@dataclass(frozen=True)
class Source:
    """One input file and the canonical table it feeds."""

    table: str
    path: Path

    @property
    def format(self) -> str:
        return FORMATS[self.path.suffix.lower()]

    def checksum(self) -> str:
        digest = hashlib.sha256()
        with open(self.path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def discover(paths) -> list[Source]:
    """The input files named by `paths`: files named <table>.<ext>, or folders holding such files."""
    sources: dict[str, Source] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = [p for p in sorted(path.iterdir()) if p.is_file() and _table_of(p)]
            if not found:
                names = ", ".join(f"{t}.csv" for t in TABLES)
                raise InputError(f"{path}: no export files found (expected files named {names}, "
                                 "or .xlsx / .parquet)")
        elif path.is_file():
            if not _table_of(path):
                raise InputError(f"{path}: cannot tell which table this file is; name it after a "
                                 f"table ({', '.join(TABLES)}) with extension .csv, .xlsx or .parquet")
            found = [path]
        else:
            raise InputError(f"{path}: no such file or folder")
        for p in found:
            table = _table_of(p)
            if table in sources:
                raise UsageError(f"two files for table {table}: {sources[table].path} and {p}")
            sources[table] = Source(table, p)
    return [sources[t] for t in TABLES if t in sources]


def _table_of(path: Path) -> str | None:
    if path.suffix.lower() not in FORMATS:
        return None
    stem = path.stem.strip().lower()
    return stem if stem in TABLES else None


def stage(con: duckdb.DuckDBPyConnection, source: Source) -> tuple[str, list[str]]:
    """Reads one file into `raw_<table>` (all text, in file order); returns the table and its columns."""
    name = f"raw_{source.table}"
    con.sql(f"DROP TABLE IF EXISTS {name}")
    reader = {"csv": _stage_csv, "xlsx": _stage_xlsx, "parquet": _stage_parquet}[source.format]
    reader(con, source.path, name)
    columns = [r[0] for r in con.sql(f"DESCRIBE {name}").fetchall()]
    return name, columns


def ident(name: str) -> str:
    """A column name quoted for SQL, whatever characters the export put in its header."""
    return '"' + str(name).replace('"', '""') + '"'


def _first_error_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _sniff_text(path: Path) -> None:
    """Fails early, with a clear message, on files that are empty or not text at all."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        raise InputError(f"{path}: the file is empty")
    if b"\x00" in head or head.startswith(b"PK\x03\x04"):
        hint = " (it looks like an Excel workbook: name it .xlsx)" if head.startswith(b"PK") else ""
        raise InputError(f"{path}: not a text CSV file; it contains binary data{hint}")


def _stage_csv(con, path: Path, name: str) -> None:
    _sniff_text(path)
    try:
        con.sql(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, "
            "header=true, all_varchar=true, delim=',', quote='\"', escape='\"', "
            "strict_mode=true, null_padding=false, max_line_size=4000000, sample_size=-1)",
            params=[str(path)],
        )
    except duckdb.Error as exc:
        raise InputError(f"{path}: cannot read as CSV: {_first_error_line(exc)}") from None


def _stage_xlsx(con, path: Path, name: str) -> None:
    import pandas as pd

    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            sheets = {s.strip().lower(): s for s in book.sheet_names}
            table = name.removeprefix("raw_")
            sheet = sheets.get(table, book.sheet_names[0])
            frame = pd.read_excel(book, sheet_name=sheet, dtype=str, keep_default_na=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(f"{path}: not a readable Excel workbook ({_first_error_line(exc)})") from None
    frame.columns = [str(c) for c in frame.columns]
    frame = frame.replace({"": None})
    con.register("_xlsx_frame", frame)
    try:
        cols = ", ".join(f"CAST({ident(c)} AS VARCHAR) AS {ident(c)}" for c in frame.columns) or "NULL AS _empty"
        con.sql(f"CREATE TABLE {name} AS SELECT {cols} FROM _xlsx_frame")
    finally:
        con.unregister("_xlsx_frame")


def _stage_parquet(con, path: Path, name: str) -> None:
    try:
        cols = [r[0] for r in con.sql("DESCRIBE SELECT * FROM read_parquet(?)", params=[str(path)]).fetchall()]
        casts = ", ".join(f"CAST({ident(c)} AS VARCHAR) AS {ident(c)}" for c in cols)
        con.sql(f"CREATE TABLE {name} AS SELECT {casts} FROM read_parquet(?)", params=[str(path)])
    except duckdb.Error as exc:
        raise InputError(f"{path}: cannot read as Parquet: {_first_error_line(exc)}") from None
