"""Risk register metrics: scores, expected monetary value, exposure, the 5x5 matrix, ageing, trend.

Probability is stored 0-1; its band on the 1-5 axis is ceil(probability x 5) clamped to 1..5 (so
0.1->1, 0.3->2, 0.5->3, 0.7->4, 0.9->5, and 0.2 is still band 1). score = band x impact (1-25);
emv = probability x impact_cost. A risk with a blank probability is "not assessed": its band, score
and emv are missing (never band 1), so it adds nothing to the totals, is counted in
`unassessed_risks` where totals are shown (risk_exposure, exposure_trend), sorts after every
assessed risk in top_risks and the register, and cannot be placed in the matrix. "Active" risks are
those open or mitigating; closed and occurred risks are history and count only where a column says so.
"""
from __future__ import annotations

import pandas as pd

from pmo_analytics.definitions import (
    ACTIVE,
    BAND,
    EMV,
    NO_MITIGATION,
    NO_OWNER,
    OVERDUE,
    SCORE,
    UNASSESSED,
    previous_snapshots,
)
from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics.scope import PERIODS, PROJECT_GROUPS, PROJECTS, Scope
from pmo_analytics.store import connection as db

EXPOSURE_BY = tuple(PROJECT_GROUPS)
_SPANS = "the trend spans every snapshot; period_to ends it"


