"""The PMO's improvement KPIs over every snapshot, rated against the targets in kpis.toml.

Each KPI is declared once in `pmo_analytics/metrics/kpis.toml` (label, unit, direction, target, amber threshold,
help). `kpis()` computes every declared KPI for every snapshot up to as_of in ONE DuckDB query (each KPI
group aggregates all snapshots with GROUP BY as_of), so a 36-month sparkline costs one scan of each
table rather than 36 calls of the per-snapshot metrics (each group's SQL is in kpi_queries.py); the
budget and resource KPIs read the per-snapshot summaries (summaries.py) instead of every budget line
and allocation of every month.
The definitions are those of the per-snapshot metrics (budget_variance, evm, milestone_summary,
risk_ageing, resource_load), reused through their shared SQL fragments where they exist;
tests/test_metrics_improvement.py checks every KPI against the per-snapshot metric it summarises,
snapshot by snapshot.

RAG: when higher is better, green at or above target, amber at or above the amber threshold, red below;
when lower is better, mirrored. trend is the sign of the change since the previous snapshot;
improving says whether that change goes the desirable way.

Each KPI counts what was reported and says what was not (issue 13): `n` is how many items its value
is measured over (active projects with the inputs, achieved milestones, risks, people, the load) and
`n_missing` how many of its population lack the inputs (an active project without a progress report
has no CPI and no SPI(t): it is left out of the medians, never taken as 0). The schedule median is
SPI(t) = ES / AT (Earned Schedule, Lipke), not SPI = EV / PV: SPI drifts back to 1.0 as a late
project's EV approaches BAC, SPI(t) does not.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pmo_analytics import packaged
from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics.kpi_queries import GROUPS, evm_status_ctes, group_ctes, schedule_cte
from pmo_analytics.metrics.portfolio import as_queried
from pmo_analytics.metrics.scope import PROJECTS, SNAPSHOT, Scope, choice
from pmo_analytics.store import connection as db

KPI_KEYS = tuple(k for keys in GROUPS.values() for k in keys)
MEASURES = ("cpi", "spi_t", "spi")  # kpi_distribution's choices (spi_t: the population of spi_median)
UNITS = ("%", "ratio", "days", "count", "score")

# forecast_accuracy compares the closing actual with the forecast made at least this many months before.
ACCURACY_LOOKBACK_MONTHS = 3

COLUMNS = ("as_of", "kpi", "label", "unit", "value", "n", "n_missing", "population", "not_reported", "target",
           "amber", "higher_is_better", "rag", "previous_value", "change", "trend", "improving")
DISTRIBUTION_COLUMNS = ("as_of", "project_id", "name", "portfolio", "program", "department",
                        "measure", "value")

_ONE_SNAPSHOT = "the spread is one snapshot's (kpis has the history)"

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
    population: str = "items"  # what n counts, as a director reads it ("active projects")
    not_reported: str = "not reported"  # what n_missing lack ("progress not reported")

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
        words = {}
        for field in ("population", "not_reported"):
            if field in spec:
                if not isinstance(spec[field], str) or not spec[field].strip():
                    raise UsageError(f"{where}: [{key}] {field} must be a non-empty string")
                words[field] = spec[field].strip()
        kpi = KPI(key, spec["label"], spec["unit"], spec["higher_is_better"], float(spec["target"]),
                  float(spec["amber"]), " ".join(spec["help"].split()), **words)
        if (kpi.amber > kpi.target) if kpi.higher_is_better else (kpi.amber < kpi.target):
            raise UsageError(f"{where}: [{key}] amber must be on the bad side of the target")
        out[key] = kpi
    return out


# ------------------------------------------------------------------------------------------- SQL
def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def _matches_nothing(con, scope: Scope) -> bool:
    """True when project filters are given and match no project at any snapshot up to as_of."""
    if not scope.filters_projects:
        return False
    pcond, pparams = scope.projects("p")
    rows = con.sql(f"SELECT count(*) FROM projects p WHERE p.as_of <= ? AND {pcond}",
                   params=[scope.as_of, *pparams]).fetchall()
    return rows[0][0] == 0


def _snaps(scope: Scope, by: str | None = None) -> tuple[str, list]:
    """CTE `snaps`: every snapshot up to as_of with the one before it and the one forecast_accuracy
    looks back to (the latest at least ACCURACY_LOOKBACK_MONTHS earlier); grouped `by` a projects
    column, also `grps`: that column's values at as_of."""
    grps = f""",
    grps AS (SELECT DISTINCT p.{by} AS grp FROM projects p WHERE p.as_of = ? AND p.{by} IS NOT NULL)""" if by else ""
    sql = f"""
    snaps AS (
        SELECT s.as_of, lag(s.as_of) OVER (ORDER BY s.as_of) AS prev_as_of,
               (SELECT max(l.as_of) FROM loads l
                WHERE l.as_of <= last_day(s.as_of - INTERVAL {ACCURACY_LOOKBACK_MONTHS} MONTH))
                   AS ref_as_of
        FROM loads s WHERE s.as_of <= ?
    ){grps}"""
    return sql, [scope.as_of] + [scope.as_of] * bool(by)


