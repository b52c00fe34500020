"""Earned value (PMI Practice Standard for EVM) and Earned Schedule (Lipke; ISO 21508), per project.

Everything comes from one snapshot (as_of; performance.performance_history runs the same status query
at every snapshot). Periods are months (budget_lines.period, first of month); a project's period 1 is
its first budget period, and its timeline runs without gaps to the as_of month.
    PV(t) = cumulative budget_lines.budget, all categories, through period t; missing when no budget
            is reported through t (an unreported value is never 0; without BAC, PV is still shown)
    AC(t) = cumulative budget_lines.consumed through period t; missing when no consumed value is
            reported through t (then CPI, CV, every EAC and TCPI are missing too)
    EV(t) = percent_complete(t) / 100 x BAC, BAC = projects.bac; a month without a progress row carries
            the last reported percent forward (a report before period 1 carries into it). Missing
            progress is not 0% complete: up to a project's first report (in evm, no report up to the
            status month; in evm_series, the months before the first one) percent_complete, EV and all
            made from them (CV, SV, CPI, SPI, ES, SV(t), SPI(t), every EAC, TCPI, IEAC(t)) are missing
            and progress_reported is FALSE. (Before issue 13 a 0% report at period 1 stood for it.)
Cost and schedule indices: CV = EV - AC, SV = EV - PV, CPI = EV / AC, SPI = EV / PV.
cpi_3m = (EV(t) - EV(t-3)) / (AC(t) - AC(t-3)), the CPI of the last 3 months (EV and AC before period 1
are 0; missing when no progress, or no consumed value, was reported by period t-3).
Forecasts: eac = eac_cpi = BAC / CPI (the default EAC: the cost efficiency so far persists);
eac_remaining_at_budget = AC + (BAC - EV) (the remaining work at planned cost);
eac_cpi_spi = AC + (BAC - EV) / (CPI x SPI) (cost and schedule pressure both persist);
eac_cpi_3m = AC + (BAC - EV) / cpi_3m (the last 3 months' cost efficiency persists);
ETC = EAC - AC; VAC = BAC - EAC; tcpi = (BAC - EV) / (BAC - AC) (efficiency needed to finish on BAC),
missing once AC >= BAC (never negative); tcpi_achievable = FALSE when work is left (EV < BAC) but
BAC is spent (AC >= BAC), TRUE otherwise (missing without EV or BAC);
tcpi_eac = (BAC - EV) / (EAC - AC) (efficiency needed to finish on EAC; equals CPI for EAC = BAC/CPI).
eac_unrealistic = TCPI - CPI > TCPI_MARGIN (finishing on BAC needs more efficiency than achieved so
far; a favourable gap never flags), TRUE when tcpi_achievable is FALSE; FALSE when complete, closed,
cancelled, or without CPI or TCPI. forecast = the sum of budget_lines.forecast over all periods at the
snapshot (the bottom-up forecast); eac_gap_pct = 100 x (eac - forecast) / forecast; eac_gap_flag =
|eac_gap_pct| > EAC_GAP_PCT.
Earned Schedule: PD = the period at which cumulative PV reaches BAC (the last budget period when it never
does); ES = C + (EV - PV(C)) / (PV(C+1) - PV(C)) with C the last period whose PV(C) <= EV (PV(0) = 0),
ES = PD once EV >= BAC; AT = the status period index; sv_t = ES - AT; spi_t = ES / AT;
ieac_t = PD / spi_t (forecast duration in periods); forecast_finish = the month end of period
ceil(ieac_t), ieac_t rounded to 9 decimals first so float noise in a whole IEAC(t) adds no month (month
precision, like planned_finish = the month end of period PD).
Finish (Lipke: ES and AT freeze at the actual finish): a project finishes at the first period whose
reported percent_complete reaches 100; a closed project without a 100% report finishes at its last
progress report (its last reported state: the data holds no later finish). From that period on AT =
the finish period's index, ES = its ES (PD once 100%), SV(t) and SPI(t) are final, ieac_t = AT and
forecast_finish = actual_finish = the month end of the finish period (missing while unfinished).
Status (projects.status at the snapshot) applies from a closed or cancelled project's stop on: its
finish, else its last progress report, else the status month (evm's row always). closed: every EAC
(eac, eac_cpi, eac_remaining_at_budget, eac_cpi_spi, eac_cpi_3m) = AC, so ETC = 0 and VAC = BAC - AC;
TCPI, tcpi_eac and tcpi_achievable missing; eac_unrealistic FALSE. cancelled: no forecast at all: every
EAC, ETC, VAC, TCPI, tcpi_eac, tcpi_achievable, IEAC(t), forecast_finish and eac_gap_pct missing.
Every division by zero gives a missing value, never inf (a money divisor within a millionth of zero,
such as the difference of two equal sums, counts as zero).
"""
from __future__ import annotations

