"""Checking staged exports against the contract: every problem with its file, row and column.

Each file is staged as `stg_<table>`: typed columns named as in the contract, rows in file order
(see ingest.py). Values that did not convert are found on the text copy `raw_<table>`, which exists
only when the fast typed read failed. One scan counts every rule's failures and only failing rules
are queried again for their rows. The same module builds the SELECT that normalises the checked rows
into canonical ones (statuses, month and week alignment, 1-5 probabilities), so what is checked is
what is loaded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from pmo_analytics.contract import DATE, EARLIEST_DATE, INTEGER, LATEST_DATE, NUMBER, TABLES, TEXT, Column, Table
from pmo_analytics.ingest import discovery as ingest
from pmo_analytics.ingest import profiles
from pmo_analytics.ingest.discovery import Source
from pmo_analytics.problems import Problem
from pmo_analytics.settings import MAX_PROBLEMS_PER_CHECK

# Text longer than this is reported (kept as it is): a pasted document in a name field.
LONG_TEXT = 2000

# Rules between columns of one row: (table, columns, severity, message SQL, failing-row condition).
CROSS_COLUMN_RULES = [
    ("projects", ("end_date", "start_date"), "warning",
     "'finishes (' || end_date || ') before it starts (' || start_date || ')'", "end_date < start_date"),
    ("budget_lines", ("forecast", "consumed"), "warning",
     "'forecast ' || format('{:,.2f}', forecast) || ' is below the amount already consumed (' || "
     "format('{:,.2f}', consumed) || ')'",
     "forecast < consumed - 0.005"),
    ("risks", ("closed_date", "raised_date"), "warning",
     "'closed (' || closed_date || ') before it was raised (' || raised_date || ')'", "closed_date < raised_date"),
    ("milestones", ("actual_date", "baseline_date"), "warning",
     "'achieved ' || (actual_date - baseline_date) || ' days before its baseline date; check the dates'",
     "actual_date < baseline_date - INTERVAL 365 DAY"),
]

# Characters a key can hold without showing them: zero-width spaces and joiners, word joiner, BOM,
# soft hyphen (and the no-break space, which looks like a space). 'P001' followed by one is a
# look-alike of 'P001'; they are removed from keys and references (with a warning), so the
# look-alike is caught as the duplicate it is.
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"
NO_BREAK_SPACE = "\u00a0"  # read as a space (and so trimmed at either end)

# A 1-5 probability scale maps to the middle of each fifth, so the 1-5 band round-trips.
PROBABILITY_SCALE = {1: 0.1, 2: 0.3, 3: 0.5, 4: 0.7, 5: 0.9}


@dataclass
class TableCheck:
    """What validation learnt about one staged file."""

    source: Source
    stg: str = ""  # staged table: contract column names, normalised values
    raw: str | None = None  # text copy (c0..cN), only when some value did not convert
    header: list[str] = field(default_factory=list)
    mapping: dict[str, int] = field(default_factory=dict)  # canonical column -> position in the file
    rows: int = 0
    fill: dict[str, float] = field(default_factory=dict)  # canonical column -> share of rows filled
    problems: list[Problem] = field(default_factory=list)
    warning_rows: int = 0
    probability_scale: str = "0-1"

    @property
    def table(self) -> Table:
        return TABLES[self.source.table]

    @property
    def blocked(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def quality(self) -> float:
        """0-1: share of expected cells filled, times share of rows without warnings."""
        expected = [c.name for c in self.table.columns if c.required or c.expected]
        completeness = sum(self.fill.get(c, 0.0) for c in expected) / len(expected)
        validity = 1 - min(1.0, self.warning_rows / self.rows) if self.rows else 0.0
        return completeness * validity


def _text(col: str) -> str:
    return f"NULLIF(trim({col}), '')"


def _date(v: str) -> str:
    # Excel cells arrive as '2025-01-31 00:00:00'; accept a timestamp's date part too.
    return f"coalesce(TRY_CAST({v} AS DATE), TRY_CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE))"


def _number(v: str) -> str:
    return f"TRY_CAST({v} AS DOUBLE)"


def _read_type(column: Column) -> str:
    """The type DuckDB's CSV reader converts a column to on the fast path."""
    return {DATE: "DATE", NUMBER: "DOUBLE", INTEGER: "DOUBLE"}.get(column.type, "VARCHAR")


