"""A small critical-path engine on the stored activity and relationship frames, for DCMA check 12
(the critical path test): delay the first critical activity and see whether the finish moves as much.

Time is counted in working days (Monday to Friday, numpy's busday functions) as offsets from the data
date: offset 0 is the start of the data date, a start date d sits at busday_count(data date, d) and a
finish date d at the end of that day, busday_count(data date, d + 1 day). An activity starting at 0 with
5 days to go finishes at 5. The network leaves summary and level-of-effort activities out. Logic is
retained (work still to do waits on its predecessors, started or not); nothing starts before the data
date unless a must-start/finish-on constraint pins it there.
"""
from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd

OUTSIDE = ("summary", "level_of_effort")   # not in the network
TOLERANCE = 1.0                            # working days: the finish moves "by the delay" within this
_EPS = 1e-9


@dataclass
class _Network:
    ids: list[str]
    remaining: np.ndarray        # working days still to do
    incomplete: np.ndarray       # bool
    critical: np.ndarray         # bool: the file flags it critical
    pin_start: np.ndarray        # MSO: the start offset it pins, logic aside (NaN = none)
    pin_finish: np.ndarray       # MFO: the finish offset it pins
    floor_start: np.ndarray      # SNET (-inf = none)
    floor_finish: np.ndarray     # FNET
    edges: list[tuple[int, int, str, float]]   # (predecessor, successor, type, lag)
    order: list[int]             # topological


def start_offset(data_date, day) -> float:
    """Working days from the data date to the start of `day` (negative before it; NaN when missing)."""
    if day is None or pd.isna(day):
        return np.nan
    return float(np.busday_count(_day(data_date), _day(day)))


def finish_offset(data_date, day) -> float:
    """Working days from the data date to the end of `day` (NaN when missing)."""
    if day is None or pd.isna(day):
        return np.nan
    return float(np.busday_count(_day(data_date), _day(day) + dt.timedelta(days=1)))


def _day(value) -> dt.date:
    return pd.Timestamp(value).date()


def remaining_days(activities: pd.DataFrame) -> pd.Series:
    """Working days still to do: 0 when complete (actual finish, or 100%), remaining_days when started
    (actual start or some progress), else duration_days; missing -> 0."""
    pct = pd.to_numeric(activities["percent_complete"], errors="coerce")
    complete = activities["actual_finish"].notna() | (pct >= 100).fillna(False)
    started = activities["actual_start"].notna() | (pct > 0).fillna(False)
    todo = pd.to_numeric(activities["duration_days"], errors="coerce").astype(float)
    todo = todo.where(~started, pd.to_numeric(activities["remaining_days"], errors="coerce").astype(float))
    return todo.where(~complete, 0.0).fillna(0.0).clip(lower=0.0)


