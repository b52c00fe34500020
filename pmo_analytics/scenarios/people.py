"""The changes to people and proposals: move hours between projects, hire, add a proposed project
(apply.py's docstring says what each does; each function checks everything before it writes a row)."""
from __future__ import annotations

import calendar
import datetime as dt
import re

from pmo_analytics.scenarios.step import Step

DEFAULT_WEEKLY_HOURS = 37.5

# The planned hours that move: the chosen people's rows on the project in the weeks of the months.
_MOVED = """
CREATE OR REPLACE TEMP TABLE _moved AS
SELECT a.resource_id, a.week, a.planned_hours * $share AS hours
FROM allocations a
LEFT JOIN resources r ON r.as_of = a.as_of AND r.resource_id = a.resource_id
WHERE a.as_of = $as_of AND a.project_id = $from AND a.planned_hours > 0
  AND (a.resource_id = $resource OR r.role = $role)
  AND date_trunc('month', a.week)::DATE IN (SELECT unnest($months::DATE[]))
"""
_TAKE = """
UPDATE allocations SET planned_hours = planned_hours - m.hours
FROM _moved m
WHERE allocations.as_of = $as_of AND allocations.project_id = $from
  AND allocations.resource_id = m.resource_id AND allocations.week = m.week
"""
_DROP_EMPTY = """
DELETE FROM allocations
WHERE as_of = $as_of AND project_id = $from AND planned_hours = 0 AND actual_hours IS NULL
  AND EXISTS (SELECT 1 FROM _moved m WHERE m.resource_id = allocations.resource_id AND m.week = allocations.week)
"""
_GIVE = """
UPDATE allocations SET planned_hours = coalesce(planned_hours, 0) + m.hours
FROM _moved m
WHERE allocations.as_of = $as_of AND allocations.project_id = $to
  AND allocations.resource_id = m.resource_id AND allocations.week = m.week
"""
_GIVE_NEW = """
INSERT INTO allocations BY NAME
SELECT $as_of::DATE AS as_of, $source AS source, m.resource_id, $to AS project_id, m.week,
       m.hours AS planned_hours, NULL::DOUBLE AS actual_hours
FROM _moved m
WHERE NOT EXISTS (SELECT 1 FROM allocations a WHERE a.as_of = $as_of AND a.project_id = $to
                  AND a.resource_id = m.resource_id AND a.week = m.week)
"""


def move(step: Step) -> None:
    """Moves `percent` (default 100) of a person's, or every person of a role's, planned hours on
    project_id in the weeks whose Monday falls in `period` to to_project, merged with the row the
    person may already have there that week. Booked (actual) hours never move."""
    c, as_of = step.change, step.as_of
    step.live(c.project_id)
    step.live(c.to_project)
    months = step.future_months(c.period, "period")
    column, value = ("resource_id", c.resource_id) if c.resource_id is not None else ("role", c.role)
    if not step.rows(f"SELECT 1 FROM resources WHERE as_of = ? AND {column} = ? LIMIT 1", [as_of, value]):
        step.fail(f"{column} {value} is not in the {step.snapshot} snapshot")
    params = {"as_of": as_of, "from": c.project_id}
    step.con.sql(_MOVED, params={**params, "share": (100 if c.percent is None else c.percent) / 100,
                                 "resource": c.resource_id, "role": c.role, "months": months})
    if not step.rows("SELECT count(*) FROM _moved", [])[0][0]:
        whose = c.resource_id if c.resource_id is not None else f"nobody of role {c.role}"
        step.fail(f"{whose} has no planned hours on {c.project_id} in {', '.join(c.period)}: nothing to move")
    step.con.sql(_TAKE, params=params)
    step.con.sql(_DROP_EMPTY, params=params)
    step.con.sql(_GIVE, params={"as_of": as_of, "to": c.to_project})
    step.con.sql(_GIVE_NEW, params={"as_of": as_of, "to": c.to_project, "source": step.source})
    step.con.sql("DROP TABLE _moved")


def slug(role: str) -> str:
    """'Business Analyst' -> 'business-analyst': the role as it appears in a new hire's resource_id."""
    return re.sub(r"[^a-z0-9]+", "-", role.lower()).strip("-") or "role"


# What a new hire of a role gets by default: the role's median weekly hours and cost rate, its most
# common team and department (ties: the first in alphabetical order); missing when the role is new.
_ROLE = """
SELECT median(weekly_capacity_hours), median(cost_rate),
       (SELECT team FROM resources WHERE as_of = $as_of AND role = $role AND team IS NOT NULL
        GROUP BY team ORDER BY count(*) DESC, team LIMIT 1),
       (SELECT department FROM resources WHERE as_of = $as_of AND role = $role AND department IS NOT NULL
        GROUP BY department ORDER BY count(*) DESC, department LIMIT 1)
FROM resources WHERE as_of = $as_of AND role = $role
"""