def _identifier(table: Table, column: Column) -> bool:
    """Keys and references: compared with other rows and files, so invisible characters matter."""
    return column.type == TEXT and (column.name in table.key or column.references is not None)


def _keeps_original(column: Column, table: Table) -> bool:
    """Columns whose value is normalised on staging keep the original too, for messages."""
    return bool(column.allowed) or (column.type == DATE and column.align is not None) or _identifier(table, column)


def _stage_columns(check: TableCheck, typed: bool) -> list[str]:
    """SELECT list building the staged table from c0..cN: canonical names, normalised values.

    typed: the columns were converted by the reader; otherwise they are text and are converted here
    (a cell that does not convert becomes NULL and is reported by the parse rules on the text copy).
    """
    cols = []
    for name, i in check.mapping.items():
        c = check.table.column(name)
        src = f"c{i}"
        if not typed and c.type == DATE:
            src = _date(_text(src))
        elif not typed and c.type in (NUMBER, INTEGER):
            src = _number(_text(src))
        if c.allowed:
            cols += [f"lower(regexp_replace(trim({src}), '[\\s/\\-]+', '_', 'g')) AS {name}",
                     f"{_text(src)} AS _orig_{name}"]
        elif c.type == DATE and c.align:
            # date_trunc fails on a year such as 300000: such a date is kept as it is, for the range rule
            in_range = f"{src} BETWEEN DATE '{EARLIEST_DATE}' AND DATE '{LATEST_DATE}'"
            cols += [f"CASE WHEN {in_range} THEN CAST(date_trunc('{c.align}', {src}) AS DATE) ELSE {src} END AS {name}",
                     f"{src} AS _orig_{name}"]
        elif _identifier(check.table, c):
            visible = f"replace(regexp_replace({src}, '[{INVISIBLE}]', '', 'g'), '{NO_BREAK_SPACE}', ' ')"
            cols += [f"{_text(visible)} AS {name}", f"{_text(src)} AS _orig_{name}"]
        elif c.type == TEXT:
            cols.append(f"{_text(src)} AS {name}")
        else:
            cols.append(f"{src} AS {name}")
    return cols


def canonical_expr(check: TableCheck, column: Column) -> str:
    """SQL reading `column` from the staged table as it is loaded (1-5 probabilities rescaled)."""
    if column.name not in check.mapping:
        return f"CAST(NULL AS {column.type})"
    v = column.name
    if column.name == "probability" and check.probability_scale == "1-5":
        cases = " ".join(f"WHEN {k} THEN {p}" for k, p in PROBABILITY_SCALE.items())
        return f"CASE CAST({v} AS INTEGER) {cases} END"
    if column.name == "probability" and check.probability_scale == "percent":
        return f"({v} / 100.0)"
    if column.type == INTEGER:
        return f"CAST({v} AS INTEGER)"
    return v


def select_canonical(check: TableCheck) -> str:
    """SELECT producing canonical rows (as_of, source, contract columns); parameters: as_of, source."""
    cols = [f"{canonical_expr(check, c)} AS {c.name}" for c in check.table.columns]
    return f"SELECT ?::DATE AS as_of, ? AS source, {', '.join(cols)} FROM {check.stg}"


