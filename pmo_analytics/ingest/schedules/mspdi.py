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

import math
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from pmo_analytics.contract import TABLES
from pmo_analytics.exceptions import InputError

NS = "http://schemas.microsoft.com/project"
UNASSIGNED_RESOURCE = -65535
DEFAULT_WEEK_HOURS = 40.0
RESOURCE_TYPES = {"0": "material", "1": "work", "2": "cost"}
TP_REMAINING_WORK, TP_ACTUAL_WORK = "1", "2"  # MSPDI TimephasedData Type codes for assignments
CATEGORIES = ("labour", "external")
# Children only an MSPDI Project element has: how a file without the namespace is recognised.
_MSPDI_MARKERS = {"SaveVersion", "ScheduleFromStart", "CalendarUID", "MinutesPerDay", "MinutesPerWeek",
                  "Tasks", "Resources", "Assignments", "Calendars", "DefaultStartTime", "CurrencySymbol",
                  "FYStartDate", "CriticalSlackLimit", "CurrencyDigits"}
_MAX_DAYS = 366 * 60  # a date range longer than this is a bad date, not a schedule: it is not spread

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

def is_mspdi(path) -> bool:
    """True when `path` is an XML file whose root element is an MSPDI Project.

    Cheap: reads only until the root's first child starts, so a truncated MSPDI file still says True
    (read_mspdi then reports it). A root `Project` without the MSPDI namespace counts when its first
    child is an element only MSPDI has (SaveVersion, ScheduleFromStart, Tasks...; Name is not enough).
    """
    try:
        tags = _first_tags(Path(path))
    except (OSError, ET.ParseError, ValueError, LookupError):
        return False
    return _is_mspdi_tags(tags)


def read_mspdi(path, project_id: str | None = None, portfolio: str = "Schedules") -> dict[str, pd.DataFrame]:
    """The canonical tables one MSPDI file yields, as DataFrames of canonical text (see the module doc).

    Raises InputError("<path>: ...") when the file is missing, not XML, truncated, or XML of another
    tool (Primavera P6 XML, GNOME Planner, ...).
    """
    path = Path(path)
    root = _load(path)
    try:
        return _Reader(path, root, project_id, portfolio).tables()
    except (ValueError, TypeError, ArithmeticError, KeyError, AttributeError, OverflowError) as exc:
        raise InputError(f"{path}: cannot read this MS Project XML file: {exc}") from None


# ---------------------------------------------------------------------------------------------------
# Recognising and parsing the file
# ---------------------------------------------------------------------------------------------------

