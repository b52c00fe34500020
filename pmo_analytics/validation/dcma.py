"""Schedule health: the DCMA 14-point assessment of a schedule's activities and logic, as DCMA-EA PAM
200.1 (October 2012), EVMS Program Analysis Pamphlet, section 4, sets it out and Ron Winter's paper
"DCMA 14-Point Schedule Assessment" reads it. A check of the input: `pmo check` and `pmo load` run it
on each schedule file, and metrics/schedule_health.py on the schedules stored with a month.

Populations. The network leaves out summary and level-of-effort activities. Incomplete tasks are the
network's activities with no actual finish and percent complete under 100 (a missing percent is
incomplete). Milestones count in checks 1, 5, 6, 7 and 9; checks 8 and 10 leave them out, with any
other activity of zero duration. Checks 2-4 count relationships whose successor is an incomplete task.
Durations and float are in working days; "working days between" counts Monday to Friday.

 1 Logic                incomplete tasks without a predecessor or without a successor      <= 5%
                        (a link counts when its other end is in the network)
 2 Leads                relationships with a negative lag (offenders: their successors)    = 0
 3 Lags                 relationships with a positive lag                                  <= 5%
 4 Relationship types   finish-to-start share of the relationships (count: the others)     >= 90%
 5 Hard constraints     incomplete tasks constrained MSO, MFO, SNLT or FNLT                <= 5%
 6 High float           incomplete tasks with total float > 44 days, of those with a float  <= 5%
                        (not applicable when no task carries a total float)
 7 Negative float       incomplete tasks with total float < 0, of those with a float        = 0
 8 High duration        incomplete tasks with baseline duration (else duration) > 44 days   <= 5%
 9 Invalid dates        incomplete tasks with a forecast start (not started) or finish      = 0
                        before the status date, and any network activity with an actual date after
                        it, of the network's activities
10 Resources            incomplete tasks of some duration with no resource assigned         = 0%
                        (not applicable when no activity has a resource: not resource-loaded)
11 Missed tasks         of the tasks baselined to finish by the status date, those not      <= 5%
                        finished or finished after their baseline finish
12 Critical path test   the first incomplete critical activity, delayed 600 working days,  pass
                        delays the last-finishing activity as much, within a day
                        (schedule_cpm.critical_path_test, from the status date; a logic loop fails)
13 CPLI                 (CPL + TF) / CPL: CPL the working days from the status date to the  >= 0.95
                        latest forecast finish, TF those from it to the baseline finish (the given
                        project finish, else the latest baseline finish; negative when later)
14 BEI                  tasks finished / tasks baselined to finish by the status date      >= 0.95

Checks 9, 11, 13 and 14 need a status date, and 11, 13 and 14 a baseline; without one they are not
applicable (passed and count missing, with the reason in the note), as is a check with nothing to count.
Check 12 counts 1 offender (the activity delayed) of 1 when it fails, its value the share of the delay
that reached the finish; check 13 has no count, its note gives CPL and TF.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_analytics.ingest.schedules.model import ACTIVITY_COLUMNS, HARD_CONSTRAINTS, RELATION_COLUMNS
from pmo_analytics.validation import schedule_cpm as cpm

HIGH_DAYS = 44
DELAY_DAYS = 600
CHECKS: dict[int, tuple[str, str, str]] = {
    1: ("Logic", "incomplete tasks without a predecessor or a successor", "≤ 5%"),
    2: ("Leads", "relationships with a lead (negative lag)", "= 0"),
    3: ("Lags", "relationships with a positive lag", "≤ 5%"),
    4: ("Relationship types", "relationships other than finish-to-start (value: the FS share)", "≥ 90%"),
    5: ("Hard constraints", "incomplete tasks with a hard constraint (MSO, MFO, SNLT, FNLT)", "≤ 5%"),
    6: ("High float", f"incomplete tasks with total float over {HIGH_DAYS} working days", "≤ 5%"),
    7: ("Negative float", "incomplete tasks with negative total float", "= 0"),
    8: ("High duration", f"incomplete tasks with a (baseline) duration over {HIGH_DAYS} working days", "≤ 5%"),
    9: ("Invalid dates", "forecast dates before the status date or actual dates after it", "= 0"),
    10: ("Resources", "incomplete tasks with a duration and no resource", "= 0%"),
    11: ("Missed tasks", "tasks due by the status date finished late or not at all", "≤ 5%"),
    12: ("Critical path test", f"a {DELAY_DAYS}-day delay to the first critical task moves the finish as much",
         "pass"),
    13: ("CPLI", "(critical path length + total float) / critical path length", "≥ 0.95"),
    14: ("BEI", "tasks finished / tasks due by the status date (count: due, not finished)", "≥ 0.95"),
}
COLUMNS = ["number", "check", "measure", "count", "total", "value", "threshold", "passed", "offenders", "note"]
NO_STATUS, NO_BASELINE = "the file has no status date", "no baseline"


def _row(number, count=None, total=None, value=np.nan, passed=None, offenders=(), note="") -> dict:
    name, measure, threshold = CHECKS[number]
    return {"number": number, "check": name, "measure": measure, "count": count, "total": total,
            "value": value, "threshold": threshold, "passed": passed, "offenders": list(offenders), "note": note}


def _share(number, offenders: list, total: int, limit_pct: float, empty: str, note: str = "") -> dict:
    """A count-of-offenders check: passes when offenders <= limit_pct% of total (n/a when total is 0)."""
    if not total:
        return _row(number, note=empty)
    count = len(offenders)
    return _row(number, count, total, count / total, bool(count * 100 <= limit_pct * total), offenders, note)


def _prepared(activities: pd.DataFrame) -> pd.DataFrame:
    acts = activities.reindex(columns=ACTIVITY_COLUMNS).copy()
    acts["activity_id"] = acts["activity_id"].astype(str)
    for c in ("start", "finish", "baseline_start", "baseline_finish", "actual_start", "actual_finish",
              "constraint_date"):
        acts[c] = pd.to_datetime(acts[c])
    for c in ("percent_complete", "duration_days", "remaining_days", "baseline_duration_days",
              "total_float_days", "resources"):
        acts[c] = pd.to_numeric(acts[c], errors="coerce").astype(float)
    acts["net"] = ~acts["kind"].isin(cpm.OUTSIDE)
    complete = acts["actual_finish"].notna() | (acts["percent_complete"] >= 100)
    acts["incomplete"] = acts["net"] & ~complete
    acts["sized"] = acts["incomplete"] & (acts["kind"] != "milestone")
    return acts


def _ids(acts: pd.DataFrame, mask) -> list[str]:
    return acts.loc[mask, "activity_id"].tolist()


def _by_relation(number, mask: pd.Series, counted: pd.DataFrame, limit_pct: float, empty: str) -> dict:
    """A count-of-relationships check (2, 3): offenders are the offending links' successors."""
    total = len(counted)
    if not total:
        return _row(number, note=empty)
    count = int(mask.sum())
    return _row(number, count, total, count / total, bool(count * 100 <= limit_pct * total),
                dict.fromkeys(counted.loc[mask, "successor"]), f"{count} of {total} relationships")


