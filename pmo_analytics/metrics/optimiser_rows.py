"""The objective and the rows of the arbitration MILP (the formulation is in optimiser_model's docstring).

Every function takes the compiled parts as a dict (project arrays, columns, usage matrices) and returns
the entries to add to it; the rows are built with scipy.sparse from index arrays, never nonzero by nonzero.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from pmo_analytics.exceptions import InputError


def objective(parts: dict, penalty: float) -> dict:
    """Per-column objective (maximised) and its constant: value less the change penalty."""
    if not np.isfinite(penalty) or penalty < 0:
        raise InputError(f"change_penalty must be a number >= 0, not {penalty}")
    p, s = parts["col_project"], parts["col_shift"]
    current = parts["flags"]["current"][p]
    change = np.where(current, np.where(s == 0, -1.0, 0.0), 1.0)
    coef = parts["values"][p] - penalty * change
    return {"objective": coef, "constant": -penalty * float(parts["flags"]["current"].sum()) + 0.0}


def expand(parts: dict, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each entry of p, every column of that project: (entry index, column), vectorised."""
    n = parts["col_count"][p]
    rep = np.repeat(np.arange(len(p)), n)
    offsets = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return rep, parts["col_start"][p][rep] + offsets


def _limit_rows(parts: dict) -> tuple[list, pd.DataFrame]:
    """Budget, capacity and total-budget rows (only where there is a finite limit) and their labels."""
    months, roles = parts["months"], parts["roles"]
    budget = np.nonzero(np.isfinite(parts["budget_limit"]))[0]
    capacity = np.nonzero(np.isfinite(parts["capacity_limit"]))[0]
    blocks = [parts["spend"][budget], parts["hours"][capacity]]
    labels = [pd.DataFrame({"kind": "budget", "month_index": budget, "role": None,
                            "limit": parts["budget_limit"][budget]}),
              pd.DataFrame({"kind": "capacity", "month_index": capacity % months,
                            "role": np.asarray(roles, dtype=object)[capacity // months] if len(roles) else None,
                            "limit": parts["capacity_limit"][capacity]})]
    if parts["total_budget"] is not None:
        if parts["total_budget"] < 0:
            raise InputError("total_budget must be >= 0")
        blocks.append(sparse.csr_matrix(parts["spend"].sum(axis=0)))
        labels.append(pd.DataFrame({"kind": ["total budget"], "month_index": [-1], "role": [None],
                                    "limit": [parts["total_budget"]]}))
    frame = pd.concat([f for f in labels if len(f)], ignore_index=True) if any(len(f) for f in labels) else \
        pd.DataFrame(columns=["kind", "month_index", "role", "limit"])
    frame["month_index"] = frame["month_index"].astype(int)
    return blocks, frame


def _indices(parts: dict, ids, what: str) -> np.ndarray:
    """Candidate indices of the given project_ids (an InputError names an unknown one)."""
    loc = parts["project_ids"].get_indexer(list(ids))
    if (loc < 0).any():
        unknown = [i for i, l in zip(ids, loc) if l < 0]
        raise InputError(f"{what}: not among the candidates: {unknown[:5]}")
    return loc


def _groups(parts: dict, exclusions) -> sparse.csr_matrix:
    """One row per exclusion group: the sum of its projects' columns."""
    pairs = [(g, p) for g, group in enumerate(exclusions)
             for p in np.unique(_indices(parts, list(group), "exclusions"))]
    g = np.array([x[0] for x in pairs], int)
    p = np.array([x[1] for x in pairs], int)
    rep, cols = expand(parts, p)
    return sparse.csr_matrix((np.ones(len(cols)), (g[rep], cols)), shape=(len(exclusions), len(parts["col_project"])))


def _dependencies(parts: dict, dependencies) -> tuple[np.ndarray, np.ndarray, sparse.csr_matrix]:
    """a, b index arrays and one row per pair: sum_s x[a, s] - sum_s x[b, s] <= 0."""
    pairs = [tuple(d) for d in dependencies]
    if any(len(d) != 2 for d in pairs):
        raise InputError("dependencies: give (a, b) pairs: a may be selected only if b is")
    a = _indices(parts, [d[0] for d in pairs], "dependencies")
    b = _indices(parts, [d[1] for d in pairs], "dependencies")
    if (a == b).any():
        raise InputError(f"dependencies: a project cannot depend on itself: {list(parts['project_ids'][a[a == b]])}")
    ra, ca = expand(parts, a)
    rb, cb = expand(parts, b)
    data = np.concatenate([np.ones(len(ca)), -np.ones(len(cb))])
    matrix = sparse.csr_matrix((data, (np.concatenate([ra, rb]), np.concatenate([ca, cb]))),
                               shape=(len(pairs), len(parts["col_project"])))
    return a, b, matrix


def _order(parts: dict, a: np.ndarray, b: np.ndarray) -> sparse.csr_matrix:
    """x[a, sa] + sum of x[b, sb] starting later than a at sa <= 1, one row per (pair, column of a) that
    has such a later column of b."""
    n = len(parts["col_project"])
    keep = (parts["start"][a] >= 0) & (parts["start"][b] >= 0)
    a, b = a[keep], b[keep]
    rep, ca = expand(parts, a)                       # one candidate row per (pair, column of a)
    start_a = parts["start"][a][rep] + parts["col_shift"][ca]
    rep_b, cb = expand(parts, b[rep])
    later = parts["start"][b][rep][rep_b] + parts["col_shift"][cb] > start_a[rep_b]
    rows_used = np.unique(rep_b[later])
    renumber = np.full(len(ca), -1)
    renumber[rows_used] = np.arange(len(rows_used))
    r = np.concatenate([renumber[rows_used], renumber[rep_b[later]]])
    c = np.concatenate([ca[rows_used], cb[later]])
    return sparse.csr_matrix((np.ones(len(c)), (r, c)), shape=(len(rows_used), n))


def constraints(parts: dict) -> dict:
    """A, row bounds, the limit rows' labels and the column bounds."""
    problem, n = parts["problem"], len(parts["col_project"])
    blocks, labels = _limit_rows(parts)
    ub = [labels["limit"].to_numpy(float)]
    lb = [np.full(len(labels), -np.inf)]
    project_count = len(parts["project_ids"])
    blocks.append(sparse.csr_matrix((np.ones(n), (parts["col_project"], np.arange(n))), shape=(project_count, n)))
    ub.append(np.ones(project_count))
    lb.append(np.where(parts["flags"]["must"], 1.0, -np.inf))
    if len(problem.exclusions):
        blocks.append(_groups(parts, problem.exclusions))
        ub.append(np.ones(len(problem.exclusions)))
        lb.append(np.full(len(problem.exclusions), -np.inf))
    if len(problem.dependencies):
        a, b, matrix = _dependencies(parts, problem.dependencies)
        blocks.append(matrix)
        ub.append(np.zeros(len(a)))
        lb.append(np.full(len(a), -np.inf))
        if problem.dependency_order:
            order = _order(parts, a, b)
            blocks.append(order)
            ub.append(np.ones(order.shape[0]))
            lb.append(np.full(order.shape[0], -np.inf))
    col_ub = np.where(parts["flags"]["must_not"][parts["col_project"]], 0.0, 1.0)
    return {"A": sparse.vstack(blocks, format="csr"), "row_lb": np.concatenate(lb), "row_ub": np.concatenate(ub),
            "limit_rows": labels, "col_lb": np.zeros(n), "col_ub": col_ub}
