"""Resource load: capacity against planned and booked hours, per person, team or role.

A person is overloaded by their total load, whatever project it comes from, so project filters choose
*which people* to show (those with hours on the filtered projects) but never hide their other hours;
`filtered_hours` shows the share that comes from the filtered projects.

Weeks are the allocations' Mondays, and the calendar is the weeks the export covers: every Monday
from the snapshot's first to its last allocated week (within period_from/period_to). Every person
shown gets every calendar week, an unallocated week being spare capacity. A month holds the calendar
weeks whose Monday falls in it (the week of Monday 29 April counts wholly in April), so a month row
is the sum of that person's week rows: capacity = weekly_capacity_hours x the export's weeks in the
month. A month the export only starts or ends in counts only its exported weeks (an export whose
last week is Monday 1 April gives April one week of capacity, not five).

Actual hours are booked up to a point: the last booked week is the latest week of the snapshot in
which anyone booked any hours (actual_hours > 0, whatever the filters). actual_utilisation =
actual hours / the capacity of the weeks up to and including the last booked week, so the current
and future weeks, which nobody has booked yet, do not dilute it (a booked week in which a person
booked nothing counts as zero hours against their capacity); it is missing when the row has no
booked week or no hours booked. utilisation (planned) uses the whole capacity.

People without a known weekly capacity (weekly_capacity_hours blank, or hours booked to a
resource_id missing from resources) have load but nothing to load it against, so they are left out
of resource_load entirely: no row, and neither their hours nor a capacity in any team or role total.
The result says what was left out: df.attrs["no_capacity"] is the number of such people among those
the filters choose, df.attrs["no_capacity_hours"] their planned hours in the selected weeks.
Validation warns about each blank capacity. over_allocations leaves them out too (a week is over
only against a known capacity).
"""
from __future__ import annotations

import pandas as pd

from pmo_analytics.metrics.scope import Scope, choice
from pmo_analytics.store import connection as db

GRAINS = ("week", "month")

# Group columns per `by` choice: fixed text, never user input.
GROUPS = {
    "resource": ("resource_id", "name", "team", "role"),
    "team": ("team",),
    "role": ("role",),
}
LOAD_BY = tuple(GROUPS)


def _alloc_cte(pcond: str, wcond: str) -> str:
    """The snapshot's allocations by Monday, flagged when their project passes the project filters
    (parameters: the filters', then as_of, then the period's)."""
    return f"""alloc AS (
        SELECT a.resource_id, a.project_id,
               date_trunc('week', a.week)::DATE AS week,
               coalesce(a.planned_hours, 0) AS planned,
               a.actual_hours AS actual,
               coalesce(({pcond}), FALSE) AS on_filtered
        FROM allocations a
        LEFT JOIN projects p ON p.as_of = a.as_of AND p.project_id = a.project_id
        WHERE a.as_of = ? AND {wcond}
    )"""


def _people(scope: Scope) -> tuple[str, list]:
    """(SQL listing the resource_ids the filters choose, its parameters): with project filters, those
    with hours on the filtered projects; without, every resource of the snapshot and everyone allocated."""
    if scope.filters_projects:
        return ("SELECT DISTINCT resource_id FROM alloc "
                "WHERE on_filtered AND (planned > 0 OR coalesce(actual, 0) > 0)"), []
    return "SELECT resource_id FROM resources WHERE as_of = ? UNION SELECT resource_id FROM alloc", [scope.as_of]


def _left_out(con, scope: Scope, prefix: str, params: list, ccond: str, cparams: list) -> dict:
    """{"no_capacity": people the filters choose who have no known weekly capacity,
    "no_capacity_hours": their planned hours in the calendar's weeks}; `prefix` is the WITH list
    (alloc, scope) and `params` its parameters."""
    q = f"""
    {prefix},
    left_out AS (
        SELECT s.resource_id FROM scope s
        LEFT JOIN resources r ON r.as_of = ? AND r.resource_id = s.resource_id
        WHERE r.weekly_capacity_hours IS NULL
    )
    SELECT (SELECT count(*) FROM left_out),
           (SELECT coalesce(sum(planned), 0) FROM alloc
            WHERE resource_id IN (SELECT resource_id FROM left_out) AND {ccond})
    """
    people, hours = con.sql(q, params=params + [scope.as_of] + cparams).fetchall()[0]
    return {"no_capacity": int(people), "no_capacity_hours": float(hours)}


