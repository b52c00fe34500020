"""Forecasts checked against outcomes (issue 16): for the projects that have since closed, how often the
P80 made N months before their finish covered what they finally cost and when they finished
(calibration), and the uplift on P50 the organisation's own history implies (reference-class style).

The outcome, at snapshot `as_of`: each closed project's actual cost = its consumed total (evm's AC) and
its actual finish (evm's actual_finish: the month end of its first 100% report, else of its last report).
The forecast: made at the latest loaded snapshot whose status month is at least N months before the
project's finish month (so "N months before" is counted from the project's own finish, not from as_of,
and is N or more), if the project was then still to finish (planned, active or on hold). One
forecast_inputs + simulate per earlier snapshot, for all its projects at every horizon at once.
Cost: covered when actual <= P80; ratio_cost = actual / P50. Finish in whole months from the forecast's
planned start, the data's precision: the actual counts the months to its finish month (finishing in
month 8 is 8 months, as Earned Schedule counts AT), and a forecast date counts the month its IEAC(t)
falls in (evm's forecast_finish: period ceil(IEAC(t)); 7.2 months is month 8), taken back from the
engine's whole-day date at its earliest (half a day before). Covered when actual months <= P80
months; ratio_finish_months = actual / P50 months; slip_months = actual - P50 months.
Uplift (per horizon): the smallest factor on P50 under which at least 80% of these projects would have
been covered, the empirical 80th percentile of actual / P50 by the inverted CDF (with 4 projects, the
4th of them: 3 of 4 is 75%, short of 80%); slip_months_p80 likewise for the months to add.
Fewer than MIN_PROJECTS projects at a horizon: coverage and uplift are missing, with the reason.
The verdict weighs the count covered against 80% (binomial, one-sided, VERDICT_ALPHA): optimistic
when so few covered would be unlikely were the P80 honest, cautious when so many would be; else in line.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.stats import binom

from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics.earned_value import evm
from pmo_analytics.metrics.forecast_engine import simulate
from pmo_analytics.metrics.forecast_engine_draws import DAYS_PER_MONTH
from pmo_analytics.metrics.forecast_inputs import TO_FINISH, forecast_inputs
from pmo_analytics.metrics.scope import SNAPSHOT, Scope
from pmo_analytics.store import connection as db

MONTHS_BEFORE = (3, 6)
DRAWS = 2_000
SEED = 20261203
TARGET = 0.8  # the P80 promises this coverage
MIN_PROJECTS = 3
VERDICT_ALPHA = 0.10
HALF_CENT = 0.005
QUANTILES = ("p50", "p80", "p90")
LEFT_OUT_COLUMNS = ["project_id", "months_before", "reason"]
PROJECT_COLUMNS = [
    "project_id", "months_before", "forecast_as_of", "bac", "cost_p50", "cost_p80", "cost_p90", "actual_cost",
    "cost_covered", "ratio_cost", "start", "finish_p50", "finish_p80", "finish_p90", "actual_finish",
    "months_p50", "months_p80", "months_p90", "actual_months", "finish_covered", "ratio_finish_months",
    "slip_months"]
_WHY = "calibration looks back from one snapshot over every project that has closed by then"


def calibration(con, as_of=None, months_before: Iterable[int] = MONTHS_BEFORE, draws: int = DRAWS,
                seed: int = SEED, rho: float = 0.3) -> dict[str, pd.DataFrame]:
    """{"projects", "summary", "left_out"}: each closed project's forecast made N months before its
    finish against its outcome, the coverage and uplift per horizon N, and every closed project not
    checked at a horizon with the reason (see the module docstring for every rule)."""
    horizons = _horizons(months_before)
    scope = Scope.of(con, "calibration", honours=SNAPSHOT, why=_WHY, as_of=as_of)
    loaded = _loaded(con)
    if scope.as_of not in loaded:
        shown = ", ".join(d.isoformat() for d in loaded[-3:]) or "none"
        raise UsageError(f"calibration: no snapshot is loaded for {scope.as_of}; give as_of as one of the "
                         f"loaded months (the latest: {shown}) or leave it out")
    outcomes, unknown = _outcomes(con, scope.as_of)
    pairs, early = _pairs(con, outcomes, horizons, [d for d in loaded if d < scope.as_of])
    forecasts, unforecast = _forecasts(con, pairs, draws, seed, rho)
    left_out = pd.concat([_per_horizon(unknown, horizons), early, unforecast], ignore_index=True)
    projects = _checked(pairs.merge(forecasts, on=["project_id", "forecast_as_of"]), outcomes)
    return {"projects": projects, "summary": summary(projects, horizons),
            "left_out": left_out.sort_values(["months_before", "project_id"], ignore_index=True)}


def _horizons(months_before) -> tuple[int, ...]:
    values = [months_before] if isinstance(months_before, (int, np.integer)) else list(months_before)
    for n in values:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise UsageError(f"calibration: months_before must be whole months >= 1 (e.g. 3, 6), got {n!r}")
    if not values:
        raise UsageError("calibration: months_before is empty; give at least one horizon (e.g. 3)")
    return tuple(sorted({int(n) for n in values}))


def _loaded(con) -> list[dt.date]:
    return [row[0] for row in con.sql("SELECT DISTINCT as_of FROM loads ORDER BY as_of").fetchall()]


def _no_left_out() -> pd.DataFrame:
    return pd.DataFrame({"project_id": pd.Series(dtype=object), "months_before": pd.Series(dtype=np.int64),
                         "reason": pd.Series(dtype=object)})


def _per_horizon(frame: pd.DataFrame, horizons: tuple[int, ...]) -> pd.DataFrame:
    """`frame` (project_id, reason) once for every horizon."""
    if frame.empty:
        return _no_left_out()
    return pd.concat([frame.assign(months_before=n) for n in horizons], ignore_index=True)[LEFT_OUT_COLUMNS]


_CLOSED = "SELECT project_id FROM projects WHERE as_of = ? AND status = 'closed' ORDER BY project_id"


def _outcomes(con, as_of) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(project_id, actual_cost, actual_finish of each closed project with both; project_id, reason of
    the closed ones without)."""
    closed = db.frame(con, _CLOSED, [as_of])
    status = evm(con, as_of=as_of, project_ids=closed["project_id"].tolist()) if len(closed) else None
    cols = ["project_id", "ac", "actual_finish"]
    df = closed.merge(status[cols], on="project_id", how="left") if status is not None and len(status) else \
        closed.assign(ac=np.nan, actual_finish=pd.NaT)
    reason = pd.Series(pd.NA, index=df.index, dtype=object)
    no_row = ~df["project_id"].isin(status["project_id"] if status is not None else [])
    for bad, why in ((no_row, "no budget lines up to its snapshot: no earned value, cost or finish"),
                     (df["ac"].isna(), "no consumed cost reported: its final cost is unknown"),
                     (df["actual_finish"].isna(), "no progress report: its finish is unknown")):
        reason = reason.mask(reason.isna() & bad, why)
    known = df.loc[reason.isna()].rename(columns={"ac": "actual_cost"})
    known["actual_finish"] = pd.to_datetime(known["actual_finish"]).dt.date
    unknown = df.loc[reason.notna(), ["project_id"]].assign(reason=reason[reason.notna()])
    return known.reset_index(drop=True), unknown.reset_index(drop=True)


