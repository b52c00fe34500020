"""Reading export files into DuckDB staging tables, as text, with their row numbers.

A staged table keeps the file's rows in order, so `rowid + 1` is the data row (1 = first row under
the header) and validation can point at the exact row and column of each problem. Columns are
named c0, c1, ... by position, whatever the header says. A CSV is first read typed (DuckDB converts
while reading, the fast path); if any value does not convert, it is read again as text so every
bad cell can be reported. XLSX goes through pandas + openpyxl (DuckDB's Excel extension would need
the internet); Parquet through DuckDB.
"""
from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb

from pmo_analytics.contract import TABLES
from pmo_analytics.exceptions import InputError, UsageError
from pmo_analytics.ingest import profiles
from pmo_analytics.ingest.profiles import Profile

FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
           ".parquet": "parquet", ".xml": "xml"}


@dataclass(frozen=True)
class Source:
    """One input file and the canonical table it feeds, with the profile that reads it (None: the
    workbench's own format) and, when the profile was picked automatically, why."""

    table: str
    path: Path
    profile: Profile | None = None
    sheet: str | None = None
    picked: str | None = None

    @property
    def format(self) -> str:
        return FORMATS[self.path.suffix.lower()]

    def checksum(self) -> str:
        digest = hashlib.sha256()
        with open(self.path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def discover(paths, profile: str | None = None) -> list[Source]:
    """The input files named by `paths` (files, or folders of files) and the tables each feeds.

    A file named after a table in the workbench's format needs no profile; otherwise `profile` (a
    shipped name or a .toml path) says how to read it, or one is picked from the file's columns.
    """
    chosen = profiles.resolve(profile)
    sources: dict[str, Source] = {}
    for raw in paths:
        path = Path(raw)
        _check_entry(path)
        if path.is_dir():
            files = [_check_entry(p, in_folder=True) for p in sorted(path.iterdir()) if p.suffix.lower() in FORMATS]
            if not files:
                names = ", ".join(f"{t}.csv" for t in TABLES)
                raise InputError(f"{path}: no export files found (expected files named {names}, "
                                 "or .xlsx / .parquet / MS Project .xml)")
        elif path.is_file():
            files = [path]
        else:
            raise InputError(f"{path}: no such file or folder")
        for f in files:
            for source in _sources_of(f, chosen):
                if source.table in sources:
                    raise UsageError(f"two files for table {source.table}: {sources[source.table].path} and {f}")
                sources[source.table] = source
    return [sources[t] for t in TABLES if t in sources]


def _check_entry(path: Path, in_folder: bool = False) -> Path:
    """An export path that leads nowhere (a dangling or looping link) or to something that is not a
    file (a named pipe would block the read; a folder named projects.csv) is an error, not a file
    left out: leaving it out would load the month without that table and say nothing."""
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:
            raise InputError(f"{path}: a symbolic link that loops back on itself; point it at the export") from None
        except OSError:
            raise InputError(f"{path}: a symbolic link to {os.readlink(path)}, which does not exist") from None
    if path.exists() and not path.is_file() and (in_folder or not path.is_dir()):
        what = "a folder" if path.is_dir() else "not a regular file (a named pipe or a device?)"
        raise InputError(f"{path}: {what}; an export must be a file")
    if path.is_file():
        try:
            with open(path, "rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise InputError(f"{path}: cannot read it: {exc.strerror}") from None
    return path


# DuckDB expands these in a file name, so 'exports[1]/projects.csv' would read 'exports1/projects.csv'.
GLOB_CHARACTERS = frozenset("*?[]{}")


@contextlib.contextmanager
def literal(path: Path):
    """`path` as DuckDB must be given it to read that file and no other: a path with glob characters
    is read through a link with a plain name in a private temporary folder."""
    if not GLOB_CHARACTERS & set(str(path)):
        yield str(path)
        return
    with tempfile.TemporaryDirectory(prefix="pmo-literal-") as folder:
        link = Path(folder) / f"input{path.suffix.lower()}"
        os.symlink(Path(path).resolve(), link)
        yield str(link)


def _sources_of(path: Path, chosen: Profile | None) -> list[Source]:
    table = _table_of(path)
    suffix = path.suffix.lower()
    if chosen is not None and chosen.kind == "canonical" and table:
        return [Source(table, path)]
    if chosen is not None and chosen.kind == "workbook":
        sheets = _workbook_tables(path)
        if not sheets:
            raise InputError(f"{path}: no sheet of this workbook is named after a table (name the sheets "
                             f"{', '.join(TABLES)}), so profile {chosen.name} finds nothing to load")
        return [Source(t, path, sheet=s) for t, s in sheets.items()]
    if chosen is not None and chosen.kind != "canonical":
        if chosen.kind == "mspdi":
            return [Source(t, path, chosen) for t in mspdi_frames(path)]
        tables = chosen.feeds(path)
        if not tables:
            raise InputError(f"{path}: profile {chosen.name} does not say which table this file feeds; "
                             "name the file after a table or add [tables.<name>] to the profile")
        return [Source(t, path, chosen) for t in tables]
    if suffix == ".xml":
        from pmo_analytics.ingest.schedules import mspdi as schedules

        if not schedules.is_mspdi(path):
            raise InputError(f"{path}: not an MS Project XML (MSPDI) file; the workbench reads MSPDI "
                             "schedules (File > Save As > XML in MS Project)")
        picked = profiles.shipped()["mspdi"]
        return [Source(t, path, picked, picked="MS Project XML") for t in mspdi_frames(path)]
    if FORMATS.get(suffix) == "xlsx" and not table:
        sheets = _workbook_tables(path)
        if sheets:
            return [Source(t, path, sheet=s, picked=f"workbook sheet {s!r}") for t, s in sheets.items()]
    if table and FORMATS[suffix] != "csv":
        return [Source(table, path)]
    if table:
        first = header(Source(table, path), strict=False)
        if first is not None and all(c in [h.strip().lower() for h in first] for c in TABLES[table].required):
            return [Source(table, path)]
    sniffed = profiles.header_of(path)
    if table and all(c in [h.strip().lower() for h in sniffed] for c in TABLES[table].required):
        fallback = profiles.fallback(path)
        return [Source(table, path, fallback, picked=fallback.description)]
    found = profiles.detect(path, sniffed)
    if found is not None:
        why = f"its columns include {', '.join(found.detect)}"
        return [Source(t, path, found, picked=why) for t in found.feeds(path)]
    if table:
        return [Source(table, path)]  # validation will name the missing columns
    raise InputError(f"{path}: cannot tell which table this file is; name it after a table "
                     f"({', '.join(TABLES)}), or give --profile (shipped: {', '.join(profiles.shipped())})")


def mspdi_frames(path: Path) -> dict:
    """The canonical tables an MS Project XML file carries (non-empty ones), read once per file."""
    return _mspdi_cached(str(path), path.stat().st_mtime)


@lru_cache(maxsize=4)
def _mspdi_cached(path: str, mtime: float) -> dict:
    from pmo_analytics.ingest.schedules import mspdi as schedules

    return {t: f for t, f in schedules.read_mspdi(Path(path)).items() if len(f)}


def _workbook_tables(path: Path) -> dict[str, str]:
    """Visible worksheets of a workbook named after canonical tables: {table: sheet name}. A hidden
    sheet is never one (often a stale copy); a workbook that cannot be read safely says why, here."""
    from pmo_analytics.ingest import workbooks

    return workbooks.tables(path, TABLES)


def _table_of(path: Path) -> str | None:
    if path.suffix.lower() not in FORMATS:
        return None
    stem = path.stem.strip().lower()
    return stem if stem in TABLES else None


def header(source: Source, strict: bool = True) -> list[str] | None:
    """The column names of a CSV file's first record (a quoted name may span lines).

    strict=False returns None instead of raising when the file is not UTF-8 text.
    """
    _sniff_text(source.path)
    if not strict and not _is_utf8(source.path):
        return None
    try:
        with open(source.path, encoding="utf-8-sig", newline="") as fh:
            names = next(csv.reader(fh), [])
    except UnicodeDecodeError as exc:
        if not strict:
            return None
        raise InputError(f"{source.path}: not UTF-8 text (byte {exc.start} of the file); save it as "
                         "UTF-8 CSV or give --profile european") from None
    except csv.Error as exc:
        raise InputError(f"{source.path}: cannot read the header: {exc}") from None
    return names


def ident(name: str) -> str:
    """A column name quoted for SQL, whatever characters the export put in its header."""
    return '"' + str(name).replace('"', '""') + '"'


def _is_utf8(path: Path) -> bool:
    """Whether the whole file decodes as UTF-8 (an export can turn Windows-1252 on line 90,000)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


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
    return _stage_parquet(con, source.path, name), []


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


def _read_csv(con, path: Path, name: str, types: list[str], select: list[str] | None = None) -> None:
    columns = "{" + ", ".join(f"'{c}': '{t}'" for c, t in zip(positional(len(types)), types)) + "}"
    try:
        with literal(path) as readable:
            con.sql(f"CREATE TABLE {name} AS SELECT {', '.join(select or ['*'])} FROM read_csv(?, header=true, "
                    f"auto_detect=false, columns={columns}, delim=',', quote='\"', escape='\"', "
                    f"dateformat='%Y-%m-%d', strict_mode=true, null_padding=false, max_line_size={MAX_LINE_BYTES})",
                    params=[readable])
    except duckdb.ConversionException:
        raise
    except duckdb.Error as exc:
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
        return f"line {line.group(1)}: {_first_error_line(exc)}"
    return _first_error_line(exc)


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


NESTED = re.compile(r"STRUCT|MAP|UNION|\[\d*\]$")


def _stage_parquet(con, path: Path, name: str) -> list[str]:
    """Reads a Parquet file as text columns; a contract column holding nested values (a struct, list
    or map) is an error: cast to text it would be stored as '{'a': ...}'."""
    table = TABLES[name.split("_", 1)[1]]
    try:
        with literal(path) as readable:
            described = con.sql("DESCRIBE SELECT * FROM read_parquet(?)", params=[readable]).fetchall()
            for column, type_, *_ in described:
                if NESTED.search(type_) and column.strip().lower() in table.column_names:
                    raise InputError(f"{path}: column {column} holds nested values ({type_[:60]}); the contract "
                                     f"expects {table.column(column.strip().lower()).type.lower()}: flatten it "
                                     "before exporting")
            names = [r[0] for r in described]
            casts = ", ".join(f"CAST({ident(n)} AS VARCHAR) AS c{i}" for i, n in enumerate(names))
            con.sql(f"CREATE TABLE {name} AS SELECT {casts} FROM read_parquet(?)", params=[readable])
    except duckdb.Error as exc:
        raise InputError(f"{path}: cannot read as Parquet: {_first_error_line(exc)}") from None
    return names
