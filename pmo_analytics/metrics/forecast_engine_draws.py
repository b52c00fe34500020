"""The forecast's parameters and random numbers (issue 16), keyed by project so that chunking cannot
change them.

Streams: the common factors come from SeedSequence(seed, spawn_key=(0,)), project p's own numbers from
SeedSequence(seed, spawn_key=(1, p)) (the children SeedSequence(seed).spawn would give), drawn in a fixed
order: its cost strata, its schedule strata, then one uniform per draw for each of its risks in the
register's order. A chunk of projects is the concatenation of its projects' streams, so a result does
not depend on the chunk size.

Latin hypercube: the two common factors are scipy.stats.qmc.LatinHypercube (d = 2, scrambled) through
the normal quantile. Each project's two idiosyncratic factors are a Latin hypercube too, built the same
way (a random permutation of the draws' strata per dimension) from the project's own stream, at the
strata's midpoints so that the normal quantile is one table for all (a lookup instead of 10^8 ndtri
calls). One qmc engine per project would cost twice the time, and one per chunk would tie the numbers
to the chunk size.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri
from scipy.stats import qmc

from pmo_analytics.metrics.forecast_model import YOUNG, ForecastInputs

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True, eq=False)
class Parameters:
    """Per project: the point forecasts and the lognormal spreads the draws scale (float64, (P,)).

    cost at completion = eac + cost_scale * (exp(-cost_sd * z) - 1) + its risks' costs,
    months to finish   = ieac + time_scale * (exp(-time_sd * z') - 1) + its risks' delays,
    with cost_scale = (BAC - EV) / CPI and time_scale = (PD - ES) / SPI(t) at the point indices.
    """

    eac: np.ndarray
    cost_scale: np.ndarray
    cost_sd: np.ndarray
    prior_cost: np.ndarray
    ieac_months: np.ndarray
    time_scale: np.ndarray
    time_sd: np.ndarray
    prior_time: np.ndarray
    start_day: np.ndarray
    baseline_days: np.ndarray
    risk_order: np.ndarray
    risk_start: np.ndarray

    def finish_days(self, months) -> np.ndarray:
        """Months from the planned start as whole days (an average month of 365.25 / 12 days)."""
        return np.rint(np.asarray(months, dtype=float) * DAYS_PER_MONTH)


def _index(inputs: ForecastInputs, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log mean, sd of the mean's draw, uses the prior) of CPI or SPI(t) per project (Lipke)."""
    mean = np.asarray(getattr(inputs, f"{kind}_log_mean"), dtype=float)
    sd = np.asarray(getattr(inputs, f"{kind}_log_sd"), dtype=float)
    n = np.asarray(getattr(inputs, f"{kind}_n"), dtype=float)
    young = n < YOUNG
    mean = np.where(np.isfinite(mean), mean, inputs.prior[f"{kind}_log_mean"])
    spread = np.where(young, inputs.prior[f"{kind}_log_sd"], sd / np.sqrt(np.maximum(n, 1)))
    fpc = np.sqrt(np.clip(1 - np.asarray(inputs.fraction_complete, dtype=float), 0, 1))
    return mean, spread * fpc, young


def parameters(inputs: ForecastInputs) -> Parameters:
    """The point forecasts and spreads of every project; risks grouped by project (a stable sort)."""
    f = {name: np.asarray(getattr(inputs, name), dtype=float)
         for name in ("bac", "ac", "ev", "pv_months", "at_months", "es_months")}
    cpi_mean, cpi_sd, cpi_young = _index(inputs, "cpi")
    spi_mean, spi_sd, spi_young = _index(inputs, "spi")
    cost_scale = (f["bac"] - f["ev"]) * np.exp(-cpi_mean)
    time_scale = np.maximum(f["pv_months"] - f["es_months"], 0) * np.exp(-spi_mean)
    start = np.asarray(inputs.start).astype("datetime64[D]")
    baseline = np.asarray(inputs.baseline_finish).astype("datetime64[D]")
    project = np.asarray(inputs.risk_project, dtype=np.int64)
    order = np.argsort(project, kind="stable")
    risk_start = np.searchsorted(project[order], np.arange(inputs.projects + 1), side="left")
    return Parameters(
        eac=f["ac"] + cost_scale, cost_scale=cost_scale, cost_sd=cpi_sd, prior_cost=cpi_young,
        ieac_months=f["at_months"] + time_scale, time_scale=time_scale, time_sd=spi_sd, prior_time=spi_young,
        start_day=start.astype(np.int64).astype(float), baseline_days=(baseline - start).astype(float),
        risk_order=order, risk_start=risk_start)


def common_factors(seed: int, draws: int) -> tuple[np.ndarray, np.ndarray]:
    """F_cost and F_time (draws,): a scrambled Latin hypercube in two dimensions through the normal quantile."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0,))))
    u = qmc.LatinHypercube(d=2, rng=rng).random(draws)
    z = ndtri(np.clip(u, 1e-12, 1 - 1e-12)).astype(np.float32)  # u may be exactly 1
    return z[:, 0].copy(), z[:, 1].copy()


def strata_table(draws: int) -> np.ndarray:
    """The normal quantile of every stratum's midpoint, (k + 0.5) / draws."""
    return ndtri((np.arange(draws) + 0.5) / draws).astype(np.float32)


def chunk_draws(seed: int, lo: int, hi: int, params: Parameters, table: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Projects lo..hi-1: idiosyncratic cost and schedule factors (n, draws) and their risks' uniforms
    (risks in grouped order, draws), all float32. A project with no spread draws no strata (zeros)."""
    draws = len(table)
    e_cost = np.zeros((hi - lo, draws), dtype=np.float32)
    e_time = np.zeros((hi - lo, draws), dtype=np.float32)
    first = params.risk_start[lo]
    uniforms = np.empty((params.risk_start[hi] - first, draws), dtype=np.float32)
    for i, p in enumerate(range(lo, hi)):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(1, p))))
        if params.cost_sd[p] > 0 and params.cost_scale[p] != 0:
            np.take(table, rng.permutation(draws), out=e_cost[i])
        if params.time_sd[p] > 0 and params.time_scale[p] != 0:
            np.take(table, rng.permutation(draws), out=e_time[i])
        a, b = params.risk_start[p] - first, params.risk_start[p + 1] - first
        if b > a:
            rng.random((b - a, draws), dtype=np.float32, out=uniforms[a:b])
    return e_cost, e_time, uniforms
