"""The per-column rules of the contract and the SELECTs that stage and normalise a file's rows.

Each file is staged as `stg_<table>`: typed columns named as in the contract, rows in file order
(see ingest). Values that did not convert are found on the text copy `raw_<table>`, which exists
only when the fast typed read failed. One scan counts every rule's failures and only failing rules
are queried again for their rows. The SELECT that normalises the checked rows into canonical ones
(statuses, month and week alignment, 1-5 probabilities) is built here too, so what is checked is
what is loaded.
"""
from __future__ import annotations

from pmo_analytics.contract import DATE, EARLIEST_DATE, INTEGER, LATEST_DATE, NUMBER, TEXT, Column, Table
from pmo_analytics.problems import Problem
from pmo_analytics.settings import MAX_PROBLEMS_PER_CHECK
from pmo_analytics.validation.tablecheck import TableCheck

__all__ = ["TableCheck", "apply_rules", "canonical_expr", "duplicate_keys", "read_type", "rules_for",
           "select_canonical", "stage_columns"]

# Text longer than this is reported (kept as it is): a pasted document in a name field.
LONG_TEXT = 2000

# Rules on the values of one row, between its columns or on a blank that changes a metric:
# (table, columns, severity, message SQL, failing-row condition); the problem names the first column.
CROSS_COLUMN_RULES = [
    ("projects", ("end_date", "start_date"), "warning",
     "'finishes (' || end_date || ') before it starts (' || start_date || ')'", "end_date < start_date"),
    ("budget_lines", ("forecast", "consumed"), "warning",
     ("'forecast ' || format('{:,.2f}', forecast) || ' is below the amount already consumed (' || "
      "format('{:,.2f}', consumed) || ')'"),
     "forecast < consumed - 0.005"),
    ("risks", ("closed_date", "raised_date"), "warning",
     "'closed (' || closed_date || ') before it was raised (' || raised_date || ')'", "closed_date < raised_date"),
    ("milestones", ("actual_date", "baseline_date"), "warning",
     "'achieved ' || (baseline_date - actual_date) || ' days before its baseline date; check the dates'",
     "actual_date < baseline_date - INTERVAL 365 DAY"),
    # resource_load leaves a person without capacity out (no capacity to load their hours against)
    ("resources", ("weekly_capacity_hours",), "warning",
     "'blank capacity: this person''s hours are left out of load and capacity'", "weekly_capacity_hours IS NULL"),
]

# Characters a key can hold without showing them: zero-width spaces and joiners, word joiner, BOM,
# soft hyphen (and the no-break space, which looks like a space). 'P001' followed by one is a
# look-alike of 'P001'; they are removed from keys and references (with a warning), so the
# look-alike is caught as the duplicate it is.
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"
NO_BREAK_SPACE = "\u00a0"  # read as a space (and so trimmed at either end)

# A 1-5 probability scale maps to the middle of each fifth, so the 1-5 band round-trips.
PROBABILITY_SCALE = {1: 0.1, 2: 0.3, 3: 0.5, 4: 0.7, 5: 0.9}


def _text(col: str) -> str:
    return f"NULLIF(trim({col}), '')"


def _date(v: str) -> str:
    # Excel cells arrive as '2025-01-31 00:00:00'; accept a timestamp's date part too.
    return f"coalesce(TRY_CAST({v} AS DATE), TRY_CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE))"


def _number(v: str) -> str:
    return f"TRY_CAST({v} AS DOUBLE)"


def read_type(column: Column) -> str:
    """The type DuckDB's CSV reader converts a column to on the fast path."""
    return {DATE: "DATE", NUMBER: "DOUBLE", INTEGER: "DOUBLE"}.get(column.type, "VARCHAR")


def _identifier(table: Table, column: Column) -> bool:
    """Keys and references: compared with other rows and files, so invisible characters matter."""
    return column.type == TEXT and (column.name in table.key or column.references is not None)


def _keeps_original(column: Column, table: Table) -> bool:
    """Columns whose value is normalised on staging keep the original too, for messages."""
    return bool(column.allowed) or (column.type == DATE and column.align is not None) or _identifier(table, column)


def stage_columns(check: TableCheck, typed: bool) -> list[str]:
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
            # Every invisible character is outside ASCII: a key whose byte length is its length in
            # characters has none, and skips the (costly) replacing.
            visible = f"replace(regexp_replace({src}, '[{INVISIBLE}]', '', 'g'), '{NO_BREAK_SPACE}', ' ')"
            cols += [f"CASE WHEN strlen({src}) = length({src}) THEN {_text(src)} ELSE {_text(visible)} END AS {name}",
                     f"{_text(src)} AS _orig_{name}"]
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


def _quote(v: str) -> str:
    """SQL rendering a value for a message: quoted, cut at 40 characters, -250.0 shown as -250."""
    v = f"regexp_replace(CAST({v} AS VARCHAR), '\\.0$', '')"
    return f"'''' || left({v}, 40) || CASE WHEN length({v}) > 40 THEN '...' ELSE '' END || ''''"