import pandas as pd

from pmo_analytics.metrics.scope import PROJECTS, SNAPSHOT, Scope
from pmo_analytics.store import connection as db

# eac_unrealistic flags a CPI-based EAC when the TCPI needed to finish on BAC exceeds the CPI achieved
# so far by more than this.
TCPI_MARGIN = 0.10
# eac_gap_flag: the EAC differs from the bottom-up forecast by more than this many percent.
EAC_GAP_PCT = 10.0
_CUMULATIVE = "earned value is cumulative to the status month (evm_series gives it month by month)"
ONE_SNAPSHOT = "SELECT CAST(? AS DATE) AS as_of"

_SERIES_COLUMNS = (
    "project_id", "period", "percent_complete", "bac", "pv", "ev", "ac", "cv", "sv", "cpi", "spi",
    "eac", "etc", "vac", "tcpi", "tcpi_eac", "es", "sv_t", "spi_t", "at", "pd", "ieac_t",
    "first_period", "planned_finish", "forecast_finish", "cpi_3m", "eac_cpi",
    "eac_remaining_at_budget", "eac_cpi_spi", "eac_unrealistic", "status", "progress_reported",
    "tcpi_achievable", "actual_finish", "eac_cpi_3m", "forecast", "eac_gap_pct", "eac_gap_flag",
)
_PROJECT_COLUMNS = ("name", "portfolio", "program", "department", "currency")
STATUS_COLUMNS = ("project_id", *_PROJECT_COLUMNS, *_SERIES_COLUMNS[1:])


def _index(month: str) -> str:
    """The period index (1 = first_period) of the month `month`, at least 1; missing when it is."""
    return (f"CASE WHEN {month} > pl.first_period THEN CAST(datediff('month', pl.first_period, {month}) + 1"
            f" AS INTEGER) WHEN {month} IS NOT NULL THEN 1 END")


