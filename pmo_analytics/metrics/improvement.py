"""The PMO's improvement KPIs over every snapshot, rated against the targets in kpis.toml.

Each KPI is declared once in `pmo_analytics/metrics/kpis.toml` (label, unit, direction, target, amber threshold,
help). `kpis()` computes every declared KPI for every snapshot up to as_of in ONE DuckDB query (each KPI
group aggregates all snapshots with GROUP BY as_of), so a 36-month sparkline costs one scan of each
table rather than 36 calls of the per-snapshot metrics; the budget and resource KPIs read the
per-snapshot summaries (summaries.py) instead of every budget line and allocation of every month.
The definitions are those of the per-snapshot metrics (budget_variance, evm, milestone_summary,
risk_ageing, resource_load), reused through their shared SQL fragments where they exist;
tests/test_metrics_improvement.py checks every KPI against the per-snapshot metric it summarises,
snapshot by snapshot.

RAG: when higher is better, green at or above target, amber at or above the amber threshold, red below;
when lower is better, mirrored. trend is the sign of the change since the previous snapshot;
improving says whether that change goes the desirable way.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pmo_analytics import packaged
from pmo_analytics.definitions import ACTIVE, STATE
from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics import scope as filters
from pmo_analytics.store import connection as db

# Every KPI the code computes, grouped by the tables one part of the query reads.
GROUPS = {
    "budget": ("within_budget_share", "cpi_median", "spi_median", "cpi_below_0_9_share",
               "forecast_accuracy"),
    "milestones": ("milestone_on_time_rate",),
    "risks": ("risk_closure_rate", "mean_risk_age_days"),
    "resources": ("over_allocated_resources",),
    "loads": ("data_quality_score",),
}
KPI_KEYS = tuple(k for keys in GROUPS.values() for k in keys)
MEASURES = ("cpi", "spi")  # kpi_distribution's choices
UNITS = ("%", "ratio", "days", "count", "score")

# within_budget_share: a forecast within this many % of budget counts as on budget.
BUDGET_TOLERANCE_PCT = 5.0
# cpi_below_0_9_share's threshold.
CPI_FLOOR = 0.9
# forecast_accuracy compares the closing actual with the forecast made at least this many months before.
ACCURACY_LOOKBACK_MONTHS = 3

COLUMNS = ("as_of", "kpi", "label", "unit", "value", "target", "amber", "higher_is_better", "rag",
           "previous_value", "change", "trend", "improving")
DISTRIBUTION_COLUMNS = ("as_of", "project_id", "name", "portfolio", "program", "department",
                        "measure", "value")

_FIELDS = {"label": str, "unit": str, "higher_is_better": bool, "target": (int, float),
           "amber": (int, float), "help": str}


@dataclass(frozen=True)
class KPI:
    """One KPI's definition, as declared in kpis.toml."""

    key: str
    label: str
    unit: str
    higher_is_better: bool
    target: float
    amber: float
    help: str

    def rag(self, value) -> str | None:
        """'green' / 'amber' / 'red' for a value (None when it is missing); the same rule as the SQL."""
        if value is None or pd.isna(value):
            return None
        sign = 1 if self.higher_is_better else -1
        if sign * value >= sign * self.target:
            return "green"
        return "amber" if sign * value >= sign * self.amber else "red"