def resource_load(con, by: str = "resource", grain: str = "week", as_of=None, portfolio=None,
                  program=None, department=None, project_ids=None, period_from=None,
                  period_to=None) -> pd.DataFrame:
    """Capacity, planned and actual hours, utilisation and overload per resource/team/role and week/month.

    Capacity is weekly_capacity_hours for every week of the calendar (the Mondays from the first to
    the last allocated week of the snapshot; a month counts those whose Monday is in it). over_hours
    is computed per person and week, then summed, so one person's overload is never hidden by a
    colleague's slack or by a quiet week in the same month. Without project filters every resource of
    the snapshot is shown (including the unallocated, who are pure availability); with project
    filters, only those with hours on the filtered projects in the selected weeks. actual_hours stays
    missing where no hours were booked at all (typically future weeks), rather than pretending zero;
    actual_utilisation divides by the capacity of the booked weeks only (see the module docstring).
    People without a known capacity are left out and counted in df.attrs["no_capacity"] (people) and
    df.attrs["no_capacity_hours"] (their planned hours).
    """
    scope = Scope.of(con, "resource_load", by=by, groups=GROUPS, as_of=as_of, portfolio=portfolio,
                     program=program, department=department, project_ids=project_ids,
                     period_from=period_from, period_to=period_to)
    choice(grain, GRAINS, "grain")
    pcond, pparams = scope.projects("p")
    wcond, wparams = scope.periods("a.week")
    ccond, cparams = scope.periods("week")
    chosen, chosen_params = _people(scope)
    prefix = f"WITH {_alloc_cte(pcond, wcond)},\n    scope AS ({chosen})"
    prefix_params = pparams + [scope.as_of] + wparams + chosen_params
    keys = scope.group.select
    period = "week" if grain == "week" else "date_trunc('month', week)::DATE"
    headcount = "" if by == "resource" else "count(DISTINCT resource_id) AS resources,"
    if by == "resource" and grain == "week":
        # person_week is already at this grain: each total is the person-week's own value, and n
        # (people numbered in resource_id order, unique in a snapshot) is the cheaper sort key.
        total, group_by, order = "{}", "", "n"
    else:
        total, group_by, order = "sum({})", f"GROUP BY {keys}, {period}", keys
    capacity, booked_capacity, planned, actual, filtered, over = (
        total.format(c) for c in ("capacity", "booked_capacity", "planned", "actual", "filtered", "over_hours"))

    # Strings (ids, names) are joined once per person; the per-week work runs on the number n.
    q = f"""
    {prefix},
    bounds AS (SELECT min(week) AS first_monday, max(week) AS hi FROM alloc),
    mondays AS (
        SELECT unnest(generate_series(first_monday::TIMESTAMP, hi::TIMESTAMP,
                                      INTERVAL 7 DAY))::DATE AS week
        FROM bounds
    ),
    calendar AS (SELECT week FROM mondays WHERE {ccond}),
    last_booked AS (  -- the latest week anyone booked hours in, whatever the filters
        SELECT max(date_trunc('week', a.week))::DATE AS week
        FROM allocations a WHERE a.as_of = ? AND a.actual_hours > 0
    ),
    people AS (  -- only people with a known capacity (the others are counted apart)
        SELECT s.resource_id, r.name, r.team, r.role, r.weekly_capacity_hours AS capacity,
               row_number() OVER (ORDER BY s.resource_id) AS n
        FROM scope s
        JOIN resources r ON r.as_of = ? AND r.resource_id = s.resource_id
        WHERE r.weekly_capacity_hours IS NOT NULL
    ),
    hours AS (
        -- Every person gets every calendar week (zero hours), plus their allocations in those weeks.
        SELECT p.n, c.week, 0 AS planned, NULL AS actual, NULL AS filtered
        FROM people p
        CROSS JOIN calendar c
        UNION ALL
        SELECT p.n, a.week, a.planned, a.actual, CASE WHEN a.on_filtered THEN a.planned END
        FROM alloc a
        JOIN people p ON p.resource_id = a.resource_id
        WHERE {ccond}
    ),
    booked AS (
        SELECT n, week, sum(planned) AS planned,
               sum(actual) AS actual,  -- NULL when nothing was booked (future weeks)
               coalesce(sum(filtered), 0) AS filtered
        FROM hours
        GROUP BY n, week
    ),
    person_week AS (
        SELECT p.n, p.resource_id, p.name, p.team, p.role, b.week, p.capacity,
               CASE WHEN b.week <= u.week THEN p.capacity END AS booked_capacity,
               b.planned, b.actual, b.filtered,
               greatest(b.planned - p.capacity, 0) AS over_hours
        FROM booked b
        JOIN people p ON p.n = b.n
        CROSS JOIN last_booked u
    )
    SELECT {keys}, {period} AS {grain}, {headcount}
           {capacity} AS capacity,
           {planned} AS planned_hours,
           {actual} AS actual_hours,
           {filtered} AS filtered_hours,
           {planned} / NULLIF({capacity}, 0) AS utilisation,
           {actual} / NULLIF({booked_capacity}, 0) AS actual_utilisation,
           {capacity} - {planned} AS availability,
           {over} AS over_hours,
           coalesce({over}, 0) > 0 AS over_allocated
    FROM person_week
    {group_by}
    ORDER BY {order}, {grain}
    """
    params = prefix_params + cparams + [scope.as_of, scope.as_of] + cparams
    df = db.frame(con, q, params)
    df.attrs.update(_left_out(con, scope, prefix, prefix_params, ccond, cparams))
    return df


