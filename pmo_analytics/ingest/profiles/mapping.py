"""Staging one canonical table from an export through a profile, as a text table with canonical
column names and canonical text: the SQL for numbers, dates, placeholder codes, templates and
value mappings, and the notes on what was changed."""
from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from pathlib import Path

from pmo_analytics.contract import DATE, INTEGER, NUMBER, TABLES
from pmo_analytics.exceptions import InputError, UsageError
from pmo_analytics.ingest.profiles.model import TEMPLATE_FIELD, ColumnMap, Profile, matches, norm
from pmo_analytics.ingest.profiles.reading import decode, read_table, sniff_delimiter


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
    where = _finder(header)
    width = len(header)
    frame = pd.DataFrame([(r + [""] * width)[:width] for r in rows], columns=[f"s{i}" for i in range(width)],
                         dtype=object)
    frame["_row"] = range(len(frame))
    ids = id_map(profile)
    con.register("_profile_frame", frame)
    if ids:
        con.register("_profile_id_map", pd.DataFrame({"o": list(ids), "n": list(ids.values())}, dtype=object))
    mapping = profile.tables.get(table) or {c: ColumnMap(sources=(c,)) for c in TABLES[table].column_names}
    as_of_text = as_of.replace(day=1).isoformat() if as_of else ""
    selects, canon, counted, numbered, renamed = [], [], [], [], []
    for column in TABLES[table].columns:
        spec = mapping.get(column.name)
        mapped = None if spec is None else _column_sql(column, spec, where, profile, path, as_of_text)
        if mapped is None:
            continue
        v, count, number = mapped
        counted += [count] if count else []
        numbered += [number] if number else []
        if ids and (column.name == "project_id" or column.references == "projects.project_id"):
            renamed.append((column.name, f"{v} IN (SELECT o FROM _profile_id_map)"))
            v = f"coalesce((SELECT n FROM _profile_id_map WHERE o = {v}), {v})"
        selects.append(f"{v} AS c{len(canon)}")
        canon.append(column.name)
    try:
        notes += _placeholder_notes(con, counted) + _repeat_notes(con, numbered)
        notes += [f"column {col}: {n} value(s) are old IDs, loaded as the new ones ([id_map] of profile "
                  f"{profile.name})" for col, n in _counts(con, renamed) if n]
        notes += _create(con, name, table, profile, selects, len(canon), len(frame))
    finally:
        con.unregister("_profile_frame")
        if ids:
            con.unregister("_profile_id_map")
    return canon, notes


def id_map(profile: Profile) -> dict[str, str]:
    """The profile's [id_map], old project ID -> new: its entries, then its file's rows (read each
    time a file is staged, so the map can be edited beside the exports). An old ID given two new
    ones is a UsageError naming both."""
    pairs = [(old, new, f"[id_map] {old!r}") for old, new in profile.id_map]
    if profile.id_map_file is not None:
        file = profile.id_map_file
        pairs += [(old, new, f"{file}: row {row}") for old, new, row in _id_map_rows(str(file), file.stat().st_mtime)]
    out, seen = {}, {}
    for old, new, where in pairs:
        if out.get(old, new) != new:
            raise UsageError(f"{profile.path or profile.name}: [id_map]: old id {old!r} is mapped to {out[old]!r} "
                             f"({seen[old]}) and to {new!r} ({where}); keep one")
        out[old], seen[old] = new, where
    return out


@lru_cache(maxsize=8)
def _id_map_rows(path: str, mtime: float) -> tuple[tuple[str, str, int], ...]:
    """(old id, new id, row) of an id map CSV: header old_id,new_id (case and spaces ignored), any
    delimiter and encoding the exports may have; rows count from 1 under the header."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the id map ({exc.strerror or exc})") from None
    text = decode(raw, "auto")[0]
    rows = [(n, [c.strip() for c in r]) for n, r in
            enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)))]
    rows = [(n, cells) for n, cells in rows if any(cells)]
    if not rows or [norm(c) for c in rows[0][1][:2]] != ["old id", "new id"] or any(rows[0][1][2:]):
        got = ", ".join(repr(c[:40]) for c in rows[0][1][:3]) if rows else "an empty file"
        raise UsageError(f"{path}: expected the header old_id,new_id on its first line; got {got}")
    first = rows[0][0]
    out = []
    for n, cells in rows[1:]:
        if len(cells) < 2 or not cells[0] or not cells[1] or any(cells[2:]):
            got = ", ".join(repr(c[:40]) for c in cells[:3])
            raise UsageError(f"{path}: row {n - first}: expected two ids, the old one and the new one; got {got}")
        out.append((cells[0], cells[1], n - first))
    return tuple(out)


def _counts(con, conditions) -> list[tuple[str, int]]:
    """(name, count of rows of the staged export meeting the condition), in one scan."""
    if not conditions:
        return []
    counts = con.sql("SELECT " + ", ".join(f"count_if({c})" for _, c in conditions) + " FROM _profile_frame")
    return list(zip([name for name, _ in conditions], counts.fetchall()[0]))


def _finder(header: list[str]):
    """where(source): the positions of the header's columns an export column name (or wildcard) matches."""
    names = [norm(h) for h in header]

    def where(source: str) -> list[int]:
        hits = set(matches(source, set(names)))
        return [i for i, n in enumerate(names) if n in hits]

    return where


