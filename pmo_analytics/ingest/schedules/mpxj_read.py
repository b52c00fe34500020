"""Schedules of every tool through MPXJ (Java, LGPL): Primavera P6 .xer and P6 XML, MS Project .mpp and
.mpx, GNOME Planner, and MSPDI too, read into the workbench's Schedule model (model.py).

MPXJ is the optional extra `schedules` (`pip install 'pmo-analytics[schedules]'`: the `mpxj` wheel
carries the Java library, `jpype1` bridges to it) and needs a Java runtime (Debian:
`apt-get install default-jre-headless`). Without either, reading says so in one line. The Java virtual
machine starts once per process, at the first schedule read (about 0.4 s).
"""
from __future__ import annotations

import shutil
import threading
from datetime import date
from pathlib import Path

from pmo_analytics.exceptions import InputError
from pmo_analytics.ingest.schedules.model import (
    CONSTRAINTS,
    Activity,
    Assignment,
    Relation,
    Resource,
    Schedule,
)

SUFFIXES = {".xer": "Primavera P6 XER", ".mpp": "MS Project .mpp", ".mpx": "MS Project .mpx",
            ".planner": "GNOME Planner", ".pmxml": "Primavera P6 XML", ".xml": "schedule XML"}
INSTALL = ("pip install 'pmo-analytics[schedules]' (MPXJ) and a Java runtime "
           "(Debian: apt-get install default-jre-headless)")
RELATIONS = {"FINISH_START": "FS", "START_START": "SS", "FINISH_FINISH": "FF", "START_FINISH": "SF"}
RESOURCE_KINDS = {"WORK": "work", "MATERIAL": "material", "COST": "cost"}
_lock = threading.Lock()


def available() -> str | None:
    """None when MPXJ can be used here, else the one line saying what is missing and how to install it."""
    try:
        import jpype  # noqa: F401
        import mpxj  # noqa: F401
    except ImportError:
        return f"the schedules extra is not installed: {INSTALL}"
    try:
        jpype.getDefaultJVMPath()
    except Exception:  # JVMNotFoundException and friends: no Java on this machine
        if shutil.which("java") is None:
            return f"no Java runtime was found: {INSTALL}"
    return None


def _java():
    """The started JVM's MPXJ classes (started once per process)."""
    missing = available()
    if missing:
        raise InputError(missing)
    import jpype
    import mpxj  # noqa: F401  (puts MPXJ's jars on the class path)

    with _lock:
        if not jpype.isJVMStarted():
            jpype.startJVM("-Dlog4j2.StatusLogger.level=OFF", "-Dlog4j2.statusLoggerLevel=OFF",
                           "-Djava.awt.headless=true", convertStrings=True)
    from org.mpxj import TimeUnit
    from org.mpxj.reader import UniversalProjectReader
    return UniversalProjectReader, TimeUnit


def read_schedule(path) -> Schedule:
    """The Schedule one file carries, read by MPXJ. Raises InputError("<path>: ...") when MPXJ or Java
    is missing, the file is not a schedule MPXJ knows, or MPXJ cannot read it."""
    path = Path(path)
    try:
        reader_class, time_unit = _java()
    except InputError as exc:
        raise InputError(f"{path}: reading {SUFFIXES.get(path.suffix.lower(), 'this schedule')} needs MPXJ; "
                         f"{exc}") from None
    import jpype

    try:
        project = reader_class().read(str(path))
    except jpype.JException as exc:
        raise InputError(f"{path}: MPXJ cannot read this schedule: {_message(exc)}") from None
    if project is None:
        raise InputError(f"{path}: not a schedule MPXJ recognises (Primavera .xer / P6 XML, MS Project "
                         ".mpp / .mpx / XML, GNOME Planner)")
    if path.suffix.lower() == ".xer" and not _ends_xer(path):
        raise InputError(f"{path}: the XER file ends before its '%E' end line (a copy or download cut short?); "
                         "export it from P6 again")
    if path.suffix.lower() == ".xer":
        _one_project(path)
    try:
        return _Converter(project, time_unit).schedule()
    except jpype.JException as exc:
        raise InputError(f"{path}: MPXJ read the file but a value could not be converted: {_message(exc)}") from None


def _one_project(path: Path) -> None:
    """An XER export may hold several projects; MPXJ's reader would take one and drop the rest without
    a word, so a file with more than one is refused with their names (one project per file, for now)."""
    from java.io import FileInputStream
    from org.mpxj.primavera import PrimaveraXERFileReader

    stream = FileInputStream(str(path))
    try:
        projects = PrimaveraXERFileReader().listProjects(stream)
    finally:
        stream.close()
    if projects is not None and projects.size() > 1:
        names = ", ".join(str(v) for v in projects.values())
        raise InputError(f"{path}: holds {projects.size()} projects ({names}); the workbench reads one project "
                         "per schedule file: export each project from P6 on its own")


def _ends_xer(path: Path) -> bool:
    """Whether an XER file's last line is the %E P6 ends every export with: MPXJ reads a file cut
    short as the tables before the cut, so a partial schedule would load without a word."""
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - 64))
        return fh.read().rstrip().rsplit(b"\n", 1)[-1].strip() == b"%E"


def _message(exc) -> str:
    text = str(exc.getMessage() or exc.getClass().getSimpleName())
    return text.splitlines()[0][:200]


def _date(value) -> date | None:
    if value is None:
        return None
    return date.fromisoformat(str(value)[:10])


def _code(task) -> str | None:
    """What the tool shows as the activity's id: P6's activity id, else MS Project's task ID (0 included)."""
    if task.getActivityID():
        return str(task.getActivityID())
    return None if task.getID() is None else str(task.getID())


