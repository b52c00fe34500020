"""Values a PMO would question before a director sees them (definitions.PLAUSIBLE): a project's
forecast against its budget, and its CPI where progress is reported. Warnings only, never errors: the
numbers may be right, but a 33,767% variance is more often a unit slip, a CPI of 40 a missing actual.

variance_pct = 100 x (total forecast - total budget) / total budget over the project's budget lines
(as metrics.budget_variance; a cancelled project has no variance and is not checked; the forecast is
the exported one, whatever the status, since the units of that column are what is questioned).
CPI = EV / AC as metrics.earned_value computes them at the status month, simplified: EV = the latest
percent_complete reported up to the as_of month x BAC / 100, AC = the consumed reported up to that
month (every period without an as_of). A project without a BAC, progress or consumed is not checked.
"""
from __future__ import annotations

from pmo_analytics.definitions import PLAUSIBLE, implausible
from pmo_analytics.problems import Problem

__all__ = ["check_plausibility"]


def check_plausibility(con, checks: dict, table, limit: int, as_of=None) -> list[Problem]:
    """Warnings for implausible variances and CPIs; `table(name, column)` gives a table's rows (this
    load's staged file, else the database's month) as in validation.snapshot.check_snapshot."""
    return _variance(con, checks, table, limit) + _cpi(con, checks, table, limit, as_of)


def _range(measure: str, unit: str = "") -> str:
    """The plausible range of `measure` as text: '-95%..+500%', '0.1..5'."""
    low, high = PLAUSIBLE[measure]
    sign = "+" if unit else ""
    return f"{low:{sign}g}{unit}..{high:{sign}g}{unit}"


def _capped(found: list[Problem], limit: int, file: str, what: str, column: str) -> list[Problem]:
    """The first `limit` warnings, and one saying how many more there are."""
    if len(found) <= limit:
        return found
    return found[:limit] + [Problem("warning", file, f"... and {len(found) - limit} more projects with {what}",
                                    column=column)]


def _variance(con, checks: dict, table, limit: int) -> list[Problem]:
    """Projects of this load's budget lines whose total forecast is implausibly far from their budget."""
    check = checks.get("budget_lines")
    if not check or not check.stg or not {"budget", "forecast"} <= set(check.mapping):
        return []
    projects, params = table("projects", "status")
    cancelled = (f"WHERE project_id NOT IN (SELECT project_id FROM {projects} WHERE status = 'cancelled' "
                 "AND project_id IS NOT NULL)" if projects else "")
    rows = con.sql(f"""
        WITH t AS (SELECT project_id, min(rowid) + 1 AS row, sum(budget) AS budget, sum(forecast) AS forecast
                   FROM {check.stg} WHERE project_id IS NOT NULL GROUP BY project_id)
        SELECT row, project_id, forecast / NULLIF(budget, 0) AS ratio,
               100 * (forecast - budget) / NULLIF(budget, 0) AS pct
        FROM t {cancelled} ORDER BY row, project_id""", params=params).fetchall()
    file, rng = str(check.source.path), _range("variance_pct", "%")
    found = []
    for row, pid, ratio, pct in rows:
        if not implausible("variance_pct", pct):
            continue
        size = f"{ratio:,.1f} times" if ratio >= 1 else f"{100 * ratio:,.1f}% of"
        found.append(Problem("warning", file, f"project {pid}: forecast is {size} the budget (variance "
                             f"{pct:+,.1f}%), outside the plausible range {rng}; check the units of budget "
                             "and forecast", row=row, column="forecast"))
    return _capped(found, limit, file, f"a forecast outside the plausible range {rng} of the budget", "forecast")


# Where a CPI warning is reported, by preference: (table, column, the project's row in it).
_CPI_WHERE = (("progress", "percent_complete", "arg_max(rowid, period)"), ("budget_lines", "consumed", "min(rowid)"),
              ("projects", "bac", "min(rowid)"))


def _cpi(con, checks: dict, table, limit: int, as_of) -> list[Problem]:
    """Projects whose CPI (EV = percent complete x BAC, AC = consumed to date) is implausible."""
    (projects, pp), (progress, gp), (lines, lp) = (table(*t) for t in (("projects", "bac"),
                                                                       ("progress", "percent_complete"),
                                                                       ("budget_lines", "consumed")))
    where = next(((n, col, agg) for n, col, agg in _CPI_WHERE if n in checks and checks[n].stg), None)
    if not (projects and progress and lines and where):
        return []
    name, column, agg = where
    upto = "date_trunc('month', period) <= date_trunc('month', CAST(? AS DATE))" if as_of else "TRUE"
    month = [as_of] if as_of else []
    rows = con.sql(f"""
        WITH ev AS (SELECT project_id, arg_max(percent_complete, period) AS pct FROM {progress}
                    WHERE percent_complete IS NOT NULL AND period IS NOT NULL AND {upto} GROUP BY project_id),
             ac AS (SELECT project_id, sum(consumed) AS ac FROM {lines} WHERE {upto} GROUP BY project_id),
             at_row AS (SELECT project_id, {agg} + 1 AS row FROM {checks[name].stg} GROUP BY project_id)
        SELECT r.row, p.project_id, p.bac, ev.pct, ac.ac, ev.pct * p.bac / 100 / NULLIF(ac.ac, 0) AS cpi
        FROM {projects} p JOIN ev USING (project_id) JOIN ac USING (project_id)
        LEFT JOIN at_row r USING (project_id)
        WHERE p.project_id IS NOT NULL ORDER BY r.row NULLS LAST, p.project_id""",
                   params=gp + month + lp + month + pp).fetchall()
    file, rng = str(checks[name].source.path), _range("cpi")
    to = f" to {as_of:%Y-%m}" if as_of else ""
    found = [Problem("warning", file, f"project {pid}: CPI {cpi:,.2f} (earned {ev_pct:g}% of bac {bac:,.2f} against "
                     f"{ac:,.2f} consumed{to}), outside the plausible range {rng}; check consumed, "
                     "percent_complete and bac", row=row, column=column)
             for row, pid, bac, ev_pct, ac, cpi in rows if implausible("cpi", cpi)]
    return _capped(found, limit, file, f"a CPI outside the plausible range {rng}", column)