def _split_tag(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _first_tags(path: Path, limit: int = 1 << 22) -> list[str]:
    """The tags of the first two elements that start (the root and its first child)."""
    parser = ET.XMLPullParser(events=("start",))
    tags: list[str] = []
    read = 0
    with open(path, "rb") as fh:
        while read < limit:
            chunk = fh.read(1 << 16)
            if not chunk:
                break
            read += len(chunk)
            parser.feed(chunk)
            for _event, el in parser.read_events():
                tags.append(el.tag)
                if len(tags) >= 2:
                    return tags
    return tags


def _is_mspdi_tags(tags: list[str]) -> bool:
    if not tags:
        return False
    ns, local = _split_tag(tags[0])
    if local != "Project":
        return False
    if ns == NS:
        return True
    return ns == "" and len(tags) > 1 and _split_tag(tags[1])[1] in _MSPDI_MARKERS


def _sniff(path: Path) -> None:
    """Clear errors for files that are not XML at all, before the XML parser sees them."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not an MS Project XML file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if not head.strip():
        raise InputError(f"{path}: the file is empty")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise InputError(f"{path}: a binary MS Project .mpp file (or another OLE document), not MS Project "
                         "XML; open it in MS Project and use File > Save As > XML")
    if head.startswith(b"ERMHDR"):
        raise InputError(f"{path}: a Primavera P6 XER export, not MS Project XML (MSPDI)")
    if head.startswith((b"MPX,", b"MPX\t")):
        raise InputError(f"{path}: an MPX file (the old MS Project exchange format), not MS Project XML; "
                         "save it from MS Project as XML")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 with a byte order mark: the XML parser decides
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if not text.startswith(b"<"):
        raise InputError(f"{path}: not an XML file (it does not start with '<'); expected an MS Project "
                         "XML (MSPDI) export")


def _load(path: Path) -> ET.Element:
    """The parsed root with the MSPDI namespace removed from every tag, or a clear InputError."""
    _sniff(path)
    try:
        tags = _first_tags(path)
    except ET.ParseError as exc:
        raise InputError(f"{path}: not well-formed XML ({exc})") from None
    except LookupError as exc:  # an encoding Python does not know
        raise InputError(f"{path}: cannot read the XML: {exc}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if not tags:
        raise InputError(f"{path}: no XML element found; the file is empty or truncated")
    if not _is_mspdi_tags(tags):
        ns, local = _split_tag(tags[0])
        hint = ""
        if local == "APIBusinessObjects" or "primavera" in ns.lower():
            hint = "; this is a Primavera P6 XML export"
        elif local == "project" and not ns:
            hint = "; this looks like a GNOME Planner file"
        where = f" in namespace {ns}" if ns else " without the MSPDI namespace"
        raise InputError(f"{path}: not an MS Project XML (MSPDI) file: root element is <{local}>{where} "
                         f"(expected <Project xmlns=\"{NS}\">){hint}")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise InputError(f"{path}: XML is truncated or damaged ({exc}); export it again from MS Project") from None
    except LookupError as exc:
        raise InputError(f"{path}: cannot read the XML: {exc}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    prefix = "{" + NS + "}"
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith(prefix):
            el.tag = el.tag[len(prefix):]
    return root


# ---------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------

_NUM = r"(\d+(?:\.\d*)?)"
_DURATION = re.compile(rf"(-)?P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
                       rf"(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?")


def parse_duration_hours(text: str | None) -> float | None:
    """Hours in an ISO 8601 duration as MSPDI writes it ('PT16H30M0S' -> 16.5); None if not one.

    Days count 24 h, months 30 days, years 365 days (elapsed time): MS Project writes work in hours.
    """
    if text is None:
        return None
    m = _DURATION.fullmatch(text.strip())
    if not m or all(g is None for g in m.groups()[1:]):
        return None
    sign, y, mo, w, d, h, mi, s = m.groups()
    f = [float(v) if v else 0.0 for v in (y, mo, w, d, h, mi, s)]
    hours = (f[0] * 365 + f[1] * 30 + f[2] * 7 + f[3]) * 24 + f[4] + f[5] / 60 + f[6] / 3600
    return -hours if sign else hours


def parse_datetime(text: str | None) -> datetime | None:
    """'2008-02-11T08:00:00' (or a plain date) -> datetime; None when missing or not a date."""
    if not text:
        return None
    t = text.strip().removesuffix("Z")
    try:
        return datetime.fromisoformat(t).replace(tzinfo=None)
    except ValueError:
        return None


def _date_text(text: str | None) -> str | None:
    """ISO date of an MSPDI date-time; the original text when it is not a date (the validator says so)."""
    if text is None or not text.strip():
        return None
    dt = parse_datetime(text)
    return dt.date().isoformat() if dt else text.strip()


def _decimal(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        d = Decimal(text.strip())
    except InvalidOperation:
        return None
    # NaN, infinities and absurd magnitudes are not amounts: the caller passes the text on
    return d if d.is_finite() and d.adjusted() < 16 else None


def _cents(text: str | None) -> int | None:
    """An MSPDI currency value (hundredths) as integer cents."""
    d = _decimal(text)
    return None if d is None else int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _money(cents: int | None) -> str | None:
    return None if cents is None else f"{Decimal(cents) / 100:.2f}"


def _hours(hundredths: int | None) -> str | None:
    return None if hundredths is None else f"{Decimal(hundredths) / 100:.2f}"


def _number_text(text: str | None, places: int = 4) -> str | None:
    """A number in canonical text ('13', '37.5'); the original text when it is not a number."""
    if text is None or not text.strip():
        return None
    d = _decimal(text)
    if d is None:
        return text.strip()
    return _fmt(float(d), places)


def _fmt(x: float, places: int = 4) -> str:
    s = f"{round(x, places):.{places}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _float(text: str | None) -> float | None:
    d = _decimal(text)
    return None if d is None else float(d)


def _text(el: ET.Element | None, name: str) -> str | None:
    if el is None:
        return None
    v = el.findtext(name)
    if v is None:
        return None
    v = v.strip()
    return v or None


def _upper_snake(stem: str) -> str:
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", stem)
    s = re.sub(r"[^0-9A-Za-z]+", "_", s).strip("_").upper()
    return s or "SCHEDULE"


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _month(d: date) -> date:
    return d.replace(day=1)


def _apportion(total: int, weights: dict) -> dict:
    """Split an integer `total` over keys in proportion to weights; the parts add up to total exactly
    (largest remainder; ties go to the earlier key)."""
    keys = [k for k, w in weights.items() if w > 0]
    if total == 0 or not keys:
        return {}
    sign, total = (-1 if total < 0 else 1), abs(total)
    s = sum(weights[k] for k in keys)
    raw = {k: total * weights[k] / s for k in keys}
    base = {k: math.floor(raw[k]) for k in keys}
    left = total - sum(base.values())
    order = sorted(range(len(keys)), key=lambda i: (-(raw[keys[i]] - base[keys[i]]), i))
    for i in order[:left]:
        base[keys[i]] += 1
    return {k: sign * v for k, v in base.items() if v}


def _bucket(weights: dict[date, float], key) -> dict[date, float]:
    out: dict[date, float] = defaultdict(float)
    for d, w in sorted(weights.items()):
        out[key(d)] += w
    return dict(out)


# ---------------------------------------------------------------------------------------------------
# The file's content
# ---------------------------------------------------------------------------------------------------

@dataclass
class _Task:
    el: ET.Element
    uid: int | None
    uid_text: str | None
    name: str | None
    milestone: bool
    summary: bool
    pct_text: str | None
    start: datetime | None
    finish: datetime | None
    actual_start: datetime | None
    actual_finish: datetime | None
    cost: int | None
    actual_cost: int | None
    work: float | None
    bl_start: datetime | None
    bl_finish: datetime | None
    bl_finish_text: str | None
    bl_cost: int | None

    @property
    def pct(self) -> float | None:
        return _float(self.pct_text)


def _baseline0(el: ET.Element) -> ET.Element | None:
    for b in el.findall("Baseline"):
        if (b.findtext("Number") or "").strip() == "0":
            return b
    return None


def _task(el: ET.Element) -> _Task:
    uid_text = _text(el, "UID")
    try:
        uid = int(uid_text) if uid_text is not None else None
    except ValueError:
        uid = None
    b0 = _baseline0(el)
    return _Task(
        el=el, uid=uid, uid_text=uid_text, name=_text(el, "Name"),
        milestone=_text(el, "Milestone") == "1", summary=_text(el, "Summary") == "1",
        pct_text=_text(el, "PercentComplete"),
        start=parse_datetime(_text(el, "Start")), finish=parse_datetime(_text(el, "Finish")),
        actual_start=parse_datetime(_text(el, "ActualStart")),
        actual_finish=parse_datetime(_text(el, "ActualFinish")),
        cost=_cents(_text(el, "Cost")), actual_cost=_cents(_text(el, "ActualCost")),
        work=parse_duration_hours(_text(el, "Work")),
        bl_start=parse_datetime(_text(b0, "Start")), bl_finish=parse_datetime(_text(b0, "Finish")),
        bl_finish_text=_text(b0, "Finish"), bl_cost=_cents(_text(b0, "Cost")),
    )


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
        self.day_start = self._time("DefaultStartTime", time(8, 0))
        self.day_end = self._time("DefaultFinishTime", time(17, 0))
        self.status = None
        for name in ("StatusDate", "CurrentDate", "LastSaved"):
            self.status = parse_datetime(_text(root, name))
            if self.status:
                break
        self.tasks = [_task(el) for el in root.findall("Tasks/Task")]
        self.tasks = [t for t in self.tasks if _text(t.el, "IsNull") != "1"]
        self.summary = next((t for t in self.tasks if t.uid == 0), None)
        self.leaves = [t for t in self.tasks if t.uid != 0 and not t.summary]
        self.resources: dict[int, _Resource] = {}
        self.skipped_resources: set[int] = set()
        self._resource_rows = self._read_resources()

    def _time(self, name: str, default: time) -> time:
        try:
            return time.fromisoformat(_text(self.root, name) or "")
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
        name = _text(self.root, "Title") or (self.summary.name if self.summary else None)
        if not name:
            name = _text(self.root, "Name")
            if name:
                name = re.sub(r"\.(xml|mpp|mpx)$", "", name, flags=re.IGNORECASE) or name
        return name or self.path.stem

    def _bac(self) -> str | None:
        s = self.summary
        if s is not None and _text(_baseline0(s.el), "Cost") is not None:
            return _money(s.bl_cost) if s.bl_cost is not None else _text(_baseline0(s.el), "Cost")
        leaf_bl = [t.bl_cost for t in self.leaves if t.bl_cost is not None]
        if leaf_bl:
            return _money(sum(leaf_bl))
        if s is not None and _text(s.el, "Cost") is not None:
            return _money(s.cost) if s.cost is not None else _text(s.el, "Cost")
        leaf_cost = [t.cost for t in self.leaves if t.cost is not None]
        return _money(sum(leaf_cost)) if leaf_cost else None

    def _percent(self) -> str | None:
        if self.summary is not None and self.summary.pct_text is not None:
            return _number_text(self.summary.pct_text)
        leaves = [t for t in self.leaves if t.pct is not None]
        if not leaves:
            return None
        for weight in (lambda t: t.bl_cost or 0, lambda t: t.cost or 0, lambda t: t.work or 0, lambda t: 1):
            total = sum(weight(t) for t in leaves)
            if total > 0:
                return _fmt(sum(weight(t) * t.pct for t in leaves) / total, 2)
        return None

    def _project(self) -> list:
        s = self.summary
        if s is not None:
            closed = s.pct == 100
            bl_end = _date_text(s.bl_finish_text)
        else:
            closed = bool(self.leaves) and all(t.pct == 100 for t in self.leaves)
            ends = [t.bl_finish for t in self.leaves if t.bl_finish]
            bl_end = max(ends).date().isoformat() if ends else None
        return [self.project_id, self._name(), self.portfolio, _text(self.root, "Manager"),
                "closed" if closed else "active",
                _date_text(_text(self.root, "StartDate")), _date_text(_text(self.root, "FinishDate")),
                bl_end, self._bac(), _text(self.root, "CurrencyCode")]

    # milestones and progress -------------------------------------------------------------------------

    def _milestones(self) -> list:
        rows = []
        for i, t in enumerate(self.tasks):
            if not t.milestone or t.uid == 0:
                continue
            mid = f"T{t.uid_text}" if t.uid_text is not None else f"T?{_text(t.el, 'ID') or i}"
            actual = _text(t.el, "ActualFinish")
            if actual is None and t.pct == 100:
                actual = _text(t.el, "Finish")
            rows.append([self.project_id, mid, t.name, _date_text(t.bl_finish_text),
                         _date_text(_text(t.el, "Finish")), _date_text(actual)])
        return rows

    def _progress(self) -> list:
        pct = self._percent()
        if self.status is None or pct is None:
            return []
        return [[self.project_id, _month(self.status.date()).isoformat(), pct]]

    # spreading over time -----------------------------------------------------------------------------

    def _working_days(self, start: datetime | None, finish: datetime | None) -> dict[date, float]:
        """Weight 1 for each working day (Mon-Fri) the span touches; all its days if it has no
        weekday. A finish at or before the start of the working day, or a start at or after its end,
        does not count that day."""
        start = start or finish
        finish = finish or start
        if start is None:
            return {}
        finish = max(finish, start)
        first, last = start.date(), finish.date()
        if last > first and finish.time() <= self.day_start:
            last -= timedelta(days=1)
        if last > first and start.time() >= self.day_end:
            first += timedelta(days=1)
        n = (last - first).days + 1
        if n > _MAX_DAYS:
            return {}
        days = [first + timedelta(days=i) for i in range(n)]
        work = [d for d in days if d.weekday() < 5] or days
        return {d: 1.0 for d in work}

    def _timephased_days(self, entries: list[ET.Element]) -> dict[date, float]:
        """Hours per day of timephased entries; an entry spanning several days is spread over them."""
        out: dict[date, float] = defaultdict(float)
        for e in entries:
            hours = parse_duration_hours(_text(e, "Value"))
            start = parse_datetime(_text(e, "Start"))
            if not hours or start is None:
                continue
            weights = self._working_days(start, parse_datetime(_text(e, "Finish")))
            total = sum(weights.values())
            for d, w in weights.items():
                out[d] += hours * w / total
        return dict(out)

    # resources and allocations -----------------------------------------------------------------------

    def _read_resources(self) -> list:
        rows = []
        week = _float(_text(self.root, "MinutesPerWeek"))
        week_hours = week / 60 if week and week > 0 else DEFAULT_WEEK_HOURS
        for el in self.root.findall("Resources/Resource"):
            uid_text = _text(el, "UID")
            try:
                uid = int(uid_text) if uid_text is not None else None
            except ValueError:
                uid = None
            name = _text(el, "Name")
            if uid is None or uid == 0 or not name or _text(el, "IsNull") == "1":
                if uid is not None:
                    self.skipped_resources.add(uid)
                continue
            kind = RESOURCE_TYPES.get(_text(el, "Type") or "1", "work")
            capacity = rate = None
            if kind == "work":
                units = _text(el, "MaxUnits")
                u = _float(units) if units is not None else 1.0
                capacity = _fmt(u * week_hours, 2) if u is not None else units
                rate_text = _text(el, "StandardRate")
                r = _decimal(rate_text)
                rate = f"{r:.2f}" if r is not None else rate_text
            rid = f"R{uid_text}"
            self.resources[uid] = _Resource(uid, rid, kind, len(rows))
            rows.append([rid, name, _text(el, "Group"), kind, capacity, rate])
        return rows

    def _assignments(self):
        for el in self.root.findall("Assignments/Assignment"):
            try:
                ruid = int(_text(el, "ResourceUID") or "")
                tuid = int(_text(el, "TaskUID") or "")
            except ValueError:
                continue
            yield el, ruid, tuid

    def _spread_hours(self, total: float | None, shape_entries, start, finish) -> dict[date, int]:
        """Hundredths of an hour per week: the timephased shape when it matches, else even."""
        if not total or total <= 0:
            return {}
        shape = _bucket(self._timephased_days(shape_entries), _monday)
        shape_total = sum(shape.values())
        if not (shape_total > 0 and abs(shape_total - total) <= max(0.05, 0.02 * total)):
            shape = _bucket(self._working_days(start, finish), _monday)
        return _apportion(round(total * 100), shape)

    def _allocations(self) -> list:
        tasks = {t.uid: t for t in self.tasks if t.uid is not None}
        status_week = _monday(self.status.date()) if self.status else None
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
                tp[_text(e, "Type")].append(e)
            start = parse_datetime(_text(el, "Start")) or (task.start if task else None)
            finish = parse_datetime(_text(el, "Finish")) or (task.finish if task else None)
            work = parse_duration_hours(_text(el, "Work"))
            for week, h in self._spread_hours(work, tp[TP_REMAINING_WORK] + tp[TP_ACTUAL_WORK],
                                              start, finish).items():
                planned[(rid, week)] += h
            a_start = (parse_datetime(_text(el, "ActualStart")) or (task.actual_start if task else None)
                       or start)
            a_finish = parse_datetime(_text(el, "ActualFinish")) or (task.actual_finish if task else None)
            if a_finish is None:
                a_finish = min(self.status, finish) if (self.status and finish) else (self.status or finish)
            a_work = parse_duration_hours(_text(el, "ActualWork"))
            for week, h in self._spread_hours(a_work, tp[TP_ACTUAL_WORK], a_start, a_finish).items():
                actual[(rid, week)] += h
        keys = sorted(set(planned) | set(actual), key=lambda k: (order[k[0]], k[1]))
        rows = []
        for rid, week in keys:
            a = actual.get((rid, week), 0)
            future = status_week is not None and week > status_week
            rows.append([rid, self.project_id, week.isoformat(), _hours(planned.get((rid, week), 0)),
                         None if (future and not a) else _hours(a)])
        return rows

    # budget lines ------------------------------------------------------------------------------------

    def _split(self, total: int | None, parts: list[tuple[str, int | None]], fallback: dict | None,
               default: str) -> dict[str, int]:
        """A task amount per category: the assignments' amounts, the rest (fixed cost) external."""
        if not total:
            return {}
        known = [(c, v) for c, v in parts if v]
        if total > 0 and known:
            by_cat: dict[str, int] = defaultdict(int)
            for c, v in known:
                by_cat[c] += v
            s = sum(by_cat.values())
            if 0 < s <= total:
                by_cat["external"] += total - s
                return {c: v for c, v in by_cat.items() if v}
            if s > 0:
                return _apportion(total, by_cat)
        if total > 0 and fallback:
            return _apportion(total, fallback)
        return {default: total}

    def _budget_lines(self) -> list:
        kinds = {r.uid: r.kind for r in self.resources.values()}
        by_task: dict[int, list] = defaultdict(list)
        for el, ruid, tuid in self._assignments():
            if ruid == UNASSIGNED_RESOURCE:
                continue
            cat = "labour" if kinds.get(ruid, "work") == "work" else "external"
            by_task[tuid].append((cat, el))
        has_baseline = any(t.bl_cost is not None for t in self.tasks)
        status_month = _month(self.status.date()) if self.status else None
        sums: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for t in self.leaves:
            assigns = by_task.get(t.uid, [])
            default = "labour" if any(c == "labour" for c, _ in assigns) else "external"
            forecast = self._split(t.cost, [(c, _cents(_text(e, "Cost"))) for c, e in assigns], None, default)
            budget = self._split(t.bl_cost, [(c, _cents(_text(_baseline0(e), "Cost"))) for c, e in assigns],
                                 forecast, default)
            consumed = self._split(t.actual_cost, [(c, _cents(_text(e, "ActualCost"))) for c, e in assigns],
                                   forecast, default)
            a_start = t.actual_start or t.start
            a_finish = t.actual_finish
            if a_finish is None:
                a_finish = min(self.status, t.finish) if (self.status and t.finish) else (self.status or t.finish)
            spans = [(budget, t.bl_start or t.start, t.bl_finish or t.finish),
                     (forecast, t.start, t.finish), (consumed, a_start, a_finish)]
            for slot, (amounts, start, finish) in enumerate(spans):
                if not amounts:
                    continue
                months = _bucket(self._working_days(start, finish), _month)
                for cat, cents in amounts.items():
                    for month, c in _apportion(cents, months).items():
                        sums[(month, cat)][slot] += c
        rows = []
        for month, cat in sorted(sums, key=lambda k: (k[0], CATEGORIES.index(k[1]))):
            b, f, c = sums[(month, cat)]
            future = status_month is not None and month > status_month
            rows.append([self.project_id, month.isoformat(), cat, _money(b) if has_baseline else None,
                         _money(f), None, None if (future and not c) else _money(c)])
        return rows
