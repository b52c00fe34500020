"""Months: every snapshot is dated at a month end, and every month a user types is read here."""
from __future__ import annotations

import calendar
import datetime as dt
import re

from pmo_analytics.exceptions import UsageError

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*$")


def month_end(value) -> dt.date:
    """The month end for 'YYYY-MM', 'YYYY-MM-DD' or a date: snapshots are dated at month ends."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        y, m = value.year, value.month
    else:
        match = _MONTH.match(str(value))
        if not match:
            raise UsageError(f"not a month: {str(value)[:40]!r} (expected YYYY-MM)")
        y, m = int(match.group(1)), int(match.group(2))
        if not 1 <= m <= 12:
            raise UsageError(f"not a month: {str(value)[:40]!r} (expected YYYY-MM)")
    return dt.date(y, m, calendar.monthrange(y, m)[1])
