"""Budgets and spend: the categories a project uses, its approved time-phased baseline (bac is
exactly its sum), and what it really spends each month: earned value divided by its CPI, with noise."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pmo_analytics.demo.dates import K_MAX, K_SIM
from pmo_analytics.demo.progress import Schedule
from pmo_analytics.demo.projects import Health, Projects


def spend_curves(x) -> np.ndarray:
    """Cumulative spend curves per category (shape x.shape + (4,)), each 0 at x=0 and 1 at x=1."""
    x = np.clip(x, 0.0, 1.0)
    s = x * x * (3 - 2 * x)  # S-curve
    return np.stack([s,  # labour
                     0.6 * s + 0.4 * x,  # external: flatter S
                     x ** 3 * (x * (6 * x - 15) + 10),  # capex: concentrated mid-project
                     0.6 * x + 0.4 * x * x], axis=-1)  # opex: steady, slightly back-loaded


@dataclass(frozen=True)
class Baseline:
    """The approved budget in integer cents, fixed across snapshots."""

    used: np.ndarray  # (P, 4) bool: the categories the project budgets for
    budget: np.ndarray  # (P, K_MAX, 4) per month after the start and category; 0 after the duration
    bac_by_category: np.ndarray  # (P, 4)
    bac: np.ndarray  # (P,)

    @property
    def category_weights(self) -> np.ndarray:
        """Each category's share of the project's budget, (P, 4)."""
        return self.bac_by_category / self.bac[:, None]


@dataclass(frozen=True)
class ActualSpend:
    """What each project really pays, in integer cents."""

    by_month: np.ndarray  # (P, K_MAX, 4) per month after the start and category (0 after K_SIM)
    cumulative: np.ndarray  # (P, K_SIM) all categories, to the end of each month


def simulate_baseline(rng: np.random.Generator, projects: Projects) -> Baseline:
    """Labour almost always, external, capex and opex sometimes; a log-normal size around 1.2M that
    grows with the duration, phased along each category's spend curve over the duration."""
    D = projects.months
    P = len(D)
    used = rng.random((P, 4)) < np.array([0.95, 0.70, 0.40, 0.60])
    used[~used.any(axis=1), 0] = True
    weights = rng.gamma(np.array([3.0, 2.0, 2.0, 1.0]), 1.0, (P, 4)) * used
    weights /= weights.sum(axis=1, keepdims=True)
    size = np.clip(np.exp(np.log(1.2e6) + 0.04 * (D - 16) + 0.8 * rng.standard_normal(P)), 8e4, 6e7)
    k = np.arange(int(D.max(initial=0)) + 1)  # the curves at each month end of the longest duration
    curves = spend_curves(k[None, :] / D[:, None])
    phase = np.diff(curves, axis=1) * (k[None, :-1] < D[:, None])[:, :, None]
    budget = np.zeros((P, K_MAX, 4), np.int64)  # nothing after the duration
    budget[:, :len(k) - 1] = np.round(size[:, None, None] * weights[:, None, :] * phase * 100)
    bac_c = budget.sum(axis=1)
    return Baseline(used=used, budget=budget, bac_by_category=bac_c, bac=bac_c.sum(axis=1))


def simulate_actual_spend(rng: np.random.Generator, projects: Projects, health: Health, baseline: Baseline,
                          schedule: Schedule, earned_curves: np.ndarray) -> ActualSpend:
    """Each month's earned value (the baseline curves at the earned schedule) over the project's CPI,
    with +-10% monthly and +-5% per-category noise; a small holding cost while on hold; nothing after
    completion or cancellation."""
    D = projects.months
    P = len(D)
    ks = np.arange(K_SIM)
    dg = np.diff(earned_curves, axis=1, prepend=0.0)
    noise = np.exp(0.10 * rng.standard_normal((P, K_SIM)))[:, :, None] * \
        np.exp(0.05 * rng.standard_normal((P, K_SIM, 4)))
    bac_c = baseline.bac_by_category
    spend = bac_c[:, None, :] * dg / health.cpi[:, None, None] * noise
    spend[:, :, 0] += 0.1 * bac_c[:, 0][:, None] / D[:, None] * schedule.in_hold  # holding cost
    spend *= (ks[None, :] <= schedule.end_month[:, None])[:, :, None]
    ac = np.zeros((P, K_MAX, 4), dtype=np.int64)
    ac[:, :K_SIM] = np.round(spend)
    return ActualSpend(by_month=ac, cumulative=np.cumsum(ac[:, :K_SIM].sum(axis=2), axis=1))
