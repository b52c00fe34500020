"""Explaining an arbitration (issue 15): why each project is out and what would bring it in, value against
budget (the frontier, beside the naive ranking), and what one more FTE or 10% more budget is worth.

Every figure comes from re-solving the problem (each its own milp), so each row carries the status and
gap of its solve: with a gap above zero, differences smaller than the gap are noise.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics.optimiser import TIME_LIMIT, Problem, Result, greedy, optimise
from pmo_analytics.metrics.optimiser_feasibility import dependency_pairs
from pmo_analytics.metrics.optimiser_model import Model, build

BINDING_COLUMNS = ["project_id", "kind", "month_index", "role", "used", "adding", "limit", "needed"]


@dataclass(frozen=True, eq=False)
class Explanation:
    """projects: one row per excluded project: project_id, value, excluded_by (must_not, exclusion with X,
    depends on Y; blank when only limits keep it out), binding (the limits it would break, in words),
    forced_status (of the re-solve with it forced in; "not re-solved" for must_not or resolve=False),
    displaced and added (project_ids), value_change (forced objective - current objective), message.
    binding: one row per (project, limit it would break if added at its planned dates): kind,
    month_index (-1 for the total cap), role (missing for budget rows), used (by the chosen set),
    adding (the project's own need), limit, needed (the amount over the limit)."""

    projects: pd.DataFrame
    binding: pd.DataFrame


def solution_vector(model: Model, result: Result) -> np.ndarray:
    """The 0/1 column vector of a result's selection (project and shift) in the model's columns."""
    x = np.zeros(model.columns)
    for pid, shift in result.selected.items():
        p = model.project_index(pid)
        lo = model.col_start[p]
        cols = np.nonzero(model.col_shift[lo: lo + model.col_count[p]] == shift)[0]
        if not len(cols):
            raise UsageError(f"the result selects {pid} with shift {shift}, which this problem does not allow")
        x[lo + cols[0]] = 1.0
    return x


def binding_limits(model: Model, x: np.ndarray, p: int) -> pd.DataFrame:
    """The limits project p would break if added at its planned dates to the selection x."""
    rows = model.limit_rows
    block = model.A[: len(rows)]
    used = block @ x
    adding = np.asarray(block[:, model.col0[p]].todense()).ravel()
    limit = rows["limit"].to_numpy(float)
    over = np.nonzero(used + adding > limit + 1e-9 * np.maximum(1.0, np.abs(limit)))[0]
    return pd.DataFrame({"project_id": model.project_ids[p], "kind": rows["kind"].to_numpy()[over],
                         "month_index": rows["month_index"].to_numpy()[over], "role": rows["role"].to_numpy()[over],
                         "used": used[over], "adding": adding[over], "limit": limit[over],
                         "needed": used[over] + adding[over] - limit[over]}, columns=BINDING_COLUMNS)


def _binding_text(frame: pd.DataFrame) -> str:
    parts = []
    for row in frame.itertuples():
        if row.kind == "budget":
            parts.append(f"budget in month {row.month_index}: {row.needed:,.2f} more needed")
        elif row.kind == "capacity":
            parts.append(f"{row.role} in month {row.month_index}: {row.needed:,.1f} h more needed")
        else:
            parts.append(f"total budget: {row.needed:,.2f} more needed")
    return "; ".join(parts)


def structural_reasons(model: Model, chosen: dict, p: int) -> list[str]:
    """must_not, exclusion groups with a chosen project, and dependencies on a project not chosen."""
    pid, out = model.project_ids[p], []
    if model.flags["must_not"][p]:
        out.append("must_not")
    for group in model.problem.exclusions:
        others = [q for q in group if q != pid and q in chosen]
        if pid in set(group) and others:
            out.append("exclusion with " + ", ".join(map(str, others)))
    for a, b in zip(*dependency_pairs(model)):
        if a != p:
            continue
        need = model.project_ids[b]
        if need not in chosen:
            out.append(f"depends on {need} (not selected)")
        elif model.problem.dependency_order and model.start[b] + chosen[need] > model.start[p] >= 0:
            out.append(f"depends on {need}, which starts later")
    return out


def _needs(problem: Problem, pid) -> set:
    """pid and every project it depends on, directly or through others."""
    out, todo = set(), [pid]
    while todo:
        q = todo.pop()
        if q not in out:
            out.add(q)
            todo.extend(b for a, b in problem.dependencies if a == q)
    return out


def _forced(problem: Problem, pid, base: Result, solve: dict, keep_others_out: bool) -> dict:
    """Re-solve with pid forced in: who it displaces and the objective's change. keep_others_out: only
    the chosen set (and what pid depends on) may be selected, so the answer is who must give way."""
    candidates = problem.candidates.copy()
    flag = (lambda c: candidates[c].fillna(False).astype(bool) if c in candidates else False)
    candidates["must"] = flag("must") | (candidates["project_id"] == pid)
    if keep_others_out:
        allowed = set(base.selected) | _needs(problem, pid)
        candidates["must_not"] = flag("must_not") | ~candidates["project_id"].isin(allowed)
    forced = optimise(replace(problem, candidates=candidates), **solve)
    if not forced.feasible:
        return {"forced_status": forced.status, "displaced": (), "added": (), "value_change": np.nan,
                "message": forced.message}
    before, after = base.selected, forced.selected
    displaced = tuple(q for q in before if q not in after)
    added = tuple(q for q in after if q not in before and q != pid)
    change = forced.objective - base.objective
    text = (f"forced in: displaces {', '.join(map(str, displaced)) or 'nothing'}"
            + (f", adds {', '.join(map(str, added))}" if added else "") + f"; objective {change:+,.2f}")
    return {"forced_status": forced.status, "displaced": displaced, "added": added, "value_change": change,
            "message": text}


def explain_excluded(problem: Problem, result: Result | None = None, *, project_ids=None, resolve: bool = True,
                     keep_others_out: bool = True, time_limit: float | None = TIME_LIMIT,
                     mip_rel_gap: float = 1e-4) -> Explanation:
    """Why each excluded project (or each of project_ids) is out: its structural reasons, the limits it
    would break beside the chosen set, and (resolve=True) the re-solve with it forced in. By default
    that re-solve lets only the chosen projects give way or move (what it depends on may come too; every
    other project stays out), so `displaced` is who must make room, stable whatever the gap; with
    keep_others_out=False it re-optimises everything, which at a gap of 1% also reshuffles projects that
    merely trade places. A must_not project is not re-solved. One milp per project explained."""
    model = build(problem)
    solve = {"time_limit": time_limit, "mip_rel_gap": mip_rel_gap}
    result = result if result is not None else optimise(problem, model=model, **solve)
    if not result.feasible:
        raise UsageError(f"nothing to explain: the optimisation is {result.status} ({result.message})")
    chosen, x = result.selected, solution_vector(model, result)
    wanted = [q for q in (model.project_ids if project_ids is None else project_ids) if q not in chosen]
    rows, binding = [], []
    for pid in wanted:
        p = model.project_index(pid)
        limits = binding_limits(model, x, p)
        binding.append(limits)
        reasons = structural_reasons(model, chosen, p)
        row = {"project_id": pid, "value": model.values[p], "excluded_by": "; ".join(reasons),
               "binding": _binding_text(limits), "forced_status": "not re-solved", "displaced": (), "added": (),
               "value_change": np.nan, "message": "must_not: not re-solved" if "must_not" in reasons else ""}
        if resolve and "must_not" not in reasons:
            row.update(_forced(problem, pid, result, solve, keep_others_out))
        rows.append(row)
    frames = [b for b in binding if len(b)]
    return Explanation(pd.DataFrame(rows, columns=["project_id", "value", "excluded_by", "binding", "forced_status",
                                                   "displaced", "added", "value_change", "message"]),
                       pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=BINDING_COLUMNS))