_STATUS = """
SELECT as_of, project_id, status FROM projects
WHERE as_of IN (SELECT unnest(?::DATE[])) AND project_id IN (SELECT unnest(?::VARCHAR[]))
"""


def _pairs(con, outcomes: pd.DataFrame, horizons, earlier: list[dt.date]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(project_id, months_before, forecast_as_of of each project still to finish at its forecast
    snapshot; the left out with the reason: no snapshot that early, or not to finish then)."""
    months = np.array([_month_index(d) for d in earlier], dtype=np.int64)
    rows, left = [], []
    for n in horizons:
        for pid, finish in zip(outcomes["project_id"], outcomes["actual_finish"]):
            fits = np.flatnonzero(months <= _month_index(finish) - n)
            if len(fits):
                rows.append((pid, n, earlier[fits[-1]]))
            else:
                left.append((pid, n, f"no snapshot loaded {n} or more months before its finish ({finish:%B %Y})"
                             + (f"; the earliest is {earlier[0]}" if earlier else "")))
    pairs = pd.DataFrame(rows, columns=["project_id", "months_before", "forecast_as_of"])
    if len(pairs):
        status = db.frame(con, _STATUS, [sorted(set(pairs["forecast_as_of"])), sorted(set(pairs["project_id"]))])
        status["forecast_as_of"] = pd.to_datetime(status.pop("as_of")).dt.date
        pairs = pairs.merge(status, on=["project_id", "forecast_as_of"], how="left")
        to_finish = pairs["status"].isin(TO_FINISH)
        for pid, n, snap, state in pairs.loc[~to_finish].itertuples(index=False):
            left.append((pid, n, f"not in the {snap} snapshot" if pd.isna(state) else
                         f"{state} at the {snap} snapshot: nothing was left to forecast"))
        pairs = pairs.loc[to_finish].drop(columns="status").reset_index(drop=True)
    early = pd.DataFrame(left, columns=LEFT_OUT_COLUMNS) if left else _no_left_out()
    return pairs, early


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _forecasts(con, pairs: pd.DataFrame, draws, seed, rho) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The simulation's per-project quantiles at each forecast snapshot (one run per snapshot for all its
    projects), with start and forecast_as_of; the pairs forecast_inputs left out, with its reason."""
    frames, left = [], []
    for snap, group in pairs.groupby("forecast_as_of", sort=True):
        inputs = forecast_inputs(con, as_of=snap, project_ids=sorted(set(group["project_id"])))
        reasons = dict(zip(inputs.left_out["project_id"], inputs.left_out["reason"]))
        for pid, n in group.loc[~group["project_id"].isin(inputs.project_id), ["project_id", "months_before"]].values:
            left.append((pid, n, f"not forecast at the {snap} snapshot: {reasons.get(pid, 'left out')}"))
        if inputs.projects == 0:
            continue
        sim = simulate(inputs, draws=draws, seed=seed, rho=rho).projects
        cols = ["project_id", "bac", *[f"{k}_{q}" for k in ("cost", "finish") for q in QUANTILES]]
        frames.append(sim[cols].assign(start=inputs.start, forecast_as_of=snap))
    empty = pd.DataFrame(columns=["project_id", "forecast_as_of", "start", "bac",
                                  *[f"{k}_{q}" for k in ("cost", "finish") for q in QUANTILES]])
    forecasts = pd.concat(frames, ignore_index=True) if frames else empty
    return forecasts, pd.DataFrame(left, columns=LEFT_OUT_COLUMNS) if left else _no_left_out()


def _months(finish, start) -> np.ndarray:
    """The month (1 = the start's) the forecast date `finish` falls in, as evm counts IEAC(t): the
    engine rounded start + IEAC(t) x 365.25 / 12 days to a whole day, so IEAC(t) >= days - 1/2."""
    days = (pd.to_datetime(finish) - pd.to_datetime(start)).dt.days.to_numpy(dtype=float)
    return np.ceil(np.round((days - 0.5) / DAYS_PER_MONTH, 9))


def _checked(df: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """The projects frame: each forecast beside its outcome, covered or not, and the ratios."""
    df = df.merge(outcomes[["project_id", "actual_cost", "actual_finish"]], on="project_id")
    for q in QUANTILES:
        df[f"months_{q}"] = _months(df[f"finish_{q}"], df["start"])
        df[f"finish_{q}"] = pd.to_datetime(df[f"finish_{q}"]).dt.date
    df["start"] = pd.to_datetime(df["start"]).dt.date
    df["actual_months"] = [_month_index(f) - _month_index(s) + 1 for f, s in zip(df["actual_finish"], df["start"])]
    df["actual_months"] = df["actual_months"].astype(float)
    df["cost_covered"] = df["actual_cost"] <= df["cost_p80"] + HALF_CENT
    df["finish_covered"] = df["actual_months"] <= df["months_p80"]
    df["ratio_cost"] = df["actual_cost"] / df["cost_p50"]
    df["ratio_finish_months"] = df["actual_months"] / df["months_p50"]
    df["slip_months"] = df["actual_months"] - df["months_p50"]
    df = df.astype({"cost_covered": bool, "finish_covered": bool})
    return df[PROJECT_COLUMNS].sort_values(["months_before", "project_id"], ignore_index=True)


def uplift(ratios) -> float:
    """The smallest of `ratios` at or under which at least TARGET of them fall (the inverted CDF's
    80th percentile): the factor that would have covered 80% of the history."""
    values = np.asarray(ratios, dtype=float)
    return float(np.quantile(values, TARGET, method="inverted_cdf")) if len(values) else float("nan")


def summary(projects: pd.DataFrame, horizons: Iterable[int]) -> pd.DataFrame:
    """One row per horizon: projects, covered counts and shares, the uplifts, the reason when there are
    too few to judge, and the verdict."""
    rows = []
    for n in horizons:
        rows.append(_horizon_row(n, projects[projects["months_before"] == n]))
    return pd.DataFrame(rows, columns=["months_before", "projects", "cost_covered", "cost_coverage",
                                       "finish_covered", "finish_coverage", "uplift_cost", "uplift_finish_months",
                                       "slip_months_p80", "reason", "verdict"])


def _horizon_row(n: int, rows: pd.DataFrame) -> dict:
    count = len(rows)
    row = {"months_before": n, "projects": count, "cost_covered": int(rows["cost_covered"].sum()),
           "finish_covered": int(rows["finish_covered"].sum())}
    if count < MIN_PROJECTS:
        reason = (f"{count} closed project{' has' if count == 1 else 's have'} a forecast made {n} or more months "
                  f"before finishing; at least {MIN_PROJECTS} are needed to judge the P80")
        missing = dict.fromkeys(("cost_coverage", "finish_coverage", "uplift_cost", "uplift_finish_months",
                                 "slip_months_p80"), float("nan"))
        return {**row, **missing, "reason": reason, "verdict": f"{n} months before: {reason}"}
    row.update(cost_coverage=row["cost_covered"] / count, finish_coverage=row["finish_covered"] / count,
               uplift_cost=uplift(rows["ratio_cost"]), uplift_finish_months=uplift(rows["ratio_finish_months"]),
               slip_months_p80=uplift(rows["slip_months"]), reason="")
    cost = (f"cost P80 covered {_share(row['cost_covered'], count)}: {judge(row['cost_covered'], count)}; "
            f"the history implies P50 x {_factor(row['uplift_cost'])} for an 80% chance")
    finish = (f"finish P80 covered {_share(row['finish_covered'], count)}: "
              f"{judge(row['finish_covered'], count)}; the history implies the P50 duration x "
              f"{_factor(row['uplift_finish_months'])} ({row['slip_months_p80']:+.0f} months)")
    row["verdict"] = f"{n} months before: {cost}. {finish}"
    return row


def _factor(x: float) -> str:
    """1.18, or 1.004 when two decimals would show a small uplift as none."""
    return f"{x:.2f}" if abs(x - 1) >= 0.05 else f"{x:.3f}"


def _share(k: int, n: int) -> str:
    return f"{k} of {n} ({k / n:.0%})"


def judge(covered: int, count: int) -> str:
    """Forecasts optimistic, cautious, or in line with the 80% the P80 promises, for `covered` of
    `count` projects (binomial, one-sided at VERDICT_ALPHA)."""
    if binom.cdf(covered, count, TARGET) < VERDICT_ALPHA:
        return "forecasts were optimistic"
    if binom.sf(covered - 1, count, TARGET) < VERDICT_ALPHA:
        return "forecasts were cautious"
    return f"in line with 80% as far as {count} projects can tell"
