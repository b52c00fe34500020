"""The whole simulation: one truth drawn once per (seed, projects, people) over the fixed calendar
(dates.py), step by step in a fixed order from one generator (the output depends on that order), and
the seven exports as it looks at a month end. Which month ends are written does not enter it: a month
is the same in every window that holds it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pmo_analytics.demo.allocations import WorkPlan, allocation_rows, simulate_work_plan
from pmo_analytics.demo.budget_lines import budget_line_rows
from pmo_analytics.demo.budgets import ActualSpend, Baseline, simulate_actual_spend, simulate_baseline, spend_curves
from pmo_analytics.demo.dates import FIRST_MONTH, LAST_MONTH
from pmo_analytics.demo.milestones import MilestonePlan, milestone_rows, simulate_milestones
from pmo_analytics.demo.month_end import month_end_state, project_rows
from pmo_analytics.demo.people import Staff, appoint_managers, resource_rows, simulate_people
from pmo_analytics.demo.progress import Schedule, percent_complete, progress_rows, simulate_schedule
from pmo_analytics.demo.projects import Health, Projects, simulate_health, simulate_projects
from pmo_analytics.demo.risks import RiskRegister, risk_rows, simulate_risks


@dataclass(frozen=True)
class Portfolio:
    """Everything drawn for one (projects, seed, people): the portfolio's true history, FIRST_MONTH to
    LAST_MONTH."""

    seed: int
    projects: Projects
    health: Health
    baseline: Baseline
    schedule: Schedule
    spend: ActualSpend
    percent: np.ndarray  # (P, K_SIM) physical percent complete at each month end
    milestones: MilestonePlan
    risks: RiskRegister
    staff: Staff
    managers: np.ndarray  # each project's manager (resource index)
    work: WorkPlan


def simulate_portfolio(projects: int, seed: int, people: int) -> Portfolio:
    """Runs the steps in their draw order: projects, health, budgets, schedule, spend, milestones,
    risks, people, managers, allocations. `projects` are approved by REFERENCE_MONTH (more follow)."""
    rng = np.random.default_rng(seed)
    prj = simulate_projects(rng, projects)
    health = simulate_health(rng, prj.count)
    baseline = simulate_baseline(rng, prj)
    schedule = simulate_schedule(rng, prj, health)
    earned_curves = spend_curves(schedule.earned / prj.months[:, None])
    spend = simulate_actual_spend(rng, prj, health, baseline, schedule, earned_curves)
    percent = percent_complete(schedule, earned_curves, baseline.category_weights)
    milestones = simulate_milestones(rng, prj, schedule)
    risks = simulate_risks(rng, prj, health, schedule, people)
    staff = simulate_people(rng, people)
    managers = appoint_managers(rng, staff, prj.count)
    work = simulate_work_plan(rng, prj, schedule, baseline.bac, staff)
    return Portfolio(seed=seed, projects=prj, health=health, baseline=baseline, schedule=schedule,
                     spend=spend, percent=percent, milestones=milestones, risks=risks, staff=staff,
                     managers=managers, work=work)


def snapshot(pf: Portfolio, T: int) -> dict[str, dict[str, pa.Array]]:
    """The seven exports as they look at the end of month T, FIRST_MONTH to LAST_MONTH: {table: {column: array}}."""
    if not FIRST_MONTH <= T <= LAST_MONTH:
        raise ValueError(f"month {T} is outside the simulated calendar")
    state = month_end_state(pf.seed, T, pf.projects, pf.schedule, pf.baseline, pf.spend)
    return {
        "projects": project_rows(state, pf.projects, pf.baseline, pf.staff, pf.managers),
        "budget_lines": budget_line_rows(state, pf.projects, pf.baseline, pf.spend),
        "progress": progress_rows(pf.projects, pf.schedule, pf.percent, state.present, T),
        "resources": resource_rows(pf.staff),
        "allocations": allocation_rows(pf.work, pf.staff, pf.projects, state),
        "risks": risk_rows(pf.risks, pf.projects, pf.health, pf.baseline.bac, pf.staff, state),
        "milestones": milestone_rows(pf.milestones, pf.projects, state),
    }
