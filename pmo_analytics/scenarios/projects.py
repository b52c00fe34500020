"""The changes to one project of the snapshot: exclude, include, defer, cut (apply.py's docstring
says what each does and why; each function checks everything before it writes a row)."""
from __future__ import annotations

from pmo_analytics.scenarios.step import PROJECT_TABLES, Step


def exclude(step: Step) -> None:
    """Stops the project at the snapshot date: cancelled, its future budget lines, hours and open
    milestones gone, its active risks closed. Its rows before are kept for an `include` to undo."""
    pid, as_of = step.change.project_id, step.as_of
    project = step.project(pid)
    if pid in step.applied.excluded:
        step.fail(f"{pid} is already excluded by change {step.applied.excluded[pid][0]}")
    if project["status"] in ("cancelled", "closed"):
        step.fail(f"{pid} is already {project['status']} in the {step.snapshot} snapshot")
    before = {t: step.con.sql(f"SELECT * FROM {t} WHERE as_of = ? AND project_id = ?",
                              params=[as_of, pid]).to_arrow_table() for t in PROJECT_TABLES}
    step.con.sql("UPDATE projects SET status = 'cancelled', rag = NULL, "
                 "end_date = CASE WHEN end_date > ? THEN ? ELSE end_date END "
                 "WHERE as_of = ? AND project_id = ?", params=[as_of, as_of, as_of, pid])
    step.con.sql("DELETE FROM budget_lines WHERE as_of = ? AND project_id = ? AND period > ?",
                 params=[as_of, pid, as_of])
    step.con.sql("DELETE FROM allocations WHERE as_of = ? AND project_id = ? AND week > ?",
                 params=[as_of, pid, as_of])
    step.con.sql("DELETE FROM milestones WHERE as_of = ? AND project_id = ? AND actual_date IS NULL",
                 params=[as_of, pid])
    step.con.sql("UPDATE risks SET status = 'closed', closed_date = ? "
                 "WHERE as_of = ? AND project_id = ? AND status IN ('open', 'mitigating')",
                 params=[as_of, as_of, pid])
    step.applied.excluded[pid] = (step.position, before)


def include(step: Step) -> None:
    """Brings back a project: one an earlier change excluded gets its rows back as they were; one on
    hold or cancelled in the snapshot becomes active (its rows are otherwise as exported)."""
    pid, as_of = step.change.project_id, step.as_of
    project = step.project(pid)
    if pid in step.applied.excluded:
        _, before = step.applied.excluded.pop(pid)
        for table, rows in before.items():
            step.con.sql(f"DELETE FROM {table} WHERE as_of = ? AND project_id = ?", params=[as_of, pid])
            step.con.register("_restored", rows)
            step.con.sql(f"INSERT INTO {table} BY NAME SELECT * FROM _restored")
            step.con.unregister("_restored")
        return
    if project["status"] not in ("on_hold", "cancelled"):
        step.fail(f"{pid} is {project['status']} in the {step.snapshot} snapshot: include brings back a "
                  "project on hold or cancelled, or one an earlier change excluded")
    step.con.sql("UPDATE projects SET status = 'active' WHERE as_of = ? AND project_id = ?", params=[as_of, pid])


def weeks_for(months: int) -> int:
    """Whole weeks for `months` months (52 weeks a year), so a moved week is still a Monday."""
    return round(months * 52 / 12)


# The first month of what is still to come of a project (budget, hours, open milestones, dates),
# and whether each kind of it stays after the snapshot when moved by ? months (? weeks for hours).
_FUTURE = """
WITH future(kind, day) AS (
    SELECT 'budget', min(period) FROM budget_lines WHERE as_of = $as_of AND project_id = $pid AND period > $as_of
    UNION ALL
    SELECT 'hours', min(week) FROM allocations WHERE as_of = $as_of AND project_id = $pid AND week > $as_of
    UNION ALL
    SELECT 'milestones', min(forecast_date) FROM milestones
    WHERE as_of = $as_of AND project_id = $pid AND actual_date IS NULL AND forecast_date > $as_of
    UNION ALL
    SELECT 'dates', min(d) FROM projects, unnest([start_date, end_date]) AS u(d)
    WHERE as_of = $as_of AND project_id = $pid AND d > $as_of
)
SELECT min(day),
       coalesce(bool_and(CASE WHEN kind = 'hours' THEN day + 7 * $weeks
                              ELSE (day + to_months($months))::DATE END > $as_of), TRUE)
FROM future WHERE day IS NOT NULL
"""


