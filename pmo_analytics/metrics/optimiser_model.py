"""The arbitration problem (issue 15) and its MILP: which projects to fund, and when, within the limits.

`Problem` holds the inputs as plain frames; `build(problem)` checks them (an InputError names what is
wrong) and compiles the model `optimiser.optimise` hands to HiGHS and `optimiser.greedy` walks.

Variables: one binary x[p, s] per project p and allowed start shift s (months; 0 = its planned dates).
Shifting by s moves every month of the project's cost and demand profile from m to m + s.

The shift rule: profiles are given on the planning calendar 0..T-1 at the planned start (a month_index
outside it is an InputError: clip a profile to the horizon before handing it over). A shift s is allowed
for a project when it lies in the project's window (earliest_shift..latest_shift, else -shift_window..
+shift_window) AND every month in which the project spends or needs hours stays inside 0..T-1 after
the shift. Shift 0 (the planned dates) is always allowed, so a fixed project (window 0) always has a
column; a project with no cost and no demand rows, or a must_not one, has only shift 0.

Rows (all `lb <= A x <= ub`):
  budget[t]      sum cost[p, t - s] x[p, s] <= budget limit of month t   (months with a finite limit)
  capacity[r, t] sum hours[p, r, t - s] x[p, s] <= capacity of role r in month t  (listed role-months)
  total budget   sum total_cost[p] x[p, s] <= total_budget  (when given)
  choice[p]      sum_s x[p, s] <= 1; = 1 for a must-do
  exclusion[g]   sum over the group's projects and shifts <= 1
  dependency     sum_s x[a, s] - sum_s x[b, s] <= 0  (a only with b)
  order          with dependency_order: x[a, sa] + sum of x[b, sb] with start_b + sb > start_a + sa <= 1
                 (b must not start later than a; a project's start is its first month with spend or hours)
must_not projects keep their column with an upper bound of 0.

Objective (maximised): sum value[p] x[p, s] - change_penalty x (number of projects whose selection or
shift differs from `current`). A current project dropped pays the penalty, so the objective carries a
constant -penalty x (number of current projects) and a current project's shift-0 column gets +penalty.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from pmo_analytics.exceptions import InputError
from pmo_analytics.metrics import optimiser_rows

FLAGS = ("must", "must_not", "current")
LIMIT_KINDS = ("budget", "capacity", "total budget")


@dataclass(frozen=True, eq=False)
class Problem:
    """The inputs of one arbitration.

    candidates: one row per project: project_id (unique), value (>= 0), and optionally must (forced in),
        must_not (forced out), current (in the current plan, at its planned dates), earliest_shift and
        latest_shift (integers; a blank falls back to +-shift_window).
    cost: project_id, month_index, cost (>= 0): the spend profile at the planned start; rows add up.
    demand: project_id, role, month_index, hours (>= 0), the same way; None = no role demand.
    budget: the budget limit of every month (a scalar), or per month (length T; NaN or inf = no limit
        that month); None = no monthly budget limit.
    total_budget: a cap on the total spend of the selection over the horizon; None = no cap.
    capacity: role, month_index, hours: the hours available; only the listed role-months are limits
        (a role absent from it, or a month absent for a role, is unconstrained; NaN = no limit).
    exclusions: groups of project_ids of which at most one may be selected.
    dependencies: (a, b) pairs: a may be selected only if b is; with dependency_order, b must also
        start no later than a.
    change_penalty: subtracted from the objective for each project whose selection or shift differs
        from `current`.
    shift_window: k: a start may move by -k..+k months (0 = fixed dates).
    months: T, the planning horizon; by default the budget array's length, else one past the largest
        month_index in cost, demand and capacity.
    """

    candidates: pd.DataFrame
    cost: pd.DataFrame
    demand: pd.DataFrame | None = None
    budget: float | Sequence[float] | np.ndarray | None = None
    total_budget: float | None = None
    capacity: pd.DataFrame | None = None
    exclusions: Sequence[Iterable] = ()
    dependencies: Sequence[tuple] = ()
    change_penalty: float = 0.0
    shift_window: int = 0
    dependency_order: bool = False
    months: int | None = None


@dataclass(frozen=True, eq=False)
class Model:
    """The compiled problem: per-project arrays (index p), columns (p, s), usage matrices and rows."""

    problem: Problem
    project_ids: pd.Index
    values: np.ndarray
    flags: dict[str, np.ndarray]
    start: np.ndarray           # planned start month (first month with spend or hours; -1: none)
    months: int
    col_project: np.ndarray
    col_shift: np.ndarray
    col_start: np.ndarray       # first column of each project (columns are contiguous by project)
    col_count: np.ndarray
    col0: np.ndarray            # the shift-0 column of each project
    objective: np.ndarray       # per column, maximised
    constant: float
    spend: sparse.csr_matrix    # T x n: spend per month of each column
    roles: pd.Index
    hours: sparse.csr_matrix    # (R * T) x n: hours of role r in month t at row r * T + t
    budget_limit: np.ndarray    # T, inf = no limit
    capacity_limit: np.ndarray  # R * T, inf = no limit
    total_budget: float | None
    A: sparse.csr_matrix
    row_lb: np.ndarray
    row_ub: np.ndarray
    limit_rows: pd.DataFrame    # the first len(limit_rows) rows of A: kind, month_index, role
    col_lb: np.ndarray = field(repr=False, default=None)
    col_ub: np.ndarray = field(repr=False, default=None)

    @property
    def columns(self) -> int:
        return len(self.col_project)

    def project_index(self, project_id) -> int:
        """The index p of a project_id (an InputError when it is not a candidate)."""
        loc = self.project_ids.get_indexer([project_id])[0]
        if loc < 0:
            raise InputError(f"{project_id!r} is not a candidate project")
        return int(loc)


def _candidates(frame: pd.DataFrame, window: int) -> tuple[pd.Index, np.ndarray, dict, np.ndarray, np.ndarray]:
    """project_ids, values, flags and each project's shift window, checked."""
    for column in ("project_id", "value"):
        if column not in frame.columns:
            raise InputError(f"candidates: the column {column!r} is missing")
    if frame.empty:
        raise InputError("candidates: there are no candidate projects")
    ids = pd.Index(frame["project_id"])
    if ids.has_duplicates:
        raise InputError(f"candidates: project_id repeated: {sorted(map(str, ids[ids.duplicated()].unique()))}")
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise InputError(f"candidates: value must be a number >= 0; not for {list(ids[bad][:5])}")
    flags = {f: (frame[f].fillna(False).astype(bool).to_numpy() if f in frame.columns
                 else np.zeros(len(ids), bool)) for f in FLAGS}
    both = flags["must"] & flags["must_not"]
    if both.any():
        raise InputError(f"candidates: both must and must_not: {list(ids[both])}")
    if window < 0:
        raise InputError(f"shift_window must be >= 0, not {window}")
    lo, hi = (np.full(len(ids), -window), np.full(len(ids), window))
    for name, arr in (("earliest_shift", lo), ("latest_shift", hi)):
        if name in frame.columns:
            given = pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
            arr[:] = np.where(np.isnan(given), arr, given).astype(int)
    if (lo > 0).any() or (hi < 0).any():
        raise InputError("candidates: earliest_shift must be <= 0 <= latest_shift (0 = the planned dates)")
    return ids, values, flags, lo, hi


