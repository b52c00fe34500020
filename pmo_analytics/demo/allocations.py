"""People's allocations: the Mondays of the calendar, the projects active each week, assignments of
8-40 weeks to 1-3 projects at a time, two teams overloaded around every quarter end by one crunch
project each, and the weekly planned and actual hours an allocation export holds at a month end."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pmo_analytics.demo.columns import coded, dated, numeric
from pmo_analytics.demo.dates import FIRST_MONTH, LAST_MONTH, monday_on_or_before, month_end, month_of
from pmo_analytics.demo.month_end import MonthEnd
from pmo_analytics.demo.noise import hash_u
from pmo_analytics.demo.people import Staff
from pmo_analytics.demo.progress import Schedule
from pmo_analytics.demo.projects import Projects
from pmo_analytics.demo.vocabulary import PMO_TEAM, TEAMS


@dataclass(frozen=True)
class WorkPlan:
    """Who works on what, week by week, from 13 weeks before the calendar's first month end to 13 weeks
    after its last."""

    first_monday: int  # day number of week 0
    week_day: np.ndarray  # (W,) each week's Monday
    active: np.ndarray  # (P, W) bool: the project is working that week (started, not ended, not on hold)
    slot_person: np.ndarray  # (S,) the person of each assignment slot
    slot_share: np.ndarray  # (S,) that slot's share of the person's time
    stint_slot: np.ndarray  # assignments: slot, first week, week after the last, project
    stint_start: np.ndarray
    stint_end: np.ndarray
    stint_project: np.ndarray
    overload: np.ndarray  # (teams, W) load factor: 1, or 1.1-1.4 in an overloaded team-week
    crunch: np.ndarray  # (teams, W) the project an overloaded team-week's extra hours go to, -1 elsewhere

    @property
    def weeks(self) -> int:
        return len(self.week_day)


def simulate_work_plan(rng: np.random.Generator, projects: Projects, schedule: Schedule, bac: np.ndarray,
                       staff: Staff) -> WorkPlan:
    """The weeks and the active project-weeks, then the assignments and the overloads (drawn in that order)."""
    mon0 = int(monday_on_or_before(int(month_end(FIRST_MONTH)) - 91))
    monl = int(monday_on_or_before(int(month_end(LAST_MONTH)) + 91))
    week_day = mon0 + 7 * np.arange((monl - mon0) // 7 + 1)
    active = _active_project_weeks(projects, schedule, week_day)
    slots = _draw_assignments(rng, staff, bac, active)
    quarter_ends = month_end(np.arange(FIRST_MONTH - FIRST_MONTH % 3 - 1, LAST_MONTH + 4, 3))  # Mar, Jun, Sep, Dec
    overload = _draw_overloaded_teams(rng, len(week_day), (quarter_ends - mon0) // 7)
    return WorkPlan(first_monday=mon0, week_day=week_day, active=active, **slots, overload=overload,
                    crunch=_crunch_projects(overload, staff, slots, active))


def _crunch_projects(overload: np.ndarray, staff: Staff, slots: dict, active: np.ndarray) -> np.ndarray:
    """Each overloaded run of a team piles its extra hours on one project: the one the team's people
    give the most time to in the run's first week (a go-live everyone is drafted onto). Drawn from
    nothing random, so the rest of the portfolio is the same whatever this rule is."""
    T, W = overload.shape
    crunch = np.full((T, W), -1, np.int64)
    team = staff.team[slots["slot_person"][slots["stint_slot"]]]
    share = slots["slot_share"][slots["stint_slot"]]
    start, end, project = slots["stint_start"], slots["stint_end"], slots["stint_project"]
    for t in range(T):
        over = overload[t] > 1
        firsts = np.flatnonzero(over & ~np.r_[False, over[:-1]])
        lasts = np.flatnonzero(over & ~np.r_[over[1:], False]) + 1
        for s, e in zip(firsts.tolist(), lasts.tolist()):
            on = (team == t) & (start <= s) & (end > s) & active[project, s]
            if on.any():
                crunch[t, s:e] = int(np.argmax(np.bincount(project[on], share[on])))
    return crunch


def _active_project_weeks(projects: Projects, schedule: Schedule, wd: np.ndarray) -> np.ndarray:
    """(P, W): the week overlaps the project's start to actual end and is not in its hold."""
    rel = month_of(wd)[None, :] - projects.start_month[:, None]
    return (projects.start_date[:, None] <= wd[None, :] + 6) & (wd[None, :] <= schedule.end_date[:, None]) & \
        ~((rel >= schedule.hold_start[:, None]) & (rel < schedule.hold_end[:, None]))