def _base_ctes(snapshots: str, pcond: str) -> str:
    """CTEs shared by both queries (parameters: the snapshots', margin, gap, then the project filters').

    `s` lists the snapshots reported on; `k` numbers each (snapshot, project), so every later CTE keys
    on k alone. `points` holds a project's months that have budget lines, with cumulative PV and AC;
    the months in between carry the PV and AC of the point before them, so the PV curve needs no row
    per month. `steps` are the points (up to PD) where PV grows: the first step whose PV exceeds EV is
    period C + 1 of Earned Schedule, and the PV before it is PV(C). `proj` has one row per project
    with budget lines: its finish and stop period indices (see the module docstring).
    """
    return f"""
    s AS ({snapshots}),
    c AS (SELECT CAST(? AS DOUBLE) AS margin, CAST(? AS DOUBLE) AS gap_pct),
    p AS (
        -- k: an integer key, which joins and sorts faster than the text id
        SELECT CAST(row_number() OVER (ORDER BY p.as_of, p.project_id) AS INTEGER) AS k, p.as_of,
               CAST(date_trunc('month', p.as_of) AS DATE) AS status_month, p.project_id,
               {", ".join("p." + c for c in _PROJECT_COLUMNS)}, p.bac, p.status
        FROM projects p JOIN s ON p.as_of = s.as_of WHERE {pcond}
    ),
    lines AS (  -- all categories of a project's month together; money to the cent, so that the order
                -- a parallel sum adds in cannot change a report from one run to the next
        SELECT pj.k, pj.status_month, CAST(date_trunc('month', b.period) AS DATE) AS period,
               round(sum(coalesce(b.budget, 0)), 2) AS budget, round(sum(coalesce(b.consumed, 0)), 2) AS consumed,
               count(b.budget) AS n_budget, count(b.consumed) AS n_consumed, round(sum(b.forecast), 2) AS forecast
        FROM budget_lines b JOIN p pj ON pj.project_id = b.project_id AND pj.as_of = b.as_of
        GROUP BY ALL
    ),
    firsts AS (SELECT k, min(period) AS first_period, round(sum(forecast), 2) AS forecast FROM lines GROUP BY k),
    cumulative AS (
        SELECT k, period, budget, sum(budget) OVER w AS pv, sum(consumed) OVER w AS ac,
               sum(n_budget) OVER w AS n_pv, sum(n_consumed) OVER w AS n_ac,
               lead(period) OVER w AS next_period
        FROM lines
        WINDOW w AS (PARTITION BY k ORDER BY period)
    ),
    points AS (
        SELECT c.*, c.pv - c.budget AS pv_before, pj.bac, f.first_period,
               CAST(datediff('month', f.first_period, c.period) + 1 AS INTEGER) AS idx
        FROM cumulative c
        JOIN p pj ON pj.k = c.k
        JOIN firsts f ON f.k = c.k
    ),
    planned AS (  -- PD: the period where PV reaches BAC, else the last period with budget
        SELECT k, any_value(first_period) AS first_period,
               coalesce(min(idx) FILTER (WHERE budget > 0 AND pv >= bac - 0.005),
                        max(idx) FILTER (WHERE budget > 0)) AS pd
        FROM points GROUP BY k
    ),
    steps AS (
        SELECT pt.k, pt.idx, pt.pv, pt.pv_before
        FROM points pt JOIN planned pl ON pl.k = pt.k
        WHERE pt.budget > 0 AND pt.idx <= pl.pd
    ),
    prog AS (
        SELECT pj.k, pj.status_month, CAST(date_trunc('month', pr.period) AS DATE) AS period,
               pr.percent_complete
        FROM progress pr JOIN p pj ON pj.project_id = pr.project_id AND pj.as_of = pr.as_of
    ),
    ends AS (  -- up to the status month: the first report of 100% and the last report
        SELECT g.k, min(g.period) FILTER (WHERE g.percent_complete >= 100) AS first_full,
               max(g.period) AS last_report
        FROM prog g WHERE g.period <= g.status_month GROUP BY g.k
    ),
    proj AS (
        SELECT pl.k, pl.first_period, pl.pd, f.forecast, pj.bac, pj.status, pj.status_month,
               e.first_full IS NOT NULL AS reached_full,
               {_index("coalesce(e.first_full, CASE WHEN pj.status = 'closed' THEN e.last_report END)")}
                   AS finish_idx,
               CASE WHEN pj.status IN ('closed', 'cancelled')
                    THEN {_index("coalesce(e.first_full, e.last_report, pj.status_month)")} END AS stop_idx
        FROM planned pl JOIN p pj ON pj.k = pl.k JOIN firsts f ON f.k = pl.k LEFT JOIN ends e ON e.k = pl.k
    )"""


def nonzero(money: str) -> str:
    """`money` as a divisor: missing when it is zero up to rounding noise (a millionth of a unit), so
    a difference of two equal sums divides to a missing value, not to 0 or a huge ratio."""
    return f"(CASE WHEN abs({money}) > 1e-6 THEN {money} END)"


def _earned_schedule(relation: str) -> str:
    """SELECT adding `es` to the rows of `relation` (k, bac, pd, ev): the step whose PV first exceeds
    EV is period C + 1."""
    return f"""
        SELECT b.*,
               CASE WHEN b.pd IS NULL OR b.ev IS NULL THEN NULL
                    WHEN b.ev >= b.bac OR n.idx IS NULL THEN b.pd  -- complete: ES is capped at PD
                    -- n is period C + 1 <= PD, so PV(C) <= EV < PV(C+1) and 0 <= I < 1
                    ELSE n.idx - 1 + (b.ev - n.pv_before) / NULLIF(n.pv - n.pv_before, 0)
               END AS es
        FROM {relation} b
        ASOF LEFT JOIN steps n ON n.k = b.k AND b.ev + 1e-9 < n.pv"""