def over_allocations(con, as_of=None, portfolio=None, program=None, department=None,
                     project_ids=None, period_from=None, period_to=None) -> pd.DataFrame:
    """Each run of consecutive over-allocated weeks per resource, with the projects behind it.

    A week is over-allocated when planned hours (all projects) exceed weekly capacity. Runs are found
    with gaps-and-islands: week number minus row number is constant within a run. `projects` lists
    every project with planned hours in the run's weeks, largest first. Project filters choose the
    people (those with hours on the filtered projects), as in resource_load. People without a known
    weekly capacity have no over-allocated week (resource_load counts them in its attrs).
    """
    scope = Scope.of(con, "over_allocations", as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    pcond, pparams = scope.projects("p")
    wcond, wparams = scope.periods("a.week")
    q = f"""
    WITH {_alloc_cte(pcond, wcond)},
    scope AS (
        SELECT DISTINCT resource_id FROM alloc WHERE on_filtered AND (planned > 0 OR coalesce(actual, 0) > 0)
    ),
    weekly AS (
        SELECT resource_id, week, sum(planned) AS planned
        FROM alloc
        WHERE resource_id IN (SELECT resource_id FROM scope)
        GROUP BY resource_id, week
    ),
    over_weeks AS (
        SELECT w.resource_id, w.week, w.planned - r.weekly_capacity_hours AS over_hours
        FROM weekly w
        JOIN resources r ON r.as_of = ? AND r.resource_id = w.resource_id
        WHERE w.planned > r.weekly_capacity_hours
    ),
    islands AS (
        SELECT *,
               date_diff('day', DATE '2000-01-03', week) // 7
                 - row_number() OVER (PARTITION BY resource_id ORDER BY week) AS run_key
        FROM over_weeks
    ),
    runs AS (
        SELECT resource_id, run_key, min(week) AS start_week, max(week) AS end_week,
               count(*) AS weeks, max(over_hours) AS peak_over_hours,
               sum(over_hours) AS total_over_hours
        FROM islands
        GROUP BY resource_id, run_key
    ),
    run_projects AS (
        SELECT i.resource_id, i.run_key, a.project_id, sum(a.planned) AS hours
        FROM islands i
        JOIN alloc a ON a.resource_id = i.resource_id AND a.week = i.week
        WHERE a.planned > 0
        GROUP BY i.resource_id, i.run_key, a.project_id
    ),
    run_project_list AS (
        SELECT resource_id, run_key,
               string_agg(project_id, ', ' ORDER BY hours DESC, project_id) AS projects
        FROM run_projects
        GROUP BY resource_id, run_key
    )
    SELECT u.resource_id, r.name, r.team, u.start_week, u.end_week, u.weeks,
           u.peak_over_hours, u.total_over_hours, l.projects
    FROM runs u
    LEFT JOIN run_project_list l ON l.resource_id = u.resource_id AND l.run_key = u.run_key
    LEFT JOIN resources r ON r.as_of = ? AND r.resource_id = u.resource_id
    ORDER BY u.total_over_hours DESC, u.resource_id, u.start_week
    """
    params = pparams + [scope.as_of] + wparams + [scope.as_of, scope.as_of]
    return db.frame(con, q, params)
