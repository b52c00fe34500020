"""The whole simulation: one truth drawn once per seed, step by step in a fixed order from one
generator (the output depends on that order), and the seven exports as it looks at a month end."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pmo_analytics.demo.allocations import WorkPlan, allocation_rows, simulate_work_plan
from pmo_analytics.demo.budget_lines import budget_line_rows
from pmo_analytics.demo.budgets import ActualSpend, Baseline, simulate_actual_spend, simulate_baseline, spend_curves
from pmo_analytics.demo.dates import Window, snapshot_window
from pmo_analytics.demo.milestones import MilestonePlan, milestone_rows, simulate_milestones
from pmo_analytics.demo.month_end import month_end_state, project_rows
from pmo_analytics.demo.people import Staff, appoint_managers, resource_rows, simulate_people
from pmo_analytics.demo.progress import Schedule, percent_complete, progress_rows, simulate_schedule
from pmo_analytics.demo.projects import Health, Projects, simulate_health, simulate_projects
from pmo_analytics.demo.risks import RiskRegister, risk_rows, simulate_risks


@dataclass(frozen=True)
class Portfolio:
    """Everything drawn for one (projects, months, seed, end, people): the portfolio's true history."""

    seed: int
    window: Window
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


def simulate_portfolio(projects: int, months: int, seed: int, end: str, people: int) -> Portfolio:
    """Runs the steps in their draw order: projects, health, budgets, schedule, spend, milestones,
    risks, people, managers, allocations."""
    rng = np.random.default_rng(seed)
    window = snapshot_window(end, months)
    prj = simulate_projects(rng, projects, window)
    health = simulate_health(rng, projects)
    baseline = simulate_baseline(rng, prj)
    schedule = simulate_schedule(rng, prj, health, window)
    earned_curves = spend_curves(schedule.earned / prj.months[:, None])
    spend = simulate_actual_spend(rng, prj, health, baseline, schedule, earned_curves)
    percent = percent_complete(schedule, earned_curves, baseline.category_weights)
    milestones = simulate_milestones(rng, prj, schedule)
    risks = simulate_risks(rng, prj, health, schedule, people)
    staff = simulate_people(rng, people)
    managers = appoint_managers(rng, staff, projects)
    work = simulate_work_plan(rng, prj, schedule, baseline.bac, staff, window)
    return Portfolio(seed=seed, window=window, projects=prj, health=health, baseline=baseline, schedule=schedule,
                     spend=spend, percent=percent, milestones=milestones, risks=risks, staff=staff,
                     managers=managers, work=work)


def snapshot(pf: Portfolio, T: int) -> dict[str, dict[str, pa.Array]]:
    """The seven exports as they look at the end of month T: {table: {column: array}}."""
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