def _draw_assignments(rng: np.random.Generator, staff: Staff, bac: np.ndarray, active: np.ndarray) -> dict:
    """Each of a person's slots runs back-to-back assignments of 8-40 weeks; each goes to a project
    active at its start and 6 weeks later, picked with weight sqrt(budget)."""
    W = active.shape[1]
    nslots = staff.slots
    slot_person = np.repeat(np.arange(len(nslots)), nslots)
    S = len(slot_person)
    slot_share = staff.slot_shares[slot_person, np.arange(S) - np.repeat(np.cumsum(nslots) - nslots, nslots)]
    ns = math.ceil((W + 40) / 8) + 1
    L = rng.integers(8, 41, (S, ns))
    off = rng.integers(0, 40, S)
    ends = np.cumsum(L, axis=1) - off[:, None]
    starts = ends - L
    pick_u = rng.random((S, ns))
    si, sj = np.nonzero((starts < W) & (ends > 0))  # the assignments inside the calendar's weeks
    ws = np.clip(starts[si, sj], 0, W - 1)
    later = np.concatenate([active[:, 6:], np.repeat(active[:, -1:], min(6, W), axis=1)], axis=1)
    wk_i, pr_i = np.nonzero((active & later[:, :W]).T)
    cw = np.cumsum(np.sqrt(bac[pr_i].astype(np.float64)))
    cw0 = np.r_[0.0, cw]
    seg_lo = np.searchsorted(wk_i, np.arange(W), "left")
    seg_hi = np.searchsorted(wk_i, np.arange(W), "right")
    tot = cw0[seg_hi] - cw0[seg_lo]
    some = tot[ws] > 0  # a project to pick from
    si, sj, ws = si[some], sj[some], ws[some]
    target = cw0[seg_lo[ws]] + pick_u[si, sj] * tot[ws]
    idx = np.clip(np.searchsorted(cw, target, side="right"), seg_lo[ws], np.maximum(seg_hi[ws] - 1, 0))
    return {
        "slot_person": slot_person, "slot_share": slot_share, "stint_slot": si,
        "stint_start": np.maximum(starts[si, sj], 0), "stint_end": np.minimum(ends[si, sj], W),
        "stint_project": pr_i[idx] if len(pr_i) else np.zeros(len(si), np.int64),
    }


def _draw_overloaded_teams(rng: np.random.Generator, W: int, quarter_weeks: np.ndarray) -> np.ndarray:
    """Two teams (never the PMO) planned 10-40% above capacity for 3-6 weeks around every quarter end
    (the week `quarter_weeks`), each run starting 1-4 weeks before it: every month end has one within
    13 weeks either side."""
    overload = np.ones((len(TEAMS), W))
    candidates = np.array([t for t in range(len(TEAMS)) if t != PMO_TEAM])
    Q = len(quarter_weeks)
    for t in rng.choice(candidates, 2, replace=False):
        r_start = quarter_weeks - rng.integers(1, 5, Q)
        r_len = rng.integers(3, 7, Q)
        r_fac = rng.uniform(1.1, 1.4, Q)
        for a0, ln, f in zip(r_start.tolist(), r_len.tolist(), r_fac.tolist()):
            overload[t, max(a0, 0):max(a0 + ln, 0)] = f
    return overload