def _float(value) -> float | None:
    return None if value is None else float(value.doubleValue() if hasattr(value, "doubleValue") else value)


class _Converter:
    """Walks one MPXJ ProjectFile into the model."""

    def __init__(self, project, time_unit):
        self.project = project
        self.props = project.getProjectProperties()
        self.TimeUnit = time_unit
        self.hours_per_day = (_float(self.props.getMinutesPerDay()) or 480.0) / 60
        self.hours_per_week = (_float(self.props.getMinutesPerWeek()) or 2400.0) / 60

    def days(self, duration) -> float | None:
        if duration is None:
            return None
        return round(float(duration.convertUnits(self.TimeUnit.DAYS, self.props).getDuration()), 4)

    def hours(self, duration) -> float | None:
        if duration is None:
            return None
        return round(float(duration.convertUnits(self.TimeUnit.HOURS, self.props).getDuration()), 4)

    def schedule(self) -> Schedule:
        p = self.props
        tasks = [t for t in self.project.getTasks() if not t.getNull() and t.getUniqueID() is not None]
        resources = [self._resource(r) for r in self.project.getResources()
                     if r.getUniqueID() is not None and r.getName() and not r.getNull()]
        known = {r.resource_id for r in resources}
        return Schedule(
            name=p.getProjectTitle() or p.getName() or None, source_format=str(p.getFileType() or ""),
            status_date=_date(p.getStatusDate()), start=_date(p.getStartDate()), finish=_date(p.getFinishDate()),
            manager=p.getManager() or None, currency=p.getCurrencyCode() or None,
            hours_per_day=self.hours_per_day, hours_per_week=self.hours_per_week,
            activities=[self._activity(t) for t in tasks],
            relations=[r for t in tasks for r in self._relations(t)],
            resources=resources,
            assignments=[a for a in map(self._assignment, self.project.getResourceAssignments())
                         if a is not None and a.resource_id in known])

    def _kind(self, task) -> str:
        kind = str(task.getActivityType() or "")
        if kind == "LEVEL_OF_EFFORT":
            return "level_of_effort"
        if task.getSummary() or kind == "WBS_SUMMARY":
            return "summary"
        return "milestone" if task.getMilestone() else "task"

    def _activity(self, t) -> Activity:
        constraint = t.getConstraintType()
        code = CONSTRAINTS.get(str(constraint)) if constraint is not None else None
        parent = t.getParentTask()
        pct = _float(t.getPercentageComplete())
        return Activity(
            activity_id=f"T{t.getUniqueID()}", name=t.getName() or None, kind=self._kind(t),
            code=_code(t), wbs=t.getWBS() or None,
            percent_complete=pct, duration_days=self.days(t.getDuration()),
            remaining_days=self.days(t.getRemainingDuration()),
            baseline_duration_days=self.days(t.getBaselineDuration()),
            start=_date(t.getStart()), finish=_date(t.getFinish()),
            baseline_start=_date(t.getBaselineStart()), baseline_finish=_date(t.getBaselineFinish()),
            actual_start=_date(t.getActualStart()), actual_finish=_date(t.getActualFinish()),
            total_float_days=self.days(t.getTotalSlack()),
            critical=bool(t.getCritical()) if (t.getCritical() or t.getTotalSlack() is not None) else None,
            constraint_type=None if code == "ASAP" else code, constraint_date=_date(t.getConstraintDate()),
            resources=sum(1 for a in t.getResourceAssignments()
                          if a.getResource() is not None and a.getResource().getName()),
            cost=_float(t.getCost()), baseline_cost=_float(t.getBaselineCost()),
            actual_cost=_float(t.getActualCost()),
            parent_id=f"T{parent.getUniqueID()}" if parent is not None else None)

    def _relations(self, task) -> list[Relation]:
        out = []
        for r in task.getPredecessors():
            pred = r.getPredecessorTask()
            if pred is None or pred.getUniqueID() is None:
                continue
            lag = self.days(r.getLag())
            out.append(Relation(f"T{pred.getUniqueID()}", f"T{task.getUniqueID()}",
                                RELATIONS.get(str(r.getType().name()), str(r.getType())), lag or 0.0))
        return out

    def _resource(self, r) -> Resource:
        kind = RESOURCE_KINDS.get(str(r.getType() or "WORK"), "work")
        rate = r.getStandardRate()
        per_hour = None
        if kind == "work" and rate is not None:
            units = str(rate.getUnits().name())
            per = {"MINUTES": 1 / 60, "HOURS": 1, "DAYS": self.hours_per_day, "WEEKS": self.hours_per_week,
                   "MONTHS": self.hours_per_week * 52 / 12, "YEARS": self.hours_per_week * 52}.get(units)
            per_hour = round(float(rate.getAmount()) / per, 4) if per else None
        units = _float(r.getMaxUnits())
        return Resource(f"R{r.getUniqueID()}", r.getName(), kind, r.getGroup() or None,
                        None if units is None or kind != "work" else units / 100, per_hour)

    def _assignment(self, a) -> Assignment | None:
        if a.getResourceUniqueID() is None or a.getTaskUniqueID() is None:
            return None  # unassigned work
        return Assignment(
            f"R{a.getResourceUniqueID()}", f"T{a.getTaskUniqueID()}",
            work_hours=self.hours(a.getWork()), actual_work_hours=self.hours(a.getActualWork()),
            start=_date(a.getStart()), finish=_date(a.getFinish()),
            actual_start=_date(a.getActualStart()), actual_finish=_date(a.getActualFinish()),
            cost=_float(a.getCost()), baseline_cost=_float(a.getBaselineCost()),
            actual_cost=_float(a.getActualCost()))