def _unless_ended(eac: str) -> str:
    """An EAC: AC once the project is closed, missing once cancelled (`ended`), else `eac`."""
    return f"CASE ended WHEN 'closed' THEN ac WHEN 'cancelled' THEN NULL ELSE {eac} END"


# Every index, from a relation `base` with k, first_period, idx, period, bac, pv, ac, percent_complete,
# ev, es, pd, ev_3 and ac_3 (EV and AC three periods earlier, 0 before period 1), progress_reported,
# and proj's columns. `finished`: on or after the finish; `ended`: the status once closed or cancelled.
_INDICES = f"""
    idx AS (
        SELECT *,
               ev - ac AS cv, ev - pv AS sv,
               ev / NULLIF(ac, 0) AS cpi, ev / NULLIF(pv, 0) AS spi,
               (ev - ev_3) / {nonzero("ac - ac_3")} AS cpi_3m,
               coalesce(idx >= finish_idx, FALSE) AS finished,
               CASE WHEN idx >= stop_idx THEN status END AS ended
        FROM base
    ),
    frozen AS (  -- Lipke: ES and AT stop at the actual finish
        SELECT * REPLACE (CASE WHEN finished AND reached_full AND bac IS NOT NULL THEN pd ELSE es END AS es),
               CASE WHEN finished THEN finish_idx ELSE idx END AS "at"
        FROM idx
    ),
    times AS (
        SELECT *, es - "at" AS sv_t, es / NULLIF("at", 0) AS spi_t FROM frozen
    ),
    fc AS (
        SELECT *,
               {_unless_ended("bac / NULLIF(cpi, 0)")} AS eac,
               {_unless_ended("bac / NULLIF(cpi, 0)")} AS eac_cpi,
               {_unless_ended("ac + (bac - ev)")} AS eac_remaining_at_budget,
               {_unless_ended("ac + (bac - ev) / NULLIF(cpi * spi, 0)")} AS eac_cpi_spi,
               {_unless_ended("ac + (bac - ev) / NULLIF(cpi_3m, 0)")} AS eac_cpi_3m,
               CASE WHEN ended IS NULL AND bac - ac > 1e-6 THEN (bac - ev) / (bac - ac) END AS tcpi,
               CASE WHEN ended IS NULL AND ev IS NOT NULL AND bac IS NOT NULL
                    THEN ev >= bac OR bac - ac > 1e-6 END AS tcpi_achievable,
               CASE WHEN ended = 'cancelled' THEN NULL
                    WHEN finished THEN "at"  -- the actual duration (= PD / SPI(t) once ES = PD)
                    WHEN ended = 'closed' THEN NULL  -- closed without a finish: no duration to give
                    ELSE pd / NULLIF(spi_t, 0)
               END AS ieac_t
        FROM times
    ),
    final AS (
        SELECT fc.*, pj.as_of, pj.project_id, {{project_columns}},
               eac - ac AS etc, fc.bac - eac AS vac,
               (fc.bac - ev) / {nonzero("eac - ac")} AS tcpi_eac,
               CASE WHEN ended IS NOT NULL OR ev IS NULL OR ev >= fc.bac THEN FALSE  -- nothing to judge
                    WHEN NOT tcpi_achievable THEN TRUE     -- BAC spent, work left: no CPI can make it
                    WHEN cpi IS NULL OR tcpi IS NULL THEN FALSE  -- no cost yet: no evidence
                    ELSE tcpi - cpi > c.margin  -- only an unfavourable gap flags
               END AS eac_unrealistic,
               100 * (eac - fc.forecast) / {nonzero("fc.forecast")} AS eac_gap_pct,
               coalesce(abs(100 * (eac - fc.forecast) / {nonzero("fc.forecast")}) > c.gap_pct, FALSE)
                   AS eac_gap_flag,
               last_day(first_period + to_months(CAST(pd - 1 AS INTEGER))) AS planned_finish,
               last_day(first_period + to_months(CAST(ceil(round(ieac_t, 9)) - 1 AS INTEGER)))
                   AS forecast_finish,
               CASE WHEN finished THEN last_day(first_period + to_months(CAST(finish_idx - 1 AS INTEGER)))
               END AS actual_finish
        FROM fc
        JOIN p pj ON pj.k = fc.k,
             c
    )"""

