"""Milestones: 3-8 per project at fixed fractions of the baseline schedule, always "Business case
approved" (at approval) and "Handover to operations" (the finish); each is achieved the day the
earned schedule reaches it, and forecast from the SPI estimate until then."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pmo_analytics.demo.columns import coded, dated
from pmo_analytics.demo.dates import MONTH_DAYS
from pmo_analytics.demo.month_end import MonthEnd
from pmo_analytics.demo.progress import Schedule, crossing
from pmo_analytics.demo.projects import Projects
from pmo_analytics.demo.vocabulary import MILESTONE_IDS, MILESTONE_NAMES, MILESTONES


@dataclass(frozen=True)
class MilestonePlan:
    """Every milestone's fixed truth, in project order then schedule order."""

    project: np.ndarray
    kind: np.ndarray  # index into MILESTONES
    position: np.ndarray  # 0.. within its project: the milestone id
    target: np.ndarray  # months of planned work at which it is reached
    baseline: np.ndarray  # baseline date (day number)
    actual: np.ndarray  # the day it is reached (meaningful where `reached`)
    reached: np.ndarray  # whether the work ever reaches it (not if cancelled first)


def simulate_milestones(rng: np.random.Generator, projects: Projects, schedule: Schedule) -> MilestonePlan:
    """Picks 1-6 of the six middle milestones per project; baselines at their fraction of the span
    from start to baseline end, actual dates where the earned schedule crosses their target."""
    P = projects.count
    s, start_date = projects.start_month, projects.start_date
    nm = rng.integers(3, 9, P)
    mk = rng.random((P, 6))
    rank = np.argsort(np.argsort(mk, axis=1), axis=1)
    sel = np.hstack([np.ones((P, 1), bool), rank < (nm - 2)[:, None], np.ones((P, 1), bool)])
    mp, mj = np.nonzero(sel)
    first = np.searchsorted(mp, np.arange(P))
    frac = np.array([f for _, f in MILESTONES])[mj]
    span = projects.baseline_end[mp] - start_date[mp]
    base = start_date[mp] + np.round(frac * span).astype(np.int64)
    target = frac * projects.months[mp]
    actual, hit = crossing(schedule.earned_raw[mp], target, s[mp])
    actual = np.maximum(actual, start_date[mp])
    actual = np.where(schedule.cancelled[mp], np.minimum(actual, schedule.cancel_date[mp]), actual)
    actual = np.where(mj == len(MILESTONES) - 1, schedule.finish_date[mp], actual)
    first_ms = mj == 0
    approval = projects.approval_date[mp]
    return MilestonePlan(project=mp, kind=mj, position=np.arange(len(mp)) - first[mp], target=target,
                         baseline=np.where(first_ms, approval, base), actual=np.where(first_ms, approval, actual),
                         reached=hit | first_ms)


def milestone_rows(plan: MilestonePlan, projects: Projects, state: MonthEnd) -> dict[str, pa.Array]:
    """The milestones export at a month end: forecast = actual once achieved, else the month end plus
    the work to go at the SPI estimate (and any hold left); cancelled projects' open ones unforecast."""
    vis = np.nonzero(state.present_mask[plan.project])[0]
    mp = plan.project[vis]
    loc = np.searchsorted(state.present, mp)  # position of the project in the state's arrays
    d_t = state.day
    achieved = plan.reached[vis] & (plan.actual[vis] <= d_t)
    togo = np.maximum(plan.target[vis] - state.earned[loc], 0) / state.spi_estimate[loc] + state.hold_left[loc]
    fc = d_t + np.maximum(1, np.ceil(togo * MONTH_DAYS)).astype(np.int64)
    fc = np.where(state.planned[loc], plan.baseline[vis], fc)
    forecast = np.where(achieved, plan.actual[vis], fc)
    no_fc = ~achieved & state.cancelled[loc]
    return {
        "project_id": coded(mp, projects.ids),
        "milestone_id": coded(plan.position[vis], MILESTONE_IDS),
        "name": coded(plan.kind[vis], MILESTONE_NAMES),
        "baseline_date": dated(plan.baseline[vis]),
        "forecast_date": dated(forecast, no_fc),
        "actual_date": dated(plan.actual[vis], ~achieved),
    }