def kpi_config(config=None) -> dict[str, KPI]:
    """The KPI definitions, key -> KPI, in file order: pmo_analytics/metrics/kpis.toml or the `config` path.

    Raises UsageError for an unknown key, a missing or mistyped field, or an amber threshold on the
    wrong side of the target.
    """
    if config is None:
        text = packaged.KPIS.read_text(encoding="utf-8")
        where = "kpis.toml"
    else:
        path = Path(config)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read the KPI config {str(path)[:200]}: {exc.strerror}") from None
        where = str(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{where}: not valid TOML: {exc}") from None
    out = {}
    for key, spec in raw.items():
        if key not in KPI_KEYS:
            raise UsageError(f"{where}: unknown KPI {key[:40]!r}; known: {', '.join(KPI_KEYS)}")
        if not isinstance(spec, dict):
            raise UsageError(f"{where}: [{key}] must be a table")
        for field, kind in _FIELDS.items():
            value = spec.get(field)
            if value is None or not isinstance(value, kind) or (kind != bool and isinstance(value, bool)):
                raise UsageError(f"{where}: [{key}] needs {field} ({getattr(kind, '__name__', 'number')})")
        if spec["unit"] not in UNITS:
            raise UsageError(f"{where}: [{key}] unit must be one of {', '.join(UNITS)}")
        kpi = KPI(key, spec["label"], spec["unit"], spec["higher_is_better"], float(spec["target"]),
                  float(spec["amber"]), " ".join(spec["help"].split()))
        if (kpi.amber > kpi.target) if kpi.higher_is_better else (kpi.amber < kpi.target):
            raise UsageError(f"{where}: [{key}] amber must be on the bad side of the target")
        out[key] = kpi
    return out


# ------------------------------------------------------------------------------------------- SQL
def evm_status_ctes() -> str:
    """CTEs `ev` and `evm`: each project's status-month EVM at each snapshot, from the project_status
    summary (see summaries.py).

    Needs a CTE `p(as_of, project_id, bac, ...)` of the projects wanted. The definitions are
    earned_value.evm's status row: PV / AC = budget / consumed of every period up to the status month,
    EV = the last reported percent_complete up to then (0 before the first) x BAC / 100, CPI = EV / AC,
    SPI = EV / PV, EAC = BAC / CPI; a project has a status row only when its first budget period is
    not after the status month. budget_variance's totals over all periods come along (budget,
    forecast, consumed, variance_pct). Shared with changes.py.
    """
    return """
    ev AS (
        SELECT p.*, s.budget, s.forecast, s.consumed,
               s.pv, s.ac,  -- both NULL when no budget period is up to the status month: no status row
               CASE WHEN s.pv IS NOT NULL THEN coalesce(s.percent_complete, 0) * p.bac / 100 END AS ev
        FROM p
        LEFT JOIN project_status s ON s.as_of = p.as_of AND s.project_id = p.project_id
    ),
    evm AS (
        SELECT *, ev / NULLIF(ac, 0) AS cpi, ev / NULLIF(pv, 0) AS spi,
               bac / NULLIF(ev / NULLIF(ac, 0), 0) AS eac,
               (forecast - budget) / NULLIF(budget, 0) * 100 AS variance_pct
        FROM ev
    )"""


def _group_sql(group: str, snapshot, pcond: str, pparams: list) -> tuple[str, list]:
    """(CTE text producing wide per-snapshot values `{group}_wide`, its parameters) for one KPI group.

    Every table is read with a constant `as_of <= snapshot`, so DuckDB skips row groups by zone map.
    """
    filtered = bool(pparams)
    if group == "budget":
        sql = f"""
    p AS (
        SELECT p.as_of, p.project_id, p.status, p.bac FROM projects p
        WHERE p.as_of <= ? AND {pcond}
    ),
    {evm_status_ctes().strip()},
    budget_kpis AS (
        SELECT as_of,
               100.0 * count(*) FILTER (WHERE abs(variance_pct) <= {BUDGET_TOLERANCE_PCT} + 1e-9)
                   / NULLIF(count(variance_pct), 0) AS within_budget_share,
               median(cpi) AS cpi_median,
               median(spi) AS spi_median,
               100.0 * count(*) FILTER (WHERE cpi < {CPI_FLOOR}) / NULLIF(count(cpi), 0)
                   AS cpi_below_0_9_share
        FROM evm WHERE status = 'active'
        GROUP BY as_of
    ),
    closed_now AS (  -- projects closed at a snapshot that were not closed at the one before
        SELECT e.as_of, e.project_id, s.ref_as_of, e.consumed AS actual
        FROM evm e
        JOIN snaps s ON s.as_of = e.as_of
        LEFT JOIN projects q ON q.as_of = s.prev_as_of AND q.project_id = e.project_id
        WHERE e.status = 'closed' AND s.prev_as_of IS NOT NULL AND s.ref_as_of IS NOT NULL
          AND q.status IS DISTINCT FROM 'closed'
    ),
    accuracy AS (
        SELECT n.as_of, 100 * (1 - abs(r.forecast - n.actual) / NULLIF(n.actual, 0)) AS acc
        FROM closed_now n
        JOIN evm r ON r.as_of = n.ref_as_of AND r.project_id = n.project_id
    ),
    budget_wide AS (
        SELECT s.as_of, k.within_budget_share, k.cpi_median, k.spi_median, k.cpi_below_0_9_share,
               a.forecast_accuracy
        FROM snaps s
        LEFT JOIN budget_kpis k ON k.as_of = s.as_of
        LEFT JOIN (SELECT as_of, avg(CASE WHEN acc < 0 THEN 0 ELSE acc END) AS forecast_accuracy
                   FROM accuracy GROUP BY as_of) a ON a.as_of = s.as_of
    )"""
        return sql, [snapshot, *pparams]
    if group == "milestones":
        sql = f"""
    milestones_wide AS (
        SELECT as_of,
               100.0 * count(*) FILTER (WHERE state = 'achieved_on_time')
                   / NULLIF(count(*) FILTER (WHERE state LIKE 'achieved%'), 0) AS milestone_on_time_rate
        FROM (
            SELECT m.as_of, {STATE} AS state
            FROM milestones m
            JOIN projects p ON p.as_of = m.as_of AND p.project_id = m.project_id
            WHERE m.as_of <= ? AND {pcond}
        )
        GROUP BY as_of
    )"""
        return sql, [snapshot, *pparams]
    if group == "risks":
        sql = f"""
    active_risks AS (  -- active risks of the filtered projects at each snapshot
        SELECT r.as_of, r.risk_id, r.raised_date
        FROM risks r
        JOIN projects p ON p.as_of = r.as_of AND p.project_id = r.project_id
        WHERE r.as_of <= ? AND {ACTIVE} AND {pcond}
    ),
    closure AS (  -- of the risks active at the previous snapshot, those now closed or occurred
        SELECT s.as_of,
               100.0 * count(*) FILTER (WHERE q.status IN ('closed', 'occurred'))
                   / NULLIF(count(*), 0) AS risk_closure_rate
        FROM snaps s
        JOIN active_risks a ON a.as_of = s.prev_as_of
        LEFT JOIN risks q ON q.as_of = s.as_of AND q.risk_id = a.risk_id AND q.as_of <= ?
        GROUP BY s.as_of
    ),
    risks_wide AS (
        SELECT s.as_of, c.risk_closure_rate, g.mean_risk_age_days
        FROM snaps s
        LEFT JOIN closure c ON c.as_of = s.as_of
        LEFT JOIN (SELECT as_of, avg(date_diff('day', raised_date, as_of)) AS mean_risk_age_days
                   FROM active_risks GROUP BY as_of) g ON g.as_of = s.as_of
    )"""
        return sql, [snapshot, *pparams, snapshot]
    if group == "resources":
        # From the resource_month summary (summaries.py): as resource_load, a person's load counts
        # every project; project filters choose the people (those with hours on the filtered
        # projects in the month). Snapshots without allocations in their month have no value.
        if filtered:
            people = f"""(
            SELECT DISTINCT m.as_of, m.resource_id, m.peak_planned, m.capacity
            FROM (SELECT as_of, resource_id, peak_planned, capacity, unnest(projects) AS project_id
                  FROM resource_month WHERE as_of <= ?) m
            JOIN projects p ON p.as_of = m.as_of AND p.project_id = m.project_id
            WHERE {pcond}
        )"""
        else:
            people = "(SELECT * FROM resource_month WHERE as_of <= ?)"
        sql = f"""
    resources_wide AS (
        SELECT as_of, count(*) FILTER (WHERE peak_planned > capacity) AS over_allocated_resources
        FROM {people}
        GROUP BY as_of
    )"""
        return sql, [snapshot, *pparams]
    sql = """
    loads_wide AS (
        SELECT l.as_of, l.quality_score AS data_quality_score
        FROM loads l WHERE l.as_of <= ?
    )"""
    return sql, [snapshot]


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def _matches_nothing(con, snapshot, pcond, pparams) -> bool:
    """True when project filters are given and match no project at any snapshot up to `snapshot`."""
    if not pparams:
        return False
    rows = con.sql(f"SELECT count(*) FROM projects p WHERE p.as_of <= ? AND {pcond}",
                   params=[snapshot, *pparams]).fetchall()
    return rows[0][0] == 0


def kpis(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
         period_from=None, period_to=None, config=None) -> pd.DataFrame:
    """Every KPI declared in the config for every snapshot up to as_of, rated, with its trend.

    One row per KPI and snapshot (all history, for sparklines), in config order then by date:
    as_of, kpi, label, unit, value, target, amber, higher_is_better, rag (missing when value is),
    previous_value (the previous snapshot's value), change, trend ('up'/'down'/'flat', missing when
    there is no previous value), improving (the change goes the desirable way; missing with trend).
    Project filters apply at each snapshot; data_quality_score is the whole load's. period_from /
    period_to choose which snapshots are shown (previous_value still looks back before them). Empty
    when there is no snapshot or the project filters match no project.
    """
    definitions = kpi_config(config)
    snapshot = filters.resolve_as_of(con, as_of)
    pcond, pparams = filters.project_where("p", portfolio, program, department, project_ids)
    scond, sparams = filters.period_where("as_of", period_from, period_to)
    if snapshot is None or not definitions or _matches_nothing(con, snapshot, pcond, pparams):
        return _empty(COLUMNS)
    ctes, params = [f"""
    snaps AS (
        SELECT s.as_of, lag(s.as_of) OVER (ORDER BY s.as_of) AS prev_as_of,
               (SELECT max(l.as_of) FROM loads l
                WHERE l.as_of <= last_day(s.as_of - INTERVAL {ACCURACY_LOOKBACK_MONTHS} MONTH))
                   AS ref_as_of
        FROM loads s WHERE s.as_of <= ?
    )"""], [snapshot]
    unpivots = []
    for group, keys in GROUPS.items():
        wanted = [k for k in keys if k in definitions]
        if not wanted:
            continue
        sql, group_params = _group_sql(group, snapshot, pcond, pparams)
        ctes.append(sql)
        params += group_params
        cols = ", ".join(f"CAST({k} AS DOUBLE) AS {k}" for k in wanted)
        unpivots.append(f"(UNPIVOT (SELECT as_of, {cols} FROM {group}_wide) "
                        f"ON {', '.join(wanted)} INTO NAME kpi VALUE value)")
    keys = list(definitions)
    defs = list(definitions.values())
    q = f"""
    WITH {",".join(ctes)},
    long AS ({" UNION ALL ".join(f"SELECT as_of, kpi, value FROM {u}" for u in unpivots)}),
    cfg AS (
        SELECT unnest(?::VARCHAR[]) AS kpi, unnest(?::INTEGER[]) AS ord, unnest(?::VARCHAR[]) AS label,
               unnest(?::VARCHAR[]) AS unit, unnest(?::DOUBLE[]) AS target,
               unnest(?::DOUBLE[]) AS amber, unnest(?::BOOLEAN[]) AS higher_is_better
    ),
    series AS (  -- (a self-join, not lag(): a window over the big aggregates runs 2x slower in DuckDB)
        SELECT s.as_of, c.*, l.value, b.value AS previous_value
        FROM snaps s
        CROSS JOIN cfg c
        LEFT JOIN long l ON l.as_of = s.as_of AND l.kpi = c.kpi
        LEFT JOIN long b ON b.as_of = s.prev_as_of AND b.kpi = c.kpi
    ),
    rated AS (
        SELECT *, value - previous_value AS change,
               CASE WHEN value IS NULL THEN NULL
                    WHEN (CASE WHEN higher_is_better THEN value ELSE -value END)
                         >= (CASE WHEN higher_is_better THEN target ELSE -target END) THEN 'green'
                    WHEN (CASE WHEN higher_is_better THEN value ELSE -value END)
                         >= (CASE WHEN higher_is_better THEN amber ELSE -amber END) THEN 'amber'
                    ELSE 'red' END AS rag
        FROM series
    )
    SELECT as_of, kpi, label, unit, value, target, amber, higher_is_better, rag, previous_value, change,
           CASE WHEN change IS NULL THEN NULL WHEN abs(change) <= 1e-9 THEN 'flat'
                WHEN change > 0 THEN 'up' ELSE 'down' END AS trend,
           CASE WHEN change IS NULL THEN NULL
                WHEN higher_is_better THEN change > 1e-9 ELSE change < -1e-9 END AS improving
    FROM rated
    WHERE {scond}
    ORDER BY ord, as_of
    """
    params += [keys, list(range(len(keys))), [d.label for d in defs], [d.unit for d in defs],
               [d.target for d in defs], [d.amber for d in defs], [d.higher_is_better for d in defs],
               *sparams]
    df = db.frame(con, q, params)
    df["improving"] = df["improving"].astype("boolean")
    return df


def kpi_distribution(con, measure: str = "cpi", as_of=None, portfolio=None, program=None,
                     department=None, project_ids=None, period_from=None,
                     period_to=None) -> pd.DataFrame:
    """Per-project CPI or SPI of the active projects at one snapshot: the histogram behind the medians.

    One row per active project with a value (the population of cpi_median / spi_median /
    cpi_below_0_9_share), largest first: as_of, project_id, name, portfolio, program, department,
    measure, value. period_from / period_to are accepted for a uniform signature and ignored.
    """
    filters.choice(measure, MEASURES, "measure")
    snapshot = filters.resolve_as_of(con, as_of)
    if snapshot is None:
        return _empty(DISTRIBUTION_COLUMNS)
    pcond, pparams = filters.project_where("p", portfolio, program, department, project_ids)
    q = f"""
    WITH p AS (
        SELECT p.as_of, p.project_id, p.name, p.portfolio, p.program, p.department, p.status, p.bac
        FROM projects p WHERE p.as_of = ? AND p.status = 'active' AND {pcond}
    ),
    {evm_status_ctes().strip()}
    SELECT as_of, project_id, name, portfolio, program, department, ? AS measure, {measure} AS value
    FROM evm WHERE {measure} IS NOT NULL
    ORDER BY value DESC, project_id
    """
    return db.frame(con, q, [snapshot, *pparams, measure])
