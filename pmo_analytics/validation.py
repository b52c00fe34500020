"""Checking staged exports against the contract: every problem with its file, row and column.

All checks run in DuckDB on the staged text tables (see ingest.py): one scan counts every rule's
failures, and only rules that fail are queried again for their rows. The same module builds the
SELECT that converts the checked text into typed canonical rows, so what is checked is what is loaded.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .contract import DATE, INTEGER, NUMBER, TABLES, Column, Table
from .ingest import Source, ident
from .settings import MAX_PROBLEMS_PER_CHECK

# A 1-5 probability scale maps to the middle of each fifth, so the 1-5 band round-trips.
PROBABILITY_SCALE = {1: 0.1, 2: 0.3, 3: 0.5, 4: 0.7, 5: 0.9}


@dataclass(frozen=True)
class Problem:
    """One finding: an error blocks the load, a warning is reported and loaded."""

    severity: str
    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = ", ".join(x for x in (f"row {self.row}" if self.row else "",
                                      f"column {self.column}" if self.column else "") if x)
        return f"{self.severity}: {self.file}: {where + ': ' if where else ''}{self.message}"


@dataclass
class TableCheck:
    """What validation learnt about one staged file."""

    source: Source
    raw: str
    rows: int = 0
    mapping: dict[str, str] = field(default_factory=dict)  # canonical column -> raw column
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


def _value(raw_col: str) -> str:
    return f"NULLIF(trim({ident(raw_col)}), '')"


def _date(v: str) -> str:
    # Excel cells arrive as '2025-01-31 00:00:00'; accept a timestamp's date part too.
    return f"coalesce(TRY_CAST({v} AS DATE), TRY_CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE))"


def _number(v: str) -> str:
    return f"TRY_CAST({v} AS DOUBLE)"


def _norm_word(v: str) -> str:
    return f"lower(regexp_replace({v}, '[\\s/\\-]+', '_', 'g'))"


def typed_expr(check: TableCheck, column: Column) -> str:
    """SQL turning the raw text of `column` into its canonical, normalised value."""
    raw_col = check.mapping.get(column.name)
    if raw_col is None:
        return f"CAST(NULL AS {column.type})"
    v = _value(raw_col)
    if column.type == DATE:
        d = _date(v)
        if column.align == "month":
            return f"CAST(date_trunc('month', {d}) AS DATE)"
        if column.align == "week":
            return f"CAST(date_trunc('week', {d}) AS DATE)"
        return d
    if column.type in (NUMBER, INTEGER):
        n = _number(v)
        if column.name == "probability" and check.probability_scale == "1-5":
            cases = " ".join(f"WHEN {k} THEN {p}" for k, p in PROBABILITY_SCALE.items())
            n = f"CASE CAST({n} AS INTEGER) {cases} END"
        elif column.name == "probability" and check.probability_scale == "percent":
            n = f"({n} / 100.0)"
        return f"CAST({n} AS {column.type})" if column.type == INTEGER else n
    if column.allowed:
        return _norm_word(v)
    return v


def select_typed(check: TableCheck, as_of_param: str = "?", source_param: str = "?") -> str:
    """SELECT producing canonical rows (as_of, source, contract columns) from the staged table."""
    cols = [f"{typed_expr(check, c)} AS {c.name}" for c in check.table.columns]
    return f"SELECT {as_of_param}::DATE AS as_of, {source_param} AS source, {', '.join(cols)} FROM {check.raw}"


def check_table(con, source: Source, raw: str, columns: list[str]) -> TableCheck:
    """Validates one staged file against its canonical table; returns rows, fill rates, problems."""
    check = TableCheck(source=source, raw=raw)
    table = check.table
    file = str(source.path)
    by_canon: dict[str, list[str]] = {}
    for col in columns:
        by_canon.setdefault(col.strip().lower().replace(" ", "_"), []).append(col)
    for name, raws in by_canon.items():
        if name in table.column_names:
            check.mapping[name] = raws[0]
            if len(raws) > 1:
                check.problems.append(Problem("error", file, f"the header names this column {len(raws)} "
                                              "times; keep one", column=name))
        elif name:
            check.problems.append(Problem("warning", file, "not a column of the contract; ignored",
                                          column=raws[0][:60]))
    check.rows = con.sql(f"SELECT count(*) FROM {raw}").fetchall()[0][0]
    missing = [c for c in table.required if c not in check.mapping]
    if missing:
        hint = ""
        if len(columns) == 1 and any(d in columns[0] for d in ";\t|"):
            hint = " (the header is a single column: is the file delimited by ';' or tabs?)"
        for name in missing:
            check.problems.append(Problem("error", file, f"required column is missing{hint}", column=name))
        return check
    if check.rows == 0:
        check.problems.append(Problem("warning", file, "the file has a header but no data rows"))
    if "probability" in check.mapping:
        check.probability_scale = _probability_scale(con, raw, check.mapping["probability"])
        if check.probability_scale != "0-1":
            check.problems.append(Problem("warning", file, f"probabilities given on a {check.probability_scale} "
                                          "scale; normalised to 0-1", column="probability"))

    rules = _rules(check)
    counts = con.sql("SELECT " + ", ".join([f"count({_value(r)})" for r in check.mapping.values()]
                                           + [f"count_if({r[3]})" for r in rules] + ["0"])
                     + f" FROM {raw}").fetchall()[0]
    for i, canon in enumerate(check.mapping):
        check.fill[canon] = counts[i] / check.rows if check.rows else 0.0
    warning_conds = []
    limit = int(MAX_PROBLEMS_PER_CHECK.value())
    for (column, severity, message_sql, cond), n in zip(rules, counts[len(check.mapping):]):
        if not n:
            continue
        if severity == "warning":
            warning_conds.append(cond)
        rows = con.sql(f"SELECT rowid + 1, {message_sql} FROM {raw} WHERE {cond} ORDER BY rowid "
                       f"LIMIT {limit}").fetchall()
        check.problems += [Problem(severity, file, msg, row=row, column=column) for row, msg in rows]
        if n > limit:
            check.problems.append(Problem(severity, file, f"... and {n - limit} more rows with this problem",
                                          column=column))
    if warning_conds:
        check.warning_rows = con.sql(f"SELECT count_if({' OR '.join(warning_conds)}) FROM {raw}").fetchall()[0][0]
    check.problems += _duplicate_keys(con, check, limit)
    return check


def _probability_scale(con, raw: str, raw_col: str) -> str:
    """'0-1', '1-5' (all whole numbers 1..5, some above 1) or 'percent' (some above 5, none above 100)."""
    n = _number(_value(raw_col))
    top, whole = con.sql(f"SELECT max({n}), bool_and({n} = round({n}) AND {n} BETWEEN 1 AND 5) "
                         f"FROM {raw} WHERE {n} IS NOT NULL").fetchall()[0]
    if top is None or top <= 1:
        return "0-1"
    if whole:
        return "1-5"
    return "percent" if top <= 100 else "0-1"


def _quote(v: str) -> str:
    """SQL rendering a value for a message: quoted, cut at 40 characters."""
    return f"'''' || left({v}, 40) || CASE WHEN length({v}) > 40 THEN '...' ELSE '' END || ''''"


def _rules(check: TableCheck) -> list[tuple[str, str, str, str]]:
    """(column, severity, message SQL, failing-row condition) for every rule that applies."""
    rules = []
    for c in check.table.columns:
        if c.name not in check.mapping:
            continue
        v = _value(check.mapping[c.name])
        typed = typed_expr(check, c)
        if c.required:
            rules.append((c.name, "error", "'missing value (the column is required)'", f"{v} IS NULL"))
        if c.type == DATE:
            rules.append((c.name, "error", f"{_quote(v)} || ' is not a valid date (expected YYYY-MM-DD)'",
                          f"{v} IS NOT NULL AND {_date(v)} IS NULL"))
            if c.align == "month":
                rules.append((c.name, "warning",
                              f"{_quote(v)} || ' is not the first of a month; counted in ' || strftime({typed}, '%Y-%m')",
                              f"{_date(v)} IS NOT NULL AND day({_date(v)}) <> 1"))
            elif c.align == "week":
                rules.append((c.name, "warning",
                              f"{_quote(v)} || ' is not a Monday; counted in the week of ' || strftime({typed}, '%Y-%m-%d')",
                              f"{_date(v)} IS NOT NULL AND isodow({_date(v)}) <> 1"))
        elif c.type in (NUMBER, INTEGER):
            n = _number(v)
            rules.append((c.name, "error", f"{_quote(v)} || ' is not a number'",
                          f"{v} IS NOT NULL AND ({n} IS NULL OR isnan({n}) OR isinf({n}))"))
            if c.type == INTEGER:
                rules.append((c.name, "error", f"{_quote(v)} || ' is not a whole number'",
                              f"{n} IS NOT NULL AND NOT isinf({n}) AND {n} <> round({n})"))
            if c.money:
                rules.append((c.name, "error", f"'negative amount ' || {_quote(v)}", f"{n} < 0"))
            else:
                bounds = []
                if c.minimum is not None:
                    bounds.append(f"{typed} < {c.minimum}")
                if c.maximum is not None:
                    bounds.append(f"{typed} > {c.maximum}")
                if bounds:
                    rule = f"{c.minimum:g}..{c.maximum:g}" if c.maximum is not None else f">= {c.minimum:g}"
                    rules.append((c.name, "error", f"{_quote(v)} || ' is outside {rule}'",
                                  f"{n} IS NOT NULL AND NOT isnan({n}) AND ({' OR '.join(bounds)})"))
        if c.allowed:
            allowed = ", ".join(f"'{a}'" for a in c.allowed)
            rules.append((c.name, "error", f"'unknown {c.name} ' || {_quote(v)} || ' (allowed: {', '.join(c.allowed)})'",
                          f"{v} IS NOT NULL AND {typed} NOT IN ({allowed})"))
    return rules


def _duplicate_keys(con, check: TableCheck, limit: int) -> list[Problem]:
    """Rows whose key (after normalisation, e.g. a period's month) repeats an earlier row."""
    key_exprs = [typed_expr(check, check.table.column(k)) for k in check.table.key]
    not_null = " AND ".join(f"{e} IS NOT NULL" for e in key_exprs)
    shown = " || ' / ' || ".join(f"CAST({e} AS VARCHAR)" for e in key_exprs)
    rows = con.sql(f"""
        SELECT row, first_row, key, count(*) OVER () AS total FROM (
            SELECT rowid + 1 AS row, min(rowid + 1) OVER (PARTITION BY {', '.join(key_exprs)}) AS first_row,
                   {shown} AS key
            FROM {check.raw} WHERE {not_null}
        ) WHERE row > first_row ORDER BY row LIMIT {limit + 1}""").fetchall()
    file, column = str(check.source.path), ", ".join(check.table.key)
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
            if not c.references or c.name not in check.mapping:
                continue
            ref_table, ref_col = c.references.split(".")
            v = _value(check.mapping[c.name])
            if ref_table in checks:
                ref_check = checks[ref_table]
                if ref_col not in ref_check.mapping:
                    continue
                target, params = f"SELECT {_value(ref_check.mapping[ref_col])} AS k FROM {ref_check.raw}", []
            elif existing and con.sql(f"SELECT count(*) FROM {existing}.{ref_table} WHERE as_of = ?",
                                      params=[as_of]).fetchall()[0][0]:
                target, params = f"SELECT {ref_col} AS k FROM {existing}.{ref_table} WHERE as_of = ?", [as_of]
            else:
                problems.append(Problem("warning", file, f"{ref_table} are not in this snapshot; "
                                        f"references not checked", column=c.name))
                continue
            rows = con.sql(f"""
                SELECT rowid + 1, {v}, count(*) OVER () FROM {check.raw}
                WHERE {v} IS NOT NULL AND {v} NOT IN (SELECT k FROM ({target}) WHERE k IS NOT NULL)
                ORDER BY rowid LIMIT {limit}""",
                           params=params).fetchall()
            noun = ref_table.removesuffix("s")
            problems += [Problem("error", file, f"unknown {noun} {val!r} (not in {ref_table})", row=row, column=c.name)
                         for row, val, _ in rows]
            if rows and rows[0][2] > limit:
                problems.append(Problem("error", file, f"... and {rows[0][2] - limit} more unknown {ref_table}",
                                        column=c.name))
    return problems
