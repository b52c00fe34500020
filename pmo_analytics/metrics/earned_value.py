"""Earned value (PMI Practice Standard for EVM) and Earned Schedule (Lipke; ISO 21508), per project.

Everything comes from one snapshot (as_of). Periods are months (budget_lines.period, first of month);
a project's period 1 is its first budget period, and its timeline runs without gaps to the as_of month.
    PV(t) = cumulative budget_lines.budget, all categories, through period t
    AC(t) = cumulative budget_lines.consumed through period t
    EV(t) = percent_complete(t) / 100 x BAC, BAC = projects.bac; a month without a progress row carries
            the last reported percent forward (0 before the first report).
Cost and schedule indices: CV = EV - AC, SV = EV - PV, CPI = EV / AC, SPI = EV / PV.
Forecasts: eac = eac_cpi = BAC / CPI (the default EAC: the cost efficiency so far persists);
eac_remaining_at_budget = AC + (BAC - EV) (the remaining work at planned cost);
eac_cpi_spi = AC + (BAC - EV) / (CPI x SPI) (cost and schedule pressure both persist);
ETC = EAC - AC; VAC = BAC - EAC; tcpi = (BAC - EV) / (BAC - AC) (efficiency needed to finish on BAC);
tcpi_eac = (BAC - EV) / (EAC - AC) (efficiency needed to finish on EAC; equals CPI for EAC = BAC/CPI).
cpi_3m = (EV(t) - EV(t-3)) / (AC(t) - AC(t-3)), the CPI of the last 3 months (values before period 1 are 0).
Earned Schedule: PD = the period at which cumulative PV reaches BAC (the last budget period when it never
does); ES = C + (EV - PV(C)) / (PV(C+1) - PV(C)) with C the last period whose PV(C) <= EV (PV(0) = 0),
ES = PD once EV >= BAC; AT = the status period index; sv_t = ES - AT; spi_t = ES / AT;
ieac_t = PD / spi_t (forecast duration in periods); forecast_finish = the month end of period
ceil(ieac_t) (month precision, like planned_finish = the month end of period PD).
Every division by zero gives a missing value, never inf.
"""
from __future__ import annotations

import pandas as pd

from .. import db, filters

# eac_unrealistic flags a CPI-based EAC when the TCPI needed to finish on BAC differs from the CPI
# achieved so far by more than this.
TCPI_MARGIN = 0.10

_SERIES_COLUMNS = (
    "project_id", "period", "percent_complete", "bac", "pv", "ev", "ac", "cv", "sv", "cpi", "spi",
    "eac", "etc", "vac", "tcpi", "tcpi_eac", "es", "sv_t", "spi_t", "at", "pd", "ieac_t",
    "first_period", "planned_finish", "forecast_finish", "cpi_3m", "eac_cpi",
    "eac_remaining_at_budget", "eac_cpi_spi", "eac_unrealistic",
)
_PROJECT_COLUMNS = ("name", "portfolio", "program", "department", "currency")


