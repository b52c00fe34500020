"""Why the must-dos cannot all be funded: checked before any optimisation (issue 15).

The forced set is the must-dos plus every project they depend on (directly or through other
dependencies). It is infeasible when a forced project is must_not, when two forced projects share an
exclusion group, or when the forced set alone breaks a limit. Limits are checked at the planned dates
and each breach names the month (or role-month), what the forced projects need, the limit, the excess,
and any project that breaks it on its own; when a forced project may shift, a small MILP over the forced
projects alone decides whether some start within the window fits them (then there is no breach).
If the forced set fits, the whole problem is feasible (leave every other project out).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pmo_analytics.metrics.optimiser_model import Model, run_milp


@dataclass(frozen=True)
class Breach:
    """One reason the must-dos cannot all be funded. kind: budget, capacity, total budget, exclusion,
    dependency or order; month_index/role/needed/limit/excess for the limit kinds."""

    kind: str
    projects: tuple
    text: str
    month_index: int | None = None
    role: object = None
    needed: float | None = None
    limit: float | None = None
    excess: float | None = None
    alone: tuple = ()


def dependency_pairs(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """The dependencies as index arrays a, b (a may be selected only if b is)."""
    pairs = [tuple(d) for d in model.problem.dependencies]
    a = model.project_ids.get_indexer([d[0] for d in pairs]) if pairs else np.zeros(0, int)
    b = model.project_ids.get_indexer([d[1] for d in pairs]) if pairs else np.zeros(0, int)
    return a, b


def forced_in(model: Model) -> np.ndarray:
    """The must-dos and everything they need through dependencies, as a boolean array over projects."""
    forced = model.flags["must"].copy()
    a, b = dependency_pairs(model)
    while True:
        grown = forced.copy()
        grown[b[forced[a]]] = True
        if (grown == forced).all():
            return forced
        forced = grown


def _who(model: Model, p: int) -> str:
    """A project named with why it is forced: a must-do, or needed by one."""
    name = str(model.project_ids[p])
    return name if model.flags["must"][p] else f"{name} (needed by a must-do through a dependency)"


def structural(model: Model, forced: np.ndarray) -> list[Breach]:
    """Forced projects that are must_not, and exclusion groups holding two forced projects."""
    ids, out = model.project_ids, []
    a, b = dependency_pairs(model)
    for y in np.nonzero(forced & model.flags["must_not"])[0]:
        needers = [str(ids[x]) for x, z in zip(a, b) if z == y and forced[x]]
        out.append(Breach("dependency", tuple([ids[y]] + needers),
                          f"{ids[y]} is must_not, but {', '.join(needers)} (forced in) depends on it"))
    for group in model.problem.exclusions:
        members = sorted(set(ids.get_indexer(list(group))))
        hit = [p for p in members if forced[p]]
        if len(hit) > 1:
            names = " and ".join(_who(model, p) for p in hit)
            out.append(Breach("exclusion", tuple(ids[hit]),
                              f"must-dos {names} are in one exclusion group (at most one may be selected)"))
    return out


def _limit_text(kind: str, month: int, role, names: str, needed: float, limit: float) -> str:
    """'budget in month 2: must-dos P1, P2 together need 12.00 against a limit of 10.00 (over by 2.00)'."""
    if kind == "budget":
        where, unit, what = f"budget in month {month}", "", "a limit"
    elif kind == "capacity":
        where, unit, what = f"role {role!r} in month {month}", " h", "a capacity"
    else:
        where, unit, what = "total budget", "", "a cap"
    return (f"{where}: {names} {needed:,.2f}{unit} against {what} of {limit:,.2f}{unit} "
            f"(over by {needed - limit:,.2f}{unit})")


def limit_breaches(model: Model, forced: np.ndarray) -> list[Breach]:
    """Each limit the forced projects break at their planned dates, with the excess."""
    cols = model.col0[forced]
    rows = model.limit_rows
    block = model.A[: len(rows)][:, cols].toarray()
    used = block.sum(axis=1)
    limit = rows["limit"].to_numpy(float)
    out = []
    for i in np.nonzero(used > limit + 1e-9 * np.maximum(1.0, np.abs(limit)))[0]:
        kind, month, role = rows.at[i, "kind"], int(rows.at[i, "month_index"]), rows.at[i, "role"]
        who = np.nonzero(forced)[0][block[i] > 0]
        alone = [(str(model.project_ids[p]), amount) for p, amount in zip(who, block[i][block[i] > 0])
                 if amount > limit[i]]
        if len(who) == 1:
            text = _limit_text(kind, month, role, f"must-do {model.project_ids[who[0]]} alone needs", used[i],
                               limit[i])
        else:
            names = ", ".join(map(str, model.project_ids[who]))
            text = _limit_text(kind, month, role, f"must-dos {names} together need", used[i], limit[i])
            text += "".join(f"; {p} alone needs {amount:,.2f}" for p, amount in alone)
        out.append(Breach(kind, tuple(model.project_ids[who]), text, month if kind != "total budget" else None,
                          role, float(used[i]), float(limit[i]), float(used[i] - limit[i]),
                          tuple(p for p, _ in alone)))
    return out


def order_breaches(model: Model, forced: np.ndarray) -> list[Breach]:
    """With dependency_order: forced pairs where b starts after a at the planned dates."""
    if not model.problem.dependency_order:
        return []
    a, b = dependency_pairs(model)
    ids, start, out = model.project_ids, model.start, []
    for x, y in zip(a, b):
        if forced[x] and forced[y] and start[x] >= 0 and start[y] > start[x]:
            out.append(Breach("order", (ids[x], ids[y]),
                              f"{ids[x]} depends on {ids[y]}, which starts later (month {start[y]} after "
                              f"{start[x]})"))
    return out


def must_do_breaches(model: Model, allow_shift: bool, time_limit: float | None = None) -> list[Breach]:
    """Every reason the forced set cannot be funded (empty when it can)."""
    forced = forced_in(model)
    out = structural(model, forced)
    if out or not forced.any():
        return out
    out = limit_breaches(model, forced) + order_breaches(model, forced)
    if out and allow_shift and (model.col_count[forced] > 1).any():
        col_ub = np.where(forced[model.col_project], model.col_ub, 0.0)
        row_lb = model.row_lb.copy()
        start = len(model.limit_rows)
        row_lb[start: start + len(forced)] = np.where(forced, 1.0, -np.inf)
        res = run_milp(model, objective=np.zeros(model.columns), col_ub=col_ub, row_lb=row_lb,
                       time_limit=time_limit)
        if res.x is not None or res.status != 2:
            return []  # a start within the window fits them (or the check ran out of time: let the solve say)
        out = [Breach(**{**br.__dict__, "text": br.text + " at the planned dates, and no start within the "
                                                          "shift window fits them"}) for br in out]
    return out


def message(breaches: list[Breach]) -> str:
    """The user's message for an infeasible problem: one line per breach."""
    return "infeasible: the must-do projects cannot all be funded:\n" + "\n".join(f"- {b.text}" for b in breaches)
