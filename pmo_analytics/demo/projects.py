"""The portfolio and its projects: when each is approved (at a steady pace over the fixed calendar),
starts and is due to finish, where it sits (portfolio, programme, department, priority), its unique
name, and its drawn health."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pmo_analytics.demo.dates import FIRST_MONTH, LAST_MONTH, REFERENCE_MONTH, first_day
from pmo_analytics.demo.vocabulary import ACTIONS, DEPARTMENTS, DEPT_WEIGHTS, SUBJECTS, numbered_ids


@dataclass(frozen=True)
class Projects:
    """Each project's fixed facts, ordered (and numbered) by approval date. Months are month numbers,
    dates day numbers (dates.py); the other arrays are codes into vocabulary.py's labels."""

    start_month: np.ndarray  # the month work starts
    months: np.ndarray  # baseline duration in months, 6-36
    approval_month: np.ndarray  # the project is in the export from this month on
    approval_date: np.ndarray
    start_date: np.ndarray
    baseline_end: np.ndarray  # never changes
    portfolio: np.ndarray
    program: np.ndarray  # index into the flattened PROGRAMS
    department: np.ndarray
    priority: np.ndarray
    names: list[str]
    ids: list[str]

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Health:
    """How each project really performs: about 25% overrun on cost, about 20% slip (5% both)."""

    cpi: np.ndarray  # true cost performance: earned value per unit of spend
    pace: np.ndarray  # months of planned work done per month (so SPI(t) is about this)
    overrun: np.ndarray
    slip: np.ndarray
    troubled: np.ndarray  # overrun or slip


RAMP = 24  # months: the pace of approvals grows as (months since FIRST_MONTH + RAMP), 2.8 times by REFERENCE_MONTH


def _approvals(months) -> np.ndarray:
    """How many approvals (in units of the pace) the first `months` months of the calendar hold."""
    x = np.asarray(months, dtype=np.float64) + RAMP
    return x * x - RAMP * RAMP


def projects_in_calendar(count: int) -> int:
    """How many projects the calendar holds: `count` approved from FIRST_MONTH to REFERENCE_MONTH,
    and more after it to LAST_MONTH, at the same growing pace."""
    before = (REFERENCE_MONTH - FIRST_MONTH + 1 + RAMP) ** 2 - RAMP ** 2
    after = (LAST_MONTH - FIRST_MONTH + 1 + RAMP) ** 2 - RAMP ** 2 - before
    return count + count * after // before


def simulate_projects(rng: np.random.Generator, count: int) -> Projects:
    """Draws the projects' timelines, then where each sits in the portfolio (in that order)."""
    total = projects_in_calendar(count)
    timeline = _draw_timeline(rng, count, total)
    return Projects(**timeline, **_draw_classification(rng, total), ids=numbered_ids("PRJ-", total, 4))


def _approval_months(rng: np.random.Generator, count: int, P: int) -> np.ndarray:
    """P approval months at the calendar's growing pace, the first `count` by REFERENCE_MONTH and the
    others after it (inverse of _approvals)."""
    split, end = REFERENCE_MONTH - FIRST_MONTH + 1, LAST_MONTH - FIRST_MONTH + 1
    before = np.arange(P) < count
    lo = np.where(before, 0.0, _approvals(split))
    hi = np.where(before, _approvals(split), _approvals(end))
    x = np.sqrt(lo + rng.random(P) * (hi - lo) + RAMP * RAMP) - RAMP
    x = np.clip(np.floor(x).astype(np.int64), np.where(before, 0, split), np.where(before, split, end) - 1)
    return FIRST_MONTH + x


def _draw_timeline(rng: np.random.Generator, count: int, P: int) -> dict[str, np.ndarray]:
    """Approval months over the calendar (`count` of the P by REFERENCE_MONTH), durations 6-36 months,
    the start 1-4 months after the approval; projects are then sorted by approval date, so the ones
    approved by any month come first (and keep their ids whatever snapshots are written)."""
    appr_m = _approval_months(rng, count, P)
    D = np.clip(np.round(5 + rng.gamma(2.2, 6.0, P)), 6, 36).astype(np.int64)
    start_off = rng.integers(0, 15, P)
    s = appr_m + rng.integers(1, 5, P)
    appr_date = first_day(appr_m) + rng.integers(0, 20, P)
    order = np.lexsort((np.arange(P), appr_date))
    s, D, start_off, appr_m, appr_date = (x[order] for x in (s, D, start_off, appr_m, appr_date))
    return {
        "start_month": s, "months": D, "approval_month": appr_m, "approval_date": appr_date,
        "start_date": first_day(s) + start_off,
        "baseline_end": first_day(s + D) - 1 - rng.integers(0, 11, P),
    }


def _draw_classification(rng: np.random.Generator, P: int) -> dict:
    """Portfolio (40/30/30), one of 2-4 programmes used per portfolio, a department weighted by
    portfolio, a priority, and a name from a subject and an action."""
    port = rng.choice(3, P, p=[0.4, 0.3, 0.3])
    n_prog = rng.integers(2, 5, 3)
    prog_perm = np.stack([rng.permutation(4) for _ in range(3)])
    prog_slot = np.floor(rng.random(P) * n_prog[port]).astype(np.int64)
    cum = np.cumsum(DEPT_WEIGHTS, axis=1)
    dept = np.minimum((rng.random(P)[:, None] >= cum[port]).sum(axis=1), len(DEPARTMENTS) - 1)
    priority = rng.choice(3, P, p=[0.25, 0.5, 0.25])
    subj = rng.integers(0, 15, P)
    act = rng.integers(0, len(ACTIONS), P)
    return {
        "portfolio": port, "program": port * 4 + prog_perm[port, prog_slot], "department": dept,
        "priority": priority, "names": _unique_names(port, subj, act),
    }


def _unique_names(port: np.ndarray, subj: np.ndarray, act: np.ndarray) -> list[str]:
    """"<subject> <action>" per project; the second and later projects of a name get " Phase n"."""
    P = len(port)
    combo = (port * 15 + subj) * len(ACTIONS) + act
    occ = np.zeros(P, np.int64)
    srt = np.argsort(combo, kind="stable")
    cs = combo[srt]
    run_start = np.r_[0, np.nonzero(np.diff(cs))[0] + 1]
    occ[srt] = np.arange(P) - np.repeat(run_start, np.diff(np.r_[run_start, P]))
    return [
        f"{SUBJECTS[p][j]} {ACTIONS[a]}" + (f" Phase {o + 1}" if o else "")
        for p, j, a, o in zip(port.tolist(), subj.tolist(), act.tolist(), occ.tolist())
    ]


def simulate_health(rng: np.random.Generator, P: int) -> Health:
    """Cost overrunners run at CPI 0.75-0.95, slippers at 0.7-0.9 of the planned pace, the healthy
    rest around 0.97-1.05 on both."""
    u = rng.random(P)
    overrun = u < 0.25
    slip = (u < 0.05) | ((u >= 0.25) & (u < 0.40))
    cp = np.where(overrun, rng.uniform(0.75, 0.95, P),
                  np.where(slip, rng.uniform(0.92, 1.02, P), rng.uniform(0.97, 1.05, P)))
    sp = np.where(slip, rng.uniform(0.70, 0.90, P), rng.uniform(0.97, 1.05, P))
    return Health(cpi=cp, pace=sp, overrun=overrun, slip=slip, troubled=overrun | slip)