def _profile(frame: pd.DataFrame | None, name: str, amount: str, ids: pd.Index, with_role: bool) -> pd.DataFrame:
    """A cost or demand frame as integer project index p, month m (and role), amount summed."""
    need = ["project_id"] + (["role"] if with_role else []) + ["month_index", amount]
    if frame is None:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in ["p", "m", "role", "amount"]})
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise InputError(f"{name}: the column(s) {missing} are missing")
    p = ids.get_indexer(frame["project_id"])
    if (p < 0).any():
        unknown = sorted(map(str, pd.unique(frame["project_id"][p < 0])))[:5]
        raise InputError(f"{name}: project_id not among the candidates: {unknown}")
    m = pd.to_numeric(frame["month_index"], errors="coerce").to_numpy(float)
    a = pd.to_numeric(frame[amount], errors="coerce").to_numpy(float)
    if np.isnan(m).any() or (m != np.round(m)).any():
        raise InputError(f"{name}: month_index must be a whole number")
    if (~np.isfinite(a)).any() or (a < 0).any():
        raise InputError(f"{name}: {amount} must be a number >= 0")
    out = pd.DataFrame({"p": p, "m": m.astype(int), "role": frame["role"].to_numpy() if with_role else 0,
                        "amount": a})
    out = out[out["amount"] > 0]
    return out.groupby(["p", "role", "m"], as_index=False, sort=True)["amount"].sum()


