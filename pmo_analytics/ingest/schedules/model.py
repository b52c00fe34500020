"""A schedule as the workbench keeps it, whatever tool wrote it: the project, its activities, their
logic (relationships), resources and assignments. Readers (MPXJ for .xer/.mpp/.mpx/P6 XML/Planner, the
standard library for MSPDI) fill it; `canonical.py` turns it into the contract's tables, and the
activity and relationship frames are stored with the snapshot for the DCMA-14 health check.

Durations and float are in working days (the schedule's own hours per day, 8 when it does not say);
dates are `datetime.date`. A value the file does not carry is None, never 0.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

import pandas as pd

KINDS = ("task", "milestone", "summary", "level_of_effort")
RELATION_TYPES = ("FS", "SS", "FF", "SF")
# Canonical constraint codes; MPXJ's ConstraintType names map onto them (see CONSTRAINTS).
CONSTRAINTS = {
    "AS_SOON_AS_POSSIBLE": "ASAP", "AS_LATE_AS_POSSIBLE": "ALAP",
    "START_NO_EARLIER_THAN": "SNET", "START_NO_LATER_THAN": "SNLT",
    "FINISH_NO_EARLIER_THAN": "FNET", "FINISH_NO_LATER_THAN": "FNLT",
    "MUST_START_ON": "MSO", "MUST_FINISH_ON": "MFO",
    "START_ON": "MSO", "FINISH_ON": "MFO", "MANDATORY_START": "MSO", "MANDATORY_FINISH": "MFO",
}
HARD_CONSTRAINTS = ("MSO", "MFO", "SNLT", "FNLT")  # DCMA check 5: they stop dates moving with logic


@dataclass
class Activity:
    """One task, milestone, summary or level-of-effort activity of a schedule."""

    activity_id: str              # stable: 'T<unique id>'
    name: str | None
    kind: str                     # one of KINDS
    code: str | None = None       # what the tool shows: the task ID, the P6 activity ID
    wbs: str | None = None
    percent_complete: float | None = None
    duration_days: float | None = None           # planned (original) duration
    remaining_days: float | None = None
    baseline_duration_days: float | None = None
    start: date | None = None                    # forecast (current) dates
    finish: date | None = None
    baseline_start: date | None = None
    baseline_finish: date | None = None
    actual_start: date | None = None
    actual_finish: date | None = None
    total_float_days: float | None = None
    critical: bool | None = None
    constraint_type: str | None = None           # canonical code (CONSTRAINTS), None = as soon as possible
    constraint_date: date | None = None
    resources: int = 0                           # number of resource assignments
    cost: float | None = None
    baseline_cost: float | None = None
    actual_cost: float | None = None
    parent_id: str | None = None                 # the summary above it


@dataclass
class Relation:
    """A predecessor -> successor link with its type and lag (negative lag is a lead)."""

    predecessor: str
    successor: str
    type: str = "FS"
    lag_days: float = 0.0


@dataclass
class Resource:
    resource_id: str
    name: str | None
    kind: str                     # work | material | cost
    group: str | None = None
    max_units: float | None = None   # 1.0 = one full-time person
    rate: float | None = None        # standard rate per hour (work resources)


@dataclass
class Assignment:
    resource_id: str
    activity_id: str
    work_hours: float | None = None
    actual_work_hours: float | None = None
    start: date | None = None
    finish: date | None = None
    actual_start: date | None = None
    actual_finish: date | None = None
    cost: float | None = None
    baseline_cost: float | None = None
    actual_cost: float | None = None


@dataclass
class Schedule:
    """What one schedule file carries. `source_format` names the tool's format (XER, PMXML, MPP...)."""

    name: str | None
    source_format: str
    status_date: date | None = None
    start: date | None = None
    finish: date | None = None
    manager: str | None = None
    currency: str | None = None
    hours_per_day: float = 8.0
    hours_per_week: float = 40.0
    activities: list[Activity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)

    @property
    def summary(self) -> Activity | None:
        """The project summary activity (MS Project's task 0), when the file has one."""
        return next((a for a in self.activities if a.activity_id == "T0" and a.kind == "summary"), None)


ACTIVITY_COLUMNS = list(Activity.__dataclass_fields__)
RELATION_COLUMNS = list(Relation.__dataclass_fields__)


def activities_frame(schedule: Schedule) -> pd.DataFrame:
    """One row per activity, columns ACTIVITY_COLUMNS (dates as datetime64, missing as NaT/NaN)."""
    frame = pd.DataFrame([asdict(a) for a in schedule.activities], columns=ACTIVITY_COLUMNS)
    for c in ("start", "finish", "baseline_start", "baseline_finish", "actual_start", "actual_finish",
              "constraint_date"):
        frame[c] = pd.to_datetime(frame[c])
    return frame


def relations_frame(schedule: Schedule) -> pd.DataFrame:
    """One row per relationship, columns RELATION_COLUMNS."""
    return pd.DataFrame([asdict(r) for r in schedule.relations], columns=RELATION_COLUMNS)
