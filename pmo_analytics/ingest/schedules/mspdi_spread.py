"""Spreading a schedule over time: work over weeks and money over months, on the working days (Mon-Fri)
between two dates or in the shape of timephased data, in whole hundredths so totals are kept exactly."""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from pmo_analytics.ingest.schedules.mspdi_xml import parse_datetime, parse_duration_hours, text_of

_MAX_DAYS = 366 * 60  # a date range longer than this is a bad date, not a schedule: it is not spread


def monday(d: date) -> date:
    """The Monday of `d`'s week (allocations are weekly)."""
    return d - timedelta(days=d.weekday())


def month_start(d: date) -> date:
    """The first of `d`'s month (budget lines and progress are monthly)."""
    return d.replace(day=1)


def apportion(total: int, weights: dict) -> dict:
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


def bucket(weights: dict[date, float], key) -> dict[date, float]:
    """Daily weights summed per `key(day)` (its week or its month), in date order."""
    out: dict[date, float] = defaultdict(float)
    for d, w in sorted(weights.items()):
        out[key(d)] += w
    return dict(out)


@dataclass(frozen=True)
class Calendar:
    """The project's working day (DefaultStartTime to DefaultFinishTime), which days a span touches."""

    day_start: time
    day_end: time

    def working_days(self, start: datetime | None, finish: datetime | None) -> dict[date, float]:
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

    def timephased_days(self, entries: list[ET.Element]) -> dict[date, float]:
        """Hours per day of timephased entries; an entry spanning several days is spread over them."""
        out: dict[date, float] = defaultdict(float)
        for e in entries:
            hours = parse_duration_hours(text_of(e, "Value"))
            start = parse_datetime(text_of(e, "Start"))
            if not hours or start is None:
                continue
            weights = self.working_days(start, parse_datetime(text_of(e, "Finish")))
            total = sum(weights.values())
            for d, w in weights.items():
                out[d] += hours * w / total
        return dict(out)

    def spread_hours(self, total: float | None, shape_entries, start, finish) -> dict[date, int]:
        """Hundredths of an hour per week: the timephased shape when it matches, else even."""
        if not total or total <= 0:
            return {}
        shape = bucket(self.timephased_days(shape_entries), monday)
        shape_total = sum(shape.values())
        if not (shape_total > 0 and abs(shape_total - total) <= max(0.05, 0.02 * total)):
            shape = bucket(self.working_days(start, finish), monday)
        return apportion(round(total * 100), shape)


def split_by_category(total: int | None, parts: list[tuple[str, int | None]], fallback: dict | None,
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
            return apportion(total, by_cat)
    if total > 0 and fallback:
        return apportion(total, fallback)
    return {default: total}
