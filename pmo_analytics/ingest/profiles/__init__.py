"""Import profiles: how one tool's export maps onto the canonical tables.

A profile is a TOML file a user can write and keep next to the data. It says how to read the file
(encoding, delimiter, header row, transposed layout, decimal comma, date formats, placeholder codes)
and, per canonical table, which export column(s) feed each canonical column, with constants, value
mappings (status words, RAG colours) and scale factors. Staging turns the export into a text table
with canonical column names and canonical text (ISO dates, '.' decimals), keeping the original text
of any value it cannot convert, so validation reports it with its row and column.

Shipped profiles live in pmo_analytics/profiles/; `--profile` takes a name or a path. Without one,
a profile is picked when its [detect] columns are all in the file's header (profiles in the data
folder are tried first), and the choice is reported. A transposed profile is matched against the
header the file has once transposed.

What real exports needed beyond a column-to-column mapping (each is optional):
- Wildcards: `*` in an export column name, a [detect] column or a placeholder matches any text
  ("IPA RAG rating*" for a header whose wording changes every year, "Exempt under*" for the many
  spellings of an exemption note). Names are compared without case, with runs of spaces, line breaks
  and underscores counting as one space. A wildcard column name takes every header it matches
  (first non-empty wins, as with duplicate headers).
- `[read] units = ["m"]`: unit words written after numbers ('£1.90m') are dropped before parsing;
  the column's `scale` says what they mean.
- Per column: `template = "{School} - {Description}"` builds text from several export columns (an
  id or a name the export does not carry as one column; cells as written; `{as_of}` works too);
  `default` is the value when the export's cell is empty or a placeholder; `placeholders` adds codes
  that mean "missing" in that column only ("-*": negative amounts in a money column);
  `number_repeats = ["Phase"]` makes a key unique: the n-th row (n >= 2) with the same value and the
  same values in the listed columns gets " #n" appended (two projects with the same name and their
  phases), and the count is reported.
- Per table: `distinct = true` keeps one of rows that are identical once mapped (projects read from a
  file of project phases; exact duplicate rows), and the count is reported. Validation messages of
  such a table count the rows that remain, not the file's rows.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pmo_analytics import packaged
from pmo_analytics.contract import DATE, INTEGER, NUMBER, TABLES
from pmo_analytics.exceptions import InputError, UsageError
from pmo_analytics.ingest.profiles import schema

SHIPPED = packaged.PROFILES
DELIMITERS = [",", ";", "\t", "|"]


@dataclass(frozen=True)
class ColumnMap:
    """Where one canonical column comes from: export columns (first non-empty wins) or a constant."""

    sources: tuple[str, ...] = ()
    value: str | None = None
    scale: float | None = None
    values: tuple[tuple[str, str], ...] = ()  # (export value lower-cased, canonical value)
    formats: tuple[str, ...] = ()  # date formats for this column, overriding the profile's
    template: str | None = None  # text built from export columns: "{Col A} - {Col B}"
    default: str | None = None  # value when the export's cell is empty or a placeholder
    number_repeats: tuple[str, ...] | None = None  # export columns that, with the value, must be unique
    placeholders: tuple[str, ...] = ()  # codes meaning "missing" in this column only, besides the profile's


@dataclass(frozen=True)
class Profile:
    """A parsed profile file."""

    name: str
    description: str = ""
    path: Path | None = None
    kind: str = schema.default("", "kind")  # mapped | canonical | workbook | mspdi
    encoding: str = schema.default("read", "encoding")
    delimiter: str = schema.default("read", "delimiter")
    header_row: int = schema.default("read", "header_row")
    transpose: bool = schema.default("read", "transpose")
    decimal: str = schema.default("read", "decimal")
    thousands: str = ","  # the schema's default depends on decimal: ',' or '.' when decimal is ','
    dates: tuple[str, ...] = schema.default("read", "dates")
    placeholders: tuple[str, ...] = schema.default("read", "placeholders")
    units: tuple[str, ...] = schema.default("read", "units")  # unit words after numbers ('£1.90m'), dropped
    detect: tuple[str, ...] = schema.default("detect", "columns")
    tables: dict[str, dict[str, ColumnMap]] = field(default_factory=dict)
    distinct: tuple[str, ...] = ()  # tables whose rows identical once mapped are kept once

    def feeds(self, path: Path) -> list[str]:
        """The canonical tables a file read with this profile feeds."""
        if self.tables:
            return list(self.tables)
        stem = path.stem.strip().lower()
        return [stem] if stem in TABLES else []


def _norm(name: str) -> str:
    return re.sub(r"[\s_]+", " ", str(name).strip().lower())


def _matches(pattern: str, names) -> list:
    """The names (normalised) that an export column name matches: equal, or by `*` wildcards."""
    want = _norm(pattern)
    if "*" not in want:
        return [n for n in names if n == want]
    rx = re.compile(".*".join(re.escape(part) for part in want.split("*")), re.DOTALL)
    return [n for n in names if rx.fullmatch(n)]


TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")


def _column_map(spec) -> ColumnMap:
    """A ColumnMap from a column spec the schema has checked (profile_schema.COLUMN)."""
    if not isinstance(spec, dict):
        return ColumnMap(sources=schema.strings(spec))
    repeats = spec.get("number_repeats")
    return ColumnMap(
        sources=schema.strings(spec.get("columns", spec.get("column", ()))),
        value=None if "value" not in spec else str(spec["value"]),
        scale=spec.get("scale"),
        values=tuple((_norm(k), v) for k, v in spec.get("values", {}).items()),
        formats=schema.strings(spec.get("formats", ())),
        template=spec.get("template"),
        default=None if "default" not in spec else str(spec["default"]),
        number_repeats=None if repeats is None else schema.strings(repeats),
        placeholders=schema.strings(spec.get("placeholders", ())),
    )


def parse(text: str, path: Path | None = None, name: str | None = None) -> Profile:
    """A Profile from TOML text, checked against profile_schema; errors name the file and the key."""
    where = str(path or name or "profile")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{where}: not valid TOML: {exc}") from None
    schema.check(data, where)

    def get(section: str, key: str):
        return schema.setting(data, section, key)

    tables, distinct = {}, []
    for table, cols in data.get("tables", {}).items():
        cols = dict(cols)
        if "distinct" not in TABLES[table].column_names and cols.pop("distinct", False):
            distinct.append(table)
        tables[table] = {c: _column_map(spec) for c, spec in cols.items()}
    decimal, thousands = get("read", "decimal"), get("read", "thousands")
    return Profile(
        name=get("", "name") or name or (path.stem if path else "profile"),
        description=get("", "description"),
        path=path,
        kind=get("", "kind"),
        encoding=get("read", "encoding"),
        delimiter=get("read", "delimiter"),
        header_row=get("read", "header_row"),
        transpose=get("read", "transpose"),
        decimal=decimal,
        thousands=("," if decimal == "." else ".") if thousands is None else thousands,
        dates=schema.strings(get("read", "dates")),
        placeholders=schema.strings(get("read", "placeholders")),
        units=schema.strings(get("read", "units")),
        detect=schema.strings(get("detect", "columns")),
        tables=tables,
        distinct=tuple(distinct),
    )


def _read_file(path: Path) -> Profile:
    """A Profile from a .toml file; a folder, unreadable or non-UTF-8 file is a UsageError naming it."""
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; expected a profile file (UTF-8 TOML)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the profile ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start}); expected a profile file saved as "
                         "UTF-8 TOML") from None
    return parse(text, path=path)


def shipped() -> dict[str, Profile]:
    """The profiles that come with the workbench, by name."""
    out = {}
    for f in sorted(SHIPPED.glob("*.toml")):
        profile = parse(f.read_text(encoding="utf-8"), path=f)
        out[profile.name] = profile
    return out


def resolve(spec: str | None) -> Profile | None:
    """A profile from `--profile`: a shipped name or a path to a .toml file."""
    if spec is None:
        return None
    profiles = shipped()
    if spec in profiles:
        return profiles[spec]
    path = Path(spec)
    if path.suffix.lower() == ".toml":
        if not (path.exists() or path.is_symlink()):
            raise UsageError(f"{path}: no such profile file")
        return _read_file(path)
    raise UsageError(f"unknown profile {spec!r}: give a .toml file or one of {', '.join(profiles)}")


def fallback(path: Path) -> Profile:
    """How to read a file that has the contract's columns but is not plain UTF-8 comma-separated.

    ';'-delimited files are European exports (decimal comma, day-first dates); any other delimiter
    keeps '.' decimals and ISO dates, with the encoding detected.
    """
    text, _, _ = _decode(path.read_bytes()[:65536], "auto")
    delimiter = _sniff_delimiter(text)
    if delimiter == ";":
        return shipped()["european"]
    shown = {"\t": "tab", ",": "comma", "|": "pipe"}[delimiter]
    return Profile(name="delimited", description=f"contract columns, {shown}-delimited, encoding detected",
                   delimiter=delimiter)


def candidates(folder: Path) -> list[Profile]:
    """Profiles to try for auto-detection: those kept next to the data first, then the shipped ones."""
    local = []
    for f in sorted(folder.glob("*.toml")):
        try:
            local.append(_read_file(f))
        except UsageError as exc:  # refused, not skipped: the user meant it to be tried
            raise UsageError(f"{exc} (a profile in the data folder, tried for auto-detection; fix or "
                             "move it)") from None
    return local + [p for p in shipped().values() if p.detect]


# --------------------------------------------------------------------------------------------- reading

def _decode(raw: bytes, encoding: str) -> tuple[str, str, int]:
    """Text, the encoding used and the count of bytes that had to be guessed.

    'auto' is UTF-8 (with or without BOM) when the bytes are valid UTF-8, else Windows-1252. The five
    bytes Windows-1252 leaves undefined are read as Latin-1, and counted, so a stray byte in a long
    export costs one character, not the file.
    """
    if encoding in ("auto", "utf-8", "utf-8-sig", "utf8"):
        try:
            return raw.decode("utf-8-sig"), "utf-8", 0
        except UnicodeDecodeError as exc:
            if encoding != "auto":
                raise InputError(f"not UTF-8 text (byte {exc.start}); is it Windows-1252? "
                                 "set encoding = 'cp1252' in the profile") from None
        return _decode_mixed(raw)
    guessed = 0

    def latin1(err):
        nonlocal guessed
        guessed += err.end - err.start
        return err.object[err.start:err.end].decode("latin-1"), err.end

    codecs.register_error("pmo_latin1", latin1)
    return raw.decode(encoding, errors="pmo_latin1"), encoding, guessed


def _decode_mixed(raw: bytes) -> tuple[str, str, int]:
    """Line by line: UTF-8 where a line is valid UTF-8, Windows-1252 elsewhere (files pasted together
    from two tools). Returns the count of lines read as Windows-1252; all of them when none was UTF-8."""
    lines = raw.removeprefix(codecs.BOM_UTF8).split(b"\n")
    out, legacy, multibyte = [], 0, False
    for line in lines:
        try:
            out.append(line.decode("utf-8"))
            multibyte = multibyte or any(b > 0x7F for b in line)  # a line that really is UTF-8, not ASCII
        except UnicodeDecodeError:
            out.append(line.decode("cp1252", errors="pmo_latin1_quiet"))
            legacy += 1
    return "\n".join(out), ("utf-8 and cp1252" if multibyte else "cp1252"), legacy


def _latin1_quiet(err):
    return err.object[err.start:err.end].decode("latin-1"), err.end


codecs.register_error("pmo_latin1_quiet", _latin1_quiet)


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines most consistently (quotes respected)."""
    sample = "\n".join(text.splitlines()[:20])
    best, best_score = ",", -1
    for d in DELIMITERS:
        rows = list(csv.reader(io.StringIO(sample), delimiter=d))[:10]
        widths = [len(r) for r in rows if r]
        if not widths or widths[0] < 2:
            continue
        score = widths[0] * sum(w == widths[0] for w in widths)
        if score > best_score:
            best, best_score = d, score
    return best