def _reported(total: str, count: str) -> str:
    """The cumulative `total` when `count` values were reported into it, else missing: a sum of no
    reported values is not 0."""
    return f"(CASE WHEN {count} > 0 THEN {total} END)"


# The status month only: sums and last values up to it, and up to three months before for cpi_3m.
_STATUS_BASE = f"""
    status AS (
        SELECT pr.*, pr.status_month AS period,
               CAST(datediff('month', pr.first_period, pr.status_month) + 1 AS INTEGER) AS idx,
               {_reported("l.pv", "l.n_pv")} AS pv, {_reported("l.ac", "l.n_ac")} AS ac,
               CASE WHEN idx > 3 THEN {_reported("l.ac_3", "l.n_ac_3")} ELSE 0 END AS ac_3,
               g.percent_complete, g.percent_complete * pr.bac / 100 AS ev,
               CASE WHEN idx > 3 THEN g.percent_complete_3 * pr.bac / 100 ELSE 0 END AS ev_3,
               g.k IS NOT NULL AS progress_reported
        FROM proj pr
        LEFT JOIN (
            SELECT l.k, round(sum(l.budget), 2) AS pv, round(sum(l.consumed), 2) AS ac, sum(l.n_budget) AS n_pv,
                   sum(l.n_consumed) AS n_ac,
                   round(sum(l.consumed) FILTER (WHERE l.period <= l.status_month - INTERVAL 3 MONTH), 2) AS ac_3,
                   sum(l.n_consumed) FILTER (WHERE l.period <= l.status_month - INTERVAL 3 MONTH) AS n_ac_3
            FROM lines l WHERE l.period <= l.status_month GROUP BY l.k
        ) l ON l.k = pr.k
        LEFT JOIN (
            SELECT g.k, arg_max(g.percent_complete, g.period) AS percent_complete,
                   arg_max(g.percent_complete, g.period)
                       FILTER (WHERE g.period <= g.status_month - INTERVAL 3 MONTH) AS percent_complete_3
            FROM prog g WHERE g.period <= g.status_month GROUP BY g.k
        ) g ON g.k = pr.k
        WHERE pr.first_period <= pr.status_month
    ),
    base AS ({_earned_schedule("status")}
    )"""


def _until(row: str, status_month: str) -> str:
    """How many months `row` (period, next_period) spreads over: to the next one, at most to the
    status month."""
    end = f"{status_month} + INTERVAL 1 MONTH"
    return f"datediff('month', {row}.period, least(coalesce({row}.next_period, {end}), {end}))"


# Every month from period 1 to the status month. Budget months and progress reports are spread over
# the months up to the next one, so PV, AC, progress and Earned Schedule are carried forward without
# a join per month; ES is searched once per report, not once per month. Months before the first
# report have no progress (the LEFT JOIN in `months`).
_SERIES_BASE = f"""
    spine AS (
        SELECT * EXCLUDE (i, period), CAST(period + to_months(CAST(i AS INTEGER)) AS DATE) AS period
        FROM (SELECT pr.*, r.period, {_reported("r.pv", "r.n_pv")} AS pv,
                     {_reported("r.ac", "r.n_ac")} AS ac,
                     unnest(range(0, {_until("r", "pr.status_month")})) AS i
              FROM points r JOIN proj pr ON pr.k = r.k
              WHERE r.period <= pr.status_month)
    ),
    reported AS (
        SELECT g.k, g.period, g.percent_complete, g.percent_complete * pr.bac / 100 AS ev, pr.bac,
               pr.pd, pr.status_month, lead(g.period) OVER (PARTITION BY g.k ORDER BY g.period) AS next_period
        FROM prog g JOIN proj pr ON pr.k = g.k
    ),
    reported_es AS ({_earned_schedule("reported")}
    ),
    carried AS (
        SELECT k, percent_complete, ev, es, CAST(period + to_months(CAST(i AS INTEGER)) AS DATE) AS period
        FROM (SELECT r.*, unnest(range(0, {_until("r", "r.status_month")})) AS i FROM reported_es r
              WHERE r.period <= r.status_month)
    ),
    months AS (
        SELECT sp.*, CAST(datediff('month', sp.first_period, sp.period) + 1 AS INTEGER) AS idx,
               c.percent_complete, c.ev, c.es, c.k IS NOT NULL AS progress_reported
        FROM spine sp
        LEFT JOIN carried c ON c.k = sp.k AND c.period = sp.period
    ),
    base AS (
        SELECT m.*, CASE WHEN m.idx > 3 THEN t.ev ELSE 0 END AS ev_3,
               CASE WHEN m.idx > 3 THEN t.ac ELSE 0 END AS ac_3
        FROM months m
        LEFT JOIN months t ON t.k = m.k AND t.idx = m.idx - 3
    )"""


