"""The risk-adjusted forecast's inputs (issue 16), read from one snapshot: where each project to finish
stands (evm at the status month), how its cost and schedule efficiency has varied (evm_series, month by
month), the organisation's own reference class for young projects, and the open risks.

Projects to finish are those planned, active or on hold (closed and cancelled ones have nothing left to
forecast) with a BAC; the others are left out with a reason (`left_out`), never forecast on a BAC of 0.
A project that has reported neither progress nor cost by the status month has not started: AC = EV =
ES = 0, and AT still counts the months since its planned start (a late start delays the finish).
Periodic CPI (Lipke) = (EV_b - EV_a) / (AC_b - AC_a) between consecutive months a < b in which both
progress and a consumed value were reported (month 0, before period 1, has EV = AC = 0), kept when both
increments are > 0. With monthly reports that is each month's own CPI; a month without a progress report
carries the last percent forward, so its EV increment of 0 is no measurement, and the next report's
increment is set against the cost of the whole span instead of one month's. Periodic SPI(t) likewise
from ES and AT between consecutive progress reports. cpi_log_mean / sd / n: mean, sd (ddof 1; 0 when
n < 2) and count of the logs; with 1 or 2 of them the mean is the log of the cumulative index (CPI =
EV / AC, SPI(t) = ES / AT) and with none it is NaN (forecast_model: the engine then uses the prior's).
Prior: the mean and sd of the periodic logs pooled over every project of the snapshot with at least
YOUNG of them, whatever its status or the filters (the organisation's own history), when there are at
least MIN_PRIOR_PROJECTS such projects; else the fallback mean 0, sd 0.10 (`prior_source` says which).
Risks: open and mitigating risks of the projects forecast; one without a probability (not assessed) or
without a cost impact adds nothing, is left out and counted (risks_unassessed, risks_without_cost);
risk_delay_months is all NaN because the data contract has no schedule impact column for risks.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pmo_analytics.metrics.earned_value import EAC_GAP_PCT, ONE_SNAPSHOT, TCPI_MARGIN, _base_ctes, evm, evm_series
from pmo_analytics.metrics.forecast_model import YOUNG, ForecastInputs
from pmo_analytics.metrics.risks import risk_register
from pmo_analytics.metrics.scope import PROJECTS, SNAPSHOT, Scope
from pmo_analytics.store import connection as db

TO_FINISH = ("planned", "active", "on_hold")
MIN_PRIOR_PROJECTS = 3  # projects with >= YOUNG periodic values needed for the portfolio's own prior
FALLBACK_SD = 0.10
FALLBACK_PRIOR = {"cpi_log_mean": 0.0, "cpi_log_sd": FALLBACK_SD, "spi_log_mean": 0.0, "spi_log_sd": FALLBACK_SD}
LEFT_OUT_COLUMNS = ("project_id", "status", "reason")
KINDS = {"cpi": "CPI", "spi": "SPI(t)"}
_AT_THE_STATUS_DATE = "a forecast starts from the status month; it takes as_of and the project filters"


def _no_left_out() -> pd.DataFrame:
    return pd.DataFrame(columns=list(LEFT_OUT_COLUMNS))


@dataclass(frozen=True, eq=False)
class SnapshotInputs(ForecastInputs):
    """ForecastInputs read from a snapshot, with what the engine does not need but a reader must see:
    as_of, prior_source (where the prior came from, in words), left_out (project_id, status, reason of
    each project to finish that cannot be forecast) and risks_unassessed (open risks without a
    probability, left out)."""

    as_of: dt.date | None = None
    prior_source: str = ""
    left_out: pd.DataFrame = field(default_factory=_no_left_out)
    risks_unassessed: int = 0


def forecast_inputs(con, as_of=None, portfolio=None, program=None, department=None,
                    project_ids=None) -> SnapshotInputs:
    """The inputs of the risk-adjusted forecast for the projects to finish at snapshot `as_of` (default
    the latest) that the filters choose, one entry per project in project_id order (see the module
    docstring for every rule)."""
    scope = Scope.of(con, "forecast_inputs", honours=SNAPSHOT + PROJECTS, why=_AT_THE_STATUS_DATE,
                     as_of=as_of, portfolio=portfolio, program=program, department=department,
                     project_ids=project_ids)
    logs = periodic_logs(con, scope.as_of)
    stats = _stats(logs)
    prior, source = reference_class(logs, stats)
    plan = _plans(con, scope)
    status = evm(con, as_of=scope.as_of, project_ids=plan["project_id"].tolist())
    kept, left_out = _standing(plan, status, scope.as_of)
    kept = _with_history(kept, stats)
    risks, without_cost, unassessed = _risks(con, scope.as_of, kept["project_id"].tolist())
    columns = {name: kept[name].to_numpy(dtype=float) for name in
               ("bac", "ac", "ev", "cpi_log_mean", "cpi_log_sd", "spi_log_mean", "spi_log_sd")}
    return SnapshotInputs(
        project_id=kept["project_id"].to_numpy(dtype=object), **columns,
        pv_months=kept["pd"].to_numpy(dtype=float), at_months=kept["at"].to_numpy(dtype=float),
        es_months=kept["es"].to_numpy(dtype=float), start=_days(kept["first_period"]),
        baseline_finish=_days(kept["baseline_finish"]), cpi_n=kept["cpi_n"].to_numpy(dtype=np.int64),
        spi_n=kept["spi_n"].to_numpy(dtype=np.int64),
        fraction_complete=np.clip(kept["ev"].to_numpy(dtype=float) / kept["bac"].to_numpy(dtype=float), 0, 1),
        risk_project=risks["index"].to_numpy(dtype=np.int64), risk_id=risks["risk_id"].to_numpy(dtype=object),
        risk_probability=risks["probability"].to_numpy(dtype=float),
        risk_cost=risks["impact_cost"].to_numpy(dtype=float), risk_delay_months=np.full(len(risks), np.nan),
        prior=prior, risks_without_cost=without_cost, as_of=scope.as_of, prior_source=source,
        left_out=left_out, risks_unassessed=unassessed)


def _days(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values).to_numpy().astype("datetime64[D]")


def _plans(con, scope: Scope) -> pd.DataFrame:
    """Every filtered project to finish with its BAC, first budget period, PD and baseline finish
    (projects.baseline_end_date, else the planned finish: the month end of period PD), whether or not it
    has started: earned_value's own `planned` CTE, so PD is defined once."""
    pcond, pparams = scope.projects("p")
    q = f"""
    WITH {_base_ctes(ONE_SNAPSHOT, pcond)}
    SELECT p.project_id, p.status, p.bac, pl.first_period, pl.pd,
           coalesce(x.baseline_end_date,
                    last_day(pl.first_period + to_months(CAST(pl.pd - 1 AS INTEGER)))) AS baseline_finish
    FROM p
    JOIN projects x ON x.as_of = p.as_of AND x.project_id = p.project_id
    LEFT JOIN planned pl ON pl.k = p.k
    WHERE p.status IN (SELECT unnest(?::VARCHAR[]))
    ORDER BY p.project_id
    """
    return db.frame(con, q, [scope.as_of, TCPI_MARGIN, EAC_GAP_PCT, *pparams, list(TO_FINISH)])


