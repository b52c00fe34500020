"""Risk-adjusted forecasts (issue 16): a seeded Monte Carlo of every project's cost at completion and
finish date, and of the portfolio's total, from each project's own CPI and SPI(t) history and its open
risks. Pure NumPy/SciPy; the inputs come from `forecast_inputs`, the result is a `Simulation`.

The model (Lipke's statistical forecasting, one draw d of D):
    log CPI_pd = m_p + s_p z_pd, s_p = sd_p / sqrt(n_p) * sqrt(1 - fraction_complete_p)  (n_p >= 3;
        a young project, n_p < 3, takes the portfolio prior's sd undivided, and the prior's mean when
        it has no CPI of its own yet)
    cost_pd = AC_p + (BAC_p - EV_p) / CPI_pd + sum of its risks' costs that occur in draw d
    months_pd = AT_p + (PD_p - ES_p) / SPI(t)_pd + sum of the delays of its risks that occur
    finish_pd = start_p + months_pd x 365.25 / 12 days, rounded to the day
    z_pd = sqrt(rho) F_d + sqrt(1 - rho) e_pd: a one-factor Gaussian copula, a common factor F_cost for
        every project's CPI (a portfolio-wide cost climate) and an independent F_time for SPI(t); rho is
        the correlation of any two projects' log CPI (and log SPI(t)). Cost and schedule factors are
        independent; a risk with both impacts couples them. Risks occur independently (Bernoulli).
F and e are Latin hypercubes (forecast_engine_draws); risk occurrences are plain uniforms.

Chunked over projects: each chunk holds all D draws of its projects, so per-project quantiles are exact
order statistics, and the portfolio's per-draw total, the count of projects finishing by their baseline
and the last finish accumulate over chunks. The draws are float32 deviations from the point forecast
(so a deterministic project's P50 is its point forecast exactly); totals are summed in float64.
Memory is bounded by chunk x draws: with chunk = 500 and draws = 10,000 one float32 array is 20 MB;
a chunk holds about six (cost, schedule, their quantile and comparison copies) plus 5 bytes per draw
for each of its risks (1,500 risks: 75 MB), about 200 MB whatever the number of projects.

The tornado is each driver's share of the variance of the total, cov(x_i, T) / var(T) (Euler's
allocation: the shares of all projects and risks sum to 1), taken from the model's covariances in
closed form rather than from the draws: exact, and no second pass over the chunks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics import forecast_engine_summary as summary
from pmo_analytics.metrics.forecast_engine_draws import (DAYS_PER_MONTH, Parameters, chunk_draws,
                                                         common_factors, parameters, strata_table)
from pmo_analytics.metrics.forecast_engine_quantiles import row_quantiles, whole_day_quantiles
from pmo_analytics.metrics.forecast_model import ForecastInputs, Simulation

QUANTILES = (0.5, 0.8, 0.9)
METHOD = "lhs-one-factor"


@dataclass(frozen=True, eq=False)
class _Run:
    """What every chunk needs: the inputs, their parameters and the shared random numbers."""

    inputs: ForecastInputs
    params: Parameters
    seed: int
    rho: float
    f_cost: np.ndarray
    f_time: np.ndarray
    table: np.ndarray


@dataclass(frozen=True, eq=False)
class _Totals:
    """The portfolio per draw, accumulated over chunks."""

    cost_dev: np.ndarray
    on_time: np.ndarray
    last_day: np.ndarray

    @classmethod
    def zeros(cls, draws: int) -> _Totals:
        return cls(np.zeros(draws), np.zeros(draws, dtype=np.int64), np.full(draws, -np.inf))


def simulate(inputs: ForecastInputs, draws: int = 10_000, seed: int = 20261203, rho: float = 0.3,
             chunk: int = 500) -> Simulation:
    """P50/P80/P90 of every project's cost and finish and of the portfolio's cost, the chances of
    meeting budget and baseline, the S-curve, the tornado and the joint confidence.

    The same inputs, draws, seed and rho give the same numbers whatever `chunk` (the number of projects
    held in memory at once)."""
    _check_arguments(draws, seed, rho, chunk)
    inputs.validate()
    if inputs.projects == 0:
        raise UsageError("forecast: there are no projects to simulate; the snapshot has none with a budget")
    params = parameters(inputs)
    f_cost, f_time = common_factors(seed, draws)
    run = _Run(inputs, params, seed, float(rho), f_cost, f_time, strata_table(draws))
    totals = _Totals.zeros(draws)
    parts = [_chunk(run, lo, min(lo + chunk, inputs.projects), totals)
             for lo in range(0, inputs.projects, chunk)]
    stats = {key: np.concatenate([part[key] for part in parts], axis=-1) for key in parts[0]}
    total = params.eac.sum() + totals.cost_dev
    share = totals.on_time / inputs.projects
    portfolio = summary.portfolio_frame(inputs, params, total, share, totals.last_day, QUANTILES)
    return Simulation(
        seed=seed, draws=draws, rho=float(rho), method=METHOD,
        projects=summary.project_frame(inputs, params, stats),
        portfolio=portfolio,
        s_curve=summary.s_curve(total),
        tornado=summary.tornado(inputs, params, run.rho, float(portfolio.cost_p80[0] - portfolio.cost_p50[0])),
        joint=summary.joint(total, share, float(portfolio.bac[0])),
        notes=summary.notes(inputs, params))


def _check_arguments(draws, seed, rho, chunk) -> None:
    for name, value, low in (("draws", draws, 1), ("chunk", chunk, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise UsageError(f"forecast: {name} must be a whole number >= {low}, got {value!r}")
    if not (isinstance(rho, (int, float, np.floating)) and 0 <= rho <= 1):
        raise UsageError(f"forecast: rho (the correlation between projects) must be between 0 and 1, got {rho!r}")


def _chunk(run: _Run, lo: int, hi: int, totals: _Totals) -> dict[str, np.ndarray]:
    """Simulate projects lo..hi-1 over every draw; add them to the totals; return their statistics."""
    p = run.params
    e_cost, e_time, uniforms = chunk_draws(run.seed, lo, hi, p, run.table)
    cost = _lognormal_deviation(e_cost, run.f_cost, run.rho, p.cost_sd[lo:hi], p.cost_scale[lo:hi])
    days = _lognormal_deviation(e_time, run.f_time, run.rho, p.time_sd[lo:hi], p.time_scale[lo:hi])
    _add_risks(run, lo, hi, uniforms, cost, days)
    days *= np.float32(DAYS_PER_MONTH)
    days += (p.ieac_months[lo:hi] * DAYS_PER_MONTH).astype(np.float32)[:, None]
    np.rint(days, out=days)
    within = cost <= (run.inputs.bac[lo:hi] - p.eac[lo:hi]).astype(np.float32)[:, None]
    on_time = days <= p.baseline_days[lo:hi].astype(np.float32)[:, None]
    stats = {"cost_q": p.eac[lo:hi] + row_quantiles(cost, QUANTILES),
             "finish_q": np.rint(whole_day_quantiles(days, QUANTILES)),
             "prob_within_budget": within.mean(axis=1), "prob_by_baseline": on_time.mean(axis=1),
             "prob_both": (within & on_time).mean(axis=1)}
    for row in cost:  # project by project, so that the total's rounding does not depend on the chunk size
        totals.cost_dev[:] += row
    totals.on_time[:] += on_time.sum(axis=0)
    days += p.start_day[lo:hi].astype(np.float32)[:, None]
    np.maximum(totals.last_day, days.max(axis=0), out=totals.last_day)
    return stats


def _lognormal_deviation(e: np.ndarray, factor: np.ndarray, rho: float, sd: np.ndarray,
                         scale: np.ndarray) -> np.ndarray:
    """scale x (exp(-sd x z) - 1) with z = sqrt(rho) F + sqrt(1 - rho) e, in place in e (float32):
    the draw's cost (or months) less the point forecast, before risks."""
    e *= np.float32(np.sqrt(1 - rho))
    e += np.float32(np.sqrt(rho)) * factor
    e *= -sd.astype(np.float32)[:, None]
    np.exp(e, out=e)
    e -= np.float32(1)
    e *= scale.astype(np.float32)[:, None]
    return e


