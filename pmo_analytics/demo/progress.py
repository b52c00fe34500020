"""Progress: each project's earned schedule month by month (months of planned work done, Lipke), with
holds and cancellations, its finish date, and the percent complete the progress export reports."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pmo_analytics.demo.columns import coded, dated, numeric
from pmo_analytics.demo.dates import K_SIM, days_in_month, first_day
from pmo_analytics.demo.projects import Health, Projects

NEVER = 10**6  # a month offset no project reaches


@dataclass(frozen=True)
class Schedule:
    """What really happens to each project's schedule. Months are offsets from its start month
    (month k is start_month + k); dates are day numbers."""

    hold_start: np.ndarray  # first month on hold (NEVER if never)
    hold_end: np.ndarray  # first month after the hold
    in_hold: np.ndarray  # (P, K_SIM) bool
    earned: np.ndarray  # (P, K_SIM) earned schedule at each month end, at most the duration
    earned_raw: np.ndarray  # the same, unclipped: where inside its month a target is crossed
    complete_month: np.ndarray  # the month the work completes (NEVER when cancelled)
    cancelled: np.ndarray  # bool: cancelled while it ran
    cancel_month: np.ndarray  # NEVER when not cancelled
    end_month: np.ndarray  # the completion or the cancellation month: spend and progress stop after it
    cancel_date: np.ndarray
    finish_date: np.ndarray
    end_date: np.ndarray  # the actual end of work: the cancellation or the finish date


def crossing(es_rows: np.ndarray, target: np.ndarray, s: np.ndarray):
    """The day each row's earned schedule reaches `target` (months of planned work), and whether it does."""
    reached = es_rows >= target[:, None] - 1e-9
    hit = reached.any(axis=1)
    k = reached.argmax(axis=1)
    r = np.arange(len(k))
    cur = es_rows[r, k]
    prev = np.where(k > 0, es_rows[r, np.maximum(k - 1, 0)], 0.0)
    phi = np.clip(np.where(cur > prev, (target - prev) / np.where(cur > prev, cur - prev, 1.0), 1.0), 0, 1)
    dim = days_in_month(s + k)
    day = first_day(s + k) + np.minimum(dim - 1, np.floor(phi * dim).astype(np.int64))
    return day, hit


def simulate_schedule(rng: np.random.Generator, projects: Projects, health: Health) -> Schedule:
    """Monthly progress at the project's pace with +-18% noise; some projects pause for 2-4 months,
    a few are cancelled (their earned schedule freezes), the rest finish when it reaches the duration."""
    s, D = projects.start_month, projects.months
    P = len(s)
    ks = np.arange(K_SIM)
    rate = health.pace[:, None] * np.clip(1 + 0.18 * rng.standard_normal((P, K_SIM)), 0.4, 1.6)
    c0 = (np.cumsum(rate, axis=1) >= D[:, None] - 1e-9).argmax(axis=1)
    h0, h1 = _draw_holds(rng, c0)
    in_hold = (ks[None, :] >= h0[:, None]) & (ks[None, :] < h1[:, None])
    rate = np.where(in_hold, 0.0, rate)
    es = np.cumsum(rate, axis=1)
    unfinished = ~(es >= D[:, None] - 1e-9).any(axis=1)
    es[unfinished, -1] = D[unfinished]
    c = (es >= D[:, None] - 1e-9).argmax(axis=1)
    es_raw = es.copy()
    es = np.minimum(es, D[:, None])

    cancelled, kc, cancel_date = _draw_cancellations(rng, s, c)
    kcc = np.minimum(kc, K_SIM - 1)
    es = np.where(ks[None, :] > kc[:, None], es[np.arange(P), kcc][:, None], es)
    es_raw = np.where(ks[None, :] > kc[:, None], es_raw[np.arange(P), kcc][:, None], es_raw)
    finish, _ = crossing(es_raw, D.astype(np.float64), s)
    finish_date = np.maximum(finish, projects.start_date)
    return Schedule(
        hold_start=h0, hold_end=h1, in_hold=in_hold, earned=es, earned_raw=es_raw,
        complete_month=np.where(cancelled, NEVER, c), cancelled=cancelled, cancel_month=kc,
        end_month=np.where(cancelled, kc, c), cancel_date=cancel_date, finish_date=finish_date,
        end_date=np.where(cancelled, cancel_date, finish_date),
    )


def _draw_holds(rng: np.random.Generator, c0: np.ndarray):
    """15% of projects pause once for 2-4 months, at any month of their life after the first and
    before they would finish. Returns (first month on hold, first month after), as month offsets."""
    P = len(c0)
    hold_flag = rng.random(P) < 0.15
    hu = rng.random(P)
    hold_len = rng.integers(2, 5, P)
    hold = hold_flag & (c0 >= 2)
    h0 = np.where(hold, 1 + np.floor(hu * (c0 - 1)).astype(np.int64), NEVER)
    return h0, h0 + hold_len


def _draw_cancellations(rng: np.random.Generator, s: np.ndarray, c: np.ndarray):
    """5% of projects are cancelled in a month while they run (after the first, before the finish).
    Returns (cancelled, cancellation month offset, cancellation date)."""
    P = len(s)
    canc_flag = rng.random(P) < 0.05
    cu, cday = rng.random(P), rng.random(P)
    cancelled = canc_flag & (c >= 2)
    kc = np.where(cancelled, 1 + np.floor(cu * (c - 1)).astype(np.int64), NEVER)
    cm = s + np.minimum(kc, K_SIM - 1)
    return cancelled, kc, first_day(cm) + np.floor(cday * days_in_month(cm)).astype(np.int64)


def percent_complete(schedule: Schedule, earned_curves: np.ndarray, category_weights: np.ndarray) -> np.ndarray:
    """Physical progress (P, K_SIM): the baseline curves at the earned schedule, weighted by each
    category's share of the budget, so EV = percent/100 x BAC; 100 only from completion."""
    pct = np.round(100 * (earned_curves * category_weights[:, None, :]).sum(axis=2), 1)
    done = np.arange(K_SIM)[None, :] >= schedule.complete_month[:, None]
    return np.where(done, 100.0, np.minimum(pct, 99.9))


def progress_rows(projects: Projects, schedule: Schedule, percent: np.ndarray, present: np.ndarray,
                  T: int) -> dict[str, pa.Array]:
    """The progress export at month end T: one row per present project and month from its start to
    T, or to its completion or cancellation month (after which a tool stops reporting)."""
    s = projects.start_month[present]
    a = T - s
    shown = np.where(a >= 0, np.minimum(a, schedule.end_month[present]), -1)
    pi, ki = np.nonzero(np.arange(K_SIM)[None, :] <= shown[:, None])
    return {
        "project_id": coded(present[pi], projects.ids),
        "period": dated(first_day(s[pi] + ki)),
        "percent_complete": numeric(percent[present[pi], ki]),
    }
