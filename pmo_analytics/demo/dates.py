"""Calendar helpers: months as integers (months since 1970-01), days as integers (days since
1970-01-01), the fixed calendar the portfolio is simulated over, the window of snapshot months cut
from it, and how far the simulation looks ahead."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

K_SIM = 72  # months simulated after a project's start (every project finishes well before: the latest, 55)
K_MAX = K_SIM + 72  # months a forecast can reach (spi estimate >= 0.6, hold <= 4 months)
MONTH_DAYS = 30.4375


def month_number(month: str) -> int:
    """The month number of "YYYY-MM"."""
    return int(np.datetime64(month, "M").astype(np.int64))


def month_label(m: int) -> str:
    return str(np.datetime64(int(m), "M"))


# The fixed calendar the portfolio lives in, whatever snapshots are written: projects are approved
# from FIRST_MONTH to LAST_MONTH at a steady pace, `projects` of them by REFERENCE_MONTH (the demo's
# last month), and any month end from FIRST_MONTH to LAST_MONTH can be cut from it as a snapshot.
FIRST_MONTH = month_number("2023-01")
REFERENCE_MONTH = month_number("2026-10")
LAST_MONTH = month_number("2027-12")


@dataclass(frozen=True)
class Window:
    """The snapshot months, `first` to `last` (month numbers); `last` is the `end` month."""

    first: int
    last: int


def snapshot_window(end: str, months: int) -> Window:
    """The `months` month ends that finish at `end` ("YYYY-MM"), which must lie in the calendar."""
    last = month_number(end)
    window = Window(last - months + 1, last)
    span = f"the sample portfolio runs from {month_label(FIRST_MONTH)} to {month_label(LAST_MONTH)}"
    if window.last > LAST_MONTH:
        raise ValueError(f"{span}: end {end} is after it")
    if window.first < FIRST_MONTH:
        raise ValueError(f"{span}: {months} months to {end} would start in {month_label(window.first)}")
    return window


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
