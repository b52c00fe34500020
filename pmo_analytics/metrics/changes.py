"""What changed since last month: one snapshot against an earlier one, project by project.

`drift` lists every project and measure that changed (forecast, eac, end_date, rag, risk_emv, top_risk)
plus the projects that appeared or disappeared; `new_risks`, `closed_risks` and `slipped_milestones`
list the register and schedule changes behind them. Each takes `as_of` (default the latest snapshot) and
`previous` (default the snapshot just before as_of). Definitions are the other metrics': forecast as in
budget_variance (all budget lines), eac as in earned_value.evm (BAC / CPI at the status month), risk
EMV and the top risk as in risks.risk_exposure / top_risks (active risks only), milestone dates as in
milestones (the actual date once achieved, else the forecast, else the baseline).
"""
from __future__ import annotations

import pandas as pd

from pmo_analytics.definitions import ACTIVE, EMV, SCORE, SLIP, STATE
from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics.kpi_queries import evm_status_ctes
from pmo_analytics.metrics.scope import PROJECTS, SNAPSHOT, Scope, resolve_as_of
from pmo_analytics.periods import month_end
from pmo_analytics.store import connection as db
from pmo_analytics.store import loads

MEASURES = ("project", "forecast", "eac", "end_date", "rag", "risk_emv", "top_risk")
# RAG as steps on one scale (the contract's five ratings), so a worse rating is a positive change.
RAG_STEPS = {"green": 1, "amber_green": 2, "amber": 3, "amber_red": 4, "red": 5}
MONEY_TOLERANCE = 0.005  # money that moved by less than half a cent has not changed
_WHOLE = "drift compares whole snapshots (new_risks and slipped_milestones take periods)"

COLUMNS = ("as_of", "previous", "project_id", "name", "portfolio", "measure", "before", "after",
           "change", "change_pct", "direction")
NEW_RISK_COLUMNS = ("risk_id", "project_id", "project_name", "portfolio", "title", "category", "status",
                    "probability", "impact", "impact_cost", "score", "emv", "owner", "raised_date")
CLOSED_RISK_COLUMNS = ("risk_id", "project_id", "project_name", "portfolio", "title", "status_before",
                       "status_after", "emv_before", "closed_date")
SLIPPED_COLUMNS = ("project_id", "project_name", "portfolio", "milestone_id", "name", "baseline_date",
                   "forecast_before", "forecast_after", "slip_days", "total_slip_days", "state")


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def snapshot_pair(con, as_of=None, previous=None):
    """(after, before): the snapshot reported on and the one it is compared with (`previous`, else the
    loaded snapshot before it), or None when either is not loaded (nothing to compare)."""
    loaded = loads.months(con)
    after = resolve_as_of(con, as_of)
    if after not in loaded:
        return None
    if previous is None:
        earlier = [d for d in loaded if d < after]
        return (after, earlier[-1]) if earlier else None
    before = month_end(previous)
    return (after, before) if before in loaded else None


def _check_top(top):
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 0):
        raise UsageError(f"top must be a whole number >= 0; got {str(top)[:40]!r}")


def _money(column: str) -> str:
    return f"format('{{:,.2f}}', CAST({column} AS DOUBLE))"


def _changed(after: str, before: str) -> str:
    """Money moved by at least MONEY_TOLERANCE, or appeared, or disappeared."""
    return (f"coalesce(abs({after} - {before}) >= {MONEY_TOLERANCE}, "
            f"({after} IS NULL) <> ({before} IS NULL))")


