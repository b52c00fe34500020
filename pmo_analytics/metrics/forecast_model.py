"""The risk-adjusted forecast's inputs and result (issue 16): plain arrays in, frames out, no database.

`forecast_inputs` builds a `ForecastInputs` from a snapshot; `forecast_engine.simulate` turns it into a
`Simulation`. The interface is docs-by-field below (P projects, R risks); `validate()` names the first bad
field and project so a caller's mistake is one line, not a NumPy broadcast error deep in the engine.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pmo_analytics.exceptions import UsageError

PRIOR_KEYS = ("cpi_log_mean", "cpi_log_sd", "spi_log_mean", "spi_log_sd")
PROJECT_FLOATS = ("bac", "ac", "ev", "pv_months", "at_months", "es_months", "cpi_log_mean", "cpi_log_sd",
                  "spi_log_mean", "spi_log_sd", "fraction_complete")
RISK_FIELDS = ("risk_project", "risk_probability", "risk_cost", "risk_delay_months")
YOUNG = 3  # fewer periodic observations than this: the prior's spread is used


@dataclass(frozen=True, eq=False)
class ForecastInputs:
    """What the Monte Carlo needs, one entry per project (P) and per open risk (R).

    project_id (P,) str; bac approved budget at completion (what "within budget" is measured against);
    ac actual cost to date (0 if not started); ev earned value to date; pv_months PD, planned duration in
    months; at_months AT, months elapsed to the status date (0 if not started); es_months ES, earned
    schedule in months (0..PD); start planned start and baseline_finish (datetime64[D]).
    cpi_log_mean / cpi_log_sd / cpi_n: mean and sd of the project's periodic log CPI and how many periods
    are behind them (Lipke); with fewer than 3 the mean is the cumulative CPI's log (NaN when there is
    none yet, n = 0: the prior's mean is used) and the spread is the prior's. spi_*: the same for SPI(t).
    fraction_complete: EV / BAC in 0..1 (finite population correction sqrt(1 - fraction_complete)).
    risk_project (R,) int index of the risk's project; risk_probability in 0..1; risk_cost the cost
    impact (0 where the register has none); risk_delay_months the schedule impact (NaN where none).
    prior: {"cpi_log_mean", "cpi_log_sd", "spi_log_mean", "spi_log_sd"}: the portfolio's reference class.
    risk_id (R,) str: names the risks in the tornado (default "risk <index>").
    risks_without_cost: open risks left out because the register gives no cost impact (reported apart).
    """

    project_id: np.ndarray
    bac: np.ndarray
    ac: np.ndarray
    ev: np.ndarray
    pv_months: np.ndarray
    at_months: np.ndarray
    es_months: np.ndarray
    start: np.ndarray
    baseline_finish: np.ndarray
    cpi_log_mean: np.ndarray
    cpi_log_sd: np.ndarray
    cpi_n: np.ndarray
    spi_log_mean: np.ndarray
    spi_log_sd: np.ndarray
    spi_n: np.ndarray
    fraction_complete: np.ndarray
    risk_project: np.ndarray
    risk_probability: np.ndarray
    risk_cost: np.ndarray
    risk_delay_months: np.ndarray
    prior: dict
    risk_id: np.ndarray | None = None
    risks_without_cost: int = 0

    @property
    def projects(self) -> int:
        return len(self.project_id)

    @property
    def risks(self) -> int:
        return len(self.risk_project)

    def risk_names(self) -> np.ndarray:
        if self.risk_id is None:
            return np.array([f"risk {i}" for i in range(self.risks)], dtype=object)
        return np.asarray(self.risk_id, dtype=object)

    def validate(self) -> ForecastInputs:
        """Raise UsageError naming the first bad field and project (or risk); return self when sound."""
        n = self.projects
        ids = np.asarray(self.project_id)
        if ids.ndim != 1:
            raise UsageError("ForecastInputs.project_id: expected a 1-D array of project ids")
        for name in (*PROJECT_FLOATS, "cpi_n", "spi_n", "start", "baseline_finish"):
            if np.shape(getattr(self, name)) != (n,):
                raise UsageError(f"ForecastInputs.{name}: expected {n} values (one per project), "
                                 f"got shape {np.shape(getattr(self, name))}")
        _check_projects(self, ids)
        _check_risks(self, ids)
        _check_prior(self.prior)
        return self


def _first_bad(name: str, bad: np.ndarray, ids, rule: str, values) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise UsageError(f"ForecastInputs.{name}: project {ids[i]} has {_show(values[i])}; {rule}")


def _show(value) -> str:
    """A NumPy scalar as the user wrote it (nan, 1.5, NaT), not np.float64(...)."""
    return str(value.item() if hasattr(value, "item") and not isinstance(value, np.datetime64) else value)


def _check_projects(inputs: ForecastInputs, ids) -> None:
    if len(set(ids.tolist())) != len(ids):
        seen = set()
        dup = next(i for i in ids.tolist() if i in seen or seen.add(i))
        raise UsageError(f"ForecastInputs.project_id: {dup} appears twice; give each project one row")
    fl = {name: np.asarray(getattr(inputs, name), dtype=float) for name in PROJECT_FLOATS}
    for name in ("bac", "ac", "ev", "at_months", "es_months"):
        _first_bad(name, ~np.isfinite(fl[name]) | (fl[name] < 0), ids, "expected a finite number >= 0", fl[name])
    _first_bad("ev", fl["ev"] > fl["bac"] * (1 + 1e-9) + 1e-9, ids, "earned value cannot exceed the budget (bac)",
               fl["ev"])
    _first_bad("pv_months", ~np.isfinite(fl["pv_months"]) | (fl["pv_months"] <= 0), ids,
               "expected a planned duration in months > 0", fl["pv_months"])
    _first_bad("es_months", fl["es_months"] > fl["pv_months"] + 1e-9, ids,
               "earned schedule cannot exceed the planned duration (pv_months)", fl["es_months"])
    _first_bad("fraction_complete", ~((fl["fraction_complete"] >= 0) & (fl["fraction_complete"] <= 1)), ids,
               "expected EV / BAC between 0 and 1", fl["fraction_complete"])
    for kind in ("cpi", "spi"):
        n_obs = np.asarray(getattr(inputs, f"{kind}_n"))
        _first_bad(f"{kind}_n", ~np.isfinite(n_obs.astype(float)) | (n_obs < 0) | (n_obs != np.round(n_obs)),
                   ids, "expected a whole number of periods >= 0", n_obs)
        mean, sd = fl[f"{kind}_log_mean"], fl[f"{kind}_log_sd"]
        _first_bad(f"{kind}_log_mean", ~np.isfinite(mean) & (n_obs > 0), ids,
                   f"a project with {kind}_n > 0 needs a finite mean (NaN only when n = 0)", mean)
        _first_bad(f"{kind}_log_sd", ~np.isfinite(sd) | (sd < 0), ids, "expected a finite sd >= 0", sd)
    for name in ("start", "baseline_finish"):
        dates = np.asarray(getattr(inputs, name)).astype("datetime64[D]")
        _first_bad(name, np.isnat(dates), ids, "expected a date (datetime64[D]); a missing one cannot be forecast",
                   dates)


def _check_risks(inputs: ForecastInputs, ids) -> None:
    r = inputs.risks
    for name in RISK_FIELDS:
        if np.shape(getattr(inputs, name)) != (r,):
            raise UsageError(f"ForecastInputs.{name}: expected {r} values (one per risk), "
                             f"got shape {np.shape(getattr(inputs, name))}")
    if inputs.risk_id is not None and np.shape(inputs.risk_id) != (r,):
        raise UsageError(f"ForecastInputs.risk_id: expected {r} risk ids, got shape {np.shape(inputs.risk_id)}")
    names = inputs.risk_names()
    project = np.asarray(inputs.risk_project)
    checks = (
        ("risk_project", ~np.isin(project, np.arange(len(ids))) | (project != np.round(project)),
         f"expected a project index 0..{len(ids) - 1}"),
        ("risk_probability", ~((inputs.risk_probability >= 0) & (inputs.risk_probability <= 1)),
         "expected a probability between 0 and 1"),
        ("risk_cost", ~np.isfinite(np.asarray(inputs.risk_cost, dtype=float)),
         "expected a finite cost impact (0 where the register has none)"),
        ("risk_delay_months", np.isinf(np.asarray(inputs.risk_delay_months, dtype=float)),
         "expected months of delay, or NaN where the register has none"),
    )
    for name, bad, rule in checks:
        bad = np.asarray(bad)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            value = np.asarray(getattr(inputs, name))[i]
            where = f" (project {ids[int(project[i])]})" if name != "risk_project" else ""
            raise UsageError(f"ForecastInputs.{name}: {names[i]}{where} has {_show(value)}; {rule}")


def _check_prior(prior: dict) -> None:
    missing = [k for k in PRIOR_KEYS if k not in prior]
    if missing:
        raise UsageError(f"ForecastInputs.prior: missing {', '.join(missing)}; give the portfolio's reference class")
    for key in PRIOR_KEYS:
        value = prior[key]
        if not np.isfinite(value) or (key.endswith("_sd") and value < 0):
            raise UsageError(f"ForecastInputs.prior: {key} is {value!r}; expected a finite number"
                             + (" >= 0" if key.endswith("_sd") else ""))


@dataclass(frozen=True, eq=False)
class Simulation:
    """The Monte Carlo's result. Reproduce it with the same inputs, `seed`, `draws` and `rho`.

    projects: one row per project: project_id, bac, eac (point), cost_p50/p80/p90, prob_within_budget
        (cost <= bac), finish_point, finish_p50/p80/p90 (datetime64[D]), prob_by_baseline (finish <=
        baseline_finish), prob_both (both at once, in the same draw), contingency_p80 (cost_p80 - eac),
        risk_emv (sum of probability x cost of its risks).
    portfolio: one row: bac, eac, cost_p50/p80/p90, prob_within_budget, contingency_p80, risk_emv,
        share_by_baseline_mean (expected share of projects finishing by their baseline),
        share_by_baseline_p80 (the share reached or beaten in 80% of draws), finish_last_p80 (the last
        project's finish, P80), projects, risks.
    s_curve: cost, probability: the portfolio total's empirical CDF at ~50 points.
    tornado: driver, kind ("project" / "risk"), contribution (share of the total's variance,
        cov(x_i, T) / var(T); the shares of all drivers sum to 1), amount (contribution x (P80 - P50)),
        the 15 largest by |contribution|.
    joint: cost, prob_cost (P(total <= cost)), share_by_baseline, probability (P(total <= cost and the
        share of projects finishing by their baseline >= share)), on a grid: the total's P10..P90 and
        the total BAC, by shares 0.5, 0.6 .. 1.0. Per project, prob_both is the joint figure.
    notes: what the reader should know (projects on the prior, risks left out for want of a cost).
    """

    seed: int
    draws: int
    rho: float
    method: str
    projects: pd.DataFrame
    portfolio: pd.DataFrame
    s_curve: pd.DataFrame
    tornado: pd.DataFrame
    joint: pd.DataFrame
    notes: tuple[str, ...] = field(default=())
