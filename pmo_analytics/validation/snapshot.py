"""Checks across the files of a snapshot: references to projects and resources, rows already loaded
that a replaced table would orphan, and reconciliation of totals and dates between files (including
spend on a project without a budget at completion, and implausible variances and CPIs)."""
from __future__ import annotations

from pmo_analytics.contract import TABLES
from pmo_analytics.problems import Problem
from pmo_analytics.settings import MAX_PROBLEMS_PER_CHECK
from pmo_analytics.validation.plausibility import check_plausibility
from pmo_analytics.validation.tablecheck import TableCheck

__all__ = ["check_dependents", "check_references", "check_snapshot"]


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
    problems += _spend_without_bac(con, checks, table, limit)
    problems += check_plausibility(con, checks, table, limit, as_of)
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


def _spend_without_bac(con, checks: dict[str, TableCheck], table, limit: int) -> list[Problem]:
    """Projects whose bac is blank or 0 while their budget lines have consumed money: earned value
    (EV = percent complete x BAC) cannot be computed for them, which must be said, not pass for a
    finished project. Checked when projects or budget lines are in this load (`table` gives each
    table's rows); the warning is on the projects file's row when it is, else on the budget lines."""
    projects, pparams = table("projects", "bac")
    lines, lparams = table("budget_lines", "consumed")
    if not projects or not lines or not {"projects", "budget_lines"} & set(checks):
        return []
    staged = "projects" in checks
    row = "p.rowid + 1" if staged else "CAST(NULL AS BIGINT)"
    rows = con.sql(f"""
        WITH spent AS (SELECT project_id, sum(consumed) AS consumed FROM {lines} GROUP BY project_id
                       HAVING sum(consumed) > 0.005)
        SELECT {row} AS row, p.project_id, p.bac, s.consumed FROM {projects} p
        JOIN spent s USING (project_id)
        WHERE p.project_id IS NOT NULL AND coalesce(abs(p.bac), 0) < 0.005
        ORDER BY row, p.project_id LIMIT {limit}""", params=pparams + lparams).fetchall()
    file = str(checks["projects" if staged else "budget_lines"].source.path)
    return [Problem("warning", file, f"{pid}: bac is {'blank' if bac is None else '0'} but {consumed:,.2f} is "
                    "consumed: earned value cannot be computed", row=row, column="bac" if staged else "consumed")
            for row, pid, bac, consumed in rows]
