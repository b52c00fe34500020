"""Forecast benchmark (issue 16): the Monte Carlo engine against the per-project loop an analyst would
write with NumPy, on the same portfolio, in one run.

    .venv/bin/python benchmarks/bench_forecast.py [--projects 5000] [--risks 3] [--draws 10000]
                                                  [--chunk 500] [--seed 16]

The portfolio is generated (deterministic for a seed): budgets lognormal around 2M, 20% not started,
the others 5-95% complete with 0-24 periods of CPI and SPI(t) history (so some are young and take the
prior), a Poisson number of open risks per project (mean --risks) with probability 5-60%, a cost of
0.5-5% of the budget and, for half of them, a delay of 0.5-3 months.

Each variant runs in its own process, so that peak memory (max RSS) is its alone (Linux keeps max RSS
across fork and exec); the portfolio is built and the imports done before the clock starts:
  engine - forecast_engine.simulate: Latin hypercube, chunked over projects, float32 draws
  loop   - for each project: numpy.random normals for its CPI and SPI(t) (the same one-factor model),
           its risks one by one, np.percentile of its cost and finish; every project's and risk's draws
           kept in a (projects + risks) x draws matrix for the tornado's cov(x_i, total) at the end
Prints one line per variant (seconds, peak MB, MB before the run) and the ratios, then how far the
two agree (portfolio P50/P80/P90; the median gap in per-project P80).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pmo_analytics.metrics.forecast_engine import simulate  # noqa: E402
from pmo_analytics.metrics.forecast_engine_draws import DAYS_PER_MONTH  # noqa: E402
from pmo_analytics.metrics.forecast_model import ForecastInputs  # noqa: E402

PRIOR = {"cpi_log_mean": -0.02, "cpi_log_sd": 0.15, "spi_log_mean": -0.03, "spi_log_sd": 0.15}


def generate(projects: int, risks_per_project: float, seed: int) -> ForecastInputs:
    """The benchmark portfolio."""
    rng = np.random.default_rng(seed)
    bac = np.round(rng.lognormal(np.log(2e6), 0.8, projects), 2)
    fraction = np.where(rng.random(projects) < 0.2, 0.0, rng.uniform(0.05, 0.95, projects))
    cpi_mean, spi_mean = rng.normal(-0.03, 0.08, projects), rng.normal(-0.04, 0.08, projects)
    pv = rng.integers(6, 49, projects).astype(float)
    ev = bac * fraction
    n = np.where(fraction > 0, rng.integers(0, 25, projects), 0)
    start = np.datetime64("2025-01-01") + rng.integers(0, 540, projects).astype("timedelta64[D]")
    at = np.where(fraction > 0, fraction * pv * np.exp(-spi_mean), 0.0)
    count = rng.poisson(risks_per_project, projects)
    owner = np.repeat(np.arange(projects), count)
    delay = np.where(rng.random(len(owner)) < 0.5, np.nan, rng.uniform(0.5, 3, len(owner)))
    return ForecastInputs(
        project_id=np.array([f"P{p:05d}" for p in range(projects)], dtype=object), bac=bac,
        ac=ev * np.exp(-cpi_mean), ev=ev, pv_months=pv, at_months=at, es_months=fraction * pv, start=start,
        baseline_finish=start + np.rint(pv * DAYS_PER_MONTH).astype("timedelta64[D]"),
        cpi_log_mean=np.where(fraction > 0, cpi_mean, np.nan), cpi_log_sd=rng.uniform(0.05, 0.25, projects),
        cpi_n=n, spi_log_mean=np.where(fraction > 0, spi_mean, np.nan),
        spi_log_sd=rng.uniform(0.05, 0.25, projects), spi_n=n, fraction_complete=fraction,
        risk_project=owner, risk_probability=rng.uniform(0.05, 0.6, len(owner)),
        risk_cost=np.round(bac[owner] * rng.uniform(0.005, 0.05, len(owner)), 2), risk_delay_months=delay,
        prior=PRIOR, risk_id=np.array([f"R{r:05d}" for r in range(len(owner))], dtype=object))


def analyst_loop(inputs: ForecastInputs, draws: int, seed: int, rho: float) -> dict:
    """The same model, one project at a time, as a NumPy user would write it."""
    rng = np.random.default_rng(seed)
    fpc = np.sqrt(1 - inputs.fraction_complete)
    young_c, young_t = inputs.cpi_n < 3, inputs.spi_n < 3
    cpi_mean = np.where(np.isnan(inputs.cpi_log_mean), PRIOR["cpi_log_mean"], inputs.cpi_log_mean)
    spi_mean = np.where(np.isnan(inputs.spi_log_mean), PRIOR["spi_log_mean"], inputs.spi_log_mean)
    cpi_sd = np.where(young_c, PRIOR["cpi_log_sd"], inputs.cpi_log_sd / np.sqrt(np.maximum(inputs.cpi_n, 1))) * fpc
    spi_sd = np.where(young_t, PRIOR["spi_log_sd"], inputs.spi_log_sd / np.sqrt(np.maximum(inputs.spi_n, 1))) * fpc
    baseline_days = (inputs.baseline_finish - inputs.start).astype(float)
    f_cost, f_time = rng.standard_normal(draws), rng.standard_normal(draws)
    risks_of = {}
    for r, owner in enumerate(inputs.risk_project):
        risks_of.setdefault(int(owner), []).append(r)
    base = np.empty((inputs.projects, draws))
    risk_draws = np.zeros((inputs.risks, draws))
    total, on_time, last = np.zeros(draws), np.zeros(draws), np.full(draws, -np.inf)
    p80 = np.empty(inputs.projects)
    for i in range(inputs.projects):
        z = np.sqrt(rho) * f_cost + np.sqrt(1 - rho) * rng.standard_normal(draws)
        cost = inputs.ac[i] + (inputs.bac[i] - inputs.ev[i]) / np.exp(cpi_mean[i] + cpi_sd[i] * z)
        zt = np.sqrt(rho) * f_time + np.sqrt(1 - rho) * rng.standard_normal(draws)
        months = inputs.at_months[i] + (inputs.pv_months[i] - inputs.es_months[i]) / np.exp(
            spi_mean[i] + spi_sd[i] * zt)
        base[i] = cost
        for r in risks_of.get(i, []):
            occurs = rng.random(draws) < inputs.risk_probability[r]
            risk_draws[r] = occurs * inputs.risk_cost[r]
            cost = cost + risk_draws[r]
            if not np.isnan(inputs.risk_delay_months[r]):
                months = months + occurs * inputs.risk_delay_months[r]
        finish = np.rint(months * DAYS_PER_MONTH)
        cost_q = np.percentile(cost, [50, 80, 90])
        finish_q = np.percentile(finish, [50, 80, 90])  # noqa: F841 (the analyst's table has it)
        within, by_baseline = cost <= inputs.bac[i], finish <= baseline_days[i]
        _ = within.mean(), by_baseline.mean(), (within & by_baseline).mean()
        p80[i] = cost_q[1]
        total += cost
        on_time += by_baseline
        last = np.maximum(last, finish + inputs.start[i].astype(np.int64))
    centred = total - total.mean()
    shares = np.concatenate([base @ centred, risk_draws @ centred]) / draws / total.var()
    return {"portfolio": np.percentile(total, [50, 80, 90]).tolist(), "p80": p80.tolist(),
            "top_share": float(np.sort(shares)[-1])}


def run_variant(variant: str, args) -> dict:
    inputs = generate(args.projects, args.risks, args.seed)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    if variant == "engine":
        sim = simulate(inputs, draws=args.draws, seed=args.seed, rho=0.3, chunk=args.chunk)
        seconds = time.perf_counter() - start
        port = sim.portfolio
        out = {"portfolio": [float(port[c][0]) for c in ("cost_p50", "cost_p80", "cost_p90")],
               "p80": sim.projects.cost_p80.tolist(), "top_share": float(sim.tornado.contribution.max())}
    else:
        out = analyst_loop(inputs, args.draws, args.seed, 0.3)
        seconds = time.perf_counter() - start
    return {**out, "seconds": seconds, "before_mb": before,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "risks": inputs.risks}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=5000)
    ap.add_argument("--risks", type=float, default=3.0)
    ap.add_argument("--draws", type=int, default=10_000)
    ap.add_argument("--chunk", type=int, default=500)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--variant", choices=("engine", "loop"))
    args = ap.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, args)))
        return
    results = {}
    for variant in ("engine", "loop"):
        proc = subprocess.run([sys.executable, __file__, "--variant", variant, "--projects", str(args.projects),
                               "--risks", str(args.risks), "--draws", str(args.draws), "--chunk",
                               str(args.chunk), "--seed", str(args.seed)], capture_output=True, text=True,
                              check=True)
        results[variant] = json.loads(proc.stdout.strip().splitlines()[-1])
    e, loop = results["engine"], results["loop"]
    print(f"{args.projects} projects, {e['risks']} risks, {args.draws} draws, chunk {args.chunk}")
    for name, r in results.items():
        print(f"  {name:<6} {r['seconds']:8.2f} s   peak {r['peak_mb']:7.0f} MB   "
              f"(before the run {r['before_mb']:.0f} MB)")
    ratio = loop["seconds"] / e["seconds"]
    print(f"  speed: engine {ratio:.1f}x faster (aim 20x: {'met' if ratio >= 20 else 'not met'}); peak memory: "
          f"engine {e['peak_mb']:.0f} MB vs loop {loop['peak_mb']:.0f} MB (aim < 2048 MB: "
          f"{'met' if e['peak_mb'] < 2048 else 'not met'})")
    gaps = [abs(a / b - 1) for a, b in zip(e["portfolio"], loop["portfolio"])]
    p80_gap = np.median(np.abs(np.array(e["p80"]) / np.array(loop["p80"]) - 1))
    print(f"  agreement: portfolio P50/P80/P90 within {max(gaps):.3%}; per-project P80 median gap "
          f"{p80_gap:.3%}; largest tornado share {e['top_share']:.3f} vs {loop['top_share']:.3f}")


if __name__ == "__main__":
    main()
