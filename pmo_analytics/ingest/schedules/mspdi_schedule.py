"""MS Project XML (MSPDI) read into the Schedule model (model.py) with the standard library alone, so an
MSPDI file needs no Java; MPXJ (mpxj_read.py) reads every other format.

What the file stores, and what is made of it:
- Task Duration, RemainingDuration and baseline-0 Duration are ISO durations of working time
  (PT16H0M0S); days = hours / hours_per_day (MinutesPerDay / 60, 8 when absent). An elapsed duration
  (DurationFormat 'ed') is written as its clock hours and converted the same way, as MPXJ does.
- TotalSlack and LinkLag are in tenths of a minute: days = value / 10 / 60 / hours_per_day.
- An elapsed lag (LagFormat em, eh, ed, ew, emo and their estimated forms) is calendar time, so its
  days are elapsed days x working days per week / 7 (1 eday = 5/7 working day in a 40 h, 8 h/day
  week) rather than 24 clock hours counted as working hours (MPXJ's 3 days per eday).
- A percent lag (LagFormat 19 '%', 20 'e%' and estimated 51, 52) holds the percentage itself in
  LinkLag (MPXJ reads and writes it so): lag = LinkLag / 100 x the predecessor's duration in days;
  None when the predecessor has no duration.
- ConstraintType 0-7 map to the canonical codes (0 as soon as possible -> None); ConstraintDate kept.
- Money (Cost, ActualCost, baseline-0 Cost) is in hundredths: divided by 100.
- The status date is the file's StatusDate only (None when absent): CurrentDate is the day the file
  was saved or viewed, not the date progress was measured at, and the DCMA check needs the latter.
- Resources as mspdi.py keeps them: named, not null, UID not 0; MaxUnits 1 = full time; StandardRate
  is per hour whatever its display format, for work resources only. Assignments to unassigned
  (-65535) or dropped resources are left out; Work is hours for work resources, None otherwise
  (a material's Work is a quantity).
- A task without a whole-number UID, or with IsNull=1, is not an activity; a link to a task not in
  the file (another project) is dropped. A value that is present but unreadable is an InputError
  naming the task and the field.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date
from pathlib import Path

from pmo_analytics.exceptions import InputError
from pmo_analytics.ingest.schedules.model import Activity, Assignment, Relation, Resource, Schedule
from pmo_analytics.ingest.schedules.mspdi_xml import (
    baseline0,
    cents_of,
    float_of,
    load,
    parse_datetime,
    parse_duration_hours,
    text_of,
)

__all__ = ["CONSTRAINT_CODES", "LINK_TYPES", "read_mspdi_schedule"]

LINK_TYPES = {"0": "FF", "1": "FS", "2": "SF", "3": "SS"}
CONSTRAINT_CODES = {"0": None, "1": "ALAP", "2": "MSO", "3": "MFO", "4": "SNET", "5": "SNLT",
                    "6": "FNET", "7": "FNLT"}
ELAPSED_FORMATS = {4, 6, 8, 10, 12, 20}   # em, eh, ed, ew, emo, e% (estimated forms are these + 32)
PERCENT_FORMATS = {19, 20}
RESOURCE_KINDS = {"0": "material", "1": "work", "2": "cost"}
UNASSIGNED_RESOURCE = "-65535"


class _Bad(Exception):
    """A value present in the file that cannot be read: becomes the InputError naming the file."""


def read_mspdi_schedule(path) -> Schedule:
    """The Schedule one MSPDI file carries (see the module doc for what each value is made of).

    Raises InputError("<path>: ...") when the file is missing, not MS Project XML, or a value in it
    cannot be read.
    """
    path = Path(path)
    root = load(path)
    try:
        return _Reader(root).schedule()
    except _Bad as exc:
        raise InputError(f"{path}: {exc}; correct it in MS Project and save the XML again") from None
    except (ValueError, TypeError, ArithmeticError, KeyError, AttributeError, OverflowError) as exc:
        raise InputError(f"{path}: cannot read this MS Project XML file: {exc}") from None


def _value(el: ET.Element | None, name: str, where: str, parse, expected: str):
    """`parse` of the element's `name` text; None when the file has no value; _Bad naming the task,
    the field and what was `expected` when it does not parse."""
    text = text_of(el, name)
    if text is None:
        return None
    value = parse(text)
    if value is None:
        raise _Bad(f"{where}: {name} '{text}' is {expected}")
    return value


def _date(el: ET.Element | None, name: str, where: str) -> date | None:
    dt = _value(el, name, where, parse_datetime, "not a date (2008-02-11T08:00:00)")
    return None if dt is None else dt.date()


def _number(el: ET.Element | None, name: str, where: str) -> float | None:
    return _value(el, name, where, float_of, "not a number")


def _money(el: ET.Element | None, name: str, where: str) -> float | None:
    cents = _value(el, name, where, cents_of, "not an amount in hundredths")
    return None if cents is None else cents / 100


def _hours(el: ET.Element | None, name: str, where: str) -> float | None:
    return _value(el, name, where, parse_duration_hours, "not an ISO 8601 duration (PT8H0M0S)")


def _uid(el: ET.Element, name: str = "UID") -> int | None:
    try:
        return int(text_of(el, name) or "")
    except ValueError:
        return None


class _Reader:
    """One parsed MSPDI root walked into the model."""

    def __init__(self, root: ET.Element):
        self.root = root
        day = float_of(text_of(root, "MinutesPerDay"))
        week = float_of(text_of(root, "MinutesPerWeek"))
        self.hours_per_day = day / 60 if day and day > 0 else 8.0
        self.hours_per_week = week / 60 if week and week > 0 else 40.0
        self.tasks = [(uid, el) for el in root.findall("Tasks/Task")
                      if text_of(el, "IsNull") != "1" and (uid := _uid(el)) is not None]
        self.resources = self._resources()
        self.kinds = {r.resource_id: r.kind for r in self.resources}
        self.assignments = self._assignments()
        self.assigned = Counter(a.activity_id for a in self.assignments)

    def days(self, hours: float | None) -> float | None:
        return None if hours is None else round(hours / self.hours_per_day, 4)

    def schedule(self) -> Schedule:
        r = self.root
        where = "the project"
        parents = _parents(self.tasks)
        activities = [self._activity(uid, el, parents.get(uid)) for uid, el in self.tasks]
        durations = {a.activity_id: a.duration_days for a in activities}
        return Schedule(
            name=text_of(r, "Title") or text_of(r, "Name"), source_format="MSPDI",
            status_date=_date(r, "StatusDate", where), start=_date(r, "StartDate", where),
            finish=_date(r, "FinishDate", where), manager=text_of(r, "Manager"),
            currency=text_of(r, "CurrencyCode"), hours_per_day=self.hours_per_day,
            hours_per_week=self.hours_per_week, activities=activities,
            relations=[x for uid, el in self.tasks for x in self._relations(uid, el, durations)],
            resources=self.resources, assignments=self.assignments)

    def _activity(self, uid: int, el: ET.Element, parent: int | None) -> Activity:
        w = f"task UID {uid}"
        b0 = baseline0(el)
        kind = "summary" if text_of(el, "Summary") == "1" else (
            "milestone" if text_of(el, "Milestone") == "1" else "task")
        constraint = text_of(el, "ConstraintType")
        if constraint is not None and constraint not in CONSTRAINT_CODES:
            raise _Bad(f"{w}: ConstraintType '{constraint}' is not one of 0-7 (0 as soon as possible ... "
                       "7 finish no later than)")
        slack = _number(el, "TotalSlack", w)
        critical = text_of(el, "Critical")
        return Activity(
            activity_id=f"T{uid}", name=text_of(el, "Name"), kind=kind, code=text_of(el, "ID"),
            wbs=text_of(el, "WBS"), percent_complete=_number(el, "PercentComplete", w),
            duration_days=self.days(_hours(el, "Duration", w)),
            remaining_days=self.days(_hours(el, "RemainingDuration", w)),
            baseline_duration_days=self.days(_hours(b0, "Duration", w + " baseline 0")),
            start=_date(el, "Start", w), finish=_date(el, "Finish", w),
            baseline_start=_date(b0, "Start", w + " baseline 0"),
            baseline_finish=_date(b0, "Finish", w + " baseline 0"),
            actual_start=_date(el, "ActualStart", w), actual_finish=_date(el, "ActualFinish", w),
            total_float_days=None if slack is None else self.days(slack / 600),
            critical=None if critical is None else critical == "1",
            constraint_type=CONSTRAINT_CODES.get(constraint) if constraint else None,
            constraint_date=_date(el, "ConstraintDate", w),
            resources=self.assigned[f"T{uid}"],
            cost=_money(el, "Cost", w), baseline_cost=_money(b0, "Cost", w + " baseline 0"),
            actual_cost=_money(el, "ActualCost", w),
            parent_id=None if parent is None else f"T{parent}")

    def _relations(self, uid: int, el: ET.Element, durations: dict[str, float | None]) -> list[Relation]:
        out = []
        for link in el.findall("PredecessorLink"):
            w = f"task UID {uid}, predecessor link"
            pred = _uid(link, "PredecessorUID")
            if pred is None or f"T{pred}" not in durations:
                continue
            kind = text_of(link, "Type") or "1"
            if kind not in LINK_TYPES:
                raise _Bad(f"{w} from UID {pred}: Type '{kind}' is not 0 FF, 1 FS, 2 SF or 3 SS")
            lag = self._lag(_number(link, "LinkLag", w) or 0.0, _number(link, "LagFormat", w),
                            durations[f"T{pred}"])
            out.append(Relation(f"T{pred}", f"T{uid}", LINK_TYPES[kind], lag))
        return out

    def _lag(self, link_lag: float, lag_format: float | None, pred_days: float | None) -> float | None:
        """Lag in working days from LinkLag (tenths of a minute, or a percentage; see the module doc)."""
        if link_lag == 0:
            return 0.0
        fmt = int(lag_format) if lag_format is not None else 7
        fmt = fmt - 32 if fmt >= 35 else fmt  # estimated formats ('2d?') are the plain ones + 32
        if fmt in PERCENT_FORMATS:
            return None if pred_days is None else round(link_lag / 100 * pred_days, 4)
        hours = link_lag / 600
        if fmt in ELAPSED_FORMATS:
            working_days_per_week = self.hours_per_week / self.hours_per_day
            return round(hours / 24 * working_days_per_week / 7, 4)
        return self.days(hours)

    def _resources(self) -> list[Resource]:
        out = []
        for el in self.root.findall("Resources/Resource"):
            uid, name = _uid(el), text_of(el, "Name")
            if uid is None or uid == 0 or not name or text_of(el, "IsNull") == "1":
                continue
            w = f"resource UID {uid}"
            kind = RESOURCE_KINDS.get(text_of(el, "Type") or "1", "work")
            units = rate = None
            if kind == "work":
                units = _number(el, "MaxUnits", w)
                units = 1.0 if units is None else units
                rate = _number(el, "StandardRate", w)
            out.append(Resource(f"R{uid}", name, kind, text_of(el, "Group"), units, rate))
        return out

    def _assignments(self) -> list[Assignment]:
        tasks = {f"T{uid}" for uid, _ in self.tasks}
        out = []
        for el in self.root.findall("Assignments/Assignment"):
            rid, tid = f"R{text_of(el, 'ResourceUID')}", f"T{text_of(el, 'TaskUID')}"
            if rid == f"R{UNASSIGNED_RESOURCE}" or rid not in self.kinds or tid not in tasks:
                continue
            w = f"assignment UID {text_of(el, 'UID')}"
            work = self.kinds[rid] == "work"
            b0 = baseline0(el)
            out.append(Assignment(
                rid, tid, work_hours=_hours(el, "Work", w) if work else None,
                actual_work_hours=_hours(el, "ActualWork", w) if work else None,
                start=_date(el, "Start", w), finish=_date(el, "Finish", w),
                actual_start=_date(el, "ActualStart", w), actual_finish=_date(el, "ActualFinish", w),
                cost=_money(el, "Cost", w), baseline_cost=_money(b0, "Cost", w + " baseline 0"),
                actual_cost=_money(el, "ActualCost", w)))
        return out


def _parents(tasks: list[tuple[int, ET.Element]]) -> dict[int, int | None]:
    """UID -> the UID of the summary above it: by OutlineNumber ('1.2' sits under '1', '1' under the
    project task 0), else by OutlineLevel (the last task one level up), else the nearest summary above."""
    by_number: dict[str, int] = {}
    for uid, el in tasks:
        by_number.setdefault(text_of(el, "OutlineNumber") or "", uid)
    by_number.pop("", None)
    root = next((uid for uid, _ in tasks if uid == 0), None)
    at_level: dict[int, int] = {}
    last_summary = None
    out: dict[int, int | None] = {}
    for uid, el in tasks:
        number = text_of(el, "OutlineNumber")
        level_text = text_of(el, "OutlineLevel")
        level = int(level_text) if level_text and level_text.isdigit() else None
        parent = None
        if uid != 0 and number != "0" and level != 0:
            if number:
                up = number.rpartition(".")[0]
                parent = by_number.get(up) if up else root
            if parent is None and level is not None:
                parent = at_level.get(level - 1)
            if parent is None and number is None and level is None:
                parent = last_summary
        out[uid] = parent if parent != uid else None
        if level is not None:
            at_level[level] = uid
        if text_of(el, "Summary") == "1":
            last_summary = uid
    return out
