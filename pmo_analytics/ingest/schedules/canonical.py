"""A Schedule (model.py: any tool's file, read by MPXJ) -> the canonical tables, in the same shape as the
MSPDI reader gives them and, as far as the model carries the values, with its conventions (mspdi.py).

`tables_of(schedule, project_id)` returns DataFrames keyed by table name (projects, milestones,
progress, budget_lines, resources, allocations) with mspdi.COLUMNS. Every value is canonical text (ISO
dates, '.' decimals, money to the cent, hours to the hundredth) or None when the schedule has no value;
a table the schedule has nothing for is an empty frame with its columns. `read_tables(path)` reads the
file with MPXJ first and names the project after the file (LEGACY_SAMPLE for legacy_sample.mpp).

Conventions:
- The project summary is activity 'T0' (MS Project's task 0, Schedule.summary). Leaves are the
  activities that are not summaries (P6 WBS nodes come through MPXJ as summaries too).
- A baseline cost of 0 on an activity with no baseline start or finish is no baseline: MPXJ reports 0,
  not nothing, for every task of an .mpp that was never baselined.
- projects: name = the schedule's name (a file extension MPXJ leaves on it removed), else the summary's,
  else the project id. bac = the summary's baseline cost, else the sum of the leaves' baseline costs,
  else the summary's cost, else the sum of the leaves' costs. status is 'closed' when the summary
  (without one: every leaf) is 100% complete, else 'active'. baseline_end_date = the summary's
  baseline finish (without one: the latest leaf baseline finish).
- progress: one row, the status month, with the summary's percent complete (without one: the leaves'
  average weighted by baseline cost, else cost, else assigned work, else equally). No status date, no row.
- milestones: activities of kind 'milestone'; milestone_id = activity_id ('T<unique id>').
  baseline_date = baseline finish, forecast_date = finish, actual_date = actual finish, else finish
  when 100% complete.
- resources: every resource. Work resources have weekly_capacity_hours = max_units (1.0 when missing)
  x the schedule's hours per week and cost_rate = the standard rate per hour; material and cost
  resources have neither (their work is a quantity, their rate per unit). role = the kind, team = group.
- allocations: one row per work resource and week (Monday) with hours. An assignment's work is spread
  evenly over the working days (Mon-Fri) from its start to its finish (the activity's when it has
  none), its actual work from its actual start to its actual finish (or the status date while in
  progress), both in hundredths of an hour by largest remainder, so totals are kept exactly.
  actual_hours is blank for weeks after the status date's week. Assignments to material and cost
  resources give no allocation; to a resource the schedule does not list, they are kept (the
  validator reports the unknown resource).
- budget_lines: per leaf activity, its baseline cost (budget) is spread evenly over the working days
  from its baseline start to its baseline finish (its start / finish when it has none), its cost
  (forecast) from start to finish and its actual cost (consumed) from actual start to actual finish
  (or the status date), then summed per month and category: 'labour' = the cost of its assignments to
  work resources, 'external' = material and cost resources plus whatever activity cost no assignment
  explains (fixed cost); an activity whose assignments carry no cost is all 'labour' when it has an
  assignment to a work resource, else 'external'. Money is apportioned in cents, so monthly lines add
  up exactly to each activity's amount. committed is blank (schedules hold no commitments); budget is
  blank when no leaf has a baseline cost, consumed when no leaf has an actual cost (a Planner file has
  no costs) and after the status month.

What differs from MSPDI: the model carries no timephased data, so work and money are always spread
evenly (an .mpp's work contours are not followed), over Mon-Fri without the calendar's holidays;
dates are whole days, so a span counts its first and its last day. The status date is the one MPXJ
reports as the status date (the MSPDI reader falls back to CurrentDate, then LastSaved). A zero
baseline cost without baseline dates is no baseline, and budget / consumed are blank when no leaf
has the amount (MSPDI files always carry ActualCost and a summary baseline only when set).
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from pmo_analytics.ingest.schedules.model import Activity, Assignment, Schedule
from pmo_analytics.ingest.schedules.mpxj_read import read_schedule
from pmo_analytics.ingest.schedules.mspdi import COLUMNS, _upper_snake
from pmo_analytics.ingest.schedules.mspdi_spread import (
    Calendar,
    apportion,
    bucket,
    monday,
    month_start,
    split_by_category,
)
from pmo_analytics.ingest.schedules.mspdi_xml import fmt, hours_text, money

__all__ = ["COLUMNS", "read_tables", "tables_of"]

CATEGORIES = ("labour", "external")
# Spans are whole dates: taken at noon, every day from the first to the last counts (Mon-Fri).
_DAY, _NOON = Calendar(time(0), time(23, 59)), time(12)
_FILE_SUFFIX = re.compile(r"\.(xml|mpp|mpx|xer|pmxml|planner)$", re.IGNORECASE)


def tables_of(schedule: Schedule, project_id: str, portfolio: str = "Schedules") -> dict[str, pd.DataFrame]:
    """The canonical tables one schedule yields, as DataFrames of canonical text (see the module doc)."""
    return _Tables(schedule, project_id, portfolio).tables()


def read_tables(path, project_id: str | None = None, portfolio: str = "Schedules") -> dict[str, pd.DataFrame]:
    """tables_of the schedule MPXJ reads from `path`, the project id being the file name's stem in
    UPPER_SNAKE unless given. Raises InputError("<path>: ...") as read_schedule does."""
    path = Path(path)
    schedule = read_schedule(path)
    if not schedule.name and not (schedule.summary and schedule.summary.name):
        schedule = replace(schedule, name=path.stem)
    return tables_of(schedule, project_id or _upper_snake(path.stem), portfolio)


# --- values ------------------------------------------------------------------------------------------

def _cents(x: float | None) -> int | None:
    """A currency amount as integer cents (half up); None when missing or not finite."""
    if x is None or not math.isfinite(x):
        return None
    return int((Decimal(repr(float(x))) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _hundredths(hours: float | None) -> int | None:
    """Hours as whole hundredths; None when there is no positive work to spread."""
    if hours is None or not math.isfinite(hours) or hours <= 0:
        return None
    return round(hours * 100)


def _baseline_cost(a: Activity) -> int | None:
    """The activity's baseline cost in cents; a 0 without any baseline date is no baseline."""
    cents = _cents(a.baseline_cost)
    if cents == 0 and a.baseline_start is None and a.baseline_finish is None:
        return None
    return cents


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _spread(amount: int | None, start: date | None, finish: date | None, key) -> dict[date, int]:
    """An integer amount over the weeks or months (`key`) of the working days from start to finish."""
    if not amount:
        return {}
    noon = [None if d is None else datetime.combine(d, _NOON) for d in (start, finish)]
    return apportion(amount, bucket(_DAY.working_days(*noon), key))


