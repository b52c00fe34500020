"""What a scenario is: a named, versioned list of changes on top of one snapshot, each change saying
who asked for it and why. Frozen dataclasses, checked when built, so a bad scenario never reaches
the database; apply.py says what each change does to the snapshot's rows."""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field, fields

from pmo_analytics.exceptions import PMOError, ScenarioError
from pmo_analytics.periods import month_end

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# The fields each kind takes (who and why go with every kind); those in REQUIRED must be given.
KINDS: dict[str, tuple[str, ...]] = {
    "exclude": ("project_id",),
    "include": ("project_id",),
    "defer": ("project_id", "months"),
    "cut": ("project_id", "percent"),
    "move": ("resource_id", "role", "project_id", "to_project", "period", "percent"),
    "hire": ("role", "people", "weekly_hours", "team"),
    "add": ("project_id", "name", "portfolio", "program", "department", "value_score", "budget", "demand"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "exclude": ("project_id",), "include": ("project_id",), "defer": ("project_id", "months"),
    "cut": ("project_id", "percent"), "move": ("project_id", "to_project", "period"), "hire": ("role",),
    "add": ("project_id", "name", "portfolio"),
}
COMMON = ("who", "why")
TEXT = ("project_id", "resource_id", "role", "to_project", "team", "name", "portfolio", "program",
        "department", "who", "why")


@dataclass(frozen=True)
class Change:
    """One change of a scenario; `kind` says which fields it takes (KINDS) and apply.py what it does."""

    kind: str
    project_id: str | None = None
    months: int | None = None
    percent: float | None = None
    resource_id: str | None = None
    role: str | None = None
    to_project: str | None = None
    period: list[str] | None = None
    people: int | None = None
    weekly_hours: float | None = None
    team: str | None = None
    name: str | None = None
    portfolio: str | None = None
    program: str | None = None
    department: str | None = None
    budget: dict[str, float] | None = None
    demand: dict[str, dict[str, float]] | None = None
    value_score: float | None = None
    who: str | None = None
    why: str | None = None

    def __post_init__(self):
        # Numbers are kept as floats (an int written in TOML reads back as the same float); values
        # of the wrong type are left for validate() to name.
        for name in ("percent", "weekly_hours", "value_score"):
            value = getattr(self, name)
            if _number(value):
                object.__setattr__(self, name, float(value))
        if isinstance(self.period, tuple):
            object.__setattr__(self, "period", list(self.period))
        if isinstance(self.budget, dict):
            object.__setattr__(self, "budget", _floats(self.budget))
        if isinstance(self.demand, dict):
            object.__setattr__(self, "demand", {k: _floats(v) if isinstance(v, dict) else v
                                                for k, v in self.demand.items()})

    def label(self, position: int | None = None) -> str:
        """'change 3 (defer)': how messages name this change."""
        return f"change {position} ({self.kind})" if position is not None else f"change ({self.kind})"

    def validate(self, position: int | None = None, where: str = "") -> None:
        """Raises ScenarioError "<where>change <position> (<kind>): <field> ..." for the first field that
        is missing, of the wrong type or out of range, or that the kind does not take."""
        prefix = f"{where}{self.label(position)}: "
        try:
            _check_change(self)
        except ScenarioError as exc:
            raise ScenarioError(prefix + str(exc)) from None


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _got(value) -> str:
    """A value as a message shows it: 100 for 100.0 (TOML's 100 is read as a float), text quoted."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if _number(value) else repr(str(value)[:40])


def _exact(value) -> str:
    """A value where a whole number is expected: 3.0 shows as 3.0 (it is not one)."""
    return repr(value) if _number(value) else _got(value)


def _floats(values: dict) -> dict:
    return {k: float(v) if _number(v) else v for k, v in values.items()}


def _fail(message: str):
    raise ScenarioError(message)


def _check_change(c: Change) -> None:
    if c.kind not in KINDS:
        _fail(f"kind must be one of {', '.join(KINDS)}, got {_got(c.kind)}")
    takes = set(KINDS[c.kind]) | set(COMMON)
    for f in fields(Change):
        value = getattr(c, f.name)
        if f.name != "kind" and value is not None and f.name not in takes:
            _fail(f"{f.name} does not apply to {c.kind} (it takes {', '.join(KINDS[c.kind] + COMMON)})")
    for name in REQUIRED[c.kind]:
        if getattr(c, name) is None:
            _fail(f"{name} is required")
    for name in TEXT:
        value = getattr(c, name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            _fail(f"{name} must be a non-empty text, got {_got(value)}")
    _check_numbers(c)
    if c.kind == "move":
        _check_move(c)
    if c.kind == "add":
        _check_add(c)


def _check_numbers(c: Change) -> None:
    if c.months is not None and (not isinstance(c.months, int) or isinstance(c.months, bool) or c.months == 0):
        _fail(f"months must be a non-zero whole number, got {_exact(c.months)}")
    if c.months is not None and abs(c.months) > 240:
        _fail(f"months must be at most 240 either way, got {c.months}")
    if c.percent is not None:
        move = c.kind == "move"
        what = "0 < percent <= 100" if move else "0 < percent < 100"
        if not _number(c.percent) or not (0 < c.percent <= 100 if move else 0 < c.percent < 100):
            _fail(f"percent must be a number with {what}, got {_got(c.percent)}")
    if c.people is not None and (not isinstance(c.people, int) or isinstance(c.people, bool)
                                 or not 1 <= c.people <= 1000):
        _fail(f"people must be a whole number from 1 to 1000, got {_exact(c.people)}")
    if c.weekly_hours is not None and (not _number(c.weekly_hours) or not 0 < c.weekly_hours <= 168):
        _fail(f"weekly_hours must be a number with 0 < hours <= 168, got {_got(c.weekly_hours)}")
    if c.value_score is not None and (not _number(c.value_score) or not 0 <= c.value_score < math.inf):
        _fail(f"value_score must be a number >= 0, got {_got(c.value_score)}")


def _check_move(c: Change) -> None:
    if (c.resource_id is None) == (c.role is None):
        _fail("give resource_id or role (one of them): whose hours move")
    if c.to_project == c.project_id:
        _fail(f"to_project must differ from project_id, got {c.to_project!r} twice")
    if not isinstance(c.period, list) or not c.period:
        _fail(f"period must be a list of months ('YYYY-MM'), got {_got(c.period)}")
    for month in c.period:
        check_month(month, "period")


def _check_add(c: Change) -> None:
    if c.budget is None and c.demand is None:
        _fail("give budget (per month) or demand (per role and month), or both")
    if c.budget is not None:
        _check_months(c.budget, "budget", "an amount of money")
    if c.demand is not None:
        if not isinstance(c.demand, dict):
            _fail(f"demand must be a table of roles, each a table of months, got {_got(c.demand)}")
        for role, hours in c.demand.items():
            if not isinstance(role, str) or not role.strip():
                _fail(f"demand: a role must be a non-empty text, got {_got(role)}")
            _check_months(hours, f"demand.{role}", "a number of hours")
    if not (c.budget or any(c.demand.values() if c.demand else ())):
        _fail("budget and demand list no month: the project needs at least one")


def _check_months(values, what: str, unit: str) -> None:
    if not isinstance(values, dict):
        _fail(f"{what} must be a table of months ('YYYY-MM' = value), got {_got(values)}")
    for month, value in values.items():
        check_month(month, what)
        if not _number(value) or not 0 <= value < math.inf:
            _fail(f"{what}.{month} must be {unit} >= 0, got {_got(value)}")


def check_month(value, what: str) -> dt.date:
    """The first day of the month 'YYYY-MM' `value`, or ScenarioError naming `what`."""
    match = MONTH.match(value) if isinstance(value, str) else None
    if not match or not 1900 <= int(match.group(1)) <= 2199:
        _fail(f"{what}: {str(value)[:40]!r} is not a month (expected 'YYYY-MM')")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


@dataclass(frozen=True)
class Scenario:
    """A named, versioned list of changes on top of the snapshot `as_of` (a month end; 'YYYY-MM' or
    any date of the month is accepted and stored as its month end). The name (1-64 letters, digits,
    '-' or '_') becomes a file name; budget_limit is money per month."""

    name: str
    as_of: dt.date
    changes: tuple[Change, ...] = field(default=())
    version: int = 1
    description: str = ""
    author: str | None = None
    created: str | None = None
    budget_limit: float | None = None

    def __post_init__(self):
        where = f"scenario {str(self.name)[:64]!r}"
        try:
            object.__setattr__(self, "as_of", _month_end(self.as_of))
            _check_scenario(self)
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: {exc}") from None
        object.__setattr__(self, "changes", tuple(self.changes))
        if _number(self.budget_limit):
            object.__setattr__(self, "budget_limit", float(self.budget_limit))
        for i, change in enumerate(self.changes, 1):
            if not isinstance(change, Change):
                raise ScenarioError(f"{where}, change {i}: not a Change, got {type(change).__name__}")
            change.validate(i, where=f"{where}, ")


def _month_end(value) -> dt.date:
    if isinstance(value, str):
        check_month(value, "as_of")
    elif not isinstance(value, dt.date):
        _fail(f"as_of must be a month ('YYYY-MM'), got {_got(value)}")
    try:
        return month_end(value)
    except PMOError:
        _fail(f"as_of must be a month ('YYYY-MM'), got {_got(value)}")


def _check_scenario(s: Scenario) -> None:
    if not isinstance(s.name, str) or not NAME.match(s.name):
        _fail("name must be 1-64 letters, digits, '-' or '_' (it becomes a file name), "
              f"got {_got(s.name)}")
    if not isinstance(s.version, int) or isinstance(s.version, bool) or s.version < 1:
        _fail(f"version must be a whole number >= 1, got {_exact(s.version)}")
    if not isinstance(s.description, str):
        _fail(f"description must be a text, got {_got(s.description)}")
    if s.author is not None and (not isinstance(s.author, str) or not s.author.strip()):
        _fail(f"author must be a non-empty text, got {_got(s.author)}")
    if s.created is not None:
        try:
            dt.datetime.fromisoformat(s.created)
        except (TypeError, ValueError):
            _fail(f"created must be an ISO timestamp ('2026-11-03T09:30:00'), got {_got(s.created)}")
    if s.budget_limit is not None and (not _number(s.budget_limit) or not 0 < s.budget_limit < math.inf):
        _fail(f"budget_limit must be money per month > 0, got {_got(s.budget_limit)}")
    if not isinstance(s.changes, (tuple, list)):
        _fail(f"changes must be a list of Change, got {type(s.changes).__name__}")


def describe(change: Change) -> str:
    """The change in a few words, for tables and reports ("defer PRJ-0043 by 3 months")."""
    c = change
    if c.kind in ("exclude", "include"):
        return f"{c.kind} {c.project_id}"
    if c.kind == "defer":
        return (f"defer {c.project_id} by {c.months} month{'s' * (abs(c.months) != 1)}" if c.months > 0 else
                f"bring {c.project_id} forward {-c.months} month{'s' * (c.months != -1)}")
    if c.kind == "cut":
        return f"cut {c.project_id}'s remaining scope by {c.percent:g}%"
    if c.kind == "move":
        whose = c.resource_id if c.resource_id is not None else f"every {c.role}"
        share = "" if c.percent in (None, 100) else f"{c.percent:g}% of "
        return f"move {share}{whose}'s hours on {c.project_id} to {c.to_project} in {', '.join(c.period)}"
    if c.kind == "hire":
        hours = "" if c.weekly_hours is None else f" at {c.weekly_hours:g} h/week"
        team = "" if c.team is None else f" in {c.team}"
        return f"hire {c.people or 1} {c.role}{hours}{team}"
    money = sum((c.budget or {}).values())
    hours = sum(sum(v.values()) for v in (c.demand or {}).values())
    return f"add {c.project_id} {c.name} ({c.portfolio}): budget {money:,.0f}, demand {hours:,.0f} h"