@lru_cache(maxsize=8)
def _read_cached(path: str, mtime: float, encoding: str, delimiter: str, header_row: int,
                 transpose: bool, sheet: str | None):
    p = Path(path)
    notes = []
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        from pmo_analytics.ingest import (
            workbooks,  # checks the archive, refuses formula and error cells, notes what it changed
        )

        read = workbooks.read(p, sheet=sheet, header_row=0 if transpose else header_row)
        rows = read.rows if transpose else [[]] * (read.header_row - 1) + [read.header] + read.rows
        notes += read.notes
    else:
        raw = p.read_bytes()
        if not raw.strip():
            raise InputError(f"{p}: the file is empty")
        if b"\x00" in raw[:65536]:
            raise InputError(f"{p}: not a text file; it contains binary data")
        try:
            text, used, guessed = _decode(raw, encoding)
        except InputError as exc:
            raise InputError(f"{p}: {exc}") from None
        if guessed and used == "utf-8 and cp1252":
            notes.append(f"mixed encodings: {guessed} line(s) are not UTF-8; read them as Windows-1252")
        elif guessed and used == "cp1252" and encoding == "auto":
            notes.append("not UTF-8; read as Windows-1252")
        elif guessed:
            notes.append(f"{guessed} byte(s) are not valid {used}; read as Latin-1")
        delim = _sniff_delimiter(text) if delimiter == "auto" else delimiter.replace("\\t", "\t")
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
        except csv.Error as exc:
            raise InputError(f"{p}: cannot read as CSV: {exc}") from None
    if transpose:
        width = max((len(r) for r in rows), default=0)
        rows = [list(col) for col in zip(*[r + [""] * (width - len(r)) for r in rows])]
    if len(rows) < header_row:
        raise InputError(f"{p}: no header on line {header_row}")
    header = [h.strip() for h in rows[header_row - 1]]
    body = [r for r in rows[header_row:] if any(c.strip() for c in r)]
    return header, body, tuple(notes)


