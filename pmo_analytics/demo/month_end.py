"""The portfolio at a month end, as managers report it: which projects are in the export, their
status, the CPI and SPI estimates they believe (moving from 1.0 towards the truth over ~8 months),
the forecast finish, and the projects export with its RAG and phase."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pmo_analytics.demo.budgets import ActualSpend, Baseline, spend_curves
from pmo_analytics.demo.columns import coded, dated, money, numeric
from pmo_analytics.demo.dates import K_SIM, MONTH_DAYS, month_end
from pmo_analytics.demo.noise import hash_u
from pmo_analytics.demo.people import Staff, name_codes
from pmo_analytics.demo.progress import Schedule
from pmo_analytics.demo.projects import Projects
from pmo_analytics.demo.vocabulary import (
    CURRENCY,
    DEPARTMENTS,
    PERSON_NAMES,
    PHASES,
    PORTFOLIOS,
    PRIORITIES,
    PROGRAM_NAMES,
    RAGS,
    STATUSES,
)


@dataclass(frozen=True)
class MonthEnd:
    """Where the projects in the export stand at the end of month T. Arrays run over `present` (the
    projects approved by T, in project order); months are offsets from each project's start."""

    seed: int
    month: int  # T, a month number
    day: int  # the month end, a day number
    present: np.ndarray  # indexes of the projects in the export
    present_mask: np.ndarray  # (P,) bool
    start_month: np.ndarray
    months: np.ndarray  # baseline duration
    elapsed: np.ndarray  # T - start month: the month offset T is (negative before the start)
    end_month: np.ndarray  # the completion or cancellation month offset
    planned: np.ndarray  # not started
    running: np.ndarray  # started, neither complete nor cancelled (on hold included)
    on_hold: np.ndarray
    complete: np.ndarray
    cancelled: np.ndarray
    status: np.ndarray  # codes into STATUSES
    earned: np.ndarray  # earned schedule at T (months of planned work)
    earned_value: np.ndarray  # cents
    cpi_estimate: np.ndarray
    spi_estimate: np.ndarray
    hold_left: np.ndarray  # months of hold still to come
    resume: np.ndarray  # the month offset work resumes (T when not on hold)
    remaining: np.ndarray  # months of work left at the estimated SPI
    end_date: np.ndarray  # forecast finish, or the actual end, or the baseline end when planned


def month_end_state(seed: int, T: int, projects: Projects, schedule: Schedule, baseline: Baseline,
                    spend: ActualSpend) -> MonthEnd:
    """The state at the end of month T: statuses, then estimates, then the forecast finish."""
    d_t = int(month_end(T))
    ex = np.nonzero(projects.approval_month <= T)[0]
    ex_mask = np.zeros(projects.count, bool)
    ex_mask[ex] = True
    s, D = projects.start_month[ex], projects.months[ex]
    a = T - s
    flags = _status_at(schedule, ex, a)
    est = _performance_estimates(seed, T, ex, a, D, schedule, baseline, spend)
    hold_rem = np.where(flags["on_hold"], schedule.hold_end[ex] - 1 - a, 0)
    rem = np.where(flags["running"], (D.astype(np.float64) - est["earned"]) / est["spi_estimate"], 0.0)
    fc_end = d_t + np.maximum(1, np.ceil((rem + hold_rem) * MONTH_DAYS)).astype(np.int64)
    end_date = np.where(flags["planned"], projects.baseline_end[ex], np.where(
        flags["cancelled"], schedule.cancel_date[ex], np.where(flags["complete"], schedule.finish_date[ex], fc_end)))
    return MonthEnd(seed=seed, month=T, day=d_t, present=ex, present_mask=ex_mask, start_month=s, months=D,
                    elapsed=a, end_month=schedule.end_month[ex], **flags, **est, hold_left=hold_rem,
                    resume=a + hold_rem, remaining=rem, end_date=end_date)


def _status_at(schedule: Schedule, ex: np.ndarray, a: np.ndarray) -> dict[str, np.ndarray]:
    """planned before the start; on hold, closed from the month after completion, cancelled; else active."""
    started = a >= 0
    cancelled = schedule.cancelled[ex] & (a >= schedule.cancel_month[ex])
    complete = ~schedule.cancelled[ex] & (a >= schedule.complete_month[ex])
    closed = ~schedule.cancelled[ex] & (a >= schedule.complete_month[ex] + 1)
    on_hold = (a >= schedule.hold_start[ex]) & (a < schedule.hold_end[ex]) & ~complete & ~cancelled
    planned = ~started
    status = np.ones(len(ex), np.int64)
    status[on_hold], status[closed], status[cancelled], status[planned] = 2, 3, 4, 0
    return {"planned": planned, "running": started & ~complete & ~cancelled, "on_hold": on_hold,
            "complete": complete, "cancelled": cancelled, "status": status}


