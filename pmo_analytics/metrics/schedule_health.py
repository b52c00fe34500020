"""Schedule health per project and snapshot: the DCMA-14 assessment (validation/dcma.py defines every
check and its threshold) of the schedules stored with a month, read from the schedule tables."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_analytics.periods import month_end
from pmo_analytics.store import connection as db
from pmo_analytics.store import schedules as schedule_store
from pmo_analytics.validation.dcma import CHECKS, COLUMNS, DELAY_DAYS, HIGH_DAYS, dcma, dcma_score

__all__ = ["CHECKS", "COLUMNS", "DELAY_DAYS", "HIGH_DAYS", "dcma", "dcma_score", "health_summary", "schedule_health"]


def _project_filter(project_id) -> list[str] | None:
    if project_id is None:
        return None
    return [str(project_id)] if isinstance(project_id, str) else [str(p) for p in project_id]


def schedule_health(con, as_of=None, project_id=None) -> dict[str, pd.DataFrame]:
    """dcma() of every project's stored schedule in month `as_of` (default: the latest month holding
    schedules), keyed by project id; `project_id` keeps one (or a list). A database without the
    schedule tables, or a month without schedules, gives {}."""
    if not schedule_store.has_tables(con):
        return {}
    month = month_end(as_of) if as_of is not None else con.sql("SELECT max(as_of) FROM schedules").fetchall()[0][0]
    if month is None:
        return {}
    params = [month, _project_filter(project_id)]
    where = "as_of = ? AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], project_id))"
    params.append(params[1])
    headers = db.frame(con, f"SELECT project_id, status_date FROM schedules WHERE {where} ORDER BY project_id",
                       params)
    acts = db.frame(con, f"SELECT * EXCLUDE (as_of) FROM schedule_activities WHERE {where}", params)
    rels = db.frame(con, f"SELECT * EXCLUDE (as_of) FROM schedule_relations WHERE {where}", params)
    by_acts, by_rels = dict(tuple(acts.groupby("project_id"))), dict(tuple(rels.groupby("project_id")))
    out = {}
    for pid, status in zip(headers["project_id"], headers["status_date"]):
        out[pid] = dcma(by_acts.get(pid, acts.iloc[:0]), by_rels.get(pid, rels.iloc[:0]),
                        None if pd.isna(status) else status.date())
    return out


def health_summary(con, as_of=None, results: dict | None = None) -> pd.DataFrame:
    """One row per project with a stored schedule in month `as_of`: checks passed, checks applicable,
    score (passed / applicable x 100, missing when none applies) and the failed checks' names.
    `results`: schedule_health's answer for that month when the caller has it (not computed again)."""
    rows = []
    for pid, result in (schedule_health(con, as_of) if results is None else results).items():
        passed, applicable = dcma_score(result)
        failed = result.loc[result["passed"].astype("boolean").eq(False).fillna(False), "check"]
        rows.append({"project_id": pid, "passed": passed, "applicable": applicable,
                     "score": passed / applicable * 100 if applicable else np.nan, "failed": ", ".join(failed)})
    frame = pd.DataFrame(rows, columns=["project_id", "passed", "applicable", "score", "failed"])
    return frame.astype({"passed": "Int64", "applicable": "Int64", "score": float})