def _whole_portfolio(model: Model) -> float:
    """The top of the frontier: what every candidate except the must_not ones would spend at its planned
    dates, or the sum of the monthly budget limits when every month has one and that is less."""
    cost = np.asarray(model.spend[:, model.col0].sum(axis=0)).ravel()
    whole = float(cost[~model.flags["must_not"]].sum())
    return min(whole, float(model.budget_limit.sum()))


def frontier(problem: Problem, *, points: int = 15, caps=None, time_limit: float | None = TIME_LIMIT,
             mip_rel_gap: float = 1e-4) -> pd.DataFrame:
    """Value against a total budget cap (epsilon-constraint: one milp per cap, the cap replacing
    problem.total_budget; the monthly limits and capacity stay), beside the greedy ranking at the same cap.
    Caps: `points` from top/points to the top, unless given; the top is the whole portfolio's planned
    spend, or the sum of the monthly limits if that is less (above it the cap cannot bind). Columns:
    budget_cap, optimiser_value (objective), optimiser_cost, optimiser_projects, status, gap, best_bound,
    greedy_value, greedy_cost, greedy_projects; an infeasible cap (must-dos over it) has NaN values.
    The optimiser's curve is non-decreasing and above the greedy one only to within each solve's gap."""
    if caps is None:
        if points < 2:
            raise UsageError(f"points must be at least 2, not {points}")
        whole = _whole_portfolio(build(problem))
        caps = np.linspace(whole / points, whole, points)
    rows = []
    for cap in caps:
        capped = replace(problem, total_budget=float(cap))
        model = build(capped)
        best = optimise(capped, model=model, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
        naive = greedy(capped, model=model)
        rows.append({"budget_cap": float(cap), "optimiser_value": _value(best), "optimiser_cost": _cost(best),
                     "optimiser_projects": len(best.selection), "status": best.status, "gap": best.gap,
                     "best_bound": best.best_bound, "greedy_value": _value(naive), "greedy_cost": _cost(naive),
                     "greedy_projects": len(naive.selection)})
    return pd.DataFrame(rows)


def _value(result: Result) -> float:
    return result.objective if result.feasible else np.nan


def _cost(result: Result) -> float:
    return result.total_cost if result.feasible else np.nan


def _changes(problem: Problem, fte_hours: float, budget_factor: float) -> list[tuple[dict, Problem]]:
    """(description, changed problem) for +1 FTE of every role with a capacity and the budget factor."""
    out = []
    capacity = problem.capacity
    if capacity is not None and len(capacity):
        limited = capacity[pd.to_numeric(capacity["hours"], errors="coerce").notna()]
        for role in pd.unique(limited["role"]):
            more = capacity.copy()
            more.loc[more["role"] == role, "hours"] = pd.to_numeric(more["hours"]) + fte_hours
            out.append(({"change": f"+1 FTE {role} ({fte_hours:g} h a month)", "kind": "capacity", "role": role},
                        replace(problem, capacity=more)))
    pct = f"{budget_factor - 1:+.0%}"
    if problem.budget is not None:
        out.append(({"change": f"{pct} monthly budget", "kind": "budget", "role": None},
                    replace(problem, budget=np.asarray(problem.budget, float) * budget_factor)))
    if problem.total_budget is not None:
        out.append(({"change": f"{pct} total budget", "kind": "total budget", "role": None},
                    replace(problem, total_budget=problem.total_budget * budget_factor)))
    return out


def marginal_values(problem: Problem, base: Result | None = None, *, fte_hours: float = 140.0,
                    budget_factor: float = 1.1, time_limit: float | None = TIME_LIMIT,
                    mip_rel_gap: float = 1e-4) -> pd.DataFrame:
    """What one more FTE (fte_hours added to every listed month) of each capacity-limited role, and
    budget_factor x every monthly limit (and x the total cap, as its own row) are worth: one milp each.
    Columns: change, kind, role, value_before, value_after, delta, status, gap, binding_months (months the
    role, or the budget, is used to its limit in the base solution)."""
    if fte_hours <= 0 or budget_factor <= 0:
        raise UsageError("fte_hours and budget_factor must be > 0")
    solve = {"time_limit": time_limit, "mip_rel_gap": mip_rel_gap}
    base = base if base is not None else optimise(problem, **solve)
    rows = []
    for what, changed in _changes(problem, float(fte_hours), float(budget_factor)):
        after = optimise(changed, **solve)
        rows.append({**what, "value_before": _value(base), "value_after": _value(after),
                     "delta": _value(after) - _value(base), "status": after.status, "gap": after.gap,
                     "binding_months": _binding_months(base, what)})
    return pd.DataFrame(rows, columns=["change", "kind", "role", "value_before", "value_after", "delta", "status",
                                       "gap", "binding_months"])


def _binding_months(base: Result, what: dict) -> int:
    """Months in which the base solution uses the role's capacity (or the monthly budget) to the limit."""
    if not base.feasible or what["kind"] == "total budget":
        return 0
    if what["kind"] == "budget":
        frame, limit = base.budget, "limit"
    else:
        frame, limit = base.capacity[base.capacity["role"] == what["role"]], "capacity"
    full = frame["used"] >= frame[limit] - 1e-6 * np.maximum(1.0, frame[limit].abs())
    return int(full.sum())