def _performance_estimates(seed: int, T: int, ex: np.ndarray, a: np.ndarray, D: np.ndarray, schedule: Schedule,
                           baseline: Baseline, spend: ActualSpend) -> dict[str, np.ndarray]:
    """Observed CPI = EV/AC and SPI(t) = ES/AT, trusted more each month of work (fully after 8), with
    +-2% noise per snapshot: managers see trouble late."""
    started = a >= 0
    ak = np.clip(a, 0, K_SIM - 1)
    es_a = np.where(started, schedule.earned[ex, ak], 0.0)
    bac_c = baseline.bac_by_category[ex].astype(np.float64)
    ev = (bac_c * spend_curves(es_a / D.astype(np.float64))).sum(axis=1)
    cum_ac = np.where(started, spend.cumulative[ex, ak], 0).astype(np.float64)
    cpi_obs = np.where(cum_ac > 0, ev / np.where(cum_ac > 0, cum_ac, 1), 1.0)
    a_eff = np.minimum(a, schedule.end_month[ex])  # months of work (the clock stops at completion)
    spi_obs = np.where(started, es_a / np.maximum(a_eff + 1, 1), 1.0)
    w = np.clip((a_eff + 1) / 8, 0, 1)
    cpi_est = np.clip(1 + w * (cpi_obs - 1) + (hash_u(seed, 11, ex, T) - 0.5) * 0.04, 0.6, 1.3)
    spi_est = np.clip(1 + w * (spi_obs - 1) + (hash_u(seed, 12, ex, T) - 0.5) * 0.04, 0.6, 1.3)
    return {"earned": es_a, "earned_value": ev, "cpi_estimate": cpi_est, "spi_estimate": spi_est}


def project_rows(state: MonthEnd, projects: Projects, baseline: Baseline, staff: Staff,
                 managers: np.ndarray) -> dict[str, pa.Array]:
    """The projects export: RAG from min(CPI, SPI estimate) (on hold at least amber, planned green,
    cancelled empty), phase from the earned value, end_date the forecast finish, and a value_score the
    PMO scored at approval (20-100: 20/40/60 for low/medium/high priority plus up to 40, fixed per project)."""
    ex = state.present
    score = np.minimum(state.cpi_estimate, state.spi_estimate)
    rag = np.searchsorted(-np.array([0.95, 0.90, 0.83, 0.76]), -score, side="right")
    rag = np.where(state.on_hold, np.maximum(rag, 2), rag)
    rag = np.where(state.planned, 0, np.where(state.cancelled, -1, rag))
    pct_a = 100 * state.earned_value / baseline.bac[ex]
    phase = np.where(pct_a < 10, 0, np.where(pct_a < 25, 1, 2))
    phase = np.where(state.planned, 0, np.where(state.complete | state.cancelled, 3, phase))
    return {
        "project_id": coded(ex, projects.ids),
        "name": pa.array([projects.names[i] for i in ex.tolist()], pa.string()),
        "portfolio": coded(projects.portfolio[ex], PORTFOLIOS),
        "program": coded(projects.program[ex], PROGRAM_NAMES),
        "department": coded(projects.department[ex], DEPARTMENTS),
        "manager": coded(name_codes(staff, managers[ex]), PERSON_NAMES),
        "status": coded(state.status, STATUSES),
        "phase": coded(phase, PHASES),
        "priority": coded(projects.priority[ex], PRIORITIES),
        "rag": coded(rag, RAGS),
        "start_date": dated(projects.start_date[ex]),
        "end_date": dated(state.end_date),
        "baseline_end_date": dated(projects.baseline_end[ex]),
        "bac": money(baseline.bac[ex]),
        "currency": coded(np.zeros(len(ex), np.int64), (CURRENCY,)),
        "value_score": numeric(np.round(20 * (3 - projects.priority[ex]) + 40 * hash_u(state.seed, 41, ex))),
    }