def allocation_rows(plan: WorkPlan, staff: Staff, projects: Projects, state: MonthEnd) -> dict[str, pa.Array]:
    """Weeks from 13 before to 13 after the month end. Past weeks follow what happened (so they are
    the same in every later snapshot); future weeks also stop at the forecast finish."""
    P, W, d_t = projects.count, plan.weeks, state.day
    wk, pr, sl = _assigned_weeks(plan, state)
    pe = plan.slot_person[sl]
    key = (pe * P + pr) * W + wk
    uniq, inv = np.unique(key, return_inverse=True)
    share = np.bincount(inv, plan.slot_share[sl], minlength=len(uniq))
    upe, upr, uwk = uniq // (P * W), (uniq // W) % P, uniq % W
    day = plan.week_day[uwk]
    # each person-week is planned at the person's utilisation (60-100%, +-8% week to week),
    # split over the assignments running that week
    _, pw_inv = np.unique(upe * W + uwk, return_inverse=True)
    tot = np.bincount(pw_inv, share)[pw_inv]
    wobble = 0.92 + 0.16 * hash_u(state.seed, 33, upe, day)
    load = np.minimum(1.0, staff.utilisation[upe] * wobble)
    hours = np.floor(staff.capacity[upe] * load * share / tot * 2) / 2
    upe, upr, uwk, hours = _with_crunch(plan, staff, projects, state, upe, upr, uwk, hours, pw_inv)
    day = plan.week_day[uwk]
    keep = hours > 0
    upe, upr, day, hours = upe[keep], upr[keep], day[keep], hours[keep]
    booked = day + 6 <= d_t
    h = hash_u(state.seed, 31, upe, upr, day)
    leave = hash_u(state.seed, 32, upe, day) < 0.04
    actual = np.where(leave, 0.0, np.minimum(168, np.round(hours * (0.8 + 0.35 * h) * 2) / 2))
    return {
        "resource_id": coded(upe, staff.ids),
        "project_id": coded(upr, projects.ids),
        "week": dated(day),
        "planned_hours": numeric(np.minimum(hours, 168)),
        "actual_hours": numeric(actual, ~booked),
    }


def _with_crunch(plan: WorkPlan, staff: Staff, projects: Projects, state: MonthEnd, upe, upr, uwk, hours, pw_inv):
    """Overloaded team-weeks: each person of the team is planned at 110-140% of capacity, the hours
    above their usual plan going to the run's crunch project (a row of its own if they were not on
    it), while that project is in the export, working that week and, in the future, not finished."""
    first = np.unique(pw_inv, return_index=True)[1]
    pe, wk = upe[first], uwk[first]
    team = staff.team[pe]
    fac, crunch = plan.overload[team, wk], plan.crunch[team, wk]
    extra = np.round((staff.capacity[pe] * fac - np.bincount(pw_inv, hours)) * 2) / 2
    ok = (fac > 1) & (crunch >= 0) & (extra > 0)
    ok[ok] = _working(plan, state, crunch[ok], wk[ok])
    P, W = projects.count, plan.weeks
    key = np.concatenate([(upe * P + upr) * W + uwk, (pe[ok] * P + crunch[ok]) * W + wk[ok]])
    uniq, inv = np.unique(key, return_inverse=True)
    summed = np.bincount(inv, np.concatenate([hours, extra[ok]]), minlength=len(uniq))
    return uniq // (P * W), (uniq // W) % P, uniq % W, summed


def _working(plan: WorkPlan, state: MonthEnd, pr: np.ndarray, wk: np.ndarray) -> np.ndarray:
    """Whether project `pr` takes hours in week `wk` of this export: present in it, active that week,
    and, for a week after the month end, not past its forecast finish."""
    P = plan.active.shape[0]
    fc_end = np.full(P, -(10**9), np.int64)
    fc_end[state.present] = state.end_date
    wd = plan.week_day[wk]
    return plan.active[pr, wk] & state.present_mask[pr] & ((wd + 6 <= state.day) | (wd <= fc_end[pr]))


def _assigned_weeks(plan: WorkPlan, state: MonthEnd):
    """(week, project, slot) of every assignment week in the 27 weeks around the month end whose
    project is in the export and active then, and not past its forecast finish if in the future."""
    d_t = state.day
    W = plan.active.shape[1]
    w0 = max(0, -((plan.first_monday - (d_t - 91)) // 7))  # first Monday >= d_t - 91
    w1 = min(W - 1, (d_t + 91 - plan.first_monday) // 7)
    lo = np.maximum(plan.stint_start, w0)
    hi = np.minimum(plan.stint_end, w1 + 1)
    ln = np.maximum(hi - lo, 0)
    rep = np.repeat(np.arange(len(ln)), ln)
    wk = lo[rep] + np.arange(len(rep)) - np.repeat(np.cumsum(ln) - ln, ln)
    pr = plan.stint_project[rep]
    sl = plan.stint_slot[rep]
    ok = _working(plan, state, pr, wk)
    return wk[ok], pr[ok], sl[ok]
