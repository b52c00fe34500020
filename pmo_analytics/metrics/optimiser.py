"""The portfolio optimiser of issue 15 (Arbitration): which candidate projects to fund, and when.

    problem = Problem(candidates, cost, demand, budget=..., capacity=..., shift_window=3)
    result = optimise(problem, time_limit=60)     # scipy.optimize.milp (HiGHS)
    naive = greedy(problem)                       # the PMO's ranking by value / cost, for comparison

The formulation and the shift rule are in optimiser_model's docstring. No database access: the caller
builds the frames (from a snapshot, or by hand).

Errors: inputs a user can get wrong (unknown project_ids, negative values, a profile outside the
horizon, a project both must and must_not) raise InputError; bad solver options raise UsageError. An
infeasible problem does not raise: the Result has status "infeasible", no selection, `message` naming
the must-do projects and the month or role-month they break (need, limit and excess; see
optimiser_feasibility), and the same as records in `infeasibility`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics import optimiser_feasibility as feasibility
from pmo_analytics.metrics.optimiser_feasibility import Breach
from pmo_analytics.metrics.optimiser_model import Model, Problem, build, run_milp

__all__ = ["Problem", "Result", "Breach", "optimise", "greedy", "evaluate", "TIME_LIMIT", "OPTIMAL",
           "TIME_LIMIT_FEASIBLE", "TIME_LIMIT_NONE", "INFEASIBLE", "GREEDY", "SOLVER_ERROR"]

OPTIMAL = "optimal"                        # proven within mip_rel_gap
TIME_LIMIT_FEASIBLE = "time limit: feasible"
TIME_LIMIT_NONE = "time limit: no solution"
INFEASIBLE = "infeasible"
GREEDY = "greedy"                          # the ranking's selection: feasible, no bound
SOLVER_ERROR = "solver error"
TIME_LIMIT = 60.0                          # seconds per solve by default (None = no limit); see optimise
SELECTION_COLUMNS = ["project_id", "shift", "start_month", "value", "cost", "current", "changed", "must"]


@dataclass(frozen=True, eq=False)
class Result:
    """One optimisation (or greedy ranking).

    status: see the constants above. objective: total value less change penalties. best_bound: HiGHS's
    dual bound on the objective (None for greedy); gap: (best_bound - objective) / |objective|.
    selection: project_id, shift (months), start_month (planned start + shift), value, cost, current,
    changed (selection or shift differs from current), must. budget: month_index, used, limit (NaN = none),
    spare. capacity: role, month_index, used, capacity (NaN = none), spare, for every role-month with
    hours used or a capacity. dropped: current projects not selected. seconds: solve time; build_seconds:
    the checks and the matrix.
    """

    status: str
    message: str
    method: str
    objective: float | None = None
    total_value: float | None = None
    penalty: float = 0.0
    best_bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    build_seconds: float = 0.0
    total_cost: float = 0.0
    total_budget: float | None = None
    selection: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SELECTION_COLUMNS))
    budget: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["month_index", "used", "limit",
                                                                               "spare"]))
    capacity: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["role", "month_index", "used", "capacity", "spare"]))
    dropped: tuple = ()
    infeasibility: tuple[Breach, ...] = ()
    size: dict = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        """True when there is a selection (optimal, greedy, or the best found by the time limit)."""
        return self.status in (OPTIMAL, TIME_LIMIT_FEASIBLE, GREEDY)

    @property
    def selected(self) -> dict:
        """project_id -> shift of every selected project."""
        return dict(zip(self.selection["project_id"], self.selection["shift"]))


def _usage_frames(model: Model, x: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Budget used vs limit per month, and hours used vs capacity per role-month."""
    used = model.spend @ x
    limit = np.where(np.isfinite(model.budget_limit), model.budget_limit, np.nan)
    budget = pd.DataFrame({"month_index": np.arange(model.months), "used": used, "limit": limit,
                           "spare": limit - used})
    hours = model.hours @ x
    cap = np.where(np.isfinite(model.capacity_limit), model.capacity_limit, np.nan)
    keep = (hours > 0) | ~np.isnan(cap)
    rows = np.nonzero(keep)[0]
    roles = np.asarray(model.roles, dtype=object)
    capacity = pd.DataFrame({"role": roles[rows // model.months] if len(rows) else [],
                             "month_index": rows % model.months, "used": hours[rows], "capacity": cap[rows],
                             "spare": cap[rows] - hours[rows]})
    return budget, capacity


def evaluate(model: Model, x: np.ndarray) -> dict:
    """The Result fields of a 0/1 column vector x: selection, usage, objective and value."""
    x = (np.asarray(x) > 0.5).astype(float)
    cols = np.nonzero(x)[0]
    p, s = model.col_project[cols], model.col_shift[cols]
    cost = np.asarray(model.spend[:, cols].sum(axis=0)).ravel()
    current = model.flags["current"]
    start = np.where(model.start[p] >= 0, model.start[p] + s, -1)
    selection = pd.DataFrame({"project_id": model.project_ids[p], "shift": s.astype(int),
                              "start_month": pd.array(np.where(start >= 0, start, None), dtype="Int64"),
                              "value": model.values[p], "cost": cost, "current": current[p],
                              "changed": ~current[p] | (s != 0), "must": model.flags["must"][p]})
    chosen = np.zeros(len(model.project_ids), bool)
    chosen[p] = True
    budget, capacity = _usage_frames(model, x)
    objective = float(model.objective @ x + model.constant)
    total_value = float(model.values[p].sum())
    return {"selection": selection, "budget": budget, "capacity": capacity, "objective": objective,
            "total_value": total_value, "penalty": total_value - objective, "total_cost": float(cost.sum()),
            "dropped": tuple(model.project_ids[current & ~chosen])}


def _size(model: Model) -> dict:
    return {"projects": len(model.project_ids), "columns": model.columns, "rows": model.A.shape[0],
            "nonzeros": int(model.A.nnz), "limit_rows": len(model.limit_rows)}


def _infeasible(model: Model, breaches: list[Breach], method: str, built: float) -> Result:
    return Result(INFEASIBLE, feasibility.message(breaches), method, build_seconds=built,
                  total_budget=model.total_budget, infeasibility=tuple(breaches), size=_size(model))


def _check_options(time_limit, mip_rel_gap) -> None:
    if time_limit is not None and not (np.isfinite(time_limit) and time_limit > 0):
        raise UsageError(f"time_limit must be a number of seconds > 0, not {time_limit!r}")
    if not (np.isfinite(mip_rel_gap) and mip_rel_gap >= 0):
        raise UsageError(f"mip_rel_gap must be a number >= 0, not {mip_rel_gap!r}")


def optimise(problem: Problem, *, time_limit: float | None = TIME_LIMIT, mip_rel_gap: float = 1e-4,
             model: Model | None = None) -> Result:
    """The best selection and shifts for the problem, solved by HiGHS to within mip_rel_gap (or the best
    found within time_limit seconds: a finite default, because tightly limited cases of a few hundred
    columns can keep HiGHS busy for minutes). The must-dos are checked on their own first (module doc).
    model: build(problem), when the caller has it already."""
    _check_options(time_limit, mip_rel_gap)
    t0 = time.perf_counter()
    model = model if model is not None else build(problem)
    breaches = feasibility.must_do_breaches(model, allow_shift=True, time_limit=time_limit)
    built = time.perf_counter() - t0
    if breaches:
        return _infeasible(model, breaches, "milp", built)
    t1 = time.perf_counter()
    res = run_milp(model, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
    seconds = time.perf_counter() - t1
    base = {"method": "milp", "seconds": seconds, "build_seconds": built, "total_budget": model.total_budget,
            "size": _size(model)}
    if res.x is None:
        status = {1: TIME_LIMIT_NONE, 2: INFEASIBLE}.get(res.status, SOLVER_ERROR)
        return Result(status, f"{status}: {res.message}", **base)
    fields = evaluate(model, res.x)
    bound = None if res.mip_dual_bound is None else float(-res.mip_dual_bound + model.constant)
    if bound is not None:
        bound = max(bound, fields["objective"])  # HiGHS's bound never sits below its own incumbent
    gap = None if bound is None else (bound - fields["objective"]) / max(abs(fields["objective"]), 1e-12)
    status = OPTIMAL if res.status == 0 else TIME_LIMIT_FEASIBLE if res.status == 1 else SOLVER_ERROR
    text = (f"{status}: {len(fields['selection'])} project(s), objective {fields['objective']:,.2f}, "
            f"gap {gap:.2%}" if gap is not None else f"{status}")
    return Result(status, text, best_bound=bound, gap=gap, **base, **fields)


def _ranking(model: Model) -> np.ndarray:
    """Projects by value / total cost at the planned dates (free ones first), ties by value, then order."""
    cost = np.asarray(model.spend[:, model.col0].sum(axis=0)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cost > 0, model.values / np.where(cost > 0, cost, 1.0), np.inf)
    return np.lexsort((np.arange(len(ratio)), -model.values, -ratio))


def _prerequisites(model: Model, p: int, chosen: np.ndarray, needs: dict) -> list[int]:
    """p and every project it needs (through dependencies) that is not chosen yet."""
    out, todo = [], [p]
    while todo:
        q = todo.pop()
        if q not in out and not chosen[q]:
            out.append(q)
            todo.extend(needs.get(q, ()))
    return out


def greedy(problem: Problem, *, model: Model | None = None) -> Result:
    """The naive ranking a PMO would do: must-dos (and what they need) first, then by value / total cost,
    adding a project (with any project it depends on) when it fits every limit at its planned dates.
    No shifting; must_not, exclusions and dependencies are respected. Same Result, status "greedy"."""
    t0 = time.perf_counter()
    model = model if model is not None else build(problem)
    breaches = feasibility.must_do_breaches(model, allow_shift=False)
    if breaches:
        return _infeasible(model, breaches, "greedy", time.perf_counter() - t0)
    built, t1 = time.perf_counter() - t0, time.perf_counter()
    A, ub = model.A.tocsc(), model.row_ub + 1e-9 * np.maximum(1.0, np.abs(model.row_ub))
    chosen = feasibility.forced_in(model)
    x = np.zeros(model.columns)
    x[model.col0[chosen]] = 1.0
    used = A @ x
    needs: dict[int, list[int]] = {}
    for a, b in zip(*feasibility.dependency_pairs(model)):
        needs.setdefault(int(a), []).append(int(b))
    for p in _ranking(model):
        group = _prerequisites(model, int(p), chosen, needs)
        if not group or model.flags["must_not"][group].any():
            continue
        delta = np.asarray(A[:, model.col0[group]].sum(axis=1)).ravel()
        if (used + delta <= ub).all():
            used += delta
            chosen[group] = True
    x[:] = 0.0
    x[model.col0[chosen]] = 1.0
    fields = evaluate(model, x)
    text = f"greedy: {len(fields['selection'])} project(s), objective {fields['objective']:,.2f}"
    return Result(GREEDY, text, "greedy", seconds=time.perf_counter() - t1, build_seconds=built,
                  total_budget=model.total_budget, size=_size(model), **fields)