def hire(step: Step) -> None:
    """Adds `people` (default 1) resources NEW-<role-slug>-<n>, "New <role> <n> (scenario)", numbered on
    from any earlier hire of the role. weekly_hours defaults to the role's median in the view, else
    37.5; team to the role's most common. Resources carry no start date, so a hire's capacity counts
    in every week of the export, past weeks included: read the load of the weeks to come."""
    c, as_of = step.change, step.as_of
    hours, rate, team, department = step.rows(_ROLE, {"as_of": as_of, "role": c.role})[0]
    prefix = f"NEW-{slug(c.role)}-"
    taken = [r[0] for r in step.rows("SELECT resource_id FROM resources "
                                     "WHERE as_of = ? AND starts_with(resource_id, ?)", [as_of, prefix])]
    numbers = [int(t[len(prefix):]) for t in taken if t[len(prefix):].isdigit()]
    start = max(numbers, default=0) + 1
    weekly = c.weekly_hours if c.weekly_hours is not None else DEFAULT_WEEKLY_HOURS if hours is None else hours
    for n in range(start, start + (c.people or 1)):
        step.con.sql("INSERT INTO resources BY NAME SELECT ?::DATE AS as_of, ? AS source, ? AS resource_id, "
                     "? AS name, ? AS team, ? AS role, ? AS department, ?::DOUBLE AS weekly_capacity_hours, "
                     "?::DOUBLE AS cost_rate",
                     params=[as_of, step.source, f"{prefix}{n}", f"New {c.role} {n} (scenario)",
                             c.team if c.team is not None else team, c.role, department, weekly, rate])


def _mondays(first: dt.date) -> list[dt.date]:
    days = calendar.monthrange(first.year, first.month)[1]
    return [first + dt.timedelta(d) for d in range(days) if (first + dt.timedelta(d)).weekday() == 0]


def add(step: Step) -> None:
    """Adds a proposed project: status planned, dated from its first to its last month, bac the sum of
    its budget, lines of category "proposed", and its demand as planned hours of the role's people."""
    c, as_of = step.change, step.as_of
    if step.rows("SELECT 1 FROM projects WHERE as_of = ? AND project_id = ?", [as_of, c.project_id]):
        step.fail(f"{c.project_id} is already in the {step.snapshot} snapshot: give the proposal a new project_id")
    budget = dict(zip(step.future_months(list(c.budget or {}), "budget"), (c.budget or {}).values()))
    demand = {role: dict(zip(step.future_months(list(h), f"demand.{role}"), h.values()))
              for role, h in (c.demand or {}).items()}
    people = {role: _people(step, role) for role in demand}
    months = [*budget, *(m for hours in demand.values() for m in hours)]
    first, last = min(months), max(months)
    end = last.replace(day=calendar.monthrange(last.year, last.month)[1])
    currencies = step.rows("SELECT DISTINCT currency FROM projects WHERE as_of = ? AND currency IS NOT NULL", [as_of])
    row = {"as_of": as_of, "source": step.source, "project_id": c.project_id, "name": c.name,
           "portfolio": c.portfolio, "program": c.program, "department": c.department, "status": "planned",
           "start_date": first, "end_date": end, "baseline_end_date": end,
           "bac": round(sum(budget.values()), 2) if budget else None,
           "currency": currencies[0][0] if len(currencies) == 1 else None}
    if c.value_score is not None:
        row["value_score"] = c.value_score
    _insert(step, "projects", [row])
    _insert(step, "budget_lines", [
        {"as_of": as_of, "source": step.source, "project_id": c.project_id, "period": month,
         "category": "proposed", "budget": amount, "forecast": amount} for month, amount in budget.items()])
    _insert(step, "allocations", [
        {"as_of": as_of, "source": step.source, "resource_id": resource, "project_id": c.project_id,
         "week": monday, "planned_hours": hours}
        for resource, monday, hours in _spread(demand, people)])


def _spread(demand: dict, people: dict) -> list[tuple[str, dt.date, float]]:
    """(resource_id, Monday, hours): each month's hours of a role evenly over the Mondays of the month
    and over the role's people in proportion to their weekly capacity."""
    out = []
    for role, hours in demand.items():
        total = sum(capacity for _, capacity in people[role])
        for month, amount in hours.items():
            mondays = _mondays(month)
            out += [(resource, monday, amount / len(mondays) * capacity / total)
                    for resource, capacity in people[role] for monday in mondays if amount > 0]
    return out


def _people(step: Step, role: str) -> list[tuple[str, float]]:
    """(resource_id, weekly capacity) of the role's people with a known capacity, or an error."""
    people = step.rows("SELECT resource_id, weekly_capacity_hours FROM resources WHERE as_of = ? AND role = ? "
                       "AND weekly_capacity_hours > 0 ORDER BY resource_id", [step.as_of, role])
    if not people:
        step.fail(f"demand for {role}: nobody of that role with a known weekly capacity in the "
                  f"{step.snapshot} snapshot; hire first")
    return people


def _insert(step: Step, table: str, rows: list[dict]) -> None:
    """Inserts rows (dicts with the same keys) into `table`, values bound as parameters."""
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        step.con.executemany(f"INSERT INTO {table} ({', '.join(rows[0])}) VALUES ({marks})",
                             [list(r.values()) for r in rows])