def check_table(con, source: Source, as_of=None) -> TableCheck:
    """Stages one file and validates it against its canonical table: rows, fill rates, problems.

    as_of fills a profile's "{as_of}" constants (e.g. the period of a one-line-per-project budget).
    """
    check = TableCheck(source=source)
    table = check.table
    file = str(source.path)
    name = source.table
    if source.profile is not None and source.profile.kind == "mspdi":
        check.raw = f"raw_{name}"
        check.header = profiles.stage_frame(con, ingest.mspdi_frames(source.path)[name], check.raw)
    elif source.profile is not None:
        check.raw = f"raw_{name}"
        check.header, notes = profiles.stage(con, source.path, name, source.profile, check.raw, as_of,
                                             source.sheet)
        check.problems += [Problem("warning", file, note) for note in notes]
    elif source.format == "csv":
        check.header = ingest.header(source)
    else:
        check.raw = f"raw_{name}"
        check.header, notes = ingest.stage_text(con, source, check.raw)
        check.problems += [Problem("warning", file, note) for note in notes]
    _map_columns(check)
    missing = [c for c in table.required if c not in check.mapping]
    if missing:
        hint = ""
        if len(check.header) == 1 and any(d in check.header[0] for d in ";\t|"):
            hint = " (the header is a single column: is the file delimited by ';' or tabs?)"
        for col in missing:
            check.problems.append(Problem("error", file, f"required column is missing{hint}", column=col))
        return check
    check.stg = f"stg_{name}"
    if check.raw is None:
        by_position = {i: table.column(c) for c, i in check.mapping.items()}
        types = [_read_type(by_position[i]) if i in by_position else "VARCHAR" for i in range(len(check.header))]
        if not ingest.stage_typed_csv(con, source, check.stg, types, _stage_columns(check, typed=True)):
            check.raw = f"raw_{name}"
            ingest.stage_text(con, source, check.raw)
    if check.raw is not None:
        con.sql(f"CREATE OR REPLACE TABLE {check.stg} AS SELECT {', '.join(_stage_columns(check, typed=False))} "
                f"FROM {check.raw}")
    if "probability" in check.mapping:
        check.probability_scale = _probability_scale(con, check.stg)
        if check.probability_scale != "0-1":
            check.problems.append(Problem("warning", file, f"probabilities given on a {check.probability_scale} "
                                          "scale; normalised to 0-1", column="probability"))
    _apply_rules(con, check, _rules(check))
    if check.rows == 0:
        check.problems.append(Problem("error", file, "the file has a header but no data rows; loading it would "
                                      "empty the month's table (leave the file out to keep what is loaded)"))
    check.problems += _duplicate_keys(con, check)
    return check


def _map_columns(check: TableCheck) -> None:
    """Matches header names to contract columns (case and spaces ignored); reports the rest."""
    file, table = str(check.source.path), check.table
    unknown = []
    for i, col in enumerate(check.header):
        canon = re.sub(r"[\s_]+", "_", col.strip().lower())  # 'Project\nID' wrapped in a spreadsheet header
        if canon in table.column_names:
            if canon in check.mapping:
                check.problems.append(Problem("error", file, "the header names this column twice; keep one",
                                              column=canon))
            else:
                check.mapping[canon] = i
        elif canon:
            unknown.append(col.strip()[:60])
    limit = int(MAX_PROBLEMS_PER_CHECK.value())
    if len(unknown) > limit:
        shown = ", ".join(unknown[:5])
        check.problems.append(Problem("warning", file, f"{len(unknown):,} columns are not in the contract and "
                                      f"were ignored ({shown}, ...)"))
    else:
        check.problems += [Problem("warning", file, "not a column of the contract; ignored", column=name)
                           for name in unknown]


def _apply_rules(con, check: TableCheck, rules) -> None:
    """Counts rows, filled cells and every rule's failures in one scan per table, then lists the rows
    of failing rules."""
    file = str(check.source.path)
    limit = int(MAX_PROBLEMS_PER_CHECK.value())
    on_stg = [r for r in rules if r[4] == "stg"]
    on_raw = [r for r in rules if r[4] == "raw"]
    check.rows, *found = con.sql("SELECT " + ", ".join(["count(*)"] + [f"count({c})" for c in check.mapping] +
                                                       [f"count_if({r[3]})" for r in on_stg])
                                 + f" FROM {check.stg}").fetchall()[0]
    check.fill = {c: (n / check.rows if check.rows else 0.0) for c, n in zip(check.mapping, found)}
    counts = {id(r): n for r, n in zip(on_stg, found[len(check.mapping):])}
    if on_raw:
        found = con.sql("SELECT " + ", ".join(f"count_if({r[3]})" for r in on_raw) + f" FROM {check.raw}").fetchall()[0]
        counts.update({id(r): n for r, n in zip(on_raw, found)})
    warning_conds = []
    for rule in rules:
        column, severity, message_sql, cond, where = rule
        n = counts.get(id(rule), 0)
        if not n:
            continue
        if severity == "warning":
            warning_conds.append(cond)
        table = check.stg if where == "stg" else check.raw
        rows = con.sql(f"SELECT rowid + 1, {message_sql} FROM {table} WHERE {cond} ORDER BY rowid "
                       f"LIMIT {limit}").fetchall()
        check.problems += [Problem(severity, file, msg, row=row, column=column) for row, msg in rows]
        if n > limit:
            check.problems.append(Problem(severity, file, f"... and {n - limit} more rows with this problem",
                                          column=column))
    if warning_conds:
        check.warning_rows = con.sql(f"SELECT count_if({' OR '.join(warning_conds)}) "
                                     f"FROM {check.stg}").fetchall()[0][0]