def _shown_invisible(v: str) -> str:
    """SQL showing each invisible character of `v` as its code point: 'P001<U+200B>'."""
    for ch in INVISIBLE + NO_BREAK_SPACE:
        v = f"replace({v}, '{ch}', '<U+{ord(ch):04X}>')"
    return v


Rule = tuple[str, str, str, str, str]  # (column, severity, message SQL, failing-row condition, "stg" | "raw")


def rules_for(check: TableCheck) -> list[Rule]:
    """(column, severity, message SQL, failing-row condition, table) for every rule that applies.

    Parse rules run on the text copy ("raw"), which exists only when the typed read failed; the rest
    run on the staged table ("stg").
    """
    rules = []
    for c in check.table.columns:
        if c.name not in check.mapping:
            continue
        original = f"_orig_{c.name}" if _keeps_original(c, check.table) else c.name
        rules += _parse_rules(check, c)
        if c.type in (NUMBER, INTEGER):
            rules += _number_rules(c, canonical_expr(check, c), _over_maximum(check, c))
        if c.type == DATE:
            rules += _date_rules(c, original)
        rules += _text_rules(check, c, original)
    mapped = set(check.mapping)
    for table, columns, severity, message, cond in CROSS_COLUMN_RULES:
        if table == check.table.name and set(columns) <= mapped:
            rules.append((columns[0], severity, message, cond, "stg"))
    return rules


def _over_maximum(check: TableCheck, c: Column) -> tuple[str, str] | None:
    """The severity and message of a value above the column's maximum when it is not the range error:
    a schedule's plan may put more hours on a person in a week than the week has (parallel
    assignments, not yet levelled), a planned over-allocation to show, where a timesheet or resource
    export with such hours is wrong."""
    profile = check.source.profile
    if c.name == "planned_hours" and profile is not None and profile.kind in ("mspdi", "schedule"):
        return "warning", ("planned hours in one week: more than a week has (parallel assignments); the plan "
                           "over-allocates this person")
    return None


def _parse_rules(check: TableCheck, c: Column) -> list[Rule]:
    """A required value present, and (on the text copy) each value converting to its type."""
    rules = []
    v = c.name
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
    return rules


def _number_rules(c: Column, canon: str, over_maximum: tuple[str, str] | None = None) -> list[Rule]:
    """Finite, whole where an integer is expected, money not negative, others within their bounds
    (compared as loaded: `canon`, e.g. a 1-5 probability rescaled). `over_maximum` (severity, message):
    a value above the maximum gets that instead of the range error, and one below 0 is 'negative'."""
    v = c.name
    rules = [(c.name, "error", f"{_quote(v)} || ' is not a finite number'", f"isnan({v}) OR isinf({v})", "stg")]
    if c.type == INTEGER:
        rules.append((c.name, "error", f"{_quote(v)} || ' is not a whole number'",
                      f"NOT isinf({v}) AND {v} <> round({v})", "stg"))
    if c.money:
        rules.append((c.name, "error", f"'negative amount ' || {_quote(v)}", f"{v} < 0", "stg"))
        return rules
    if over_maximum is not None and c.minimum == 0 and c.maximum is not None:
        severity, message = over_maximum
        return rules + [(c.name, "error", f"{_quote(v)} || ' is negative'", f"{v} < 0", "stg"),
                        (c.name, severity, f"{_quote(v)} || ' {message}'",
                         f"NOT isnan({v}) AND {v} > {c.maximum}", "stg")]
    bounds = []
    if c.minimum is not None:
        bounds.append(f"{canon} < {c.minimum}")
    if c.maximum is not None:
        bounds.append(f"{canon} > {c.maximum}")
    if bounds:
        rule = f"{c.minimum:g}..{c.maximum:g}" if c.maximum is not None else f">= {c.minimum:g}"
        rules.append((c.name, "error", f"{_quote(v)} || ' is outside {rule}'",
                      f"NOT isnan({v}) AND ({' OR '.join(bounds)})", "stg"))
    return rules


def _date_rules(c: Column, original: str) -> list[Rule]:
    """A month or week date not aligned (a warning: it is counted in its month or week), and a year
    outside the contract's range."""
    v = c.name
    rules = []
    if c.align:
        what, fmt, place = (("the first of a month", "%Y-%m", "counted in ") if c.align == "month"
                            else ("a Monday", "%Y-%m-%d", "counted in the week of "))
        rules.append((c.name, "warning", f"{_quote(original)} || ' is not {what}; {place}' || strftime({v}, '{fmt}')",
                      f"{original} <> {v}", "stg"))
    rules.append((c.name, "error", (f"{_quote(original)} || ' is outside the years "
                                    f"{EARLIEST_DATE.year}-{LATEST_DATE.year} (a placeholder date or a typing error?)'"),
                  f"NOT ({v} BETWEEN DATE '{EARLIEST_DATE}' AND DATE '{LATEST_DATE}')", "stg"))
    return rules


def _text_rules(check: TableCheck, c: Column, original: str) -> list[Rule]:
    """Invisible characters in keys, values outside the allowed ones, formulas and very long text."""
    v = c.name
    rules = []
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
    return rules


def apply_rules(con, check: TableCheck, rules) -> None:
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


def duplicate_keys(con, check: TableCheck) -> list[Problem]:
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