def read_table(path: Path, profile: Profile, sheet: str | None = None):
    """(header, rows of text, notes) of an export, read as the profile says; cached per file."""
    return _read_cached(str(path), path.stat().st_mtime, profile.encoding, profile.delimiter,
                        profile.header_row, profile.transpose, sheet)


def header_of(path: Path) -> list[str]:
    """The header of any text or Excel export, read with auto-detected encoding and delimiter."""
    return read_table(path, Profile(name="sniff"))[0]


def detect(path: Path, header: list[str]) -> Profile | None:
    """The first profile whose [detect] columns are all in the header (for a transposed profile: in
    the header of the file once transposed; those are tried last, as they read the file again)."""
    names = {_norm(h) for h in header}
    for profile in sorted(candidates(path.parent), key=lambda p: p.transpose):
        if not profile.detect:
            continue
        seen = names
        if profile.transpose:
            try:
                seen = {_norm(h) for h in read_table(path, profile)[0]}
            except InputError:
                continue
        if all(_matches(c, seen) for c in profile.detect):
            return profile
    return None


# --------------------------------------------------------------------------------------------- staging

def _sql_text(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _placeholder_sql(v: str, placeholders: tuple[str, ...]) -> str:
    """SQL: is `v` one of the profile's placeholder codes (case ignored; `*` matches any text)?"""
    exact = [_sql_text(p.lower()) for p in placeholders if "*" not in p]
    conds = [f"lower({v}) IN ({', '.join(exact)})"] if exact else []
    for p in placeholders:
        if "*" in p:
            like = re.sub(r"\s+", " ", p.strip().lower())
            like = like.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
            conds.append(f"regexp_replace(lower({v}), '\\s+', ' ', 'g') LIKE {_sql_text(like)} ESCAPE '\\'")
    return "(" + " OR ".join(conds) + ")" if conds else "false"


def _template_sql(template: str, where, as_of_text: str) -> str | None:
    """SQL building text from export columns ("{Col A} - {Col B}"); None when a column is not in the file."""
    parts, pos = [], 0
    for m in TEMPLATE_FIELD.finditer(template):
        if m.start() > pos:
            parts.append(_sql_text(template[pos:m.start()]))
        field_name = m.group(1)
        if field_name == "as_of":
            parts.append(_sql_text(as_of_text))
        else:
            found = where(field_name)
            if not found:
                return None
            cells = [f"NULLIF(trim(s{i}), '')" for i in found] + ["''"]
            parts.append(f"coalesce({', '.join(cells)})")
        pos = m.end()
    if pos < len(template):
        parts.append(_sql_text(template[pos:]))
    return f"NULLIF(trim({' || '.join(parts) or repr('')}), '')"


def stage(con, path: Path, table: str, profile: Profile, name: str, as_of=None,
          sheet: str | None = None) -> tuple[list[str], list[str]]:
    """Stages one canonical table from an export as text table `name` (c0..cN, canonical order).

    Returns the canonical header and notes (placeholder counts, encoding guesses, numbered repeats,
    collapsed rows) for the report.
    """
    import pandas as pd

    header, rows, notes = read_table(path, profile, sheet)
    notes = list(notes)
    names = [_norm(h) for h in header]

    def where(source: str) -> list[int]:
        hits = set(_matches(source, set(names)))
        return [i for i, n in enumerate(names) if n in hits]

    width = len(header)
    frame = pd.DataFrame([(r + [""] * width)[:width] for r in rows], columns=[f"s{i}" for i in range(width)],
                         dtype=object)
    frame["_row"] = range(len(frame))
    con.register("_profile_frame", frame)
    mapping = profile.tables.get(table) or {c: ColumnMap(sources=(c,)) for c in TABLES[table].column_names}
    as_of_text = as_of.replace(day=1).isoformat() if as_of else ""
    selects, canon, counted, numbered = [], [], [], []
    for column in TABLES[table].columns:
        spec = mapping.get(column.name)
        if spec is None:
            continue
        if spec.value is not None:
            selects.append(f"{_sql_text(spec.value.replace('{as_of}', as_of_text))} AS c{len(canon)}")
            canon.append(column.name)
            continue
        if spec.template is not None:
            v = _template_sql(spec.template, where, as_of_text)
            if v is None:
                continue
        else:
            found = list(dict.fromkeys(i for s in spec.sources for i in where(s)))
            if not found:
                continue
            cells = [f"NULLIF(trim(s{i}), '')" for i in found]
            v = f"coalesce({', '.join(cells)})" if len(cells) > 1 else cells[0]
        codes = profile.placeholders + spec.placeholders
        is_placeholder = _placeholder_sql(v, codes)
        counted.append((column.name, is_placeholder, v, codes))
        v = f"CASE WHEN {is_placeholder} THEN NULL ELSE {v} END"
        if spec.values:
            cases = " ".join(f"WHEN {_sql_text(k)} THEN {_sql_text(t)}" for k, t in spec.values)
            v = f"CASE regexp_replace(lower(trim({v})), '[\\s_]+', ' ', 'g') {cases} ELSE {v} END"
            v = f"NULLIF({v}, '')"
        if spec.default is not None:
            v = f"coalesce({v}, {_sql_text(spec.default.replace('{as_of}', as_of_text))})"
        if column.type in (NUMBER, INTEGER):
            v = _number_sql(v, profile, spec.scale)
        elif column.type == DATE:
            v = _date_sql(v, spec.formats or profile.dates)
        if spec.number_repeats is not None:
            by = []
            for c in spec.number_repeats:
                found = where(c)
                if not found:
                    raise InputError(f"{path}: column {c!r} (number_repeats of {column.name} in profile "
                                     f"{profile.name}) is not in the file")
                by += [f"NULLIF(trim(s{i}), '')" for i in found]
            n = f"row_number() OVER (PARTITION BY {', '.join([v] + by)} ORDER BY _row)"
            numbered.append((column.name, f"{v} IS NOT NULL AND {n} > 1"))
            v = f"CASE WHEN {v} IS NOT NULL AND {n} > 1 THEN {v} || ' #' || {n} ELSE {v} END"
        selects.append(f"{v} AS c{len(canon)}")
        canon.append(column.name)
    try:
        if counted:
            # One scan: per column, how many cells are placeholders, and which of the codes were found.
            exprs = [f"count_if({cond})" for _, cond, _, _ in counted]
            exprs += [f"count_if({_placeholder_sql(v, (code,))})" for _, _, v, codes in counted for code in codes]
            found = iter(con.sql("SELECT " + ", ".join(exprs) + " FROM _profile_frame").fetchall()[0])
            totals = [next(found) for _ in counted]
            for (col, _, _, codes), n in zip(counted, totals):
                seen = [code for code in codes if next(found)]
                if n:
                    notes.append(f"column {col}: {n} placeholder value(s) ({', '.join(seen)}) treated as missing")
        for col, cond in numbered:
            n = con.sql(f"SELECT count_if(f) FROM (SELECT {cond} AS f FROM _profile_frame)").fetchall()[0][0]
            if n:
                notes.append(f"column {col}: {n} value(s) repeat an earlier row's; numbered ' #2', ' #3', ... "
                             "to keep them apart")
        body = f"SELECT {', '.join(selects) or 'NULL AS c0'}, _row FROM _profile_frame"
        if table in profile.distinct:
            keys = ", ".join(f"c{i}" for i in range(max(len(canon), 1)))
            body = f"SELECT * FROM ({body}) QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _row) = 1"
        con.sql(f"CREATE OR REPLACE TABLE {name} AS SELECT * EXCLUDE (_row) FROM ({body}) ORDER BY _row")
        if table in profile.distinct:
            kept = con.sql(f"SELECT count(*) FROM {name}").fetchall()[0][0]
            if kept < len(frame):
                notes.append(f"{len(frame) - kept} row(s) repeat an earlier row once mapped to {table}; "
                             f"kept once (distinct), {kept} remain")
    finally:
        con.unregister("_profile_frame")
    return canon, notes


def _number_sql(v: str, profile: Profile, scale) -> str:
    """Money and numbers as written by people: '£1,139.18', '1.234,5', '(200)', '12 %' -> canonical text.

    A value that still does not convert is kept as written, so validation reports it.
    """
    cleaned = f"regexp_replace({v}, '[£$€¥\\s]|^[A-Z]{{3}} ?|%$', '', 'g')"
    if profile.units:
        units = "|".join(re.escape(u) for u in profile.units)
        cleaned = f"regexp_replace({cleaned}, {_sql_text('([0-9.])(?:' + units + ')$')}, '\\1', 'i')"
    if profile.thousands:
        cleaned = f"replace({cleaned}, {_sql_text(profile.thousands)}, '')"
    if profile.decimal != ".":
        cleaned = f"replace({cleaned}, {_sql_text(profile.decimal)}, '.')"
    cleaned = f"regexp_replace({cleaned}, '^\\((.*)\\)$', '-\\1')"
    number = f"TRY_CAST({cleaned} AS DOUBLE)"
    if scale:
        number = f"({number} * {float(scale)!r})"
    return f"coalesce(CAST(round({number}, 6) AS VARCHAR), {v})"


def _date_sql(v: str, formats: tuple[str, ...]) -> str:
    """Dates in the profile's formats -> 'YYYY-MM-DD'; ISO timestamps accepted too; else the text."""
    fmts = "[" + ", ".join(_sql_text(f) for f in formats) + "]"
    iso = f"TRY_CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE)"
    parsed = f"coalesce(CAST(try_strptime({v}, {fmts}) AS DATE), TRY_CAST({v} AS DATE), {iso})"
    return f"coalesce(strftime({parsed}, '%Y-%m-%d'), {v})"


def stage_frame(con, frame, name: str) -> list[str]:
    """Stages a DataFrame of canonical text columns (e.g. read from MS Project XML) as table `name`."""
    header = [str(c) for c in frame.columns]
    staged = frame.astype(object).where(frame.notna(), None)
    staged.columns = [f"c{i}" for i in range(len(header))]
    con.register("_profile_frame", staged)
    try:
        cols = ", ".join(f"CAST(c{i} AS VARCHAR) AS c{i}" for i in range(len(header))) or "NULL AS c0"
        con.sql(f"CREATE OR REPLACE TABLE {name} AS SELECT {cols} FROM _profile_frame")
    finally:
        con.unregister("_profile_frame")
    return header