def _date_hint(check: TableCheck) -> str:
    """The date layout the file was read with, as people write it: YYYY-MM-DD, DD.MM.YYYY, ..."""
    formats = check.source.profile.dates[:2] if check.source.profile else ("%Y-%m-%d",)
    words = {"%d": "DD", "%m": "MM", "%Y": "YYYY", "%y": "YY", "%b": "Mon", "%H": "hh", "%M": "mm", "%S": "ss"}
    hints = []
    for f in formats:
        for code, word in words.items():
            f = f.replace(code, word)
        hints.append(f)
    return " or ".join(hints)


def _probability_scale(con, stg: str) -> str:
    """'0-1', '1-5' (all whole numbers 1..5, some above 1) or 'percent' (some above 5, none above 100).

    A column that mixes fractions (0 < p < 1) with values above 1 is on no one scale: it stays 0-1,
    so the values above 1 are reported as out of range instead of rescaling every other row.
    """
    top, whole, fractions = con.sql(
        f"SELECT max(probability), bool_and(probability = round(probability) AND probability BETWEEN 1 AND 5), "
        f"count_if(probability > 0 AND probability < 1) FROM {stg} WHERE probability IS NOT NULL").fetchall()[0]
    if top is None or top <= 1 or fractions:
        return "0-1"
    if whole:
        return "1-5"
    return "percent" if top <= 100 else "0-1"


def _quote(v: str) -> str:
    """SQL rendering a value for a message: quoted, cut at 40 characters, -250.0 shown as -250."""
    v = f"regexp_replace(CAST({v} AS VARCHAR), '\\.0$', '')"
    return f"'''' || left({v}, 40) || CASE WHEN length({v}) > 40 THEN '...' ELSE '' END || ''''"


def _shown_invisible(v: str) -> str:
    """SQL showing each invisible character of `v` as its code point: 'P001<U+200B>'."""
    for ch in INVISIBLE + NO_BREAK_SPACE:
        v = f"replace({v}, '{ch}', '<U+{ord(ch):04X}>')"
    return v


