"""The filters every metric takes, in one `Scope`: the snapshot, the projects, the periods, the grouping.

Filter values come from widgets and URLs, so they are never pasted into SQL: each becomes a `?`
parameter, and a hostile string simply matches no project. Names (a `by=` grouping) cannot be bound,
so they are checked against a fixed table first. Each metric declares the filters it honours; one it
is given and cannot honour is a UsageError naming both, never silently ignored.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from pmo_analytics.exceptions import UsageError
from pmo_analytics.periods import month_end

SNAPSHOT = ("as_of",)
PROJECTS = ("portfolio", "program", "department", "project_ids")
PERIODS = ("period_from", "period_to")
FILTERS = SNAPSHOT + PROJECTS + PERIODS

# Group columns per `by` choice over projects aliased p (fixed text, never user input): the rollups of
# risk_exposure, exposure_trend and milestone_summary.
PROJECT_GROUPS: Mapping[str, tuple[str, ...]] = {
    "project": ("p.project_id", "p.name AS project_name", "p.portfolio"),
    "program": ("p.program",),
    "portfolio": ("p.portfolio",),
    "department": ("p.department",),
}


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


class Group(NamedTuple):
    """A `by=` grouping as SQL: the select list, the group-by list and the order-by list."""

    select: str
    group_by: str
    order_by: str

    @property
    def key(self) -> str:
        """The first output column (the group's own key, e.g. project_id or portfolio)."""
        return self.order_by.split(", ")[0]


@dataclass(frozen=True)
class Scope:
    """One metric call's filters, checked: the resolved snapshot, the project and period filters as
    bound SQL, and the `by=` grouping. Build it with `Scope.of`."""

    metric: str
    as_of: dt.date | None = None
    portfolio: object = None
    program: object = None
    department: object = None
    project_ids: object = None
    period_from: object = None
    period_to: object = None
    by: str | None = None
    groups: Mapping[str, tuple[str, ...]] | None = None

    @classmethod
    def of(cls, con, metric: str, *, honours: tuple[str, ...] = FILTERS, why: str = "", as_of=None,
           portfolio=None, program=None, department=None, project_ids=None, period_from=None,
           period_to=None, by=None, groups: Mapping[str, tuple[str, ...]] | None = None) -> Scope:
        """The scope of one call of `metric`, which honours the filters in `honours`.

        A filter given (not None) that the metric does not honour raises UsageError
        "<metric> does not take <filter>: <why>". `as_of` is resolved (default: the latest snapshot)
        only when honoured; `by` is checked against `groups` when the metric groups.
        """
        unknown = set(honours) - set(FILTERS)
        if unknown or (set(honours) != set(FILTERS) and not why):
            raise ValueError(f"{metric}: honours {sorted(unknown)} unknown, or no reason for the rest")
        given = {"as_of": as_of, "portfolio": portfolio, "program": program, "department": department,
                 "project_ids": project_ids, "period_from": period_from, "period_to": period_to}
        for name in FILTERS:
            if given[name] is not None and name not in honours:
                raise UsageError(f"{metric} does not take {name}: {why}")
        if groups is not None:
            choice(by, tuple(groups), "by")
        snapshot = resolve_as_of(con, as_of) if "as_of" in honours else None
        return cls(metric, snapshot, portfolio, program, department, project_ids, period_from, period_to,
                   by, groups)

    def projects(self, alias: str = "p") -> tuple[str, list]:
        """(SQL condition, parameters) for the project filters on a projects table aliased `alias`."""
        return project_where(alias, self.portfolio, self.program, self.department, self.project_ids)

    @property
    def filters_projects(self) -> bool:
        """True when any project filter is given (then the projects chosen may be none at all)."""
        return any(v is not None for v in (self.portfolio, self.program, self.department, self.project_ids))

    def periods(self, column: str) -> tuple[str, list]:
        """(SQL condition, parameters) keeping the DATE `column` inside [period_from, period_to]."""
        return period_where(column, self.period_from, self.period_to)

    @property
    def group(self) -> Group:
        """The `by=` grouping's (select, group by, order by); an `x AS y` column groups by x, sorts by y."""
        if self.groups is None or self.by is None:
            raise ValueError(f"{self.metric} has no by= grouping")
        cols = self.groups[self.by]
        names = [c.split(" AS ")[-1].split(".")[-1] for c in cols]
        return Group(", ".join(cols), ", ".join(c.split(" AS ")[0] for c in cols), ", ".join(names))
