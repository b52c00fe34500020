"""Optimiser benchmark (issue 15): HiGHS to a 1% gap against the PMO's greedy ranking, in one run.

    .venv/bin/python benchmarks/bench_optimiser.py [--projects 500] [--months 36] [--roles 20]
                                                   [--shift 3] [--gap 0.01] [--time-limit 120] [--seed 15]

The case is generated (deterministic for a seed): projects of 3-18 months starting anywhere their
whole run fits the horizon, each using 2-5 of the roles at 0.2-2 FTE (140 h a month) with a ramp up
and down, spend = hours x the role's rate plus external spend; value grows with size, with noise (x0.3
to x3). Must-dos are 4% of the projects (the smallest ones), 60% are in the current plan, 15 pairs are
mutually exclusive alternatives and 20 projects depend on one that starts no later. Every month's
budget is 30-60% of what all candidates would spend in it at their planned dates; every role's capacity
is a whole number of FTE, 40-70% of its mean monthly demand. So both budget and capacity bind.

Solved twice: fixed dates, then a +-shift window (default +-3 months). Each line: the model's size, the
time to build it (checks and sparse matrix), the time HiGHS takes to reach the gap (or the time limit),
the status, the gap, the optimiser's value, and the greedy ranking's value and time on the same case.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pmo_analytics.metrics.optimiser import Problem, greedy, optimise  # noqa: E402
from pmo_analytics.metrics.optimiser_model import build  # noqa: E402

FTE_HOURS = 140.0


def _profiles(rng, projects: int, months: int, roles: int) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Start months, the spend profile and the role demand of every project."""
    duration = rng.integers(3, 19, projects)
    start = rng.integers(0, months - duration + 1)
    rate = rng.uniform(60, 150, roles)
    demand_rows, cost_rows = [], []
    for p in range(projects):
        months_p = np.arange(start[p], start[p] + duration[p])
        ramp = 0.6 + 0.4 * np.sin(np.linspace(0.2, np.pi - 0.2, duration[p]))
        used = rng.choice(roles, rng.integers(2, 6), replace=False)
        spend = rng.lognormal(np.log(4000), 0.8) * ramp  # external spend
        for r in used:
            hours = np.round(rng.uniform(0.2, 2.0) * FTE_HOURS * ramp, 1)
            demand_rows.append(pd.DataFrame({"project_id": f"P{p:03d}", "role": f"R{r:02d}",
                                             "month_index": months_p, "hours": hours}))
            spend = spend + hours * rate[r]
        cost_rows.append(pd.DataFrame({"project_id": f"P{p:03d}", "month_index": months_p, "cost": spend}))
    return start, pd.concat(cost_rows, ignore_index=True), pd.concat(demand_rows, ignore_index=True)