def _values(scope: Scope, definitions: dict[str, KPI], by: str | None = None) -> tuple[str, list]:
    """(CTEs ending in `long(as_of, kpi, value, n, n_missing)`, their parameters): the groups' wide
    values and counts of the declared KPIs, unpivoted to one row per snapshot and KPI (and `grp`, by
    a projects column `by`)."""
    ctes, params = _snaps(scope, by)
    grp = ", grp" * bool(by)
    ctes, params, unpivots = [ctes], list(params), []
    for group, keys in GROUPS.items():
        wanted = [k for k in keys if k in definitions]
        if not wanted:
            continue
        sql, group_params = group_ctes(group, scope, by)
        ctes.append(sql)
        params += group_params
        cols = ", ".join(f"CAST({k} AS DOUBLE) AS {k}, CAST({k}__n AS BIGINT) AS {k}__n, "
                         f"CAST({k}__missing AS BIGINT) AS {k}__missing" for k in wanted)
        on = ", ".join(f"({k}, {k}__n, {k}__missing) AS {k}" for k in wanted)
        # INCLUDE NULLS: a missing value still carries its counts (how many lacked the inputs)
        unpivots.append(f"(SELECT as_of{grp}, {cols} FROM {group}_wide) UNPIVOT INCLUDE NULLS "
                        f"((value, n, n_missing) FOR kpi IN ({on}))")
    long = " UNION ALL ".join(f"SELECT as_of{grp}, kpi, value, n, n_missing FROM {u}" for u in unpivots)
    return f"{','.join(ctes)},\n    long AS ({long})", params


def _config_params(definitions: dict[str, KPI]) -> list:
    """The parameters of the `cfg` CTE: each declared KPI's key, order, label, unit, population,
    not_reported, target, amber and direction, as parallel lists."""
    defs = list(definitions.values())
    return [list(definitions), list(range(len(defs))), [d.label for d in defs], [d.unit for d in defs],
            [d.population for d in defs], [d.not_reported for d in defs],
            [d.target for d in defs], [d.amber for d in defs], [d.higher_is_better for d in defs]]


def kpis(con, as_of=None, portfolio=None, program=None, department=None, project_ids=None,
         period_from=None, period_to=None, config=None) -> pd.DataFrame:
    """Every KPI declared in the config for every snapshot up to as_of, rated, with its trend.

    One row per KPI and snapshot (all history up to as_of, for sparklines), in config order then by
    date: as_of, kpi, label, unit, value, n (items measured), n_missing (items of the KPI's population
    without the inputs; both 0 when there is nothing to measure), population and not_reported (the
    config's words for what n counts and what n_missing lack), target, amber, higher_is_better, rag
    (missing when value is),
    previous_value (the previous snapshot's value), change, trend ('up'/'down'/'flat', missing when
    there is no previous value), improving (the change goes the desirable way; missing with trend).
    Takes every filter: project filters apply at each snapshot (data_quality_score is the whole
    load's); period_from / period_to choose which snapshots are shown (previous_value still looks back
    before them). Empty when there is no snapshot or the project filters match no project.
    """
    definitions = kpi_config(config)
    scope = Scope.of(con, "kpis", as_of=as_of, portfolio=portfolio, program=program,
                     department=department, project_ids=project_ids, period_from=period_from,
                     period_to=period_to)
    if scope.as_of is None or not definitions or _matches_nothing(con, scope):
        return _empty(COLUMNS)
    df = _rated(con, scope, definitions)
    df["improving"] = df["improving"].astype("boolean")
    return df


def kpis_by(con, as_of=None, by: str = "portfolio", config=None) -> dict[str, pd.DataFrame]:
    """kpis() of each value of a projects column (`by`: portfolio, program or department) at snapshot
    as_of, in one query: {value: the frame kpis(con, as_of, **{by: value}) gives}. A dashboard reads
    every portfolio's KPIs with its first draw, so choosing one reads nothing (issue 18)."""
    choice(by, ("portfolio", "program", "department"), "by")
    definitions = kpi_config(config)
    scope = Scope.of(con, "kpis", as_of=as_of)
    if scope.as_of is None or not definitions:
        return {}
    df = _rated(con, scope, definitions, by)
    out = {}
    for value, rows in df.groupby("grp", sort=True):
        frame = as_queried(rows.drop(columns="grp").reset_index(drop=True))
        frame["improving"] = frame["improving"].astype("boolean")
        out[value] = frame
    return out


