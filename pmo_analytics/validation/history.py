"""Checks of a month against the snapshot loaded before it, read from the database being published to
(`existing`, a catalog name: `pub` while loading). Warnings only, and loud ones: what they catch
loads without an error and then shows as a wrong trend.

- History that breaks: more than HISTORY_BREAK_SHARE of the previous snapshot's projects are not in
  the month's projects file. Usually the tool renumbered its projects (the UK portfolio changed every
  ID from names to codes in 2020), and every month-over-month comparison would start again from
  nothing; the warning counts the projects that match, by ID and by name under another ID, and says
  how to map the IDs ([id_map] in a profile).
- Restated actuals: consumed of closed periods (budget_lines periods before the previous snapshot's
  month) that differ from that snapshot's value by more than CENT, and actual dates of milestones
  achieved in that snapshot that changed or went. The past is meant to stay as it was; a month that
  rewrites it would otherwise go in silently, and "356 milestones slipped" follow.

Each compares rows the two snapshots share (same project, period and category; same milestone), as
they are loaded (validation.rules.select_canonical), with the previous snapshot that holds the table.
"""
from __future__ import annotations

import datetime as dt

from pmo_analytics.problems import Problem
from pmo_analytics.validation.rules import select_canonical
from pmo_analytics.validation.tablecheck import TableCheck

__all__ = ["CENT", "HISTORY_BREAK_SHARE", "check_history"]

HISTORY_BREAK_SHARE = 0.5  # more than this share of last month's projects missing: the history breaks
CENT = 0.01  # consumed that moved by more than this (in the projects' currency) was restated
SAMPLES = 3  # examples named in a message
ID_MAP_HINT = "map old IDs to new with [id_map] in a profile (and re-load the earlier months with it)"


def check_history(con, checks: dict[str, TableCheck], as_of: dt.date | None, existing: str) -> list[Problem]:
    """The history warnings of the staged tables against the snapshot before `as_of` in `existing`
    (None: after the latest loaded one, as `pmo check` has no month)."""
    problems = []
    for table, check_ in (("projects", _missing_projects), ("budget_lines", _restated_consumed),
                          ("milestones", _restated_milestones)):
        check = checks.get(table)
        if check is None or not check.stg or check.blocked:
            continue
        previous = _previous(con, existing, table, as_of)
        if previous is not None:
            problems += check_(con, check, as_of, existing, previous)
    return problems


def _previous(con, existing: str, table: str, as_of) -> dt.date | None:
    """The latest snapshot before `as_of` (any, when None) holding rows of `table`."""
    return con.sql(f"SELECT max(as_of) FROM {existing}.{table} WHERE ?::DATE IS NULL OR as_of < ?",
                   params=[as_of, as_of]).fetchall()[0][0]


def _staged(check: TableCheck, as_of) -> tuple[str, list]:
    """The staged rows as they will be loaded, as a subquery, with its parameters."""
    return f"({select_canonical(check)})", [as_of, str(check.source.path)]


def _quoted(values) -> str:
    return ", ".join(repr(v) for v in values)