def _standing(plan: pd.DataFrame, status: pd.DataFrame, as_of=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(projects forecast with bac, ac, ev, es, at, pd, cpi, spi_t, dates; projects left out and why).
    A project whose plan has started by the snapshot but that reports neither cost nor progress has
    nothing to forecast from (an export of whole-life totals, as UK GMPP's): left out, not forecast as
    its budget with the prior's spread."""
    cols = ["project_id", "ev", "ac", "es", "at", "cpi", "spi_t"]
    df = plan.merge(status[cols], on="project_id", how="left") if len(status) else plan.assign(
        **{c: np.nan for c in cols[1:]})
    ev, ac = df["ev"].astype(float), df["ac"].astype(float)
    reasons = [
        (df["bac"].isna(), "no BAC (budget at completion) to forecast against"),
        (df["bac"] <= 0, "its BAC is 0: there is no budget to forecast against"),
        (df["first_period"].isna(), "no budget lines: no planned start or duration"),
        (df["pd"].isna(), "no budget in any month: no planned duration"),
        (ev.isna() & (ac > 0), "cost is reported but no progress: its earned value is unknown"),
        (ac.isna() & (ev > 0), "progress is reported but no cost: its cost performance is unknown"),
        (ev.isna() & ac.isna() & (pd.to_datetime(df["first_period"]) <= pd.Timestamp(as_of or pd.Timestamp.max)),
         "its plan has started but it reports neither cost nor progress: nothing to forecast from"),
    ]
    reason = pd.Series(pd.NA, index=df.index, dtype=object)
    for bad, why in reasons:
        reason = reason.mask(reason.isna() & bad.fillna(False).astype(bool), why)
    left_out = df.loc[reason.notna(), ["project_id", "status"]].assign(reason=reason[reason.notna()])
    kept = df.loc[reason.isna()].copy()
    not_started = kept["ev"].fillna(0).eq(0) & kept["ac"].fillna(0).eq(0)
    for c in ("ev", "ac", "es"):
        kept[c] = kept[c].astype(float).mask(not_started, 0.0)
    kept["at"] = kept["at"].astype(float).fillna(0.0)  # no evm row: period 1 is after the status month
    return kept.reset_index(drop=True), left_out.reset_index(drop=True)


def _with_history(kept: pd.DataFrame, stats: pd.DataFrame) -> pd.DataFrame:
    """`kept` with cpi_/spi_ log_mean, log_sd and n: the periodic statistics, the cumulative index's log
    for a young project (1 <= n < YOUNG), NaN with n = 0."""
    out = kept
    for kind, cumulative in (("cpi", "cpi"), ("spi", "spi_t")):
        s = stats.loc[stats["kind"] == kind, ["project_id", "mean", "sd", "n"]]
        s = s.rename(columns={c: f"{kind}_log_{c}" if c != "n" else f"{kind}_n" for c in ("mean", "sd", "n")})
        out = out.merge(s, on="project_id", how="left")
        n = out[f"{kind}_n"].fillna(0).astype(np.int64)
        index = out[cumulative].astype(float)
        young_mean = np.log(index.where(index > 0))
        mean = out[f"{kind}_log_mean"].where(n >= YOUNG, young_mean.fillna(out[f"{kind}_log_mean"]))
        out[f"{kind}_n"] = n
        out[f"{kind}_log_mean"] = mean.where(n > 0)
        out[f"{kind}_log_sd"] = out[f"{kind}_log_sd"].fillna(0.0)
    return out


_REPORTS = """
SELECT project_id, period, bool_or(progress) AS progress, bool_or(consumed) AS consumed
FROM (SELECT project_id, CAST(date_trunc('month', period) AS DATE) AS period, TRUE AS progress,
             FALSE AS consumed
      FROM progress WHERE as_of = ?
      UNION ALL
      SELECT project_id, CAST(date_trunc('month', period) AS DATE), FALSE, TRUE
      FROM budget_lines WHERE as_of = ? AND consumed IS NOT NULL)
GROUP BY ALL
"""


def periodic_logs(con, as_of) -> pd.DataFrame:
    """Every project's periodic log CPI and log SPI(t) at snapshot `as_of` (all projects, every status):
    project_id, kind ("cpi" / "spi"), period (the later month of the span), log. See the module docstring."""
    series = evm_series(con, as_of=as_of)
    reports = db.frame(con, _REPORTS, [as_of, as_of])
    if series.empty:
        return pd.DataFrame({"project_id": pd.Series(dtype=object), "kind": pd.Series(dtype=object),
                             "period": pd.Series(dtype="datetime64[us]"), "log": pd.Series(dtype=float)})
    firsts = series.groupby("project_id", as_index=False)["first_period"].first()
    reports = reports.merge(firsts, on="project_id")
    # a report before period 1 carries into period 1 (earned_value); it is that month's measurement
    reports["period"] = reports["period"].where(reports["period"] >= reports["first_period"],
                                                reports["first_period"])
    reports = reports.groupby(["project_id", "period"], as_index=False)[["progress", "consumed"]].any()
    rows = series.merge(reports, on=["project_id", "period"], how="left")
    progress, consumed = rows["progress"].eq(True), rows["consumed"].eq(True)
    cost = _spans(rows[progress & consumed & rows["ev"].notna() & rows["ac"].notna()], "ev", "ac")
    schedule = _spans(rows[progress & rows["es"].notna() & rows["at"].notna()], "es", "at")
    return pd.concat([cost.assign(kind="cpi"), schedule.assign(kind="spi")], ignore_index=True)[
        ["project_id", "kind", "period", "log"]]


def _spans(points: pd.DataFrame, earned: str, spent: str) -> pd.DataFrame:
    """log(increase of `earned` / increase of `spent`) between each project's consecutive points, the
    first from month 0 (both 0), where both increase."""
    points = points.sort_values(["project_id", "period"])
    values = points[[earned, spent]].astype(float)
    steps = values.groupby(points["project_id"]).diff().fillna(values)  # NaN only at a project's first point
    keep = (steps[earned] > 0) & (steps[spent] > 0)
    return pd.DataFrame({"project_id": points["project_id"][keep], "period": points["period"][keep],
                         "log": np.log(steps[earned][keep] / steps[spent][keep])}).reset_index(drop=True)


def _stats(logs: pd.DataFrame) -> pd.DataFrame:
    """project_id, kind, mean, sd (ddof 1; 0 with one value), n of each project's periodic logs."""
    g = logs.groupby(["project_id", "kind"])["log"]
    out = pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "n": g.size()}).reset_index()
    out["sd"] = out["sd"].fillna(0.0)
    return out