def _column_sql(column, spec: ColumnMap, where, profile: Profile, path: Path, as_of_text: str):
    """(SQL of one canonical column's text, its placeholder count, its repeat numbering) from the
    staged export `s0..sN`; None when the export has none of the columns it comes from."""
    if spec.value is not None:
        return _sql_text(spec.value.replace('{as_of}', as_of_text)), None, None
    if spec.template is not None:
        v = _template_sql(spec.template, where, as_of_text)
        if v is None:
            return None
    else:
        found = list(dict.fromkeys(i for s in spec.sources for i in where(s)))
        if not found:
            return None
        cells = [f"NULLIF(trim(s{i}), '')" for i in found]
        v = f"coalesce({', '.join(cells)})" if len(cells) > 1 else cells[0]
    codes = profile.placeholders + spec.placeholders
    is_placeholder = _placeholder_sql(v, codes)
    counted = (column.name, is_placeholder, v, codes)
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
    numbered = None
    if spec.number_repeats is not None:
        v, numbered = _numbered_sql(v, column.name, spec.number_repeats, where, profile, path)
    return v, counted, numbered


def _numbered_sql(v: str, column: str, repeats: tuple[str, ...], where, profile: Profile, path: Path):
    """`v` with ' #n' appended to the n-th row repeating a value (and the `repeats` columns' values),
    and the condition that counts those rows."""
    by = []
    for c in repeats:
        found = where(c)
        if not found:
            raise InputError(f"{path}: column {c!r} (number_repeats of {column} in profile "
                             f"{profile.name}) is not in the file")
        by += [f"NULLIF(trim(s{i}), '')" for i in found]
    n = f"row_number() OVER (PARTITION BY {', '.join([v] + by)} ORDER BY _row)"
    return (f"CASE WHEN {v} IS NOT NULL AND {n} > 1 THEN {v} || ' #' || {n} ELSE {v} END",
            (column, f"{v} IS NOT NULL AND {n} > 1"))


def _placeholder_notes(con, counted) -> list[str]:
    """One scan: per column, how many cells are placeholders, and which of the codes were found."""
    if not counted:
        return []
    notes = []
    exprs = [f"count_if({cond})" for _, cond, _, _ in counted]
    exprs += [f"count_if({_placeholder_sql(v, (code,))})" for _, _, v, codes in counted for code in codes]
    found = iter(con.sql("SELECT " + ", ".join(exprs) + " FROM _profile_frame").fetchall()[0])
    totals = [next(found) for _ in counted]
    for (col, _, _, codes), n in zip(counted, totals):
        seen = [code for code in codes if next(found)]
        if n:
            notes.append(f"column {col}: {n} placeholder value(s) ({', '.join(seen)}) treated as missing")
    return notes


def _repeat_notes(con, numbered) -> list[str]:
    """Per number_repeats column, how many values were numbered to keep them apart."""
    notes = []
    for col, cond in numbered:
        n = con.sql(f"SELECT count_if(f) FROM (SELECT {cond} AS f FROM _profile_frame)").fetchall()[0][0]
        if n:
            notes.append(f"column {col}: {n} value(s) repeat an earlier row's; numbered ' #2', ' #3', ... "
                         "to keep them apart")
    return notes


def _create(con, name: str, table: str, profile: Profile, selects: list[str], width: int, rows: int) -> list[str]:
    """Creates table `name` from the mapped columns in file order, rows kept once when the profile
    says `distinct`; the note on how many were collapsed."""
    body = f"SELECT {', '.join(selects) or 'NULL AS c0'}, _row FROM _profile_frame"
    if table in profile.distinct:
        keys = ", ".join(f"c{i}" for i in range(max(width, 1)))
        body = f"SELECT * FROM ({body}) QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _row) = 1"
    con.sql(f"CREATE OR REPLACE TABLE {name} AS SELECT * EXCLUDE (_row) FROM ({body}) ORDER BY _row")
    if table in profile.distinct:
        kept = con.sql(f"SELECT count(*) FROM {name}").fetchall()[0][0]
        if kept < rows:
            return [(f"{rows - kept} row(s) repeat an earlier row once mapped to {table}; "
                     f"kept once (distinct), {kept} remain")]
    return []


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
