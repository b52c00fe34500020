"""Risks: 2-10 per project, raised from approval on and resolved (closed or occurred) after a while
or when the project ends; troubled projects' risks grow, mitigated risks of healthy ones shrink."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pmo_analytics.demo.columns import coded, dated, money, numeric
from pmo_analytics.demo.dates import MONTH_DAYS
from pmo_analytics.demo.month_end import MonthEnd
from pmo_analytics.demo.people import Staff, name_codes
from pmo_analytics.demo.progress import Schedule
from pmo_analytics.demo.projects import Health, Projects
from pmo_analytics.demo.vocabulary import (
    MITIGATION_TEXTS,
    PERSON_NAMES,
    RISK_CATEGORIES,
    RISK_STATUSES,
    RISK_SYSTEMS,
    RISK_TITLE_TEXTS,
    numbered_ids,
)


@dataclass(frozen=True)
class RiskRegister:
    """Every risk's fixed truth, in project order; dates are day numbers."""

    project: np.ndarray
    category: np.ndarray  # index into RISK_CATEGORIES
    title: np.ndarray  # index into RISK_TITLE_TEXTS
    probability: np.ndarray  # when raised, 0.1-0.9 in steps of 0.05
    impact: np.ndarray  # when raised, 1-5
    cost_factor: np.ndarray  # 0.6-1.4 x the impact's share of the budget
    raised: np.ndarray
    resolved: np.ndarray  # closed (or occurred) on this day
    occurred: np.ndarray
    mitigation_date: np.ndarray
    mitigated: np.ndarray  # a mitigation starts before the risk is resolved
    due: np.ndarray
    owner: np.ndarray  # resource index, -1 for no owner
    mitigation: np.ndarray  # index into MITIGATION_TEXTS, -1 for none
    order: np.ndarray  # the risks in raised order: the id order
    number: np.ndarray  # each risk's position in that order
    ids: list[str]


def simulate_risks(rng: np.random.Generator, projects: Projects, health: Health, schedule: Schedule,
                   people: int) -> RiskRegister:
    """The first two risks are raised at approval, the others over the project's life (earlier more
    often); a risk lasts 30 days plus about 260, and is closed a few days after its project ends."""
    drawn = _draw_risks(rng, projects.count, people)
    rp, rj = drawn["project"], drawn["rank"]
    pend = schedule.end_date[rp]
    appr = projects.approval_date[rp]
    life = np.maximum(pend - appr, 0)
    raised = np.where(rj < 2, appr, appr + np.floor(life * drawn["raise_u"] ** 1.3).astype(np.int64))
    res = raised + drawn["duration"]
    forced = res > pend
    res = np.where(forced, pend + drawn["close_lag"], res)
    mit_date = raised + drawn["mitigation_lag"]
    has_mit = drawn["mitigate"] & (mit_date < res)
    cat = drawn["category"]
    order = np.lexsort((rj, rp, raised))  # risk ids are numbered in raised order
    number = np.empty(len(rp), np.int64)
    number[order] = np.arange(len(rp))
    return RiskRegister(
        project=rp, category=cat, title=drawn["title"], probability=drawn["probability"],
        impact=drawn["impact"], cost_factor=drawn["cost_factor"], raised=raised, resolved=res,
        occurred=~forced & (drawn["occur_u"] < np.where(health.troubled[rp], 0.25, 0.10)),
        mitigation_date=mit_date, mitigated=has_mit, due=raised + drawn["due_lag"],
        owner=np.where(drawn["no_owner"], -1, drawn["owner"]),
        mitigation=np.where(~has_mit & (drawn["mitigation_u"] < 0.5), -1, cat * 3 + drawn["template"]),
        order=order, number=number, ids=numbered_ids("RSK-", len(rp), 5),
    )


