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
Every division by zero gives a missing value, never inf (a money divisor within a millionth of zero,
such as the difference of two equal sums, counts as zero).
"""
from __future__ import annotations

import pandas as pd

from pmo_analytics.metrics.scope import PROJECTS, SNAPSHOT, Scope
from pmo_analytics.store import connection as db

# eac_unrealistic flags a CPI-based EAC when the TCPI needed to finish on BAC differs from the CPI
# achieved so far by more than this.
TCPI_MARGIN = 0.10
_CUMULATIVE = "earned value is cumulative to the status month (evm_series gives it month by month)"

_SERIES_COLUMNS = (
    "project_id", "period", "percent_complete", "bac", "pv", "ev", "ac", "cv", "sv", "cpi", "spi",
    "eac", "etc", "vac", "tcpi", "tcpi_eac", "es", "sv_t", "spi_t", "at", "pd", "ieac_t",
    "first_period", "planned_finish", "forecast_finish", "cpi_3m", "eac_cpi",
    "eac_remaining_at_budget", "eac_cpi_spi", "eac_unrealistic",
)
_PROJECT_COLUMNS = ("name", "portfolio", "program", "department", "currency")


def _base_ctes(pcond: str) -> str:
    """CTEs shared by both queries (parameters: as_of, as_of, margin, then the project filters').

    `points` holds a project's months that have budget lines, with cumulative PV and AC; the months
    in between carry the PV and AC of the point before them, so the PV curve needs no row per month.
    `steps` are the points (up to PD) where PV grows: the first step whose PV exceeds EV is period C + 1
    of Earned Schedule, and the PV before it is PV(C).
    """
    return f"""
    s AS (
        SELECT CAST(? AS DATE) AS as_of,
               CAST(date_trunc('month', CAST(? AS DATE)) AS DATE) AS status_month,
               CAST(? AS DOUBLE) AS margin
    ),
    p AS (
        -- k: an integer key, which joins and sorts faster than the text id
        SELECT CAST(row_number() OVER (ORDER BY p.project_id) AS INTEGER) AS k,
               p.project_id, {", ".join("p." + c for c in _PROJECT_COLUMNS)}, p.bac
        FROM projects p, s WHERE p.as_of = s.as_of AND {pcond}
    ),
    lines AS (  -- all categories of a project's month together
        SELECT pj.k, CAST(date_trunc('month', b.period) AS DATE) AS period,
               sum(coalesce(b.budget, 0)) AS budget, sum(coalesce(b.consumed, 0)) AS consumed
        FROM budget_lines b JOIN p pj ON pj.project_id = b.project_id, s
        WHERE b.as_of = s.as_of
        GROUP BY ALL
    ),
    cumulative AS (
        SELECT *, sum(budget) OVER w AS pv, sum(consumed) OVER w AS ac,
               lead(period) OVER w AS next_period
        FROM lines
        WINDOW w AS (PARTITION BY k ORDER BY period)
    ),
    points AS (
        SELECT c.*, c.pv - c.budget AS pv_before, pj.bac, f.first_period,
               CAST(datediff('month', f.first_period, c.period) + 1 AS INTEGER) AS idx
        FROM cumulative c
        JOIN p pj ON pj.k = c.k
        JOIN (SELECT k, min(period) AS first_period FROM lines GROUP BY k) f ON f.k = c.k
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
        SELECT pj.k, CAST(date_trunc('month', pr.period) AS DATE) AS period, pr.percent_complete
        FROM progress pr JOIN p pj ON pj.project_id = pr.project_id, s
        WHERE pr.as_of = s.as_of
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


# Every index, from a relation `base` with k, first_period, idx, period, bac, pv, ac,
# percent_complete, ev, es, pd, ev_3 and ac_3 (EV and AC three periods earlier, 0 before period 1).
_INDICES = f"""
    idx AS (
        SELECT *,
               ev - ac AS cv, ev - pv AS sv,
               ev / NULLIF(ac, 0) AS cpi, ev / NULLIF(pv, 0) AS spi,
               (ev - ev_3) / {nonzero("ac - ac_3")} AS cpi_3m,
               idx AS "at",
               es - idx AS sv_t, es / NULLIF(idx, 0) AS spi_t
        FROM base
    ),
    fc AS (
        SELECT *,
               bac / NULLIF(cpi, 0) AS eac,
               bac / NULLIF(cpi, 0) AS eac_cpi,
               ac + (bac - ev) AS eac_remaining_at_budget,
               ac + (bac - ev) / NULLIF(cpi * spi, 0) AS eac_cpi_spi,
               (bac - ev) / {nonzero("bac - ac")} AS tcpi,
               pd / NULLIF(spi_t, 0) AS ieac_t
        FROM idx
    ),
    final AS (
        SELECT fc.*, pj.project_id, {{project_columns}}, s.status_month,
               eac - ac AS etc, fc.bac - eac AS vac,
               (fc.bac - ev) / {nonzero("eac - ac")} AS tcpi_eac,
               CASE WHEN ev >= fc.bac THEN FALSE        -- complete: nothing left to forecast
                    WHEN fc.bac - ac <= 0 THEN TRUE     -- BAC spent, work left: no CPI can make it
                    WHEN cpi IS NULL OR tcpi IS NULL THEN FALSE  -- no cost yet: no evidence
                    ELSE abs(tcpi - cpi) > s.margin
               END AS eac_unrealistic,
               last_day(first_period + to_months(CAST(pd - 1 AS INTEGER))) AS planned_finish,
               last_day(first_period + to_months(CAST(ceil(ieac_t) - 1 AS INTEGER))) AS forecast_finish
        FROM fc
        JOIN p pj ON pj.k = fc.k,
             s
    )"""

# The status month only: sums and last values up to it, and up to three months before for cpi_3m.
_STATUS_BASE = f"""
    status AS (
        SELECT pl.k, pl.first_period, pl.pd, pj.bac, s.status_month AS period,
               CAST(datediff('month', pl.first_period, s.status_month) + 1 AS INTEGER) AS idx,
               coalesce(l.pv, 0) AS pv, coalesce(l.ac, 0) AS ac,
               CASE WHEN idx > 3 THEN coalesce(l.ac_3, 0) ELSE 0 END AS ac_3,
               coalesce(g.percent_complete, 0) AS percent_complete,
               coalesce(g.percent_complete, 0) * pj.bac / 100 AS ev,
               CASE WHEN idx > 3 THEN coalesce(g.percent_complete_3, 0) * pj.bac / 100 ELSE 0 END
                   AS ev_3
        FROM planned pl
        JOIN p pj ON pj.k = pl.k
        CROSS JOIN s
        LEFT JOIN (
            SELECT l.k, sum(l.budget) AS pv, sum(l.consumed) AS ac,
                   sum(l.consumed) FILTER (WHERE l.period <= s.status_month - INTERVAL 3 MONTH) AS ac_3
            FROM lines l, s WHERE l.period <= s.status_month GROUP BY l.k
        ) l ON l.k = pl.k
        LEFT JOIN (
            SELECT g.k, arg_max(g.percent_complete, g.period) AS percent_complete,
                   arg_max(g.percent_complete, g.period)
                       FILTER (WHERE g.period <= s.status_month - INTERVAL 3 MONTH) AS percent_complete_3
            FROM prog g, s WHERE g.period <= s.status_month GROUP BY g.k
        ) g ON g.k = pl.k
        WHERE pl.first_period <= s.status_month
    ),
    base AS ({_earned_schedule("status")}
    )"""

# Every month from period 1 to the status month. Budget months and progress reports are spread over
# the months up to the next one, so PV, AC, progress and Earned Schedule are carried forward without
# a join per month; ES is searched once per report, not once per month.
_UNTIL = ("datediff('month', r.period, least(coalesce(r.next_period, s.status_month + INTERVAL 1 MONTH),"
          " s.status_month + INTERVAL 1 MONTH))")
_SERIES_BASE = f"""
    spine AS (
        SELECT k, first_period, pd, bac, pv, ac,
               CAST(period + to_months(CAST(i AS INTEGER)) AS DATE) AS period
        FROM (
            SELECT r.*, pl.pd, unnest(range(0, {_UNTIL})) AS i
            FROM points r JOIN planned pl ON pl.k = r.k, s
            WHERE r.period <= s.status_month
        )
    ),
    reports AS (
        SELECT k, period, percent_complete FROM prog
        UNION ALL  -- before the first report progress is 0: a zero report at period 1 stands for it
        SELECT pl.k, pl.first_period, 0 FROM planned pl
        WHERE NOT EXISTS (SELECT 1 FROM prog g WHERE g.k = pl.k AND g.period <= pl.first_period)
    ),
    reported AS (
        SELECT g.k, g.period, g.percent_complete, g.percent_complete * pj.bac / 100 AS ev, pj.bac,
               pl.pd, lead(g.period) OVER (PARTITION BY g.k ORDER BY g.period) AS next_period
        FROM reports g JOIN p pj ON pj.k = g.k JOIN planned pl ON pl.k = g.k
    ),
    reported_es AS ({_earned_schedule("reported")}
    ),
    carried AS (
        SELECT k, percent_complete, ev, es, CAST(period + to_months(CAST(i AS INTEGER)) AS DATE) AS period
        FROM (SELECT r.*, unnest(range(0, {_UNTIL})) AS i FROM reported_es r, s
              WHERE r.period <= s.status_month)
    ),
    months AS (
        SELECT sp.*, CAST(datediff('month', sp.first_period, sp.period) + 1 AS INTEGER) AS idx,
               c.percent_complete, c.ev, c.es
        FROM spine sp
        JOIN carried c ON c.k = sp.k AND c.period = sp.period
    ),
    base AS (
        SELECT m.*, coalesce(t.ev, 0) AS ev_3, coalesce(t.ac, 0) AS ac_3
        FROM months m
        LEFT JOIN months t ON t.k = m.k AND t.idx = m.idx - 3
    )"""


def _evm_frame(con, scope: Scope, status_only: bool, tcpi_margin) -> pd.DataFrame:
    """Runs the EVM / Earned Schedule query: every period to as_of, or only the as_of month."""
    pcond, pparams = scope.projects("p")
    if status_only:
        base, wcond, wparams = _STATUS_BASE, "TRUE", []
        columns = ("project_id", *_PROJECT_COLUMNS, *_SERIES_COLUMNS[1:])
    else:
        wcond, wparams = scope.periods("period")
        base, columns = _SERIES_BASE, _SERIES_COLUMNS
    indices = _INDICES.format(project_columns=", ".join("pj." + c for c in _PROJECT_COLUMNS))
    select = ", ".join(f'"{c}"' for c in columns)
    q = f"""
    WITH {_base_ctes(pcond)},
    {base},
    {indices}
    SELECT {select} FROM final WHERE {wcond} ORDER BY k, period
    """
    params = [scope.as_of, scope.as_of, tcpi_margin, *pparams, *wparams]
    return db.frame(con, q, params)


def evm_series(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
               period_from=None, period_to=None, tcpi_margin: float = TCPI_MARGIN) -> pd.DataFrame:
    """EVM and Earned Schedule per project and month, from its first budget period to the as_of month.

    Each row is computed as if that month were the status date (AT = its period index). See the module
    docstring for the formulas. Takes every filter: period_from / period_to only choose which rows are
    shown; cumulative values always start at the project's period 1.
    """
    scope = Scope.of(con, "evm_series", as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    return _evm_frame(con, scope, False, tcpi_margin)


def evm(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
        period_from=None, period_to=None, tcpi_margin: float = TCPI_MARGIN) -> pd.DataFrame:
    """EVM and Earned Schedule per project at the status date (the as_of month), with name and portfolio.

    Takes as_of and the project filters; period_from / period_to are a UsageError (earned value is
    cumulative to the status month: evm_series has the months). Projects without budget lines, or whose
    first budget period is after the as_of month, have no status row.
    """
    scope = Scope.of(con, "evm", honours=SNAPSHOT + PROJECTS, why=_CUMULATIVE, as_of=as_of,
                     portfolio=portfolio, program=program, department=department,
                     project_ids=project_ids, period_from=period_from, period_to=period_to)
    return _evm_frame(con, scope, True, tcpi_margin)