def reference_class(logs: pd.DataFrame, stats: pd.DataFrame | None = None) -> tuple[dict, str]:
    """(prior, prior_source): the pooled periodic logs of the projects with >= YOUNG of them, per kind,
    when at least MIN_PRIOR_PROJECTS projects qualify; else FALLBACK_PRIOR's mean 0 and sd 0.10."""
    stats = _stats(logs) if stats is None else stats
    prior, words = {}, []
    for kind, label in KINDS.items():
        grown = stats.loc[(stats["kind"] == kind) & (stats["n"] >= YOUNG), "project_id"]
        pooled = logs.loc[(logs["kind"] == kind) & logs["project_id"].isin(grown), "log"]
        if len(grown) >= MIN_PRIOR_PROJECTS:
            prior[f"{kind}_log_mean"], prior[f"{kind}_log_sd"] = float(pooled.mean()), float(pooled.std(ddof=1))
            words.append(f"{label}: portfolio, {len(pooled)} periodic values of {len(grown)} projects")
        else:
            prior[f"{kind}_log_mean"] = FALLBACK_PRIOR[f"{kind}_log_mean"]
            prior[f"{kind}_log_sd"] = FALLBACK_PRIOR[f"{kind}_log_sd"]
            words.append(f"{label}: default (log mean 0, sd {FALLBACK_SD:.2f}), {len(grown)} projects with "
                         f"{YOUNG} or more periodic values ({MIN_PRIOR_PROJECTS} needed)")
    return prior, "; ".join(words)


def _risks(con, as_of, project_ids: list[str]) -> tuple[pd.DataFrame, int, int]:
    """(risk_id, index, probability, impact_cost of the active risks with both; how many lack a cost
    impact; how many lack a probability) for the projects forecast, `index` into project_ids."""
    empty = pd.DataFrame({"risk_id": pd.Series(dtype=object), "index": pd.Series(dtype=np.int64),
                          "probability": pd.Series(dtype=float), "impact_cost": pd.Series(dtype=float)})
    if not project_ids:
        return empty, 0, 0
    register = risk_register(con, as_of=as_of, project_ids=project_ids)
    active = register[register["active"].eq(True)]
    unassessed = active["probability"].isna()
    without_cost = ~unassessed & active["impact_cost"].isna()
    kept = active[~unassessed & ~without_cost].sort_values("risk_id")
    position = {p: i for i, p in enumerate(project_ids)}
    kept = kept.assign(index=kept["project_id"].map(position))[["risk_id", "index", "probability", "impact_cost"]]
    return kept.reset_index(drop=True), int(without_cost.sum()), int(unassessed.sum())