def drift(con, as_of=None, previous=None, portfolio=None, program=None, department=None,
          project_ids=None, period_from=None, period_to=None, top=None) -> pd.DataFrame:
    """Every project and measure that changed between `previous` and `as_of`, largest changes first.

    One row per project and changed measure: as_of, previous, project_id, name, portfolio, measure,
    before, after (text for display: money with 2 decimals, ISO dates, RAG names, 'RISK-ID: title'),
    change (signed: money for forecast / eac / risk_emv / top_risk (the top risk's EMV), days for
    end_date, steps on green=1 .. red=5 for rag; positive is always worse), change_pct (money measures,
    against before), direction ('worse' / 'better'; missing when change is). measure 'project' flags a
    project present in only one snapshot (before / after 'absent' or 'present'). Sorted by measure in
    MEASURES order, then by absolute change; `top` keeps the N largest per measure. Unchanged projects
    do not appear. Filters match the project as it is at as_of (or was, if it has gone); period_from /
    period_to are a UsageError (the measures are whole-snapshot totals). Empty when either snapshot is
    not loaded.
    """
    _check_top(top)
    scope = Scope.of(con, "drift", honours=SNAPSHOT + PROJECTS, why=_WHOLE, as_of=as_of, portfolio=portfolio,
                     program=program, department=department, project_ids=project_ids,
                     period_from=period_from, period_to=period_to)
    pair = snapshot_pair(con, scope.as_of, previous)
    if pair is None:
        return _empty(COLUMNS)
    after, before = pair
    pcond, pparams = scope.projects("p")
    steps = " ".join(f"WHEN '{k}' THEN {v}" for k, v in RAG_STEPS.items())
    rag_step = "(CASE {col} " + steps + " END)"
    measure_order = " ".join(f"WHEN '{m}' THEN {i}" for i, m in enumerate(MEASURES))
    q = f"""
    WITH pall AS (  -- every project of either snapshot, described as it is now (or was, if gone)
        SELECT coalesce(a.project_id, b.project_id) AS project_id,
               coalesce(a.name, b.name) AS name, coalesce(a.portfolio, b.portfolio) AS portfolio,
               coalesce(a.program, b.program) AS program,
               coalesce(a.department, b.department) AS department,
               b.project_id IS NOT NULL AS in_before, a.project_id IS NOT NULL AS in_after,
               b.end_date AS end_before, a.end_date AS end_after,
               b.rag AS rag_before, a.rag AS rag_after
        FROM (SELECT * FROM projects WHERE as_of = ?) a
        FULL OUTER JOIN (SELECT * FROM projects WHERE as_of = ?) b ON b.project_id = a.project_id
    ),
    sel AS (SELECT * FROM pall p WHERE {pcond}),
    p AS (
        SELECT x.as_of, x.project_id, x.bac FROM projects x
        WHERE x.as_of IN (?, ?) AND x.project_id IN (SELECT project_id FROM sel)
    ),
    {evm_status_ctes().strip()},
    rk AS (
        SELECT r.as_of, r.project_id, r.risk_id, r.title, {EMV} AS emv, {SCORE} AS score
        FROM risks r
        WHERE r.as_of IN (?, ?) AND {ACTIVE} AND r.project_id IN (SELECT project_id FROM sel)
    ),
    remv AS (SELECT as_of, project_id, sum(emv) AS emv FROM rk GROUP BY as_of, project_id),
    rtop AS (  -- the top risk: largest EMV, then score, then risk_id (as top_risks)
        SELECT as_of, project_id, risk_id, risk_id || ': ' || title AS label, emv FROM rk
        QUALIFY row_number() OVER (PARTITION BY as_of, project_id
                                   ORDER BY emv DESC NULLS LAST, score DESC NULLS LAST, risk_id) = 1
    ),
    wide AS (
        SELECT s.*,
               eb.forecast AS forecast_before, ea.forecast AS forecast_after,
               eb.eac AS eac_before, ea.eac AS eac_after,
               coalesce(rb.emv, 0) AS emv_before, coalesce(ra.emv, 0) AS emv_after,
               tb.risk_id AS top_id_before, ta.risk_id AS top_id_after,
               tb.label AS top_before, ta.label AS top_after,
               coalesce(tb.emv, 0) AS top_emv_before, coalesce(ta.emv, 0) AS top_emv_after
        FROM sel s
        LEFT JOIN evm eb ON eb.as_of = ? AND eb.project_id = s.project_id
        LEFT JOIN evm ea ON ea.as_of = ? AND ea.project_id = s.project_id
        LEFT JOIN remv rb ON rb.as_of = ? AND rb.project_id = s.project_id
        LEFT JOIN remv ra ON ra.as_of = ? AND ra.project_id = s.project_id
        LEFT JOIN rtop tb ON tb.as_of = ? AND tb.project_id = s.project_id
        LEFT JOIN rtop ta ON ta.as_of = ? AND ta.project_id = s.project_id
        WHERE s.in_before AND s.in_after
    ),
    changes AS (
        SELECT project_id, name, portfolio, 'project' AS measure,
               CASE WHEN in_before THEN 'present' ELSE 'absent' END AS before,
               CASE WHEN in_after THEN 'present' ELSE 'absent' END AS after,
               NULL::DOUBLE AS change, NULL::DOUBLE AS change_pct
        FROM sel WHERE in_before <> in_after
        UNION ALL
        SELECT project_id, name, portfolio, 'forecast', {_money("forecast_before")},
               {_money("forecast_after")}, forecast_after - forecast_before,
               (forecast_after - forecast_before) / NULLIF(abs(forecast_before), 0) * 100
        FROM wide WHERE {_changed("forecast_after", "forecast_before")}
        UNION ALL
        SELECT project_id, name, portfolio, 'eac', {_money("eac_before")}, {_money("eac_after")},
               eac_after - eac_before, (eac_after - eac_before) / NULLIF(abs(eac_before), 0) * 100
        FROM wide WHERE {_changed("eac_after", "eac_before")}
        UNION ALL
        SELECT project_id, name, portfolio, 'end_date', strftime(end_before, '%Y-%m-%d'),
               strftime(end_after, '%Y-%m-%d'), date_diff('day', end_before, end_after), NULL
        FROM wide WHERE end_before IS DISTINCT FROM end_after
        UNION ALL
        SELECT project_id, name, portfolio, 'rag', rag_before, rag_after,
               {rag_step.format(col="rag_after")} - {rag_step.format(col="rag_before")}, NULL
        FROM wide WHERE rag_before IS DISTINCT FROM rag_after
        UNION ALL
        SELECT project_id, name, portfolio, 'risk_emv', {_money("emv_before")}, {_money("emv_after")},
               emv_after - emv_before, (emv_after - emv_before) / NULLIF(emv_before, 0) * 100
        FROM wide WHERE {_changed("emv_after", "emv_before")}
        UNION ALL
        SELECT project_id, name, portfolio, 'top_risk', top_before, top_after,
               top_emv_after - top_emv_before, NULL
        FROM wide WHERE top_id_before IS DISTINCT FROM top_id_after
    ),
    ranked AS (
        SELECT *, CASE measure {measure_order} END AS measure_order,
               row_number() OVER (PARTITION BY measure
                                  ORDER BY abs(change) DESC NULLS LAST, project_id) AS rank
        FROM changes
    )
    SELECT CAST(? AS DATE) AS as_of, CAST(? AS DATE) AS previous, project_id, name, portfolio, measure,
           before, after, change, change_pct,
           CASE WHEN change > 0 THEN 'worse' WHEN change < 0 THEN 'better' END AS direction
    FROM ranked
    WHERE CAST(? AS BIGINT) IS NULL OR rank <= ?
    ORDER BY measure_order, rank
    """
    params = [after, before, *pparams, before, after, before, after,
              before, after, before, after, before, after, after, before, top, top]
    return db.frame(con, q, params)


