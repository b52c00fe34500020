"""Milestone metrics: slippage and state at a snapshot, summaries, and the milestone trend table.

slip_days, positive late and negative early, is measured against the baseline:
  achieved:      actual - baseline;
  not achieved:  max(forecast, as_of) - baseline, the forecast being the baseline when it is blank
                 (many tools leave it blank then). A milestone not achieved by the status date as_of
                 cannot land before it, so a missed milestone's stale forecast does not understate
                 its slip: baseline 03-01, forecast 03-20, not achieved at as_of 03-31 slips 30 days,
                 not 19. A forecast after as_of is taken as it is.
State, in this order: achieved_on_time (actual <= baseline, or no baseline to be late against),
achieved_late, missed (no actual and coalesce(forecast, baseline) before as_of), likely_to_miss
(no actual, forecast after baseline), on_track.
"""
from __future__ import annotations

import pandas as pd

from pmo_analytics.definitions import SLIP, STATE, STATES  # noqa: F401 - STATES is part of this module's API
from pmo_analytics.metrics.scope import PERIODS, PROJECT_GROUPS, PROJECTS, Scope
from pmo_analytics.store import connection as db

SUMMARY_BY = tuple(PROJECT_GROUPS)
_SPANS = "the trend spans every snapshot; period_to ends it"


def milestone_slippage(con, as_of=None, portfolio=None, program=None, department=None,
                       project_ids=None, period_from=None, period_to=None) -> pd.DataFrame:
    """Every milestone at the snapshot with its slip in days and its state.

    period_from/period_to keep milestones whose baseline date falls in those months.
    """
    scope = Scope.of(con, "milestone_slippage", as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    pcond, pparams = scope.projects("p")
    dcond, dparams = scope.periods("m.baseline_date")
    q = f"""
    SELECT m.as_of, m.project_id, p.name AS project_name, p.portfolio, p.program, p.department,
           m.milestone_id, m.name, m.baseline_date, m.forecast_date, m.actual_date,
           {SLIP} AS slip_days, {STATE} AS state
    FROM milestones m
    LEFT JOIN projects p ON p.as_of = m.as_of AND p.project_id = m.project_id
    WHERE m.as_of = ? AND {pcond} AND {dcond}
    ORDER BY m.project_id, m.baseline_date NULLS LAST, m.milestone_id
    """
    return db.frame(con, q, [scope.as_of] + pparams + dparams)


def milestone_summary(con, by: str = "project", as_of=None, portfolio=None, program=None,
                      department=None, project_ids=None, period_from=None,
                      period_to=None) -> pd.DataFrame:
    """Milestone counts per project, program, portfolio or department at the snapshot.

    on_time_rate = achieved on time / achieved (missing when nothing is achieved yet); slip is
    averaged over all milestones with a baseline. Every filtered project takes part, so a project
    without milestones shows zeros. period_from/period_to keep milestones baselined in those months.
    """
    scope = Scope.of(con, "milestone_summary", by=by, groups=PROJECT_GROUPS, as_of=as_of,
                     portfolio=portfolio, program=program, department=department,
                     project_ids=project_ids, period_from=period_from, period_to=period_to)
    pcond, pparams = scope.projects("p")
    dcond, dparams = scope.periods("m.baseline_date")
    select, group, order = scope.group
    q = f"""
    WITH stated AS (
        SELECT m.as_of, m.project_id, m.milestone_id, {SLIP} AS slip_days, {STATE} AS state
        FROM milestones m
        WHERE m.as_of = ? AND {dcond}
    )
    SELECT {select},
           count(s.milestone_id) AS milestones,
           count(s.milestone_id) FILTER (WHERE s.state LIKE 'achieved%') AS achieved,
           count(s.milestone_id) FILTER (WHERE s.state = 'achieved_on_time') AS achieved_on_time,
           count(s.milestone_id) FILTER (WHERE s.state = 'achieved_on_time')
               / NULLIF(count(s.milestone_id) FILTER (WHERE s.state LIKE 'achieved%'), 0)
               AS on_time_rate,
           count(s.milestone_id) FILTER (WHERE s.state = 'missed') AS missed,
           count(s.milestone_id) FILTER (WHERE s.state = 'likely_to_miss') AS likely_to_miss,
           avg(s.slip_days) AS mean_slip_days,
           max(s.slip_days) AS max_slip_days
    FROM projects p
    LEFT JOIN stated s ON s.as_of = p.as_of AND s.project_id = p.project_id
    WHERE p.as_of = ? AND {pcond}
    GROUP BY {group}
    ORDER BY {order}
    """
    return db.frame(con, q, [scope.as_of] + dparams + [scope.as_of] + pparams)


def milestone_trend(con, as_of=None, portfolio=None, program=None, department=None,
                    project_ids=None, period_from=None, period_to=None) -> pd.DataFrame:
    """The milestone trend analysis table: each milestone's dates at every snapshot.

    One row per milestone and snapshot over ALL snapshots: period_from/period_to filter snapshot dates
    and as_of is a UsageError (the table spans the snapshots; period_to ends it).
    forecast_change_days = this forecast minus the forecast at the previous loaded snapshot, missing
    when the milestone was not in that snapshot (computed before filtering, so a period filter keeps
    the change).
    """
    scope = Scope.of(con, "milestone_trend", honours=PROJECTS + PERIODS, why=_SPANS, as_of=as_of,
                     portfolio=portfolio, program=program, department=department,
                     project_ids=project_ids, period_from=period_from, period_to=period_to)
    pcond, pparams = scope.projects("p")
    scond, sparams = scope.periods("p.as_of")
    # The milestone_history summary (summaries.py) holds these rows, joined and in this order, from
    # publish time: joining every snapshot's projects and previous forecasts and sorting 686k rows
    # on each call took 200 ms at 5,000 projects x 36 snapshots.
    q = f"""
    SELECT as_of, project_id, project_name, milestone_id, name, baseline_date, forecast_date,
           actual_date, slip_days, state, forecast_change_days
    FROM milestone_history p
    WHERE {pcond} AND {scond}
    ORDER BY project_id, milestone_id, as_of
    """
    return db.frame(con, q, pparams + sparams)