def _rules(check: TableCheck) -> list[tuple[str, str, str, str, str]]:
    """(column, severity, message SQL, failing-row condition, table) for every rule that applies.

    Parse rules run on the text copy ("raw"), which exists only when the typed read failed; the rest
    run on the staged table ("stg").
    """
    rules = []
    for c in check.table.columns:
        if c.name not in check.mapping:
            continue
        v = c.name
        canon = canonical_expr(check, c)
        original = f"_orig_{v}" if _keeps_original(c, check.table) else v
        if c.required:
            if check.raw is not None:  # a value that did not convert is reported as such, not as missing
                rules.append((c.name, "error", "'missing value (the column is required)'",
                              f"{_text(f'c{check.mapping[c.name]}')} IS NULL", "raw"))
            else:
                rules.append((c.name, "error", "'missing value (the column is required)'", f"{v} IS NULL", "stg"))
        if check.raw is not None and c.type in (DATE, NUMBER, INTEGER):
            t = _text(f"c{check.mapping[c.name]}")
            if c.type == DATE:
                rules.append((c.name, "error", f"{_quote(t)} || ' is not a valid date (expected {_date_hint(check)})'",
                              f"{t} IS NOT NULL AND {_date(t)} IS NULL", "raw"))
            else:
                rules.append((c.name, "error", f"{_quote(t)} || ' is not a number'",
                              f"{t} IS NOT NULL AND {_number(t)} IS NULL", "raw"))
        if c.type in (NUMBER, INTEGER):
            rules.append((c.name, "error", f"{_quote(v)} || ' is not a finite number'",
                          f"isnan({v}) OR isinf({v})", "stg"))
            if c.type == INTEGER:
                rules.append((c.name, "error", f"{_quote(v)} || ' is not a whole number'",
                              f"NOT isinf({v}) AND {v} <> round({v})", "stg"))
            if c.money:
                rules.append((c.name, "error", f"'negative amount ' || {_quote(v)}", f"{v} < 0", "stg"))
            else:
                bounds = []
                if c.minimum is not None:
                    bounds.append(f"{canon} < {c.minimum}")
                if c.maximum is not None:
                    bounds.append(f"{canon} > {c.maximum}")
                if bounds:
                    rule = f"{c.minimum:g}..{c.maximum:g}" if c.maximum is not None else f">= {c.minimum:g}"
                    rules.append((c.name, "error", f"{_quote(v)} || ' is outside {rule}'",
                                  f"NOT isnan({v}) AND ({' OR '.join(bounds)})", "stg"))
        if c.type == DATE and c.align:
            what, fmt, place = (("the first of a month", "%Y-%m", "counted in ") if c.align == "month"
                                else ("a Monday", "%Y-%m-%d", "counted in the week of "))
            rules.append((c.name, "warning", f"{_quote(original)} || ' is not {what}; {place}' || strftime({v}, '{fmt}')",
                          f"{original} <> {v}", "stg"))
        if c.type == DATE:
            rules.append((c.name, "error", f"{_quote(original)} || ' is outside the years "
                          f"{EARLIEST_DATE.year}-{LATEST_DATE.year} (a placeholder date or a typing error?)'",
                          f"NOT ({v} BETWEEN DATE '{EARLIEST_DATE}' AND DATE '{LATEST_DATE}')", "stg"))
        if _identifier(check.table, c):
            rules.append((c.name, "warning", f"{_quote(_shown_invisible(original))} || ' holds an invisible "
                          "character; removed, read as ' || " + _quote(v), f"{original} <> {v}", "stg"))
        if c.allowed:
            allowed = ", ".join(f"'{a}'" for a in c.allowed)
            rules.append((c.name, "error",
                          f"'unknown {c.name} ' || {_quote(original)} || ' (allowed: {', '.join(c.allowed)})'",
                          f"{v} IS NOT NULL AND {v} NOT IN ({allowed})", "stg"))
        if c.type == TEXT and not c.allowed:
            rules.append((c.name, "warning", f"{_quote(v)} || ' starts like a spreadsheet formula; kept as text'",
                          f"regexp_matches({v}, '^([=+@]|-[^0-9 .])')", "stg"))
            rules.append((c.name, "warning", f"'very long text (' || length({v}) || ' characters); kept'",
                          f"length({v}) > {LONG_TEXT}", "stg"))
    mapped = set(check.mapping)
    for table, columns, severity, message, cond in CROSS_COLUMN_RULES:
        if table == check.table.name and set(columns) <= mapped:
            rules.append((columns[0], severity, message, cond, "stg"))
    return rules


def _duplicate_keys(con, check: TableCheck) -> list[Problem]:
    """Rows whose key (after normalisation, e.g. a period's month) repeats an earlier row."""
    limit = int(MAX_PROBLEMS_PER_CHECK.value())
    keys = list(check.table.key)
    not_null = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    # A hash count tells in one cheap pass whether there is any duplicate at all.
    repeats = con.sql(f"SELECT count(*) - count(DISTINCT hash({', '.join(keys)})) "
                      f"FROM {check.stg} WHERE {not_null}").fetchall()[0][0]
    if not repeats:
        return []
    shown = " || ' / ' || ".join(f"CAST({k} AS VARCHAR)" for k in keys)
    rows = con.sql(f"""
        SELECT row, first_row, key, count(*) OVER () AS total FROM (
            SELECT rowid + 1 AS row, min(rowid + 1) OVER (PARTITION BY {', '.join(keys)}) AS first_row,
                   {shown} AS key
            FROM {check.stg} WHERE {not_null}
        ) WHERE row > first_row ORDER BY row LIMIT {limit + 1}""").fetchall()
    file, column = str(check.source.path), ", ".join(keys)
    problems = [Problem("error", file, f"duplicate key {key!r} (first in row {first})", row=row, column=column)
                for row, first, key, _ in rows[:limit]]
    if len(rows) > limit:
        problems.append(Problem("error", file, f"... and {rows[0][3] - limit} more duplicate rows", column=column))
    return problems


