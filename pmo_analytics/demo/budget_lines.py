"""The budget lines a finance tool exports at a month end: per project x month x category used, the
baseline, what was consumed (actual spend) up to the month, and after it the re-estimated remaining
spend (estimate to complete, phased) and the open orders placed for it (committed)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from pmo_analytics.demo.budgets import ActualSpend, Baseline, spend_curves
from pmo_analytics.demo.columns import coded, dated, money
from pmo_analytics.demo.dates import first_day
from pmo_analytics.demo.month_end import MonthEnd
from pmo_analytics.demo.noise import hash_u
from pmo_analytics.demo.projects import Projects
from pmo_analytics.demo.vocabulary import CATEGORIES


def budget_line_rows(state: MonthEnd, projects: Projects, baseline: Baseline,
                     spend: ActualSpend) -> dict[str, pa.Array]:
    """Rows from the start month to the later of the baseline finish and the forecast (or actual)
    finish; past periods forecast what they consumed, planned projects forecast their budget."""
    ex, a, D = state.present, state.elapsed, state.months
    fe = np.where(state.running, state.resume + np.ceil(state.remaining - 1e-9).astype(np.int64), 0)
    last = np.maximum.reduce([D - 1, fe, np.where(state.complete | state.cancelled, state.end_month, 0)])
    KT = int(last.max()) + 1 if len(ex) else 1
    k = np.arange(KT)
    budget = baseline.budget[ex, :KT]
    ac = spend.by_month[ex, :KT]
    past = (k[None, :] <= a[:, None])[:, :, None]
    future = _estimate_to_complete(state, baseline, budget, k)
    forecast = np.where(past, ac, future)
    consumed = np.where(past, ac, 0)
    committed = np.where(past, 0, _open_orders(state, future, k))
    mask = (k[None, :] <= last[:, None])[:, :, None] & baseline.used[ex][:, None, :]
    pi, ki, ci = np.nonzero(mask)
    return {
        "project_id": coded(ex[pi], projects.ids),
        "period": dated(first_day(state.start_month[pi] + ki)),
        "category": coded(ci, CATEGORIES),
        "budget": money(budget[pi, ki, ci]),
        "forecast": money(forecast[pi, ki, ci]),
        "committed": money(committed[pi, ki, ci]),
        "consumed": money(consumed[pi, ki, ci]),
    }


def _estimate_to_complete(state: MonthEnd, baseline: Baseline, budget: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Future spend per month (P, KT, 4) in cents: the remaining baseline curve walked at the SPI
    estimate from the month work resumes, over the CPI estimate. 0 for projects that stopped."""
    a, es_a, Df = state.elapsed, state.earned, state.months.astype(np.float64)
    bac_c = baseline.bac_by_category[state.present].astype(np.float64)
    es_p = np.where(k[None, :] > a[:, None],
                    np.minimum(Df[:, None], es_a[:, None] + np.clip(k[None, :] - state.resume[:, None], 0, None)
                               * state.spi_estimate[:, None]), es_a[:, None])
    g = spend_curves(es_p / Df[:, None])
    dg = np.diff(g, axis=1, prepend=g[:, :1])
    future = np.round(bac_c[:, None, :] * dg / state.cpi_estimate[:, None, None]).astype(np.int64)
    future = np.where(state.running[:, None, None], future, 0)
    return np.where(state.planned[:, None, None], budget, future)


def _open_orders(state: MonthEnd, future: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Orders placed, not yet paid, for the next three months (all of next month's share, half, a
    fifth), more for external and capex than labour, with per-snapshot noise. Excludes consumed."""
    lead = k[None, :] - state.elapsed[:, None]
    decay = np.select([lead == 1, lead == 2, lead == 3], [1.0, 0.5, 0.2], 0.0)
    frac = np.array([0.15, 0.8, 0.7, 0.5])
    cu = hash_u(state.seed, 21, state.present[:, None, None], k[None, :, None], np.arange(4)[None, None, :],
                state.month)
    return np.round(future * decay[:, :, None] * frac * (0.6 + 0.6 * cu)).astype(np.int64)