def _evm_frame(con, status_only: bool, as_of, portfolio, program, department, project_ids,
               period_from, period_to, tcpi_margin) -> pd.DataFrame:
    """Runs the EVM / Earned Schedule query: every period to as_of, or only the as_of month."""
    snapshot = filters.resolve_as_of(con, as_of)
    pcond, pparams = filters.project_where("p", portfolio, program, department, project_ids)
    if status_only:  # Earned Schedule is searched for the status month only; the rest feed cpi_3m's lag
        wcond, wparams, needed = "period = status_month", [], "period = (SELECT status_month FROM s)"
        columns = ("project_id", *_PROJECT_COLUMNS, *_SERIES_COLUMNS[1:])
    else:
        wcond, wparams = filters.period_where("period", period_from, period_to)
        needed = "TRUE"
        columns = _SERIES_COLUMNS
    select = ", ".join(f'"{c}"' for c in columns)
    q = f"""
    WITH s AS (
        SELECT CAST(? AS DATE) AS as_of,
               CAST(date_trunc('month', CAST(? AS DATE)) AS DATE) AS status_month,
               CAST(? AS DOUBLE) AS margin
    ),
    p AS (
        SELECT p.project_id, {", ".join("p." + c for c in _PROJECT_COLUMNS)}, p.bac
        FROM projects p, s WHERE p.as_of = s.as_of AND {pcond}
    ),
    lines AS (  -- all categories of a project's month together
        SELECT b.project_id, CAST(date_trunc('month', b.period) AS DATE) AS period,
               sum(coalesce(b.budget, 0)) AS budget, sum(coalesce(b.consumed, 0)) AS consumed
        FROM budget_lines b, s
        WHERE b.as_of = s.as_of AND b.project_id IN (SELECT project_id FROM p)
        GROUP BY ALL
    ),
    bounds AS (
        SELECT project_id, min(period) AS first_period, max(period) AS last_period FROM lines
        GROUP BY project_id
    ),
    spine AS (  -- every month from period 1 to the later of the last line and the status month
        SELECT project_id, first_period, CAST(i + 1 AS INTEGER) AS idx,
               CAST(first_period + to_months(CAST(i AS INTEGER)) AS DATE) AS period
        FROM (
            SELECT bo.project_id, bo.first_period,
                   unnest(range(0, datediff('month', bo.first_period,
                                            greatest(bo.last_period, s.status_month)) + 1)) AS i
            FROM bounds bo, s
        )
    ),
    curve AS (  -- cumulative PV and AC over the whole timeline (the PV curve is needed beyond as_of)
        SELECT sp.project_id, sp.first_period, sp.idx, sp.period, pj.bac,
               coalesce(l.budget, 0) AS budget,
               sum(coalesce(l.budget, 0)) OVER w AS pv,
               sum(coalesce(l.consumed, 0)) OVER w AS ac
        FROM spine sp
        JOIN p pj ON pj.project_id = sp.project_id
        LEFT JOIN lines l ON l.project_id = sp.project_id AND l.period = sp.period
        WINDOW w AS (PARTITION BY sp.project_id ORDER BY sp.idx
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ),
    planned AS (  -- PD: the period where PV reaches BAC, else the last period with budget
        SELECT project_id,
               coalesce(min(idx) FILTER (WHERE budget > 0 AND pv >= bac - 0.005),
                        max(idx) FILTER (WHERE budget > 0)) AS pd
        FROM curve GROUP BY project_id
    ),
    prog AS (
        SELECT pr.project_id, CAST(date_trunc('month', pr.period) AS DATE) AS period,
               pr.percent_complete
        FROM progress pr, s
        WHERE pr.as_of = s.as_of AND pr.project_id IN (SELECT project_id FROM p)
    ),
    series AS (  -- the periods up to the status month, with the last known progress carried forward
        SELECT c.project_id, c.first_period, c.idx, c.period, c.bac, c.pv, c.ac, pl.pd,
               coalesce(pg.percent_complete, 0) AS percent_complete,
               coalesce(pg.percent_complete, 0) * c.bac / 100 AS ev
        FROM curve c
        JOIN planned pl ON pl.project_id = c.project_id
        ASOF LEFT JOIN prog pg ON pg.project_id = c.project_id AND c.period >= pg.period
        WHERE c.period <= (SELECT status_month FROM s)
    ),
    steps AS (  -- the PV curve up to PD as steps: each distinct cumulative PV with its last period
        SELECT c.project_id, c.pv, max(c.idx) AS idx
        FROM curve c JOIN planned pl ON pl.project_id = c.project_id AND c.idx <= pl.pd
        GROUP BY c.project_id, c.pv
    ),
    es_c AS (  -- C: the last period (up to PD) whose cumulative PV <= EV; 0 when none (needed rows only)
        SELECT se.project_id, se.idx, coalesce(st.idx, 0) AS c
        FROM (SELECT * FROM series WHERE {needed}) se
        ASOF LEFT JOIN steps st ON st.project_id = se.project_id AND se.ev + 1e-9 >= st.pv
    ),
    es AS (
        SELECT se.*,
               CASE WHEN se.pd IS NULL OR se.ev IS NULL OR e.c IS NULL THEN NULL
                    WHEN se.ev >= se.bac OR e.c >= se.pd THEN se.pd  -- complete: ES is capped at PD
                    -- C < PD here, so PV(C) <= EV < PV(C+1) and 0 <= I < 1
                    ELSE e.c + (se.ev - coalesce(c0.pv, 0)) / NULLIF(c1.pv - coalesce(c0.pv, 0), 0)
               END AS es
        FROM series se
        LEFT JOIN es_c e ON e.project_id = se.project_id AND e.idx = se.idx
        LEFT JOIN curve c0 ON c0.project_id = se.project_id AND c0.idx = e.c
        LEFT JOIN curve c1 ON c1.project_id = se.project_id AND c1.idx = e.c + 1
    ),
    idx AS (
        SELECT *,
               ev - ac AS cv, ev - pv AS sv,
               ev / NULLIF(ac, 0) AS cpi, ev / NULLIF(pv, 0) AS spi,
               (ev - lag(ev, 3, 0) OVER w) / NULLIF(ac - lag(ac, 3, 0) OVER w, 0) AS cpi_3m,
               idx AS "at",
               es - idx AS sv_t, es / NULLIF(idx, 0) AS spi_t
        FROM es
        WINDOW w AS (PARTITION BY project_id ORDER BY idx)
    ),
    fc AS (
        SELECT *,
               bac / NULLIF(cpi, 0) AS eac,
               bac / NULLIF(cpi, 0) AS eac_cpi,
               ac + (bac - ev) AS eac_remaining_at_budget,
               ac + (bac - ev) / NULLIF(cpi * spi, 0) AS eac_cpi_spi,
               (bac - ev) / NULLIF(bac - ac, 0) AS tcpi,
               pd / NULLIF(spi_t, 0) AS ieac_t
        FROM idx
    ),
    final AS (
        SELECT fc.*, {", ".join("pj." + c for c in _PROJECT_COLUMNS)}, s.status_month,
               eac - ac AS etc, bac - eac AS vac,
               (bac - ev) / NULLIF(eac - ac, 0) AS tcpi_eac,
               CASE WHEN ev >= bac THEN FALSE           -- complete: nothing left to forecast
                    WHEN bac - ac <= 0 THEN TRUE        -- BAC spent, work left: no CPI can make it
                    WHEN cpi IS NULL OR tcpi IS NULL THEN FALSE  -- no cost yet: no evidence
                    ELSE abs(tcpi - cpi) > s.margin
               END AS eac_unrealistic,
               last_day(first_period + to_months(CAST(pd - 1 AS INTEGER))) AS planned_finish,
               last_day(first_period + to_months(CAST(ceil(ieac_t) - 1 AS INTEGER))) AS forecast_finish
        FROM fc
        JOIN (SELECT project_id AS pid, {", ".join(_PROJECT_COLUMNS)} FROM p) pj ON pj.pid = fc.project_id,
             s
    )
    SELECT {select} FROM final WHERE {wcond} ORDER BY project_id, period
    """
    params = [snapshot, snapshot, tcpi_margin, *pparams, *wparams]
    return db.frame(con, q, params)


def evm_series(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
               period_from=None, period_to=None, tcpi_margin: float = TCPI_MARGIN) -> pd.DataFrame:
    """EVM and Earned Schedule per project and month, from its first budget period to the as_of month.

    Each row is computed as if that month were the status date (AT = its period index). See the module
    docstring for the formulas. period_from / period_to only choose which rows are shown; cumulative
    values always start at the project's period 1.
    """
    return _evm_frame(con, False, as_of, portfolio, program, department, project_ids,
                      period_from, period_to, tcpi_margin)


def evm(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
        period_from=None, period_to=None, tcpi_margin: float = TCPI_MARGIN) -> pd.DataFrame:
    """EVM and Earned Schedule per project at the status date (the as_of month), with name and portfolio.

    The status date is always the as_of month: period_from / period_to are accepted for a uniform
    signature and ignored. Projects without budget lines, or whose first budget period is after the
    as_of month, have no status row.
    """
    return _evm_frame(con, True, as_of, portfolio, program, department, project_ids,
                      None, None, tcpi_margin)