def generate(projects: int, months: int, roles: int, seed: int) -> Problem:
    """The benchmark portfolio (fixed dates; the caller sets the shift window)."""
    rng = np.random.default_rng(seed)
    start, cost, demand = _profiles(rng, projects, months, roles)
    total = cost.groupby("project_id")["cost"].sum()
    value = (total / total.mean()) ** 0.8 * 50 * rng.uniform(0.3, 3.0, projects)
    ids = total.index.to_numpy()
    must = np.zeros(projects, bool)
    must[np.argsort(total.to_numpy())[: projects * 4 // 100]] = True
    candidates = pd.DataFrame({"project_id": ids, "value": value.round(1).to_numpy(), "must": must,
                               "current": rng.random(projects) < 0.6})
    free = rng.permutation(np.nonzero(~must)[0])
    exclusions = [[ids[free[2 * i]], ids[free[2 * i + 1]]] for i in range(15)]
    dependencies = []
    for a in free[30:50]:
        earlier = np.nonzero((start <= start[a]) & (np.arange(projects) != a))[0]
        dependencies.append((ids[a], ids[rng.choice(earlier)]))
    monthly = cost.groupby("month_index")["cost"].sum().reindex(range(months), fill_value=0).to_numpy()
    budget = monthly * rng.uniform(0.3, 0.6, months)
    mean_hours = demand.groupby("role")["hours"].sum() / months
    fte = np.maximum(1, np.round(mean_hours * rng.uniform(0.4, 0.7, len(mean_hours)) / FTE_HOURS))
    capacity = pd.DataFrame([(role, m, n * FTE_HOURS) for role, n in fte.items() for m in range(months)],
                            columns=["role", "month_index", "hours"])
    return Problem(candidates, cost, demand, budget=budget, capacity=capacity, exclusions=exclusions,
                   dependencies=dependencies, months=months)


def run(problem: Problem, label: str, gap: float, time_limit: float) -> dict:
    t0 = time.perf_counter()
    model = build(problem)
    built = time.perf_counter() - t0
    best = optimise(problem, model=model, mip_rel_gap=gap, time_limit=time_limit)
    naive = greedy(problem, model=model)
    return {"case": label, "columns": model.columns, "rows": model.A.shape[0], "nonzeros": model.A.nnz,
            "build_s": built, "solve_s": best.seconds, "status": best.status, "gap": best.gap,
            "optimiser": best.objective, "bound": best.best_bound, "selected": len(best.selection),
            "greedy": naive.objective, "greedy_s": naive.seconds + naive.build_seconds,
            "greedy_selected": len(naive.selection), "within_limits": _within_limits(best) and _within_limits(naive)}


def _within_limits(result) -> bool:
    """Every month's spend and every role-month's hours at or under its limit."""
    spare = pd.concat([result.budget["spare"], result.capacity["spare"]]).dropna()
    return bool((spare >= -1e-6).all())


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=500)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--roles", type=int, default=20)
    ap.add_argument("--shift", type=int, default=3)
    ap.add_argument("--gap", type=float, default=0.01)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    problem = generate(args.projects, args.months, args.roles, args.seed)
    print(f"generated {args.projects} candidates x {args.months} months x {args.roles} roles "
          f"(seed {args.seed}) in {time.perf_counter() - t0:.1f} s; mip_rel_gap {args.gap:.0%}, "
          f"time limit {args.time_limit:.0f} s\n", flush=True)
    rows = [run(problem, "fixed dates", args.gap, args.time_limit)]
    shifted = replace(problem, shift_window=args.shift)
    rows.append(run(shifted, f"shift +-{args.shift}", args.gap, args.time_limit))
    header = (f"{'case':<12} {'columns':>7} {'rows':>6} {'nonzeros':>9} {'build s':>8} {'solve s':>8} "
              f"{'status':<21} {'gap':>6} {'optimiser':>10} {'n':>4} {'greedy':>10} {'n':>4} {'greedy s':>8} "
              f"{'opt/greedy':>10}")
    print(header)
    print("-" * len(header))
    for r in rows:
        gap = f"{r['gap']:.2%}" if r["gap"] is not None else "-"
        ratio = r["optimiser"] / r["greedy"] if r["optimiser"] and r["greedy"] else float("nan")
        print(f"{r['case']:<12} {r['columns']:>7,} {r['rows']:>6,} {r['nonzeros']:>9,} {r['build_s']:>8.2f} "
              f"{r['solve_s']:>8.2f} {r['status']:<21} {gap:>6} {r['optimiser'] or float('nan'):>10,.1f} "
              f"{r['selected']:>4} {r['greedy'] or float('nan'):>10,.1f} {r['greedy_selected']:>4} "
              f"{r['greedy_s']:>8.3f} {ratio:>9.3f}x")
    print("\nvalue = the objective (sum of value scores; no change penalty here); n = projects selected; "
          "greedy s includes building its model")
    print("every selection within every monthly budget and role-month capacity:",
          "yes" if all(r["within_limits"] for r in rows) else "NO")


if __name__ == "__main__":
    main()