def _horizon(problem: Problem, cost: pd.DataFrame, demand: pd.DataFrame) -> int:
    """T: given, else the budget array's length, else one past the largest month_index seen."""
    if problem.months is not None:
        return int(problem.months)
    if problem.budget is not None and np.ndim(problem.budget) == 1:
        return len(problem.budget)
    seen = [cost["m"].max(), demand["m"].max()]
    if problem.capacity is not None and len(problem.capacity):
        seen.append(pd.to_numeric(problem.capacity["month_index"], errors="coerce").max())
    seen = [s for s in seen if pd.notna(s)]
    if not seen:
        raise InputError("the planning horizon is unknown: give months, a budget per month or a profile")
    return int(max(seen)) + 1


def _budget_limit(budget, months: int) -> np.ndarray:
    """The monthly budget limits as a length-T array, inf where there is no limit."""
    if budget is None:
        return np.full(months, np.inf)
    arr = np.asarray(budget, dtype=float)
    if arr.ndim == 0:
        arr = np.full(months, float(arr))
    if arr.ndim != 1 or len(arr) != months:
        raise InputError(f"budget: give one limit for every month or {months} limits, not shape {arr.shape}")
    if (arr < 0).any():
        raise InputError("budget: a monthly limit is negative")
    return np.where(np.isnan(arr), np.inf, arr)


def _capacity_limit(capacity: pd.DataFrame | None, roles: pd.Index, months: int) -> np.ndarray:
    """Hours available per role-month (row r * T + t), inf where not listed."""
    limit = np.full(len(roles) * months, np.inf)
    if capacity is None or capacity.empty:
        return limit
    missing = [c for c in ("role", "month_index", "hours") if c not in capacity.columns]
    if missing:
        raise InputError(f"capacity: the column(s) {missing} are missing")
    if capacity.duplicated(["role", "month_index"]).any():
        raise InputError("capacity: a role-month is listed twice")
    m = pd.to_numeric(capacity["month_index"], errors="coerce").to_numpy(float)
    if np.isnan(m).any() or (m < 0).any() or (m >= months).any() or (m != np.round(m)).any():
        raise InputError(f"capacity: month_index must be a whole number in 0..{months - 1}")
    hours = pd.to_numeric(capacity["hours"], errors="coerce").to_numpy(float)
    if (hours < 0).any():
        raise InputError("capacity: hours must be >= 0")
    rows = roles.get_indexer(capacity["role"]) * months + m.astype(int)
    limit[rows] = np.where(np.isnan(hours), np.inf, hours)
    return limit


def _columns(lo, hi, first, last, must_not, months: int) -> tuple[np.ndarray, np.ndarray]:
    """The allowed (project, shift) pairs, ordered by project then shift (the shift rule above)."""
    shifts = np.arange(lo.min(), hi.max() + 1)
    s = shifts[None, :]
    inside = (first[:, None] + s >= 0) & (last[:, None] + s <= months - 1)
    movable = ((first >= 0) & ~must_not)[:, None]
    mask = (s >= lo[:, None]) & (s <= hi[:, None]) & inside & movable
    mask |= s == 0
    p, j = np.nonzero(mask)
    return p, shifts[j]