def _logic_checks(acts: pd.DataFrame, rels: pd.DataFrame) -> list[dict]:
    """Checks 1-4: missing logic, leads, lags, relationship types."""
    net = set(acts.loc[acts["net"], "activity_id"])
    linked = rels[rels["predecessor"].isin(net) & rels["successor"].isin(net)]
    inc, ids = acts["incomplete"], acts["activity_id"]
    dangling = inc & ~(ids.isin(linked["successor"]) & ids.isin(linked["predecessor"]))
    rows = [_share(1, _ids(acts, dangling), int(inc.sum()), 5, "no incomplete tasks")]
    counted = rels[rels["successor"].isin(set(ids[inc]))]
    lag, empty = counted["lag_days"].fillna(0.0), "no relationships into incomplete tasks"
    rows.append(_by_relation(2, lag < 0, counted, 0, empty))
    rows.append(_by_relation(3, lag > 0, counted, 5, empty))
    other = counted["type"].fillna("FS").astype(str).str.upper() != "FS"
    row = _by_relation(4, other, counted, 100, empty)
    if len(counted):
        fs = len(counted) - row["count"]
        row.update(value=fs / len(counted), passed=bool(fs * 100 >= 90 * len(counted)),
                   note=f"{fs} of {len(counted)} relationships finish-to-start")
    return rows + [row]


def _task_checks(acts: pd.DataFrame) -> list[dict]:
    """Checks 5-8 and 10: constraints, float, duration, resources."""
    inc, n_inc, none = acts["incomplete"], int(acts["incomplete"].sum()), "no incomplete tasks"
    rows = [_share(5, _ids(acts, inc & acts["constraint_type"].isin(HARD_CONSTRAINTS)), n_inc, 5, none)]
    floated = inc & acts["total_float_days"].notna()
    no_float = none if not n_inc else "the file carries no total float"
    tf = acts["total_float_days"]
    rows.append(_share(6, _ids(acts, floated & (tf > HIGH_DAYS)), int(floated.sum()), 5, no_float))
    rows.append(_share(7, _ids(acts, floated & (tf < 0)), int(floated.sum()), 0, no_float))
    length = acts["baseline_duration_days"].fillna(acts["duration_days"])
    sized = acts["sized"] & (length > 0)
    rows.append(_share(8, _ids(acts, sized & (length > HIGH_DAYS)), int(sized.sum()), 5,
                       "no incomplete tasks of some duration"))
    sized = acts["sized"] & (acts["duration_days"].fillna(acts["baseline_duration_days"]) > 0)
    if not (acts["resources"] > 0).any():
        rows.append(_row(10, note="not resource-loaded"))
    else:
        rows.append(_share(10, _ids(acts, sized & ~(acts["resources"] > 0)), int(sized.sum()), 0,
                           "no incomplete tasks of some duration"))
    return rows