def defer(step: Step) -> None:
    """Moves the project's future by `months` months (hours by whole weeks); nothing may land in the
    snapshot month or before it."""
    pid, as_of, months = step.change.project_id, step.as_of, step.change.months
    step.live(pid)
    weeks = weeks_for(months)
    first, fits = step.rows(_FUTURE, {"as_of": as_of, "pid": pid, "weeks": weeks, "months": months})[0]
    if first is None:
        step.fail(f"{pid} has no budget, hours, open milestone or date after the {step.snapshot} snapshot: "
                  "nothing to move")
    if not fits:
        step.fail(f"{pid}'s first future month is {first:%Y-%m}: bringing it forward {-months} month(s) "
                  f"would move it into the {step.snapshot} snapshot month or earlier")
    step.con.sql("UPDATE budget_lines SET period = (period + to_months(?))::DATE "
                 "WHERE as_of = ? AND project_id = ? AND period > ?", params=[months, as_of, pid, as_of])
    step.con.sql("UPDATE allocations SET week = week + 7 * ? WHERE as_of = ? AND project_id = ? AND week > ?",
                 params=[weeks, as_of, pid, as_of])
    step.con.sql("UPDATE milestones SET forecast_date = (forecast_date + to_months(?))::DATE "
                 "WHERE as_of = ? AND project_id = ? AND actual_date IS NULL AND forecast_date > ?",
                 params=[months, as_of, pid, as_of])
    step.con.sql("""UPDATE projects
                    SET start_date = CASE WHEN start_date > $as_of THEN (start_date + to_months($m))::DATE
                                          ELSE start_date END,
                        end_date = CASE WHEN end_date > $as_of THEN (end_date + to_months($m))::DATE
                                        ELSE end_date END
                    WHERE as_of = $as_of AND project_id = $pid""", params={"as_of": as_of, "m": months, "pid": pid})


def cut(step: Step) -> None:
    """Cuts the scope still to come by `percent`: future budget and forecast, future planned hours and
    the bac (by that share of the future budget); history untouched. Money stays to the cent."""
    pid, as_of = step.change.project_id, step.as_of
    step.live(pid)
    share = step.change.percent / 100
    future = step.rows("SELECT count(*), sum(budget) FROM budget_lines WHERE as_of = ? AND project_id = ? "
                       "AND period > ?", [as_of, pid, as_of])[0]
    hours = step.rows("SELECT count(*) FROM allocations WHERE as_of = ? AND project_id = ? AND week > ? "
                      "AND planned_hours > 0", [as_of, pid, as_of])[0][0]
    if not future[0] and not hours:
        step.fail(f"{pid} has no budget line or planned hours after the {step.snapshot} snapshot: nothing to cut")
    step.con.sql("UPDATE projects SET bac = round(bac - ? * ?, 2) WHERE as_of = ? AND project_id = ?",
                 params=[share, future[1] or 0.0, as_of, pid])
    step.con.sql("UPDATE budget_lines SET budget = round(budget * ?, 2), forecast = round(forecast * ?, 2) "
                 "WHERE as_of = ? AND project_id = ? AND period > ?", params=[1 - share, 1 - share, as_of, pid, as_of])
    step.con.sql("UPDATE allocations SET planned_hours = planned_hours * ? "
                 "WHERE as_of = ? AND project_id = ? AND week > ?", params=[1 - share, as_of, pid, as_of])