def _usage(profile: pd.DataFrame, base: np.ndarray, nrows: int, cols: dict) -> sparse.csr_matrix:
    """Rows base + m + s for every profile row (p, m) repeated over p's columns: no loop over nonzeros."""
    rep, col = optimiser_rows.expand(cols, profile["p"].to_numpy(int))
    at = base[rep] + profile["m"].to_numpy(int)[rep] + cols["col_shift"][col]
    data = profile["amount"].to_numpy(float)[rep]
    return sparse.csr_matrix((data, (at, col)), shape=(nrows, len(cols["col_project"])))


def build(problem: Problem) -> Model:
    """Check the problem and compile it (see the module docstring for the formulation)."""
    ids, values, flags, lo, hi = _candidates(problem.candidates, int(problem.shift_window))
    cost = _profile(problem.cost, "cost", "cost", ids, with_role=False)
    demand = _profile(problem.demand, "demand", "hours", ids, with_role=True)
    months = _horizon(problem, cost, demand)
    for name, frame in (("cost", cost), ("demand", demand)):
        if len(frame) and (frame["m"].min() < 0 or frame["m"].max() >= months):
            raise InputError(f"{name}: month_index must be in 0..{months - 1} (clip profiles to the horizon)")
    both = pd.concat([cost[["p", "m"]], demand[["p", "m"]]])
    span = both.groupby("p")["m"].agg(["min", "max"]).reindex(range(len(ids)))
    first, last = span["min"].fillna(-1).to_numpy(int), span["max"].fillna(-1).to_numpy(int)
    col_project, col_shift = _columns(lo, hi, first, last, flags["must_not"], months)
    col_count = np.bincount(col_project, minlength=len(ids))
    cols = {"col_project": col_project, "col_shift": col_shift, "col_count": col_count,
            "col_start": np.cumsum(col_count) - col_count}
    role_names = [] if problem.capacity is None else list(problem.capacity.get("role", []))
    roles = pd.Index(pd.unique(pd.Series(list(demand["role"]) + role_names, dtype=object)))
    spend = _usage(cost, np.zeros(len(cost), int), months, cols)
    hours = _usage(demand, roles.get_indexer(demand["role"]) * months, len(roles) * months, cols)
    parts = dict(problem=problem, project_ids=ids, values=values, flags=flags, start=first, months=months,
                 col0=_shift0(cols), spend=spend, roles=roles, hours=hours,
                 budget_limit=_budget_limit(problem.budget, months),
                 capacity_limit=_capacity_limit(problem.capacity, roles, months),
                 total_budget=None if problem.total_budget is None else float(problem.total_budget), **cols)
    parts.update(optimiser_rows.objective(parts, float(problem.change_penalty)))
    parts.update(optimiser_rows.constraints(parts))
    return Model(**parts)


def _shift0(cols: dict) -> np.ndarray:
    """The shift-0 column of each project (every project has one)."""
    zero = np.nonzero(cols["col_shift"] == 0)[0]
    return zero[np.argsort(cols["col_project"][zero], kind="stable")]


def run_milp(model: Model, *, objective: np.ndarray | None = None, col_ub: np.ndarray | None = None,
             row_lb: np.ndarray | None = None, time_limit: float | None = None, mip_rel_gap: float = 1e-4):
    """scipy.optimize.milp (HiGHS) on the model, maximising `objective` (default the model's); the
    optional bounds replace the model's (the must-do check solves the same rows with others fixed out)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    options = {"disp": False, "mip_rel_gap": float(mip_rel_gap)}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    c = -(model.objective if objective is None else objective)
    bounds = Bounds(model.col_lb, model.col_ub if col_ub is None else col_ub)
    rows = LinearConstraint(model.A, model.row_lb if row_lb is None else row_lb, model.row_ub)
    return milp(c, integrality=np.ones(model.columns), bounds=bounds, constraints=rows, options=options)