def risk_register(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
                  period_from=None, period_to=None) -> pd.DataFrame:
    """Every risk at the snapshot with its band, score, emv, age and the data-quality flags.

    A risk without a probability has no band, score or emv (not assessed) and sorts after the others
    of its status. age_days = as_of - raised_date; overdue = active and due_date before as_of (days_overdue is then
    as_of - due_date, else missing); no_owner / no_mitigation flag blank values. Closed risks are
    listed too (active = false). period_from/period_to keep risks raised in those months.
    """
    scope = Scope.of(con, "risk_register", as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    pcond, pparams = scope.projects("p")
    rcond, rparams = scope.periods("r.raised_date")
    q = f"""
    SELECT r.as_of, r.risk_id, r.project_id, p.name AS project_name, p.portfolio, p.program,
           p.department, r.title, r.category, r.status, {ACTIVE} AS active,
           r.probability, {BAND} AS probability_band, r.impact, r.impact_cost,
           {SCORE} AS score, {EMV} AS emv,
           r.owner, r.mitigation, r.raised_date, r.due_date, r.closed_date,
           date_diff('day', r.raised_date, r.as_of) AS age_days,
           {OVERDUE} AS overdue,
           CASE WHEN {OVERDUE} THEN date_diff('day', r.due_date, r.as_of) END AS days_overdue,
           {NO_OWNER} AS no_owner, {NO_MITIGATION} AS no_mitigation
    FROM risks r
    LEFT JOIN projects p ON p.as_of = r.as_of AND p.project_id = r.project_id
    WHERE r.as_of = ? AND {pcond} AND {rcond}
    ORDER BY active DESC, emv DESC NULLS LAST, score DESC NULLS LAST, r.risk_id
    """
    return db.frame(con, q, [scope.as_of] + pparams + rparams)


def risk_exposure(con, by: str = "project", as_of=None, portfolio=None, program=None,
                  department=None, project_ids=None, period_from=None,
                  period_to=None) -> pd.DataFrame:
    """Active-risk exposure per project, program, portfolio or department at the snapshot.

    Counts and totals cover active risks only; every filtered project takes part, so a project
    with no active risk shows zeros rather than disappearing. unassessed_risks counts the active
    risks without a probability: they are in active_risks but add nothing to total_score and
    total_emv. period_from/period_to keep risks raised in those months.
    """
    scope = Scope.of(con, "risk_exposure", by=by, groups=PROJECT_GROUPS, as_of=as_of, portfolio=portfolio,
                     program=program, department=department, project_ids=project_ids,
                     period_from=period_from, period_to=period_to)
    pcond, pparams = scope.projects("p")
    rcond, rparams = scope.periods("r.raised_date")
    select, group, order = scope.group
    q = f"""
    SELECT {select},
           count(r.risk_id) FILTER (WHERE {ACTIVE}) AS active_risks,
           coalesce(sum({SCORE}) FILTER (WHERE {ACTIVE}), 0)::BIGINT AS total_score,
           coalesce(sum({EMV}) FILTER (WHERE {ACTIVE}), 0) AS total_emv,
           count(r.risk_id) FILTER (WHERE {ACTIVE} AND {OVERDUE}) AS overdue_risks,
           count(r.risk_id) FILTER (WHERE {ACTIVE} AND {NO_OWNER}) AS no_owner_risks,
           count(r.risk_id) FILTER (WHERE {ACTIVE} AND {NO_MITIGATION}) AS no_mitigation_risks,
           count(r.risk_id) FILTER (WHERE {ACTIVE} AND {UNASSESSED}) AS unassessed_risks
    FROM projects p
    LEFT JOIN risks r ON r.as_of = p.as_of AND r.project_id = p.project_id AND {rcond}
    WHERE p.as_of = ? AND {pcond}
    GROUP BY {group}
    ORDER BY total_emv DESC, total_score DESC, {order}
    """
    return db.frame(con, q, rparams + [scope.as_of] + pparams)


def risk_matrix(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
                period_from=None, period_to=None) -> pd.DataFrame:
    """The 5x5 probability-impact matrix of active risks: 25 tidy rows, empty cells as zeros.

    Risks without probability or impact cannot be placed and are left out; period_from/period_to
    keep risks raised in those months. When the filters match no project at all (or there is no
    snapshot) the frame is empty rather than 25 zeros.
    """
    scope = Scope.of(con, "risk_matrix", as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    pcond, pparams = scope.projects("p")
    rcond, rparams = scope.periods("r.raised_date")
    q = f"""
    WITH placed AS (
        SELECT {BAND} AS probability_band, r.impact, {EMV} AS emv
        FROM risks r
        JOIN projects p ON p.as_of = r.as_of AND p.project_id = r.project_id
        WHERE r.as_of = ? AND {pcond} AND {rcond} AND {ACTIVE}
          AND r.probability IS NOT NULL AND r.impact BETWEEN 1 AND 5
    ),
    grid AS (
        SELECT b.probability_band, i.impact
        FROM range(1, 6) b(probability_band), range(1, 6) i(impact)
        WHERE EXISTS (SELECT 1 FROM projects p WHERE p.as_of = ? AND {pcond})
    )
    SELECT g.probability_band::INTEGER AS probability_band, g.impact::INTEGER AS impact,
           (g.probability_band * g.impact)::INTEGER AS score,
           count(x.impact) AS count, coalesce(sum(x.emv), 0) AS emv
    FROM grid g
    LEFT JOIN placed x ON x.probability_band = g.probability_band AND x.impact = g.impact
    GROUP BY g.probability_band, g.impact
    ORDER BY g.probability_band DESC, g.impact
    """
    params = [scope.as_of] + pparams + rparams + [scope.as_of] + pparams
    return db.frame(con, q, params)


def top_risks(con, n: int = 10, as_of=None, portfolio=None, program=None, department=None,
              project_ids=None, period_from=None, period_to=None) -> pd.DataFrame:
    """The n active risks with the largest emv (ties: higher score first, then risk_id); risks not
    assessed (no probability, so no emv or score) come last. period_from / period_to keep risks
    raised in those months."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise UsageError(f"n must be a whole number >= 0; got {str(n)[:40]!r}")
    scope = Scope.of(con, "top_risks", as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    pcond, pparams = scope.projects("p")
    rcond, rparams = scope.periods("r.raised_date")
    q = f"""
    SELECT r.risk_id, r.project_id, p.name AS project_name, p.portfolio, r.title, r.category,
           r.status, r.owner, r.probability, {BAND} AS probability_band, r.impact, r.impact_cost,
           {SCORE} AS score, {EMV} AS emv, r.due_date, {OVERDUE} AS overdue, r.mitigation
    FROM risks r
    LEFT JOIN projects p ON p.as_of = r.as_of AND p.project_id = r.project_id
    WHERE r.as_of = ? AND {pcond} AND {rcond} AND {ACTIVE}
    ORDER BY emv DESC NULLS LAST, score DESC NULLS LAST, r.risk_id
    LIMIT ?
    """
    return db.frame(con, q, [scope.as_of] + pparams + rparams + [n])


def risk_ageing(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
                period_from=None, period_to=None) -> pd.DataFrame:
    """Active risks per age band (0-30, 31-90, 91-180, >180 days since raised), with mean ages.

    One row per band, always the four bands (zeros included; a raised_date after the snapshot
    counts as 0-30), plus an 'unknown' row only when
    some active risks have no raised_date. mean_age_days is the band's mean; overall_mean_age_days
    (the same on every row) is the mean age of all dated active risks. period_from/period_to keep
    risks raised in those months. Empty when the filters match no project.
    """
    scope = Scope.of(con, "risk_ageing", as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    pcond, pparams = scope.projects("p")
    rcond, rparams = scope.periods("r.raised_date")
    q = f"""
    WITH aged AS (
        SELECT date_diff('day', r.raised_date, r.as_of) AS age_days
        FROM risks r
        JOIN projects p ON p.as_of = r.as_of AND p.project_id = r.project_id
        WHERE r.as_of = ? AND {pcond} AND {rcond} AND {ACTIVE}
    ),
    bands(band_order, age_band, min_days, max_days) AS (
        VALUES (1, '0-30', 0, 30), (2, '31-90', 31, 90), (3, '91-180', 91, 180),
               (4, '>180', 181, NULL), (5, 'unknown', NULL, NULL)
    ),
    banded AS (
        SELECT CASE WHEN age_days IS NULL THEN 5 WHEN age_days <= 30 THEN 1
                    WHEN age_days <= 90 THEN 2 WHEN age_days <= 180 THEN 3 ELSE 4 END AS band_order,
               age_days
        FROM aged
    )
    SELECT b.age_band, b.min_days, b.max_days, count(x.band_order) AS risks,
           avg(x.age_days) AS mean_age_days,
           (SELECT avg(age_days) FROM aged) AS overall_mean_age_days
    FROM bands b
    LEFT JOIN banded x ON x.band_order = b.band_order
    WHERE EXISTS (SELECT 1 FROM projects p WHERE p.as_of = ? AND {pcond})
    GROUP BY b.band_order, b.age_band, b.min_days, b.max_days
    HAVING b.band_order < 5 OR count(x.band_order) > 0
    ORDER BY b.band_order
    """
    params = [scope.as_of] + pparams + rparams + [scope.as_of] + pparams
    return db.frame(con, q, params)


def exposure_trend(con, by: str = "portfolio", as_of=None, portfolio=None, program=None,
                   department=None, project_ids=None, period_from=None,
                   period_to=None) -> pd.DataFrame:
    """Active-risk exposure per snapshot and group over ALL snapshots, with what changed since the last.

    period_from/period_to filter snapshot dates; as_of is a UsageError (the trend spans the
    snapshots; period_to ends it). new_risks = risk_ids absent from
    the previous snapshot; closed_risks / occurred_risks = risks now closed / occurred that were not
    so in the previous snapshot (including risks raised and closed in between). The three change
    columns are missing for the first snapshot, which has nothing to compare with. Risks dropped from
    the register without being closed are not counted. Groups with no risk at a snapshot have no row.
    unassessed_risks counts the active risks without a probability (not in the totals), as in
    risk_exposure.
    """
    scope = Scope.of(con, "exposure_trend", honours=PROJECTS + PERIODS, why=_SPANS, by=by,
                     groups=PROJECT_GROUPS, as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    pcond, pparams = scope.projects("p")
    scond, sparams = scope.periods("r.as_of")
    select, group, order = scope.group
    # One pass: each risk meets its previous-snapshot self (q) and its project (p) in the same scan.
    q = f"""
    WITH snaps AS ({previous_snapshots()})
    SELECT r.as_of, {select},
           count(*) FILTER (WHERE {ACTIVE}) AS active_risks,
           coalesce(sum({SCORE}) FILTER (WHERE {ACTIVE}), 0)::BIGINT AS total_score,
           coalesce(sum({EMV}) FILTER (WHERE {ACTIVE}), 0) AS total_emv,
           CASE WHEN max(s.prev_as_of) IS NOT NULL THEN count(*) FILTER (WHERE q.risk_id IS NULL) END
               AS new_risks,
           CASE WHEN max(s.prev_as_of) IS NOT NULL THEN count(*) FILTER (
               WHERE r.status = 'closed' AND q.status IS DISTINCT FROM 'closed') END AS closed_risks,
           CASE WHEN max(s.prev_as_of) IS NOT NULL THEN count(*) FILTER (
               WHERE r.status = 'occurred' AND q.status IS DISTINCT FROM 'occurred') END AS occurred_risks,
           count(*) FILTER (WHERE {ACTIVE} AND {UNASSESSED}) AS unassessed_risks
    FROM risks r
    JOIN snaps s ON s.as_of = r.as_of
    LEFT JOIN risks q ON q.as_of = s.prev_as_of AND q.risk_id = r.risk_id
    LEFT JOIN projects p ON p.as_of = r.as_of AND p.project_id = r.project_id
    WHERE {pcond} AND {scond}
    GROUP BY r.as_of, {group}
    ORDER BY r.as_of, {order}
    """
    return db.frame(con, q, pparams + sparams)
