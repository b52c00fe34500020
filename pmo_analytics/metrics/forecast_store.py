"""The saved risk-adjusted forecast of a snapshot (issue 16), read back for dashboards and reports:
store.forecasts writes it, one run per snapshot; reading it costs a few small queries instead of a
Monte Carlo."""
from __future__ import annotations

import pandas as pd

from pmo_analytics.metrics.scope import resolve_as_of
from pmo_analytics.store import connection as db
from pmo_analytics.store import forecasts

# The frames latest_forecast returns -> (table, order); fixed names, never user input.
FRAMES = {"projects": ("forecast_projects", "project_id"), "portfolio": ("forecast_portfolio", "bac"),
          "curve": ("forecast_curve", "cost"), "drivers": ("forecast_drivers", "contribution DESC, driver")}

_RUN = """
SELECT f.*, l.loaded_at, coalesce(f.computed_at < l.loaded_at, FALSE) AS stale
FROM forecast_runs f
LEFT JOIN loads l ON l.as_of = f.as_of
WHERE f.as_of = ?
"""


def latest_forecast(con, as_of=None) -> dict[str, pd.DataFrame] | None:
    """The forecast saved for snapshot `as_of` (default: the latest snapshot) as frames: "run" (one row:
    as_of, seed, draws, rho, method, computed_at, projects, prior_source, loaded_at and stale = the
    snapshot was loaded again after the forecast was computed), "projects", "portfolio", "curve" and
    "drivers" (the tornado)
    (the columns store.forecasts.TABLES names). None when that snapshot has no saved forecast, or the
    database has no forecast tables (one written before issue 16)."""
    if not forecasts.has_tables(con):
        return None
    snapshot = resolve_as_of(con, as_of)
    run = db.frame(con, _RUN, [snapshot])
    if run.empty:
        return None
    out = {"run": run}
    for name, (table, order) in FRAMES.items():
        columns = ", ".join(forecasts.TABLES[table][1])
        out[name] = db.frame(con, f"SELECT {columns} FROM {table} WHERE as_of = ? ORDER BY {order}", [snapshot])
    return out