def _rated(con, scope: Scope, definitions: dict[str, KPI], by: str | None = None) -> pd.DataFrame:
    """The KPIs of the scope's snapshots, rated, with their trend (grouped `by`: with `grp`)."""
    values, params = _values(scope, definitions, by)
    scond, sparams = scope.periods("as_of")
    grp, every = (", grp", " CROSS JOIN grps gg") if by else ("", "")
    on_grp = (lambda alias: f" AND {alias}.grp = gg.grp") if by else (lambda alias: "")
    q = f"""
    WITH {values},
    cfg AS (
        SELECT unnest(?::VARCHAR[]) AS kpi, unnest(?::INTEGER[]) AS ord, unnest(?::VARCHAR[]) AS label,
               unnest(?::VARCHAR[]) AS unit, unnest(?::VARCHAR[]) AS population,
               unnest(?::VARCHAR[]) AS not_reported, unnest(?::DOUBLE[]) AS target,
               unnest(?::DOUBLE[]) AS amber, unnest(?::BOOLEAN[]) AS higher_is_better
    ),
    series AS (  -- (a self-join, not lag(): a window over the big aggregates runs 2x slower in DuckDB)
        SELECT s.as_of{", gg.grp" * bool(by)}, c.*, l.value, coalesce(l.n, 0) AS n,
               coalesce(l.n_missing, 0) AS n_missing, b.value AS previous_value
        FROM snaps s
        CROSS JOIN cfg c{every}
        LEFT JOIN long l ON l.as_of = s.as_of AND l.kpi = c.kpi{on_grp("l")}
        LEFT JOIN long b ON b.as_of = s.prev_as_of AND b.kpi = c.kpi{on_grp("b")}
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
    SELECT as_of{grp}, kpi, label, unit, value, n, n_missing, population, not_reported, target, amber,
           higher_is_better, rag, previous_value, change,
           CASE WHEN change IS NULL THEN NULL WHEN abs(change) <= 1e-9 THEN 'flat'
                WHEN change > 0 THEN 'up' ELSE 'down' END AS trend,
           CASE WHEN change IS NULL THEN NULL
                WHEN higher_is_better THEN change > 1e-9 ELSE change < -1e-9 END AS improving
    FROM rated
    WHERE {scond}
    ORDER BY {"grp, " * bool(by)}ord, as_of
    """
    return db.frame(con, q, [*params, *_config_params(definitions), *sparams])


def kpi_distribution(con, measure: str = "cpi", as_of=None, portfolio=None, program=None,
                     department=None, project_ids=None, period_from=None,
                     period_to=None) -> pd.DataFrame:
    """Per-project CPI, SPI(t) or SPI of the active projects at one snapshot: the histogram behind the
    medians.

    One row per active project with a value (measure "cpi": the projects cpi_median and
    cpi_below_0_9_share are measured over; "spi_t": those of spi_median; "spi" = EV / PV, for
    reference), largest first: as_of, project_id, name, portfolio, program, department, measure,
    value. Projects without progress have no value and no row. Takes as_of and the project filters;
    period_from / period_to are a UsageError (the spread is one snapshot's; kpis has the history).
    """
    choice(measure, MEASURES, "measure")
    scope = Scope.of(con, "kpi_distribution", honours=SNAPSHOT + PROJECTS, why=_ONE_SNAPSHOT, as_of=as_of,
                     portfolio=portfolio, program=program, department=department,
                     project_ids=project_ids, period_from=period_from, period_to=period_to)
    if scope.as_of is None:
        return _empty(DISTRIBUTION_COLUMNS)
    pcond, pparams = scope.projects("p")
    if measure == "spi_t":
        schedule, sparams = f",\n    {schedule_cte('=').strip()}", [scope.as_of]
        source = ("(SELECT e.*, t.spi_t FROM evm e "
                  "JOIN schedule t ON t.as_of = e.as_of AND t.project_id = e.project_id)")
    else:
        schedule, sparams, source = "", [], "evm"
    q = f"""
    WITH p AS (
        SELECT p.as_of, p.project_id, p.name, p.portfolio, p.program, p.department, p.status, p.bac
        FROM projects p WHERE p.as_of = ? AND p.status = 'active' AND {pcond}
    ),
    {evm_status_ctes().strip()}{schedule}
    SELECT as_of, project_id, name, portfolio, program, department, ? AS measure, {measure} AS value
    FROM {source} WHERE {measure} IS NOT NULL
    ORDER BY value DESC, project_id
    """
    return db.frame(con, q, [scope.as_of, *pparams, *sparams, measure])