def _missing_projects(con, check: TableCheck, as_of, existing: str, previous: dt.date) -> list[Problem]:
    staged, params = _staged(check, as_of)
    query = f"""
        WITH cur AS (SELECT project_id, name FROM {staged} c WHERE project_id IS NOT NULL),
             prev AS (SELECT project_id, name FROM {existing}.projects WHERE as_of = ?),
             lost AS (SELECT * FROM prev WHERE project_id NOT IN (SELECT project_id FROM cur)),
             -- a project of last month missing by ID whose name a project new this month has
             named AS (SELECT l.project_id AS old_id, min(c.project_id) AS new_id
                       FROM lost l JOIN cur c ON c.name = l.name
                       WHERE c.project_id NOT IN (SELECT project_id FROM prev)
                       GROUP BY l.project_id)
        SELECT (SELECT count(*) FROM prev), (SELECT count(*) FROM lost), (SELECT count(*) FROM named),
               (SELECT list(project_id ORDER BY project_id)[1:{SAMPLES}] FROM lost),
               (SELECT list([old_id, new_id] ORDER BY old_id)[1:{SAMPLES}] FROM named)"""
    total, missing, by_name, gone, renamed = con.sql(query, params=params + [previous]).fetchall()[0]
    kept = total - missing
    if not total or missing / total <= HISTORY_BREAK_SHARE:
        return []
    head = (f"none of {total:,} projects of {previous:%Y-%m} are in this export" if not kept else
            f"{missing:,} of {total:,} projects of {previous:%Y-%m} are not in this export (only {kept:,} match)")
    if by_name:
        shown = ", ".join(f"{old!r} -> {new!r}" for old, new in renamed)
        head += f"; {by_name:,} of them have the name of a project here under another ID (e.g. {shown})"
    else:
        head += f" (e.g. {_quoted(gone)})"
    return [Problem("warning", str(check.source.path), f"{head}: did the IDs change? {ID_MAP_HINT}",
                    column="project_id")]


def _restated_consumed(con, check: TableCheck, as_of, existing: str, previous: dt.date) -> list[Problem]:
    if "consumed" not in check.mapping:
        return []
    staged, params = _staged(check, as_of)
    rows = con.sql(f"""
        WITH cur AS (SELECT project_id, period, category, consumed FROM {staged} c),
             prev AS (SELECT project_id, period, category, consumed FROM {existing}.budget_lines
                      WHERE as_of = ? AND period < date_trunc('month', ?::DATE))
        SELECT count(*) OVER (), project_id, period, category, p.consumed, c.consumed
        FROM prev p JOIN cur c USING (project_id, period, category)
        WHERE round(abs(coalesce(c.consumed, 0) - coalesce(p.consumed, 0)), 6) > ?
        ORDER BY abs(coalesce(c.consumed, 0) - coalesce(p.consumed, 0)) DESC, project_id, period, category
        LIMIT 1""", params=params + [previous, previous, CENT]).fetchall()
    if not rows:
        return []
    count, pid, period, category, old, new = rows[0]
    closed = (previous.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    return [Problem("warning", str(check.source.path),
                    f"budget_lines: {count:,} consumed value(s) of periods up to {closed} differ from the "
                    f"{previous:%Y-%m} snapshot (largest: {pid} {period:%Y-%m} {category} {_money(old)} -> "
                    f"{_money(new)}): past actuals were restated; check the export before trusting the trend",
                    column="consumed")]


def _money(v) -> str:
    return "none" if v is None else f"{v:,.2f}"


def _restated_milestones(con, check: TableCheck, as_of, existing: str, previous: dt.date) -> list[Problem]:
    if "actual_date" not in check.mapping:
        return []
    staged, params = _staged(check, as_of)
    rows = con.sql(f"""
        WITH cur AS (SELECT project_id, milestone_id, actual_date FROM {staged} c),
             prev AS (SELECT project_id, milestone_id, actual_date FROM {existing}.milestones
                      WHERE as_of = ? AND actual_date IS NOT NULL)
        SELECT count(*) OVER (), project_id, milestone_id, p.actual_date, c.actual_date,
               date_diff('day', p.actual_date, c.actual_date)
        FROM prev p JOIN cur c USING (project_id, milestone_id)
        WHERE c.actual_date IS DISTINCT FROM p.actual_date
        ORDER BY c.actual_date IS NULL, abs(date_diff('day', p.actual_date, c.actual_date)) DESC,
                 project_id, milestone_id
        LIMIT 1""", params=params + [previous]).fetchall()
    if not rows:
        return []
    count, pid, mid, old, new, days = rows[0]
    change = "no longer achieved" if new is None else f"{new}, {days:+,} days"
    return [Problem("warning", str(check.source.path),
                    f"milestones: {count:,} actual date(s) of milestones achieved by the {previous:%Y-%m} snapshot "
                    f"differ from it (largest: {pid} {mid} {old} -> {change}): past actuals were restated, and "
                    "slips measured against last month will show them", column="actual_date")]
