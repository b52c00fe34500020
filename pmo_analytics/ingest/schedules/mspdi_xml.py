"""Reading an MS Project XML (MSPDI) file with the standard library's parser: recognising it, loading it
with one clear error for anything else, its tasks, and its values (ISO durations, date-times, currency
in cents) as Python values or canonical text."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from pmo_analytics.exceptions import InputError

NS = "http://schemas.microsoft.com/project"
# Children only an MSPDI Project element has: how a file without the namespace is recognised.
_MSPDI_MARKERS = {"SaveVersion", "ScheduleFromStart", "CalendarUID", "MinutesPerDay", "MinutesPerWeek",
                  "Tasks", "Resources", "Assignments", "Calendars", "DefaultStartTime", "CurrencySymbol",
                  "FYStartDate", "CriticalSlackLimit", "CurrencyDigits"}


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


def load(path: Path) -> ET.Element:
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


def date_text(text: str | None) -> str | None:
    """ISO date of an MSPDI date-time; the original text when it is not a date (the validator says so)."""
    if text is None or not text.strip():
        return None
    dt = parse_datetime(text)
    return dt.date().isoformat() if dt else text.strip()


def decimal_of(text: str | None) -> Decimal | None:
    """A finite, sane Decimal from the text; None when it is not one."""
    if text is None or not text.strip():
        return None
    try:
        d = Decimal(text.strip())
    except InvalidOperation:
        return None
    # NaN, infinities and absurd magnitudes are not amounts: the caller passes the text on
    return d if d.is_finite() and d.adjusted() < 16 else None


def cents_of(text: str | None) -> int | None:
    """An MSPDI currency value (hundredths) as integer cents."""
    d = decimal_of(text)
    return None if d is None else int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money(cents: int | None) -> str | None:
    """Cents as canonical money text ('8200.00')."""
    return None if cents is None else f"{Decimal(cents) / 100:.2f}"


def hours_text(hundredths: int | None) -> str | None:
    """Hundredths of an hour as canonical text ('16.50')."""
    return None if hundredths is None else f"{Decimal(hundredths) / 100:.2f}"


def number_text(text: str | None, places: int = 4) -> str | None:
    """A number in canonical text ('13', '37.5'); the original text when it is not a number."""
    if text is None or not text.strip():
        return None
    d = decimal_of(text)
    if d is None:
        return text.strip()
    return fmt(float(d), places)


def fmt(x: float, places: int = 4) -> str:
    """A float rounded to `places`, without trailing zeros ('37.5', never '-0')."""
    s = f"{round(x, places):.{places}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def float_of(text: str | None) -> float | None:
    """A float from the text (as decimal_of); None when it is not a number."""
    d = decimal_of(text)
    return None if d is None else float(d)


def text_of(el: ET.Element | None, name: str) -> str | None:
    """The stripped text of child `name`; None when the element, the child or its text is missing."""
    if el is None:
        return None
    v = el.findtext(name)
    if v is None:
        return None
    v = v.strip()
    return v or None


@dataclass
class Task:
    """One Tasks/Task of the file, its values parsed (currency in cents, work in hours)."""

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
        return float_of(self.pct_text)


def baseline0(el: ET.Element) -> ET.Element | None:
    """The Baseline child numbered 0 (the baseline MS Project compares against), if any."""
    for b in el.findall("Baseline"):
        if (b.findtext("Number") or "").strip() == "0":
            return b
    return None


def task_of(el: ET.Element) -> Task:
    """A Task from a Task element; a value that does not parse is None (its text stays in `el`)."""
    uid_text = text_of(el, "UID")
    try:
        uid = int(uid_text) if uid_text is not None else None
    except ValueError:
        uid = None
    b0 = baseline0(el)
    return Task(
        el=el, uid=uid, uid_text=uid_text, name=text_of(el, "Name"),
        milestone=text_of(el, "Milestone") == "1", summary=text_of(el, "Summary") == "1",
        pct_text=text_of(el, "PercentComplete"),
        start=parse_datetime(text_of(el, "Start")), finish=parse_datetime(text_of(el, "Finish")),
        actual_start=parse_datetime(text_of(el, "ActualStart")),
        actual_finish=parse_datetime(text_of(el, "ActualFinish")),
        cost=cents_of(text_of(el, "Cost")), actual_cost=cents_of(text_of(el, "ActualCost")),
        work=parse_duration_hours(text_of(el, "Work")),
        bl_start=parse_datetime(text_of(b0, "Start")), bl_finish=parse_datetime(text_of(b0, "Finish")),
        bl_finish_text=text_of(b0, "Finish"), bl_cost=cents_of(text_of(b0, "Cost")),
    )