def _frames(rows: dict[str, list]) -> dict[str, pd.DataFrame]:
    return {t: pd.DataFrame(r, columns=COLUMNS[t], dtype=object) if r
            else pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS[t]})
            for t, r in rows.items()}


# --- the tables --------------------------------------------------------------------------------------

class _Tables:
    def __init__(self, schedule: Schedule, project_id: str, portfolio: str):
        self.s = schedule
        self.project_id = project_id
        self.portfolio = portfolio
        self.status = schedule.status_date
        self.summary = schedule.summary
        self.leaves = [a for a in schedule.activities if a.kind != "summary"]
        self.activity = {a.activity_id: a for a in schedule.activities}
        self.kinds = {r.resource_id: r.kind for r in schedule.resources}

    def tables(self) -> dict[str, pd.DataFrame]:
        return _frames({
            "projects": [self._project()],
            "milestones": self._milestones(),
            "progress": self._progress(),
            "budget_lines": self._budget_lines(),
            "resources": self._resources(),
            "allocations": self._allocations(),
        })

    def _work_resource(self, g: Assignment) -> bool:
        return self.kinds.get(g.resource_id, "work") == "work"

    def _actual_span(self, actual_start, actual_finish, start, finish) -> tuple[date | None, date | None]:
        """From the actual start (else the start) to the actual finish, else the status date (not after
        the finish), else the finish."""
        if actual_finish is None:
            actual_finish = min(self.status, finish) if (self.status and finish) else (self.status or finish)
        return actual_start or start, actual_finish

    # projects, progress and milestones -------------------------------------------------------------

    def _project(self) -> list:
        top = self.summary
        if top is not None:
            closed = top.percent_complete == 100
            bl_end = top.baseline_finish
        else:
            closed = bool(self.leaves) and all(a.percent_complete == 100 for a in self.leaves)
            bl_end = max((a.baseline_finish for a in self.leaves if a.baseline_finish), default=None)
        name = self.s.name and (_FILE_SUFFIX.sub("", self.s.name) or self.s.name)
        name = name or (top.name if top else None) or self.project_id
        return [self.project_id, name, self.portfolio, self.s.manager, "closed" if closed else "active",
                _iso(self.s.start), _iso(self.s.finish), _iso(bl_end), self._bac(), self.s.currency]

    def _bac(self) -> str | None:
        top = self.summary
        if top is not None and _baseline_cost(top) is not None:
            return money(_baseline_cost(top))
        leaf_bl = [c for c in map(_baseline_cost, self.leaves) if c is not None]
        if leaf_bl:
            return money(sum(leaf_bl))
        if top is not None and _cents(top.cost) is not None:
            return money(_cents(top.cost))
        leaf_cost = [c for c in (_cents(a.cost) for a in self.leaves) if c is not None]
        return money(sum(leaf_cost)) if leaf_cost else None

    def _percent(self) -> str | None:
        if self.summary is not None and self.summary.percent_complete is not None:
            return fmt(self.summary.percent_complete, 4)
        leaves = [a for a in self.leaves if a.percent_complete is not None]
        work: dict[str, float] = defaultdict(float)
        for g in self.s.assignments:
            if self._work_resource(g) and g.work_hours:
                work[g.activity_id] += g.work_hours
        for weight in (lambda a: _baseline_cost(a) or 0, lambda a: _cents(a.cost) or 0,
                       lambda a: work.get(a.activity_id, 0), lambda a: 1):
            total = sum(weight(a) for a in leaves)
            if total > 0:
                return fmt(sum(weight(a) * a.percent_complete for a in leaves) / total, 2)
        return None

    def _progress(self) -> list:
        pct = self._percent()
        if self.status is None or pct is None:
            return []
        return [[self.project_id, month_start(self.status).isoformat(), pct]]

    def _milestones(self) -> list:
        rows = []
        for a in self.s.activities:
            if a.kind != "milestone" or a.activity_id == "T0":
                continue
            actual = a.actual_finish or (a.finish if a.percent_complete == 100 else None)
            rows.append([self.project_id, a.activity_id, a.name, _iso(a.baseline_finish), _iso(a.finish),
                         _iso(actual)])
        return rows

    # resources and allocations ---------------------------------------------------------------------

    def _resources(self) -> list:
        rows = []
        for r in self.s.resources:
            capacity = rate = None
            if r.kind == "work":
                units = 1.0 if r.max_units is None else r.max_units
                capacity = fmt(units * self.s.hours_per_week, 2)
                rate = money(_cents(r.rate))
            rows.append([r.resource_id, r.name, r.group, r.kind, capacity, rate])
        return rows

    def _allocations(self) -> list:
        status_week = monday(self.status) if self.status else None
        planned: dict[tuple[str, date], int] = defaultdict(int)
        actual: dict[tuple[str, date], int] = defaultdict(int)
        order = {r.resource_id: i for i, r in enumerate(self.s.resources)}
        for g in self.s.assignments:
            if not self._work_resource(g):
                continue
            rid = g.resource_id
            order.setdefault(rid, len(order))  # an unknown resource: kept, after the known ones
            act = self.activity.get(g.activity_id)
            start = g.start or (act.start if act else None)
            finish = g.finish or (act.finish if act else None)
            for week, h in _spread(_hundredths(g.work_hours), start, finish, monday).items():
                planned[(rid, week)] += h
            a_start, a_finish = self._actual_span(g.actual_start or (act.actual_start if act else None),
                                                  g.actual_finish or (act.actual_finish if act else None),
                                                  start, finish)
            for week, h in _spread(_hundredths(g.actual_work_hours), a_start, a_finish, monday).items():
                actual[(rid, week)] += h
        rows = []
        for rid, week in sorted(set(planned) | set(actual), key=lambda k: (order[k[0]], k[1])):
            a = actual.get((rid, week), 0)
            future = status_week is not None and week > status_week
            rows.append([rid, self.project_id, week.isoformat(), hours_text(planned.get((rid, week), 0)),
                         None if (future and not a) else hours_text(a)])
        return rows

    # budget lines ----------------------------------------------------------------------------------

    def _amounts(self, a: Activity, assigns: list[tuple[str, Assignment]]) -> list[tuple[dict, date, date]]:
        """(cents per category, start, finish) of the activity's budget, forecast and consumed."""
        default = "labour" if any(c == "labour" for c, _ in assigns) else "external"
        forecast = split_by_category(_cents(a.cost), [(c, _cents(g.cost)) for c, g in assigns], None, default)
        budget = split_by_category(_baseline_cost(a), [(c, _cents(g.baseline_cost)) for c, g in assigns],
                                   forecast, default)
        consumed = split_by_category(_cents(a.actual_cost), [(c, _cents(g.actual_cost)) for c, g in assigns],
                                     forecast, default)
        a_start, a_finish = self._actual_span(a.actual_start, a.actual_finish, a.start, a.finish)
        return [(budget, a.baseline_start or a.start, a.baseline_finish or a.finish),
                (forecast, a.start, a.finish), (consumed, a_start, a_finish)]

    def _budget_lines(self) -> list:
        by_activity: dict[str, list] = defaultdict(list)
        for g in self.s.assignments:
            by_activity[g.activity_id].append(("labour" if self._work_resource(g) else "external", g))
        has_baseline = any(_baseline_cost(a) is not None for a in self.leaves)
        has_actual = any(_cents(a.actual_cost) is not None for a in self.leaves)
        status_month = month_start(self.status) if self.status else None
        sums: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for a in self.leaves:
            for slot, (amounts, start, finish) in enumerate(self._amounts(a, by_activity.get(a.activity_id, []))):
                for cat, cents in amounts.items():
                    for month, c in _spread(cents, start, finish, month_start).items():
                        sums[(month, cat)][slot] += c
        rows = []
        for month, cat in sorted(sums, key=lambda k: (k[0], CATEGORIES.index(k[1]))):
            b, f, c = sums[(month, cat)]
            future = status_month is not None and month > status_month
            rows.append([self.project_id, month.isoformat(), cat, money(b) if has_baseline else None,
                         money(f), None, None if (future and not c) or not has_actual else money(c)])
        return rows
