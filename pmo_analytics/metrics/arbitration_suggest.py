"""The optimiser's answer as scenario changes a director can apply (issue 15): exclude a project, or move
its start. Plain dicts (kind, project_id, months, who, why), the fields of a scenario change.

A shift the project does not need is dropped first: with no change penalty (or for a project not in
the current plan) the solver is indifferent between equally good dates and may move a project for
nothing. A shifted project goes back to its planned dates, one at a time in candidate order (and again
until none can), when those dates fit every limit beside the rest of the selection; the value stays.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics.optimiser import Problem, Result
from pmo_analytics.metrics.optimiser_explain import binding_limits, solution_vector, structural_reasons
from pmo_analytics.metrics.optimiser_model import Model, build

WHO = "optimiser"


def _month(problem: Problem, m: int) -> str:
    """'2027-02' for a problem built from a snapshot, else 'month 3'."""
    first = getattr(problem, "first_month", None)
    if first is None:
        return f"month {m}"
    total = first.year * 12 + first.month - 1 + int(m)
    return f"{dt.date(total // 12, total % 12 + 1, 1):%Y-%m}"


def _limit_text(problem: Problem, limits: pd.DataFrame) -> str:
    """The earliest limit broken, in words, and how many more."""
    if limits.empty:
        return ""
    first = limits.sort_values(["month_index", "kind"], kind="stable").iloc[0]
    if first["kind"] == "budget":
        text = f"the budget of {_month(problem, first['month_index'])} would be over by {first['needed']:,.0f}"
    elif first["kind"] == "capacity":
        text = f"{first['role']} hours in {_month(problem, first['month_index'])} would be over by " \
               f"{first['needed']:,.0f} h"
    else:
        text = f"the total budget would be over by {first['needed']:,.0f}"
    return text + (f" (and {len(limits) - 1} more limit(s))" if len(limits) > 1 else "")


def _column(model: Model, p: int, shift: int) -> int:
    lo = model.col_start[p]
    return int(lo + np.nonzero(model.col_shift[lo: lo + model.col_count[p]] == shift)[0][0])


def _without_needless_shifts(model: Model, x: np.ndarray, chosen: dict) -> tuple[np.ndarray, dict]:
    """Back to the planned dates every shifted project whose planned dates fit beside the rest (module
    docstring); not with dependency_order, whose start order a move back could break."""
    if model.problem.dependency_order:
        return x, chosen
    x, chosen = x.copy(), dict(chosen)
    moved = True
    while moved:  # a move back frees the months the project had moved to, so another may follow
        moved = False
        for pid, shift in [(q, s) for q, s in chosen.items() if s != 0]:
            p = model.project_index(pid)
            rest = x.copy()
            rest[_column(model, p, shift)] = 0.0
            if binding_limits(model, rest, p).empty:
                rest[model.col0[p]] = 1.0
                x, chosen[pid], moved = rest, 0, True
    return x, chosen


def _head(model: Model, p: int, cost: np.ndarray) -> str:
    return f"value {model.values[p]:g}, cost {cost[p]:,.0f}"


def _why_excluded(problem: Problem, model: Model, x: np.ndarray, chosen: dict, p: int, cost: np.ndarray) -> str:
    reasons = structural_reasons(model, chosen, p)
    if reasons:
        return f"{_head(model, p, cost)}; " + "; ".join(r.replace("must_not", "must_not (candidates)")
                                                         for r in reasons)
    text = _limit_text(problem, binding_limits(model, x, p))
    if not text:
        text = ("value 0: it adds nothing" if model.values[p] == 0 else
                "it fits beside the selection at its planned dates: left out within the optimiser's gap")
    return f"{_head(model, p, cost)}; {text}"


def _why_moved(problem: Problem, model: Model, x: np.ndarray, p: int, shift: int, cost: np.ndarray) -> str:
    rest = x.copy()
    rest[_column(model, p, shift)] = 0.0
    text = _limit_text(problem, binding_limits(model, rest, p)) or (
        "it would start before a project it depends on" if model.problem.dependency_order
        else "they clash with the rest of the selection")
    when = f"{abs(shift)} month(s) {'later' if shift > 0 else 'earlier'}"
    return f"{_head(model, p, cost)}; starting {when}: at its planned dates {text}"


def suggestion(result: Result, problem: Problem) -> list[dict]:
    """Scenario changes for the result, in candidate order: {"kind": "exclude", "project_id", "who",
    "why"} for every candidate not selected, and {"kind": "defer", "project_id", "months" (the start
    shift; negative = earlier), "who", "why"} for every selected project that must move. "why" is one
    line: value, cost (over the horizon, at the planned dates) and the limit that binds."""
    if not result.feasible:
        raise UsageError(f"nothing to suggest: the optimisation is {result.status} ({result.message})")
    model = build(problem)
    x, chosen = _without_needless_shifts(model, solution_vector(model, result), result.selected)
    cost = np.asarray(model.spend[:, model.col0].sum(axis=0)).ravel()
    out = []
    for p, pid in enumerate(model.project_ids):
        if pid not in chosen:
            out.append({"kind": "exclude", "project_id": pid, "who": WHO,
                        "why": _why_excluded(problem, model, x, chosen, p, cost)})
        elif chosen[pid] != 0:
            shift = int(chosen[pid])
            out.append({"kind": "defer", "project_id": pid, "months": shift, "who": WHO,
                        "why": _why_moved(problem, model, x, p, shift, cost)})
    return out
