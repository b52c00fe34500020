"""MS Project XML (MSPDI) schedules -> canonical tables, with the standard library's XML parser only.

`read_mspdi(path)` turns one MSPDI file (File > Save As > XML in MS Project; also what MPXJ and many
tools write) into DataFrames keyed by canonical table name: projects, milestones, progress,
budget_lines, resources and allocations. Every value is text in canonical form (ISO dates, '.'
decimals, None when the file has no value); the workbench's validator converts and checks them, so no
row is dropped here for a bad value: a value that does not parse is passed on as the file wrote it.
Rows keep the file's order. Every key is always present; a table the file carries nothing for is an
empty frame with its columns.

Conventions (what MSPDI stores, and the choices made here):
- Currency fields (Cost, ActualCost, Baseline/Cost, FixedCost) are stored in hundredths of the
  currency unit (cents); they are divided by 100. Rates (StandardRate) are stored per hour whatever
  StandardRateFormat says (the format is only how MS Project displays the rate), so cost_rate is the
  stored value. Material resources' rates are per unit of material, not per hour: cost_rate is left
  blank for material and cost resources.
- Work and durations are ISO 8601 durations (PT16H30M0S); dates are local date-times
  (2008-02-11T08:00:00) of which the date part is kept.
- The status date is Project/StatusDate, else CurrentDate, else LastSaved.
- The project summary task is the task with UID 0. bac = its baseline-0 Cost, else the sum of leaf
  tasks' baseline-0 Cost, else its Cost (else the leaves' Cost). status is 'closed' when it is 100%
  complete, else 'active'. progress has one row, the status month, with its PercentComplete (without
  a summary task: the leaves' average weighted by baseline cost, else cost, else work).
- weekly_capacity_hours = MaxUnits (1 = 100%) x the project's working week (MinutesPerWeek / 60, the
  week MS Project itself uses to convert durations; 40 h when the file does not say), for work
  resources only.
- milestones: tasks with Milestone=1 except the summary task; milestone_id 'T<UID>' (the UID survives
  renumbering and re-ordering, unlike ID/WBS). baseline_date = baseline-0 Finish, forecast_date =
  Finish, actual_date = ActualFinish, else Finish when the task is 100% complete.
- allocations: one row per work resource and week (Monday) with hours. An assignment's Work is spread
  over the weeks with the shape of its timephased work (TimephasedData types 1 remaining + 2 actual)
  when the file has it and its total matches Work (within 2%), else evenly over the working days
  (Mon-Fri) between the assignment's Start and Finish. ActualWork likewise (type 2, else evenly
  between ActualStart and ActualFinish, or the status date while in progress). Totals are preserved
  to the hundredth of an hour (largest-remainder rounding). actual_hours is blank for weeks after the
  status date's week. Assignments to "unassigned" (resource UID -65535), to skipped resources and to
  material / cost resources (whose Work is a quantity, not hours) give no allocation.
- budget_lines: per leaf task, its baseline-0 Cost (budget) is spread evenly over the working days
  between its baseline Start and Finish, Cost (forecast) between Start and Finish, and ActualCost
  (consumed) between ActualStart and ActualFinish (or the status date), then summed per month and
  category: 'labour' = the cost of assignments to work resources, 'external' = material and cost
  resources plus whatever task cost no assignment explains (fixed cost). A baseline without
  assignment baseline costs is split like the forecast. Money is apportioned in cents, so monthly
  lines add up exactly to each task's amount. committed is blank (MS Project has no commitments);
  budget is blank when the file has no baseline cost at all; consumed is blank after the status month.
  Timephased cost data is not read: the even spread is the documented simplification.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

import pandas as pd

from pmo_analytics.contract import TABLES
from pmo_analytics.exceptions import InputError
from pmo_analytics.ingest.schedules.mspdi_spread import (
    Calendar,
    apportion,
    bucket,
    monday,
    month_start,
    split_by_category,
)
from pmo_analytics.ingest.schedules.mspdi_xml import (
    baseline0,
    cents_of,
    date_text,
    decimal_of,
    float_of,
    fmt,
    hours_text,
    is_mspdi,
    load,
    money,
    number_text,
    parse_datetime,
    parse_duration_hours,
    task_of,
    text_of,
)

__all__ = ["COLUMNS", "is_mspdi", "parse_datetime", "parse_duration_hours", "read_mspdi"]

UNASSIGNED_RESOURCE = -65535
DEFAULT_WEEK_HOURS = 40.0
RESOURCE_TYPES = {"0": "material", "1": "work", "2": "cost"}
TP_REMAINING_WORK, TP_ACTUAL_WORK = "1", "2"  # MSPDI TimephasedData Type codes for assignments
CATEGORIES = ("labour", "external")

COLUMNS = {
    "projects": ["project_id", "name", "portfolio", "manager", "status", "start_date", "end_date",
                 "baseline_end_date", "bac", "currency"],
    "milestones": ["project_id", "milestone_id", "name", "baseline_date", "forecast_date", "actual_date"],
    "progress": ["project_id", "period", "percent_complete"],
    "budget_lines": ["project_id", "period", "category", "budget", "forecast", "committed", "consumed"],
    "resources": ["resource_id", "name", "team", "role", "weekly_capacity_hours", "cost_rate"],
    "allocations": ["resource_id", "project_id", "week", "planned_hours", "actual_hours"],
}
assert all(set(cols) <= set(TABLES[t].column_names) for t, cols in COLUMNS.items())


# ---------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------

def read_mspdi(path, project_id: str | None = None, portfolio: str = "Schedules") -> dict[str, pd.DataFrame]:
    """The canonical tables one MSPDI file yields, as DataFrames of canonical text (see the module doc).

    Raises InputError("<path>: ...") when the file is missing, not XML, truncated, or XML of another
    tool (Primavera P6 XML, GNOME Planner, ...).
    """
    path = Path(path)
    root = load(path)
    try:
        return _Reader(path, root, project_id, portfolio).tables()
    except (ValueError, TypeError, ArithmeticError, KeyError, AttributeError, OverflowError) as exc:
        raise InputError(f"{path}: cannot read this MS Project XML file: {exc}") from None


def _upper_snake(stem: str) -> str:
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", stem)
    s = re.sub(r"[^0-9A-Za-z]+", "_", s).strip("_").upper()
    return s or "SCHEDULE"


@dataclass
class _Resource:
    uid: int
    resource_id: str
    kind: str  # work | material | cost
    index: int


class _Reader:
    def __init__(self, path: Path, root: ET.Element, project_id: str | None, portfolio: str):
        self.path = path
        self.root = root
        self.project_id = project_id or _upper_snake(path.stem)
        self.portfolio = portfolio
        self.calendar = Calendar(self._time("DefaultStartTime", time(8, 0)),
                                 self._time("DefaultFinishTime", time(17, 0)))
        self.status = None
        for name in ("StatusDate", "CurrentDate", "LastSaved"):
            self.status = parse_datetime(text_of(root, name))
            if self.status:
                break
        self.tasks = [task_of(el) for el in root.findall("Tasks/Task")]
        self.tasks = [t for t in self.tasks if text_of(t.el, "IsNull") != "1"]
        self.summary = next((t for t in self.tasks if t.uid == 0), None)
        self.leaves = [t for t in self.tasks if t.uid != 0 and not t.summary]
        self.resources: dict[int, _Resource] = {}
        self.skipped_resources: set[int] = set()
        self._resource_rows = self._read_resources()

    def _time(self, name: str, default: time) -> time:
        try:
            return time.fromisoformat(text_of(self.root, name) or "")
        except ValueError:
            return default

    def tables(self) -> dict[str, pd.DataFrame]:
        rows = {
            "projects": [self._project()],
            "milestones": self._milestones(),
            "progress": self._progress(),
            "budget_lines": self._budget_lines(),
            "resources": self._resource_rows,
            "allocations": self._allocations(),
        }
        return {t: pd.DataFrame(r, columns=COLUMNS[t], dtype=object) if r
                else pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS[t]})
                for t, r in rows.items()}

    # projects ----------------------------------------------------------------------------------------

    def _name(self) -> str:
        name = text_of(self.root, "Title") or (self.summary.name if self.summary else None)
        if not name:
            name = text_of(self.root, "Name")
            if name:
                name = re.sub(r"\.(xml|mpp|mpx)$", "", name, flags=re.IGNORECASE) or name
        return name or self.path.stem

    def _bac(self) -> str | None:
        s = self.summary
        if s is not None and text_of(baseline0(s.el), "Cost") is not None:
            return money(s.bl_cost) if s.bl_cost is not None else text_of(baseline0(s.el), "Cost")
        leaf_bl = [t.bl_cost for t in self.leaves if t.bl_cost is not None]
        if leaf_bl:
            return money(sum(leaf_bl))
        if s is not None and text_of(s.el, "Cost") is not None:
            return money(s.cost) if s.cost is not None else text_of(s.el, "Cost")
        leaf_cost = [t.cost for t in self.leaves if t.cost is not None]
        return money(sum(leaf_cost)) if leaf_cost else None

    def _percent(self) -> str | None:
        if self.summary is not None and self.summary.pct_text is not None:
            return number_text(self.summary.pct_text)
        leaves = [t for t in self.leaves if t.pct is not None]
        if not leaves:
            return None
        for weight in (lambda t: t.bl_cost or 0, lambda t: t.cost or 0, lambda t: t.work or 0, lambda t: 1):
            total = sum(weight(t) for t in leaves)
            if total > 0:
                return fmt(sum(weight(t) * t.pct for t in leaves) / total, 2)
        return None

    def _project(self) -> list:
        s = self.summary
        if s is not None:
            closed = s.pct == 100
            bl_end = date_text(s.bl_finish_text)
        else:
            closed = bool(self.leaves) and all(t.pct == 100 for t in self.leaves)
            ends = [t.bl_finish for t in self.leaves if t.bl_finish]
            bl_end = max(ends).date().isoformat() if ends else None
        return [self.project_id, self._name(), self.portfolio, text_of(self.root, "Manager"),
                "closed" if closed else "active",
                date_text(text_of(self.root, "StartDate")), date_text(text_of(self.root, "FinishDate")),
                bl_end, self._bac(), text_of(self.root, "CurrencyCode")]

    # milestones and progress -------------------------------------------------------------------------

    def _milestones(self) -> list:
        rows = []
        for i, t in enumerate(self.tasks):
            if not t.milestone or t.uid == 0:
                continue
            mid = f"T{t.uid_text}" if t.uid_text is not None else f"T?{text_of(t.el, 'ID') or i}"
            actual = text_of(t.el, "ActualFinish")
            if actual is None and t.pct == 100:
                actual = text_of(t.el, "Finish")
            rows.append([self.project_id, mid, t.name, date_text(t.bl_finish_text),
                         date_text(text_of(t.el, "Finish")), date_text(actual)])
        return rows

    def _progress(self) -> list:
        pct = self._percent()
        if self.status is None or pct is None:
            return []
        return [[self.project_id, month_start(self.status.date()).isoformat(), pct]]

    # resources and allocations -----------------------------------------------------------------------

    def _read_resources(self) -> list:
        rows = []
        week = float_of(text_of(self.root, "MinutesPerWeek"))
        week_hours = week / 60 if week and week > 0 else DEFAULT_WEEK_HOURS
        for el in self.root.findall("Resources/Resource"):
            uid_text = text_of(el, "UID")
            try:
                uid = int(uid_text) if uid_text is not None else None
            except ValueError:
                uid = None
            name = text_of(el, "Name")
            if uid is None or uid == 0 or not name or text_of(el, "IsNull") == "1":
                if uid is not None:
                    self.skipped_resources.add(uid)
                continue
            kind = RESOURCE_TYPES.get(text_of(el, "Type") or "1", "work")
            capacity = rate = None
            if kind == "work":
                units = text_of(el, "MaxUnits")
                u = float_of(units) if units is not None else 1.0
                capacity = fmt(u * week_hours, 2) if u is not None else units
                rate_text = text_of(el, "StandardRate")
                r = decimal_of(rate_text)
                rate = f"{r:.2f}" if r is not None else rate_text
            rid = f"R{uid_text}"
            self.resources[uid] = _Resource(uid, rid, kind, len(rows))
            rows.append([rid, name, text_of(el, "Group"), kind, capacity, rate])
        return rows

    def _assignments(self):
        for el in self.root.findall("Assignments/Assignment"):
            try:
                ruid = int(text_of(el, "ResourceUID") or "")
                tuid = int(text_of(el, "TaskUID") or "")
            except ValueError:
                continue
            yield el, ruid, tuid

    def _allocations(self) -> list:
        tasks = {t.uid: t for t in self.tasks if t.uid is not None}
        status_week = monday(self.status.date()) if self.status else None
        planned: dict[tuple[str, date], int] = defaultdict(int)
        actual: dict[tuple[str, date], int] = defaultdict(int)
        order: dict[str, int] = {}
        for el, ruid, tuid in self._assignments():
            if ruid == UNASSIGNED_RESOURCE or ruid in self.skipped_resources:
                continue
            res = self.resources.get(ruid)
            if res is not None and res.kind != "work":
                continue
            rid = res.resource_id if res else f"R{ruid}"  # unknown resource: kept, the validator reports it
            order.setdefault(rid, res.index if res else 10**9 + len(order))
            task = tasks.get(tuid)
            tp = defaultdict(list)
            for e in el.findall("TimephasedData"):
                tp[text_of(e, "Type")].append(e)
            start = parse_datetime(text_of(el, "Start")) or (task.start if task else None)
            finish = parse_datetime(text_of(el, "Finish")) or (task.finish if task else None)
            work = parse_duration_hours(text_of(el, "Work"))
            for week, h in self.calendar.spread_hours(work, tp[TP_REMAINING_WORK] + tp[TP_ACTUAL_WORK],
                                                      start, finish).items():
                planned[(rid, week)] += h
            a_start = (parse_datetime(text_of(el, "ActualStart")) or (task.actual_start if task else None)
                       or start)
            a_finish = parse_datetime(text_of(el, "ActualFinish")) or (task.actual_finish if task else None)
            if a_finish is None:
                a_finish = min(self.status, finish) if (self.status and finish) else (self.status or finish)
            a_work = parse_duration_hours(text_of(el, "ActualWork"))
            for week, h in self.calendar.spread_hours(a_work, tp[TP_ACTUAL_WORK], a_start, a_finish).items():
                actual[(rid, week)] += h
        keys = sorted(set(planned) | set(actual), key=lambda k: (order[k[0]], k[1]))
        rows = []
        for rid, week in keys:
            a = actual.get((rid, week), 0)
            future = status_week is not None and week > status_week
            rows.append([rid, self.project_id, week.isoformat(), hours_text(planned.get((rid, week), 0)),
                         None if (future and not a) else hours_text(a)])
        return rows

    # budget lines ------------------------------------------------------------------------------------

    def _budget_lines(self) -> list:
        kinds = {r.uid: r.kind for r in self.resources.values()}
        by_task: dict[int, list] = defaultdict(list)
        for el, ruid, tuid in self._assignments():
            if ruid == UNASSIGNED_RESOURCE:
                continue
            cat = "labour" if kinds.get(ruid, "work") == "work" else "external"
            by_task[tuid].append((cat, el))
        has_baseline = any(t.bl_cost is not None for t in self.tasks)
        status_month = month_start(self.status.date()) if self.status else None
        sums: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for t in self.leaves:
            assigns = by_task.get(t.uid, [])
            default = "labour" if any(c == "labour" for c, _ in assigns) else "external"
            cost = [(c, cents_of(text_of(e, "Cost"))) for c, e in assigns]
            bl_cost = [(c, cents_of(text_of(baseline0(e), "Cost"))) for c, e in assigns]
            actual_cost = [(c, cents_of(text_of(e, "ActualCost"))) for c, e in assigns]
            forecast = split_by_category(t.cost, cost, None, default)
            budget = split_by_category(t.bl_cost, bl_cost, forecast, default)
            consumed = split_by_category(t.actual_cost, actual_cost, forecast, default)
            a_start = t.actual_start or t.start
            a_finish = t.actual_finish
            if a_finish is None:
                a_finish = min(self.status, t.finish) if (self.status and t.finish) else (self.status or t.finish)
            spans = [(budget, t.bl_start or t.start, t.bl_finish or t.finish),
                     (forecast, t.start, t.finish), (consumed, a_start, a_finish)]
            for slot, (amounts, start, finish) in enumerate(spans):
                if not amounts:
                    continue
                months = bucket(self.calendar.working_days(start, finish), month_start)
                for cat, cents in amounts.items():
                    for month, c in apportion(cents, months).items():
                        sums[(month, cat)][slot] += c
        rows = []
        for month, cat in sorted(sums, key=lambda k: (k[0], CATEGORIES.index(k[1]))):
            b, f, c = sums[(month, cat)]
            future = status_month is not None and month > status_month
            rows.append([self.project_id, month.isoformat(), cat, money(b) if has_baseline else None,
                         money(f), None, None if (future and not c) else money(c)])
        return rows
