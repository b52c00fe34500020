"""The filters every metric takes, turned into SQL with bound parameters.

Filter values come from widgets and URLs, so they are never pasted into SQL: each becomes a `?`
parameter, and a hostile string simply matches no project.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pmo_analytics.exceptions import UsageError
from pmo_analytics.periods import month_end


def resolve_as_of(con, as_of=None) -> dt.date | None:
    """The snapshot to report on: the given month's end, or the latest loaded one (None if empty)."""
    if as_of is not None:
        return month_end(as_of)
    rows = con.sql("SELECT max(as_of) FROM loads").fetchall()
    return rows[0][0] if rows else None


def choice(value, allowed: tuple[str, ...], what: str) -> str:
    """`value` if it is one of `allowed`, else a UsageError: names (columns, groupings) can't be bound
    as parameters, so a widget's choice is checked against a fixed list before it reaches SQL."""
    if not isinstance(value, str) or value not in allowed:
        raise UsageError(f"{what} must be one of {', '.join(allowed)}; got {str(value)[:40]!r}")
    return value


def _as_list(value) -> list | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def project_where(alias: str = "p", portfolio=None, program=None, department=None,
                  project_ids=None) -> tuple[str, list]:
    """SQL conditions on a projects table aliased `alias`, and their parameters.

    Each filter is one value or a list of values; None means no filter. Returns ("TRUE", []) when
    nothing is filtered, so callers can always write `WHERE ... AND {cond}`.
    """
    conds, params = [], []
    for column, value in (("portfolio", portfolio), ("program", program),
                          ("department", department), ("project_id", project_ids)):
        values = _as_list(value)
        if values is None:
            continue
        conds.append(f"{alias}.{column} IN (SELECT unnest(?::VARCHAR[]))")
        params.append([str(v) for v in values])
    return (" AND ".join(conds) or "TRUE"), params


def period_where(column: str, period_from=None, period_to=None) -> tuple[str, list]:
    """SQL conditions keeping `column` (a DATE) inside [period_from, period_to], by month."""
    conds, params = [], []
    if period_from is not None:
        conds.append(f"{column} >= ?")
        params.append(month_end(period_from).replace(day=1))
    if period_to is not None:
        conds.append(f"{column} <= ?")
        params.append(month_end(period_to))
    return (" AND ".join(conds) or "TRUE"), params
