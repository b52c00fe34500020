"""Calendar helpers: months as integers (months since 1970-01), days as integers (days since
1970-01-01), the window of snapshot months and how far the simulation looks ahead."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

K_SIM = 90  # months simulated after a project's start (every project finishes well before)
K_MAX = K_SIM + 72  # months a forecast can reach (spi estimate >= 0.6, hold <= 4 months)
MONTH_DAYS = 30.4375


@dataclass(frozen=True)
class Window:
    """The snapshot months, `first` to `last` (month numbers); `last` is the `end` month."""

    first: int
    last: int


def snapshot_window(end: str, months: int) -> Window:
    """The `months` month ends that finish at `end` ("YYYY-MM")."""
    last = int(np.datetime64(end, "M").astype(np.int64))
    return Window(last - months + 1, last)


def first_day(m):
    """The day number of the first day of month(s) `m`."""
    return np.asarray(m, dtype=np.int64).astype("M8[M]").astype("M8[D]").astype(np.int64)


def month_end(m):
    """The day number of the last day of month(s) `m`."""
    return first_day(np.asarray(m, dtype=np.int64) + 1) - 1


def days_in_month(m):
    return month_end(m) - first_day(m) + 1


def month_of(day):
    """The month number each day number falls in."""
    return np.asarray(day, dtype=np.int64).astype("M8[D]").astype("M8[M]").astype(np.int64)


def monday_on_or_before(day):
    return day - ((day - 4) % 7)  # 1970-01-05 (day 4) was a Monday


def to_date(day: int) -> _dt.date:
    return _dt.date(1970, 1, 1) + _dt.timedelta(days=int(day))