def check_references(con, checks: dict[str, TableCheck], existing=None, as_of=None) -> list[Problem]:
    """Keys that point to a project or resource missing from the snapshot.

    A referenced table staged in this load is checked against; otherwise `existing` (a catalog name,
    e.g. the database being published to) holds that snapshot's rows; with neither, a warning says the
    reference could not be checked.
    """
    problems = []
    limit = int(MAX_PROBLEMS_PER_CHECK.value())
    for check in checks.values():
        file = str(check.source.path)
        for c in check.table.columns:
            if not c.references or c.name not in check.mapping or not check.stg:
                continue
            ref_table, ref_col = c.references.split(".")
            if ref_table in checks:
                if not checks[ref_table].stg:
                    continue
                target, params = f"SELECT {ref_col} FROM {checks[ref_table].stg}", []
            elif existing and con.sql(f"SELECT count(*) FROM {existing}.{ref_table} WHERE as_of = ?",
                                      params=[as_of]).fetchall()[0][0]:
                target, params = f"SELECT {ref_col} FROM {existing}.{ref_table} WHERE as_of = ?", [as_of]
            else:
                problems.append(Problem("warning", file, f"{ref_table} are not in this snapshot; "
                                        "references not checked", column=c.name))
                continue
            rows = con.sql(f"""
                SELECT rowid + 1, {c.name}, count(*) OVER () FROM {check.stg}
                WHERE {c.name} IS NOT NULL AND {c.name} NOT IN (SELECT k FROM ({target}) t(k) WHERE k IS NOT NULL)
                ORDER BY rowid LIMIT {limit}""", params=params).fetchall()
            noun = ref_table.removesuffix("s")
            problems += [Problem("error", file, f"unknown {noun} {val!r} (not in {ref_table})", row=row,
                                 column=c.name) for row, val, _ in rows]
            if rows and rows[0][2] > limit:
                problems.append(Problem("error", file, f"... and {rows[0][2] - limit} more unknown {ref_table}",
                                        column=c.name))
    return problems


def check_dependents(con, checks: dict[str, TableCheck], existing: str, as_of) -> list[Problem]:
    """Rows already loaded for the month that point into a table this load replaces: re-loading
    projects.csv alone must not leave budget lines of projects the new file no longer has."""
    problems = []
    for table in TABLES.values():
        if table.name in checks:
            continue
        for c in table.columns:
            ref_table, ref_col = (c.references or ".").split(".")
            if ref_table not in checks or not checks[ref_table].stg:
                continue
            count, sample = con.sql(f"""
                SELECT count(*), list(DISTINCT {c.name} ORDER BY {c.name})[1:5] FROM {existing}.{table.name}
                WHERE as_of = ? AND {c.name} NOT IN (SELECT {ref_col} FROM {checks[ref_table].stg}
                                                     WHERE {ref_col} IS NOT NULL)""", params=[as_of]).fetchall()[0]
            if count:
                noun = ref_table.removesuffix("s")
                problems.append(Problem(
                    "error", str(checks[ref_table].source.path),
                    f"{count:,} {table.name} row(s) already loaded for {as_of:%Y-%m} refer to {noun}(s) this file "
                    f"does not have ({', '.join(map(str, sample))}{', ...' if len(sample) == 5 else ''}); "
                    f"load {table.name} with it, or keep those {ref_table}", column=ref_col))
    return problems


