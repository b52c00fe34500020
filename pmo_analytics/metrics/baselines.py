"""Baseline control: each project's and milestone's original baseline, kept across the snapshots, and
every re-baseline.

Nothing is stored twice: the snapshots hold every month's export, so the original baseline is read
from them. A project's original BAC and baseline finish, and a milestone's original baseline date,
are the first values the snapshots (up to the one reported on) give for it: those of the snapshot it
first appears in, or, when that export left the value blank, of the first snapshot that has one.
The current baseline is the latest value given. A re-baseline is a snapshot whose value differs from
the last one given before it (BAC: by more than changes.MONEY_TOLERANCE; dates: by a day or more); a
snapshot that leaves the value blank, or a project missing for some months, changes nothing.

rebaselines: one row per change, over every snapshot up to as_of (default: all of them).
    change = new - old: money for bac, days for baseline_end_date and a milestone's baseline_date
    (positive: a later finish, a bigger budget). old and new are text (ISO dates, money to the cent)
    so one column holds both kinds; `unit` says which.
baseline_slip(by="project"): per project at the snapshot, finish = end_date (the current forecast):
    slip_vs_original_days = finish - original baseline finish, slip_vs_current_days = finish - current
    baseline finish, rebaselined_days = current - original baseline finish (what re-baselining hid);
    bac_change = current BAC - original BAC, bac_change_pct = bac_change / original BAC * 100.
baseline_slip(by="milestone"): per milestone at the snapshot, finish = coalesce(actual, forecast,
    current baseline) as in milestones.py; the same slips against its original and current baseline.
"""
from __future__ import annotations

import pandas as pd

from pmo_analytics.metrics.changes import MONEY_TOLERANCE
from pmo_analytics.metrics.scope import FILTERS, PROJECTS, SNAPSHOT, Scope, choice
from pmo_analytics.store import connection as db

BY = ("project", "milestone")
WHAT = ("bac", "baseline_end_date", "milestone")  # the order changes are listed in, within a project
_NOT_PERIODS = ("a project's finish and BAC are not per period (by='milestone' takes period_from/period_to: "
                "the milestones' current baseline date)")
# The values given before each snapshot's, per project (fixed text over the projects table).
_PRIOR = "OVER (PARTITION BY project_id ORDER BY as_of ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
_MS_PRIOR = ("OVER (PARTITION BY project_id, milestone_id ORDER BY as_of "
             "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)")
# Each value with the last one given before it, over the snapshots up to ? (the reported one).
_HISTORY = f"""
    project_baselines AS (
        SELECT as_of, project_id, bac, baseline_end_date,
               last_value(bac IGNORE NULLS) {_PRIOR} AS prior_bac,
               last_value(baseline_end_date IGNORE NULLS) {_PRIOR} AS prior_end
        FROM projects WHERE as_of <= ?
    ),
    milestone_baselines AS (
        SELECT as_of, project_id, milestone_id, name, baseline_date,
               last_value(baseline_date IGNORE NULLS) {_MS_PRIOR} AS prior_date
        FROM milestones WHERE as_of <= ?
    )"""
_BAC_CHANGED = f"round(abs(bac - prior_bac), 6) > {MONEY_TOLERANCE}"