def _add_risks(run: _Run, lo: int, hi: int, uniforms: np.ndarray, cost: np.ndarray, months: np.ndarray) -> None:
    """Each risk of projects lo..hi-1 occurs where its uniform is below its probability, adding its cost
    (and its delay, where the register gives one) to its project's draw."""
    if len(uniforms) == 0:
        return
    p, inputs = run.params, run.inputs
    first = p.risk_start[lo]
    risks = p.risk_order[first:first + len(uniforms)]
    hit = uniforms < np.asarray(inputs.risk_probability, dtype=np.float32)[risks][:, None]
    counts = np.diff(p.risk_start[lo:hi + 1])
    starts = p.risk_start[lo:hi] - first
    np.multiply(hit, np.asarray(inputs.risk_cost, dtype=np.float32)[risks][:, None], out=uniforms)
    _add_by_project(cost, uniforms, counts, starts)
    delay = np.nan_to_num(np.asarray(inputs.risk_delay_months, dtype=float)[risks], nan=0.0)
    if delay.any():
        np.multiply(hit, delay.astype(np.float32)[:, None], out=uniforms)
        _add_by_project(months, uniforms, counts, starts)


def _add_by_project(target: np.ndarray, rows: np.ndarray, counts: np.ndarray, starts: np.ndarray) -> None:
    """target[i] += the sum of rows[starts[i]:starts[i] + counts[i]] (a project's risks are adjacent;
    row by row is several times faster than np.add.reduceat or a sparse product here)."""
    for i in np.flatnonzero(counts):
        target[i] += rows[starts[i]:starts[i] + counts[i]].sum(axis=0)
