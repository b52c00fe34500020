"""Performance as reported: each project's CPI and SPI(t) at every snapshot, as that snapshot had them.

performance_history is evm(con, as_of=s) for every loaded snapshot s, in one query (earned_value's
status query over all the snapshots at once): each row uses that snapshot's own data, status month and
project status, so an actual restated later does not change what an earlier month reported, and a
project's CPI trend is the one the PMO signed month after month (evm_series, by contrast, recomputes
every month from one snapshot's data). The formulas are earned_value's (see its docstring).
"""
from __future__ import annotations

import pandas as pd

from pmo_analytics.metrics import earned_value
from pmo_analytics.metrics.scope import PERIODS, PROJECTS, Scope

_EVERY_SNAPSHOT = "performance history spans every snapshot; period_from / period_to choose which are shown"

COLUMNS = ("as_of", "project_id", "name", "portfolio", "program", "department", "currency", "status",
           "progress_reported", "period", "bac", "pv", "ev", "ac", "cpi", "spi", "es", "at", "sv_t", "spi_t",
           "eac", "actual_finish")


def performance_history(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
                        period_from=None, period_to=None) -> pd.DataFrame:
    """CPI, SPI, SPI(t), EAC, status and progress_reported per project at each snapshot, as reported.

    One row per (snapshot, project with a status row at it): evm's row at that snapshot (`period` is
    its status month). Takes the project filters; period_from / period_to choose the snapshots shown
    (by month); as_of is a UsageError (the history spans every snapshot).
    """
    scope = Scope.of(con, "performance_history", honours=PROJECTS + PERIODS, why=_EVERY_SNAPSHOT,
                     as_of=as_of, portfolio=portfolio, program=program, department=department,
                     project_ids=project_ids, period_from=period_from, period_to=period_to)
    cond, params = scope.periods("l.as_of")
    snapshots = f"SELECT l.as_of FROM loads l WHERE {cond}"
    return earned_value.status_rows(con, scope, snapshots, params, COLUMNS)