def rebaselines(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
                period_from=None, period_to=None) -> pd.DataFrame:
    """Every re-baseline up to the snapshot: BAC, baseline finish and milestone baseline dates.

    One row per change: the snapshot it was first seen in (as_of), the project, what changed (bac,
    baseline_end_date or milestone, with milestone_id and its name), old, new, change and its unit.
    period_from/period_to keep the changes of those snapshots; project filters apply to the project
    as it was in that snapshot.
    """
    scope = Scope.of(con, "rebaselines", as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    pcond, pparams = scope.projects("p")
    scond, sparams = scope.periods("c.as_of")
    q = f"""
    WITH {_HISTORY},
    changes AS (
        SELECT as_of, project_id, 'bac' AS what, NULL AS milestone_id, NULL AS milestone_name,
               printf('%.2f', prior_bac) AS old, printf('%.2f', bac) AS new, bac - prior_bac AS change,
               'money' AS unit
        FROM project_baselines WHERE {_BAC_CHANGED}
        UNION ALL
        SELECT as_of, project_id, 'baseline_end_date', NULL, NULL, CAST(prior_end AS VARCHAR),
               CAST(baseline_end_date AS VARCHAR), date_diff('day', prior_end, baseline_end_date), 'days'
        FROM project_baselines WHERE baseline_end_date <> prior_end
        UNION ALL
        SELECT as_of, project_id, 'milestone', milestone_id, name, CAST(prior_date AS VARCHAR),
               CAST(baseline_date AS VARCHAR), date_diff('day', prior_date, baseline_date), 'days'
        FROM milestone_baselines WHERE baseline_date <> prior_date
    )
    SELECT c.as_of, c.project_id, p.name AS project_name, p.portfolio, p.program, p.department, c.what,
           c.milestone_id, c.milestone_name, c.old, c.new, CAST(c.change AS DOUBLE) AS change, c.unit
    FROM changes c
    LEFT JOIN projects p ON p.as_of = c.as_of AND p.project_id = c.project_id
    WHERE {pcond} AND {scond}
    ORDER BY c.as_of, c.project_id, list_position(?, c.what), c.milestone_id
    """
    return db.frame(con, q, [scope.as_of, scope.as_of] + pparams + sparams + [list(WHAT)])


def baseline_slip(con, by: str = "project", as_of=None, portfolio=None, program=None, department=None,
                  project_ids=None, period_from=None, period_to=None) -> pd.DataFrame:
    """Slip against the original and the current baseline at the snapshot, per project or milestone.

    by="project": one row per project of the snapshot: the original and current baseline finish, the
    forecast finish (end_date), both slips and the re-baselined days, how many times the finish was
    re-baselined; the original and current BAC, the change and how many times it was re-baselined.
    by="milestone": one row per milestone of the snapshot, the same against its baseline date
    (period_from/period_to keep milestones whose current baseline date falls in those months).
    """
    choice(by, BY, "by")
    scope = Scope.of(con, "baseline_slip", honours=FILTERS if by == "milestone" else SNAPSHOT + PROJECTS,
                     why=_NOT_PERIODS, as_of=as_of, portfolio=portfolio, program=program, department=department,
                     project_ids=project_ids, period_from=period_from, period_to=period_to)
    if by == "milestone":
        return _milestone_slip(con, scope)
    pcond, pparams = scope.projects("p")
    q = f"""
    WITH {_HISTORY},
    kept AS (
        SELECT project_id, min(as_of) AS first_as_of,
               arg_min(baseline_end_date, as_of) FILTER (WHERE baseline_end_date IS NOT NULL) AS original_end,
               arg_max(baseline_end_date, as_of) FILTER (WHERE baseline_end_date IS NOT NULL) AS current_end,
               count(*) FILTER (WHERE baseline_end_date <> prior_end) AS finish_rebaselines,
               arg_min(bac, as_of) FILTER (WHERE bac IS NOT NULL) AS original_bac,
               arg_max(bac, as_of) FILTER (WHERE bac IS NOT NULL) AS current_bac,
               count(*) FILTER (WHERE {_BAC_CHANGED}) AS bac_rebaselines
        FROM project_baselines GROUP BY project_id
    )
    SELECT p.as_of, p.project_id, p.name AS project_name, p.portfolio, p.program, p.department, k.first_as_of,
           k.original_end AS original_baseline_end_date, k.current_end AS baseline_end_date,
           p.end_date AS forecast_end_date,
           date_diff('day', k.original_end, p.end_date) AS slip_vs_original_days,
           date_diff('day', k.current_end, p.end_date) AS slip_vs_current_days,
           date_diff('day', k.original_end, k.current_end) AS rebaselined_days,
           k.finish_rebaselines,
           k.original_bac, k.current_bac AS bac, k.current_bac - k.original_bac AS bac_change,
           (k.current_bac - k.original_bac) / NULLIF(k.original_bac, 0) * 100 AS bac_change_pct,
           k.bac_rebaselines
    FROM projects p JOIN kept k USING (project_id)
    WHERE p.as_of = ? AND {pcond}
    ORDER BY p.project_id
    """
    return db.frame(con, q, [scope.as_of, scope.as_of, scope.as_of] + pparams)


def _milestone_slip(con, scope: Scope) -> pd.DataFrame:
    pcond, pparams = scope.projects("p")
    dcond, dparams = scope.periods("m.current_baseline")
    q = f"""
    WITH {_HISTORY},
    kept AS (
        SELECT project_id, milestone_id, min(as_of) AS first_as_of,
               arg_min(baseline_date, as_of) FILTER (WHERE baseline_date IS NOT NULL) AS original_baseline,
               arg_max(baseline_date, as_of) FILTER (WHERE baseline_date IS NOT NULL) AS current_baseline,
               count(*) FILTER (WHERE baseline_date <> prior_date) AS rebaselines
        FROM milestone_baselines GROUP BY project_id, milestone_id
    ),
    dated AS (
        SELECT m.*, k.first_as_of, k.original_baseline, k.current_baseline, k.rebaselines,
               coalesce(m.actual_date, m.forecast_date, k.current_baseline) AS finish
        FROM milestones m JOIN kept k USING (project_id, milestone_id)
        WHERE m.as_of = ?
    )
    SELECT m.as_of, m.project_id, p.name AS project_name, p.portfolio, p.program, p.department,
           m.milestone_id, m.name, m.first_as_of, m.original_baseline AS original_baseline_date,
           m.current_baseline AS baseline_date, m.forecast_date, m.actual_date,
           date_diff('day', m.original_baseline, m.finish) AS slip_vs_original_days,
           date_diff('day', m.current_baseline, m.finish) AS slip_vs_current_days,
           date_diff('day', m.original_baseline, m.current_baseline) AS rebaselined_days,
           m.rebaselines
    FROM dated m
    LEFT JOIN projects p ON p.as_of = m.as_of AND p.project_id = m.project_id
    WHERE {pcond} AND {dcond}
    ORDER BY m.project_id, m.current_baseline NULLS LAST, m.milestone_id
    """
    return db.frame(con, q, [scope.as_of, scope.as_of, scope.as_of] + pparams + dparams)