def check_snapshot(con, checks: dict[str, TableCheck], as_of=None, existing=None) -> list[Problem]:
    """Reconciliation across files: totals that disagree, and exports older or newer than the month.

    Warnings only: a PMO loads what it has and sees the gaps in the quality report.
    """
    problems = []
    limit = int(MAX_PROBLEMS_PER_CHECK.value())

    def table(name, column):
        """The staged table (or the database's rows for the month) holding `column`, with parameters."""
        if name in checks:
            check = checks[name]
            return (check.stg, []) if check.stg and column in check.mapping else (None, [])
        if existing and as_of:
            return f"(SELECT * FROM {existing}.{name} WHERE as_of = ?)", [as_of]
        return None, []

    projects, pparams = table("projects", "bac")
    lines, lparams = table("budget_lines", "budget")
    if projects and lines and "projects" in checks:
        # Only where a project's budget is phased over several months: a single line is often one
        # financial year of a longer project, not its whole budget.
        rows = con.sql(f"""
            WITH totals AS (SELECT project_id, sum(budget) AS budget FROM {lines} GROUP BY project_id
                            HAVING count(DISTINCT period) > 1)
            SELECT p.rowid + 1 AS row, p.project_id, p.bac, t.budget FROM {projects} p
            JOIN totals t USING (project_id)
            WHERE p.bac > 0 AND abs(p.bac - t.budget) > 0.01 * p.bac
            ORDER BY row LIMIT {limit}""", params=pparams + lparams).fetchall()
        file = str(checks["projects"].source.path)
        problems += [Problem("warning", file, f"bac {bac:,.2f} of {pid} differs from its budget lines' total "
                             f"{budget:,.2f} ({100 * (budget - bac) / bac:+.1f}%)", row=row, column="bac")
                     for row, pid, bac, budget in rows]
    if as_of is not None:
        month = as_of.replace(day=1)
        for name, column in (("budget_lines", "consumed"), ("progress", "percent_complete")):
            if name not in checks or not checks[name].stg or column not in checks[name].mapping:
                continue
            cond = f"{column} > 0" if column == "consumed" else f"{column} IS NOT NULL"
            newest = con.sql(f"SELECT max(period) FROM {checks[name].stg} WHERE {cond}").fetchall()[0][0]
            file = str(checks[name].source.path)
            if newest is None:
                continue
            gap = (month.year - newest.year) * 12 + month.month - newest.month
            if gap < 0:
                problems.append(Problem("warning", file, f"has actuals for {newest:%Y-%m}, after the snapshot "
                                        f"month {as_of:%Y-%m}: is --as-of right?", column="period"))
            elif gap > 2:
                problems.append(Problem("warning", file, f"newest actuals are for {newest:%Y-%m}, {gap} months "
                                        f"before the snapshot {as_of:%Y-%m}: is this export stale?", column="period"))
    return problems


def check_staged(con, source: Source, typed: str, columns: list[str], raw: str | None = None,
                 extra_rules=(), contract_rules: bool = True, keys: bool = True, name: str | None = None,
                 params=None) -> TableCheck:
    """Stages and checks rows already read with the contract's types (a partition of a Parquet history,
    say) as check_table does a file's, into stg_<typed>.

    `typed` holds c0..cN, the contract `columns` in that order (DATE, DOUBLE or text), and any other
    columns, which the staged table keeps for `extra_rules`: more (column, severity, message SQL,
    condition, "stg" | "raw") rules. `raw` is the text copy c0..cN, row for row, when some value was
    parsed from text. Without `keys` duplicate keys are not looked for (rows of several snapshots
    staged together). `typed` may be a parenthesised query instead, with its `params`; the staged
    table is then stg_<name>. Without `contract_rules` (a table outside the contract) `typed` is
    checked as it is, by `extra_rules` alone, and `columns` are its column names.
    """
    check = TableCheck(source=source, stg=typed, raw=raw, header=list(columns),
                       mapping={c: i for i, c in enumerate(columns)})
    if not contract_rules:
        _apply_rules(con, check, list(extra_rules))
        return check
    check.stg = f"stg_{name or typed}"
    con.sql(f"CREATE OR REPLACE TABLE {check.stg} AS SELECT {', '.join(_stage_columns(check, typed=True))}, * "
            f"FROM {typed}", params=params)
    _apply_rules(con, check, _rules(check) + list(extra_rules))
    if keys:
        check.problems += _duplicate_keys(con, check)
    return check