def status_rows(con, scope: Scope, snapshots: str, snapshot_params: list, columns: tuple[str, ...],
                tcpi_margin: float = TCPI_MARGIN) -> pd.DataFrame:
    """evm's status-month rows at every snapshot `snapshots` selects (SQL giving `as_of`, with its
    parameters), in one query; `columns` from STATUS_COLUMNS and as_of. Used by evm and
    performance_history."""
    return _evm_frame(con, scope, _STATUS_BASE, columns, snapshots, snapshot_params, tcpi_margin)


def _evm_frame(con, scope: Scope, base: str, columns, snapshots: str, snapshot_params: list,
               tcpi_margin, wcond: str = "TRUE", wparams=()) -> pd.DataFrame:
    """Runs the EVM / Earned Schedule query over `base` (_STATUS_BASE or _SERIES_BASE)."""
    pcond, pparams = scope.projects("p")
    indices = _INDICES.format(project_columns=", ".join("pj." + c for c in _PROJECT_COLUMNS))
    select = ", ".join(f'"{c}"' for c in columns)
    q = f"""
    WITH {_base_ctes(snapshots, pcond)},
    {base},
    {indices}
    SELECT {select} FROM final WHERE {wcond} ORDER BY k, period
    """
    params = [*snapshot_params, tcpi_margin, EAC_GAP_PCT, *pparams, *wparams]
    return db.frame(con, q, params)


def evm_series(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
               period_from=None, period_to=None, tcpi_margin: float = TCPI_MARGIN) -> pd.DataFrame:
    """EVM and Earned Schedule per project and month, from its first budget period to the as_of month.

    Each row is computed as if that month were the status date (AT = its period index), from this
    snapshot's data: after a project's finish the rows carry its frozen ES, AT, SV(t), SPI(t) and
    actual_finish, and a closed or cancelled project's rows from its stop on follow its status; months
    before its first progress report have no EV. See the module docstring for the formulas. Takes
    every filter: period_from / period_to only choose which rows are shown; cumulative values always
    start at the project's period 1.
    """
    scope = Scope.of(con, "evm_series", as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    wcond, wparams = scope.periods("period")
    return _evm_frame(con, scope, _SERIES_BASE, _SERIES_COLUMNS, ONE_SNAPSHOT, [scope.as_of], tcpi_margin,
                      wcond, wparams)


def evm(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
        period_from=None, period_to=None, tcpi_margin: float = TCPI_MARGIN) -> pd.DataFrame:
    """EVM and Earned Schedule per project at the status date (the as_of month), with name, portfolio
    and status.

    Takes as_of and the project filters; period_from / period_to are a UsageError (earned value is
    cumulative to the status month: evm_series has the months). Projects without budget lines, or whose
    first budget period is after the as_of month, have no status row.
    """
    scope = Scope.of(con, "evm", honours=SNAPSHOT + PROJECTS, why=_CUMULATIVE, as_of=as_of,
                     portfolio=portfolio, program=program, department=department,
                     project_ids=project_ids, period_from=period_from, period_to=period_to)
    return status_rows(con, scope, ONE_SNAPSHOT, [scope.as_of], STATUS_COLUMNS, tcpi_margin)