def _draw_risks(rng: np.random.Generator, P: int, N: int) -> dict[str, np.ndarray]:
    """Every random number the risks need, drawn in a fixed order (the output depends on it)."""
    nr = rng.integers(2, 11, P)
    rp = np.repeat(np.arange(P), nr)
    R = len(rp)
    d = {"project": rp, "rank": np.arange(R) - np.repeat(np.cumsum(nr) - nr, nr)}
    d["category"] = cat = rng.integers(0, 6, R)
    d["title"] = cat * 4 * len(RISK_SYSTEMS) + rng.integers(0, 4, R) * len(RISK_SYSTEMS) + \
        rng.integers(0, len(RISK_SYSTEMS), R)
    d["probability"] = np.round(rng.uniform(0.1, 0.9, R) * 20) / 20
    d["impact"] = rng.choice(5, R, p=[0.15, 0.30, 0.30, 0.17, 0.08]) + 1
    d["cost_factor"] = rng.uniform(0.6, 1.4, R)
    d["raise_u"] = rng.random(R)
    d["duration"] = np.round(30 + rng.exponential(260, R)).astype(np.int64)
    d["occur_u"] = rng.random(R)
    d["mitigate"] = rng.random(R) < 0.65
    d["mitigation_lag"] = rng.integers(7, 61, R)
    d["due_lag"] = rng.integers(14, 91, R)
    d["close_lag"] = rng.integers(5, 41, R)
    d["no_owner"] = rng.random(R) < 0.15
    d["owner"] = rng.integers(0, max(N, 1), R)
    d["mitigation_u"] = rng.random(R)
    d["template"] = rng.integers(0, 3, R)
    return d


def risk_rows(register: RiskRegister, projects: Projects, health: Health, bac: np.ndarray, staff: Staff,
              state: MonthEnd) -> dict[str, pa.Array]:
    """The risk register at a month end, in risk id order: risks raised by then, scored as they stand."""
    order = register.order
    vis = order[state.present_mask[register.project[order]] & (register.raised[order] <= state.day)]
    rp = register.project[vis]
    res = register.resolved[vis]
    prob, impact, impact_cost = _risk_scores(register, vis, health.troubled[rp], bac[rp], state.day)
    mit_date, has_mit = register.mitigation_date[vis], register.mitigated[vis]
    rstatus = np.where(res <= state.day, np.where(register.occurred[vis], 3, 2),
                       np.where(has_mit & (mit_date <= state.day), 1, 0))
    return {
        "risk_id": coded(register.number[vis], register.ids),
        "project_id": coded(rp, projects.ids),
        "title": coded(register.title[vis], RISK_TITLE_TEXTS),
        "category": coded(register.category[vis], RISK_CATEGORIES),
        "probability": numeric(prob),
        "impact": pa.array(impact.astype(np.int32)),
        "impact_cost": money(impact_cost),
        "status": coded(rstatus, RISK_STATUSES),
        "owner": coded(name_codes(staff, register.owner[vis]), PERSON_NAMES),
        "raised_date": dated(register.raised[vis]),
        "due_date": dated(register.due[vis]),
        "closed_date": dated(res, rstatus != 2),
        "mitigation": coded(register.mitigation[vis], MITIGATION_TEXTS),
    }


def _risk_scores(register: RiskRegister, vis: np.ndarray, troubled: np.ndarray, bac: np.ndarray, d_t: int):
    """(probability, impact, impact cost in cents) at day d_t: troubled projects' risks gain 0.025
    probability a month and +1 impact after 4 and 10 months; healthy mitigated ones lose 0.02 a month."""
    raised = register.raised[vis]
    t_eff = np.minimum(d_t, register.resolved[vis])
    months = (t_eff - raised) / MONTH_DAYS
    mit_date, has_mit = register.mitigation_date[vis], register.mitigated[vis]
    prob = register.probability[vis] + np.where(troubled, 0.025 * months, 0.0)
    prob -= np.where(~troubled & has_mit & (t_eff >= mit_date), 0.02 * (t_eff - mit_date) / MONTH_DAYS, 0.0)
    prob = np.round(np.clip(prob, 0.1, 0.9) * 20) / 20
    impact = np.minimum(5, register.impact[vis] + troubled * ((months >= 4).astype(np.int64) + (months >= 10)))
    share = np.array([0.0, 0.005, 0.015, 0.04, 0.08, 0.15])[impact]
    impact_cost = np.maximum(1, np.round(bac * share * register.cost_factor[vis] / 10000)) * 10000
    return prob, impact, impact_cost