def new_risks(con, as_of=None, previous=None, portfolio=None, program=None, department=None,
              project_ids=None, period_from=None, period_to=None) -> pd.DataFrame:
    """Risks in the register at as_of that were not in it at `previous`, largest EMV first.

    Any status (a risk raised and closed between the snapshots is listed with status closed). Filters
    match the project at as_of; period_from / period_to keep risks raised in those months.
    """
    scope = Scope.of(con, "new_risks", as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    pair = snapshot_pair(con, scope.as_of, previous)
    if pair is None:
        return _empty(NEW_RISK_COLUMNS)
    after, before = pair
    pcond, pparams = scope.projects("p")
    rcond, rparams = scope.periods("r.raised_date")
    q = f"""
    SELECT r.risk_id, r.project_id, p.name AS project_name, p.portfolio, r.title, r.category, r.status,
           r.probability, r.impact, r.impact_cost, {SCORE} AS score, {EMV} AS emv, r.owner,
           r.raised_date
    FROM risks r
    LEFT JOIN projects p ON p.as_of = r.as_of AND p.project_id = r.project_id
    WHERE r.as_of = ? AND {pcond} AND {rcond}
      AND r.risk_id NOT IN (SELECT risk_id FROM risks WHERE as_of = ?)
    ORDER BY emv DESC NULLS LAST, score DESC NULLS LAST, r.risk_id
    """
    return db.frame(con, q, [after, *pparams, *rparams, before])


def closed_risks(con, as_of=None, previous=None, portfolio=None, program=None, department=None,
                 project_ids=None, period_from=None, period_to=None) -> pd.DataFrame:
    """Risks active (open or mitigating) at `previous` that are closed, occurred or gone at as_of.

    status_after is 'closed', 'occurred' or 'removed' (no longer in the register); emv_before is the
    EMV the portfolio carried for it. Largest emv_before first. Filters match the project at
    `previous`; period_from / period_to keep risks raised in those months.
    """
    scope = Scope.of(con, "closed_risks", as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    pair = snapshot_pair(con, scope.as_of, previous)
    if pair is None:
        return _empty(CLOSED_RISK_COLUMNS)
    after, before = pair
    pcond, pparams = scope.projects("p")
    rcond, rparams = scope.periods("r.raised_date")
    q = f"""
    SELECT r.risk_id, r.project_id, p.name AS project_name, p.portfolio, r.title,
           r.status AS status_before, coalesce(q.status, 'removed') AS status_after,
           {EMV} AS emv_before, q.closed_date
    FROM risks r
    LEFT JOIN projects p ON p.as_of = r.as_of AND p.project_id = r.project_id
    LEFT JOIN risks q ON q.as_of = ? AND q.risk_id = r.risk_id
    WHERE r.as_of = ? AND {ACTIVE} AND {pcond} AND {rcond}
      AND (q.risk_id IS NULL OR q.status IN ('closed', 'occurred'))
    ORDER BY emv_before DESC NULLS LAST, r.risk_id
    """
    return db.frame(con, q, [after, before, *pparams, *rparams])


def slipped_milestones(con, as_of=None, previous=None, portfolio=None, program=None, department=None,
                       project_ids=None, period_from=None, period_to=None) -> pd.DataFrame:
    """Milestones whose expected date moved later since `previous`, by how many days, largest first.

    The expected date is the actual date once achieved, else the forecast, else the baseline (as
    milestones.SLIP). slip_days = forecast_after - forecast_before; total_slip_days and state are the
    milestone's slip against baseline and state at as_of. Filters match the project at as_of;
    period_from / period_to keep milestones baselined in those months.
    """
    scope = Scope.of(con, "slipped_milestones", as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    pair = snapshot_pair(con, scope.as_of, previous)
    if pair is None:
        return _empty(SLIPPED_COLUMNS)
    after, before = pair
    pcond, pparams = scope.projects("p")
    dcond, dparams = scope.periods("m.baseline_date")
    q = f"""
    WITH moved AS (
        SELECT m.project_id, p.name AS project_name, p.portfolio, m.milestone_id, m.name,
               m.baseline_date,
               coalesce(b.actual_date, b.forecast_date, b.baseline_date) AS forecast_before,
               coalesce(m.actual_date, m.forecast_date, m.baseline_date) AS forecast_after,
               {SLIP} AS total_slip_days,
               {STATE} AS state
        FROM milestones m
        JOIN milestones b ON b.as_of = ? AND b.project_id = m.project_id
                         AND b.milestone_id = m.milestone_id
        LEFT JOIN projects p ON p.as_of = m.as_of AND p.project_id = m.project_id
        WHERE m.as_of = ? AND {pcond} AND {dcond}
    )
    SELECT project_id, project_name, portfolio, milestone_id, name, baseline_date, forecast_before,
           forecast_after, date_diff('day', forecast_before, forecast_after) AS slip_days,
           total_slip_days, state
    FROM moved
    WHERE forecast_after > forecast_before
    ORDER BY slip_days DESC, project_id, milestone_id
    """
    return db.frame(con, q, [before, after, *pparams, *dparams])