def _network(activities: pd.DataFrame, relations: pd.DataFrame, data_date) -> _Network:
    acts = activities[~activities["kind"].isin(OUTSIDE)].reset_index(drop=True)
    ids = acts["activity_id"].astype(str).tolist()
    remaining = remaining_days(acts).to_numpy(dtype=float)
    ctype = acts["constraint_type"].astype("object").where(acts["constraint_type"].notna(), None)
    cstart = np.array([start_offset(data_date, d) for d in acts["constraint_date"]], dtype=float)
    cfinish = np.array([finish_offset(data_date, d) for d in acts["constraint_date"]], dtype=float)
    is_ = {code: (ctype == code).to_numpy() for code in ("MSO", "MFO", "SNET", "FNET")}
    pin_start = np.where(is_["MSO"], cstart, np.nan)
    pin_finish = np.where(is_["MFO"] & ~is_["MSO"], cfinish, np.nan)
    floor_start = np.where(is_["SNET"] & ~np.isnan(cstart), cstart, -np.inf)
    floor_finish = np.where(is_["FNET"] & ~np.isnan(cfinish), cfinish, -np.inf)
    index = {a: i for i, a in enumerate(ids)}
    edges = []
    for p, s, kind, lag in zip(relations["predecessor"].astype(str), relations["successor"].astype(str),
                               relations["type"], pd.to_numeric(relations["lag_days"], errors="coerce")):
        if p in index and s in index:
            kind = str(kind).upper() if isinstance(kind, str) else "FS"
            if kind not in ("FS", "SS", "FF", "SF"):
                raise ValueError(f"relationship {p} -> {s} has type {kind!r}; expected FS, SS, FF or SF")
            edges.append((index[p], index[s], kind, 0.0 if pd.isna(lag) else float(lag)))
    pct = pd.to_numeric(acts["percent_complete"], errors="coerce")
    incomplete = (acts["actual_finish"].isna() & ~(pct >= 100).fillna(False)).to_numpy()
    critical = acts["critical"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return _Network(ids, remaining, incomplete, critical, pin_start, pin_finish, floor_start, floor_finish,
                    edges, _topological(ids, edges))


def _topological(ids: list[str], edges) -> list[int]:
    """Activities in an order where every predecessor comes first; a loop is a ValueError naming it."""
    succ: list[list[int]] = [[] for _ in ids]
    indegree = [0] * len(ids)
    for p, s, *_ in edges:
        succ[p].append(s)
        indegree[s] += 1
    ready = deque(i for i, n in enumerate(indegree) if n == 0)
    order = []
    while ready:
        i = ready.popleft()
        order.append(i)
        for s in succ[i]:
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    if len(order) < len(ids):
        loop = _a_loop(ids, edges, {i for i, n in enumerate(indegree) if n > 0})
        raise ValueError(f"the logic loops: {' -> '.join(loop)} (activity {loop[0]} depends on itself)")
    return order


def _a_loop(ids: list[str], edges, left: set[int]) -> list[str]:
    """One loop among the activities Kahn's sort could not place: walk predecessors until one repeats."""
    pred: dict[int, int] = {}
    for p, s, *_ in edges:
        if p in left and s in left:
            pred.setdefault(s, p)
    node, seen = next(iter(sorted(left))), []
    while node not in seen:
        seen.append(node)
        node = pred[node]
    loop = seen[seen.index(node):][::-1]
    return [ids[i] for i in loop + [loop[0]]]


def _forward(net: _Network, remaining: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(net.ids)
    es, ef = np.zeros(n), np.zeros(n)
    into: list[list[tuple[int, str, float]]] = [[] for _ in range(n)]
    for p, s, kind, lag in net.edges:
        into[s].append((p, kind, lag))
    for i in net.order:
        d = remaining[i]
        if not np.isnan(net.pin_start[i]):
            es[i] = net.pin_start[i]
        elif not np.isnan(net.pin_finish[i]):
            es[i] = net.pin_finish[i] - d
        else:
            start = max(0.0, net.floor_start[i], net.floor_finish[i] - d)
            for p, kind, lag in into[i]:
                start = max(start, {"FS": ef[p] + lag, "SS": es[p] + lag,
                                    "FF": ef[p] + lag - d, "SF": es[p] + lag - d}[kind])
            es[i] = start
        ef[i] = es[i] + d
    return es, ef


def _backward(net: _Network, es: np.ndarray, ef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(net.ids)
    end = float(ef.max()) if n else 0.0
    ls, lf = np.zeros(n), np.full(n, end)
    out: list[list[tuple[int, str, float]]] = [[] for _ in range(n)]
    for p, s, kind, lag in net.edges:
        out[p].append((s, kind, lag))
    for i in reversed(net.order):
        d = net.remaining[i]
        if not (np.isnan(net.pin_start[i]) and np.isnan(net.pin_finish[i])):
            ls[i], lf[i] = es[i], ef[i]
            continue
        finish = end
        for s, kind, lag in out[i]:
            finish = min(finish, {"FS": ls[s] - lag, "SS": ls[s] - lag + d,
                                  "FF": lf[s] - lag, "SF": lf[s] - lag + d}[kind])
        lf[i], ls[i] = finish, finish - d
    return ls, lf


def forward_pass(activities: pd.DataFrame, relations: pd.DataFrame, data_date) -> pd.DataFrame:
    """Early start and finish (working-day offsets from `data_date`) of every network activity, with its
    remaining duration, late dates and total float; attrs['project_finish'] is the latest early finish
    (NaN for an empty network). A loop in the logic raises ValueError naming an activity in it."""
    net = _network(activities, relations, data_date)
    es, ef = _forward(net, net.remaining)
    ls, lf = _backward(net, es, ef)
    frame = pd.DataFrame({"activity_id": net.ids, "remaining": net.remaining, "early_start": es,
                          "early_finish": ef, "late_start": ls, "late_finish": lf, "total_float": ls - es})
    frame.attrs["project_finish"] = float(ef.max()) if len(ef) else np.nan
    return frame


def critical_path_test(activities: pd.DataFrame, relations: pd.DataFrame, data_date,
                       delay_days: float = 600) -> dict:
    """DCMA check 12: add `delay_days` to the incomplete critical activity that starts first (flagged
    critical by the file, else of zero total float here) and pass when the project finish moves as
    much, within a day. The project finish is the early finish of the activity that finishes last
    (the completion milestone): a must-finish-on there holds it, and the test fails.

    Returns passed (None when not applicable), activity, finish_activity, finish_before, finish_after,
    moved (working-day offsets from the data date), delay_days and reason. A loop raises ValueError."""
    net = _network(activities, relations, data_date)
    es, ef = _forward(net, net.remaining)
    result = {"passed": None, "activity": None, "finish_activity": None, "moved": np.nan,
              "finish_before": float(ef.max()) if len(ef) else np.nan, "finish_after": np.nan,
              "delay_days": float(delay_days)}
    candidates, how = net.incomplete & net.critical, "flagged critical"
    if not candidates.any():
        ls, _ = _backward(net, es, ef)
        candidates, how = net.incomplete & (ls - es <= _EPS), "of zero total float"
    if not candidates.any():
        return {**result, "reason": "no incomplete activity is critical"}
    pick = min(np.flatnonzero(candidates), key=lambda i: (es[i], i))
    ends = np.flatnonzero(ef >= result["finish_before"] - _EPS)
    delayed = net.remaining.copy()
    delayed[pick] += delay_days
    _, after = _forward(net, delayed)
    finish_after = float(after[ends].max())
    moved = finish_after - result["finish_before"]
    passed = abs(moved - delay_days) <= TOLERANCE
    name, end = net.ids[pick], net.ids[ends[0]]
    reason = (f"delaying {name} ({how}, the first to start) by {delay_days:g} working days moved the finish "
              f"({end}) by {moved:g}" + ("" if passed else ": the critical path does not run unbroken to "
                                          "the finish (a constraint, a lag or missing logic breaks it)"))
    return {**result, "passed": bool(passed), "activity": name, "finish_activity": end,
            "finish_after": finish_after, "moved": moved, "reason": reason}