def _dated_checks(acts: pd.DataFrame, status) -> dict[int, dict]:
    """Checks 9, 11 and 14, against the status date and the baseline finishes."""
    if status is None:
        return {n: _row(n, note=NO_STATUS) for n in (9, 11, 14)}
    net, inc = acts["net"], acts["incomplete"]
    early = inc & ((acts["actual_start"].isna() & (acts["start"] < status)) | (acts["finish"] < status))
    late = net & ((acts["actual_start"] > status) | (acts["actual_finish"] > status))
    rows = {9: _share(9, _ids(acts, early | late), int(net.sum()), 0, "no activities",
                      f"{int(early.sum())} forecast before, {int(late.sum())} actual after the status date")}
    if not acts.loc[net, "baseline_finish"].notna().any():
        return {**rows, 11: _row(11, note=NO_BASELINE), 14: _row(14, note=NO_BASELINE)}
    due = net & (acts["baseline_finish"] <= status)
    missed = due & (acts["actual_finish"].isna() | (acts["actual_finish"] > acts["baseline_finish"]))
    nothing_due = "no task was due by the status date"
    rows[11] = _share(11, _ids(acts, missed), int(due.sum()), 5, nothing_due)
    finished, n_due = int((net & acts["actual_finish"].notna()).sum()), int(due.sum())
    unfinished = _ids(acts, due & acts["actual_finish"].isna())
    rows[14] = (_row(14, note=nothing_due) if not n_due else
                _row(14, len(unfinished), n_due, finished / n_due, bool(finished * 100 >= 95 * n_due), unfinished,
                     f"{finished} tasks finished, {n_due} due by the status date"))
    return rows


def _critical_path(acts: pd.DataFrame, rels: pd.DataFrame, status) -> dict:
    """Check 12, run from the status date (else the earliest start)."""
    net = acts[acts["net"]]
    data_date = status if status is not None else pd.concat([net["actual_start"], net["start"]]).min()
    if data_date is None or pd.isna(data_date):
        return _row(12, note="the file has no status date and no start dates")
    try:
        test = cpm.critical_path_test(acts, rels, data_date, DELAY_DAYS)
    except ValueError as exc:
        return _row(12, 1, 1, np.nan, False, [], str(exc))
    if test["passed"] is None:
        return _row(12, note=test["reason"])
    return _row(12, 0 if test["passed"] else 1, 1, test["moved"] / DELAY_DAYS, test["passed"],
                [] if test["passed"] else [test["activity"]], test["reason"])


def _cpli(acts: pd.DataFrame, status, project_finish_baseline) -> dict:
    """Check 13: the critical path length index against the baseline finish."""
    if status is None:
        return _row(13, note=NO_STATUS)
    baseline = (pd.Timestamp(project_finish_baseline) if project_finish_baseline is not None
                else acts["baseline_finish"].max())
    if pd.isna(baseline):
        return _row(13, note=NO_BASELINE)
    forecast = acts.loc[acts["net"], "finish"].max()
    if pd.isna(forecast):
        return _row(13, note="no forecast finish")
    cpl = cpm.finish_offset(status, forecast)
    if cpl <= 0:
        return _row(13, note="the forecast finish is not after the status date")
    tf = cpm.finish_offset(status, baseline) - cpl
    return _row(13, value=(cpl + tf) / cpl, passed=bool((cpl + tf) * 100 >= 95 * cpl),
                note=f"CPL {cpl:g} working days to {forecast.date()}, TF {tf:g} to the baseline {baseline.date()}")


def dcma(activities: pd.DataFrame, relations: pd.DataFrame, status_date,
         project_finish_baseline=None) -> pd.DataFrame:
    """The 14 DCMA checks of one schedule, one row per check in order (columns COLUMNS; the definitions
    are in this module's docstring). `activities` and `relations` are the model's frames."""
    acts = _prepared(activities)
    rels = relations.reindex(columns=RELATION_COLUMNS).copy()
    rels["predecessor"], rels["successor"] = rels["predecessor"].astype(str), rels["successor"].astype(str)
    rels["lag_days"] = pd.to_numeric(rels["lag_days"], errors="coerce").astype(float)
    status = None if status_date is None or pd.isna(status_date) else pd.Timestamp(status_date).normalize()
    logic, tasks, dated = _logic_checks(acts, rels), _task_checks(acts), _dated_checks(acts, status)
    rows = logic + tasks[:4] + [dated[9], tasks[4], dated[11], _critical_path(acts, rels, status),
                                _cpli(acts, status, project_finish_baseline), dated[14]]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"count": "Int64", "total": "Int64", "value": float, "passed": "boolean"})


def dcma_score(result: pd.DataFrame) -> tuple[int, int]:
    """(checks passed, checks applicable) of a dcma() result."""
    passed = result["passed"].astype("boolean")
    return int(passed.fillna(False).sum()), int(passed.notna().sum())
