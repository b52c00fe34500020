"""What the filters can offer and what a dashboard says about its snapshot: the loaded months, the
projects of a month (portfolio, program, department, currency), the options left once some filters
are chosen, the selection's currency and the snapshot's load record. Values are bound as parameters.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from pmo_analytics.metrics import scope as filters
from pmo_analytics.periods import month_end
from pmo_analytics.store import loads

PROJECT_COLUMNS = ["project_id", "name", "portfolio", "program", "department", "currency"]
HEADER_FIELDS = ("as_of", "quality_score", "warnings", "loaded_at")


def snapshot_months(con) -> list[dt.date]:
    """Every loaded snapshot date, oldest first."""
    return loads.months(con)


def snapshot_projects(con, as_of) -> pd.DataFrame:
    """The projects of one snapshot (PROJECT_COLUMNS, by project_id): what the filter bar narrows."""
    return con.sql("SELECT project_id, name, portfolio, program, department, currency FROM projects "
                   "WHERE as_of = ? ORDER BY project_id", params=[month_end(as_of)]).df()


def _values(frame: pd.DataFrame, column: str) -> list[str]:
    return sorted(str(v) for v in frame[column].dropna().unique())


def narrow_options(projects: pd.DataFrame, portfolio=None, program=None, department=None) -> dict:
    """The options each filter offers within the choices to its left (portfolio > program >
    department > project), from a snapshot_projects frame.

    A choice that is not offered (a program of another portfolio) counts as no choice and comes back
    as None. Returns portfolios, programs, departments (sorted lists), projects (the rows left, in
    order) and the chosen portfolio, program and department.
    """
    rows = projects
    portfolios = _values(rows, "portfolio")
    portfolio = portfolio if portfolio in portfolios else None
    if portfolio:
        rows = rows[rows["portfolio"] == portfolio]
    programs = _values(rows, "program")
    program = program if program in programs else None
    if program:
        rows = rows[rows["program"] == program]
    departments = _values(rows, "department")
    department = department if department in departments else None
    if department:
        rows = rows[rows["department"] == department]
    return {"portfolios": portfolios, "programs": programs, "departments": departments, "projects": rows,
            "portfolio": portfolio, "program": program, "department": department}


def filter_options(con, as_of, portfolio=None, program=None, department=None) -> dict:
    """narrow_options for the projects of snapshot `as_of` ('YYYY-MM' or a date)."""
    return narrow_options(snapshot_projects(con, as_of), portfolio, program, department)


def currencies(projects: pd.DataFrame) -> str | None:
    """The currency codes of some projects: 'GBP', 'EUR,GBP' for a mix, None when none is known."""
    codes = sorted({str(c) for c in projects["currency"].dropna()}) if len(projects) else []
    return ",".join(codes) or None


def snapshot_currency(con, as_of=None, **project_filters) -> str | None:
    """The currency (or 'EUR,GBP' for a mix) of the snapshot's projects that the filters select."""
    snapshot = filters.resolve_as_of(con, as_of)
    cond, params = filters.project_where("p", **project_filters)
    rows = con.sql(f"SELECT DISTINCT currency FROM projects p WHERE p.as_of = ? AND {cond} "
                   "AND currency IS NOT NULL ORDER BY 1", params=[snapshot, *params]).fetchall()
    return ",".join(r[0] for r in rows) or None


def snapshot_header(con, as_of) -> dict | None:
    """What a dashboard says about its snapshot: as_of, quality_score, warnings and loaded_at from the
    loads record of month `as_of`; None when that month is not loaded."""
    record = loads.record(con, month_end(as_of))
    return None if record is None else {k: record[k] for k in HEADER_FIELDS}


__all__ = [
    "HEADER_FIELDS", "PROJECT_COLUMNS", "currencies", "filter_options", "narrow_options", "snapshot_currency",
    "snapshot_header", "snapshot_months", "snapshot_projects",
]
