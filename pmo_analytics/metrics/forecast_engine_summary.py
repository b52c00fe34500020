"""The forecast's result frames (issue 16): per project, the portfolio row, the S-curve, the joint
confidence and the tornado, from the engine's per-draw totals and the model's parameters."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_analytics.metrics.forecast_engine_draws import Parameters
from pmo_analytics.metrics.forecast_model import ForecastInputs

S_CURVE_POINTS = 50
TORNADO_TOP = 15
JOINT_COST_QUANTILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
JOINT_SHARES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
BLOCK = 500  # rows of the tornado's covariance matrix computed at once (BLOCK x projects floats)


def _dates(days) -> np.ndarray:
    return np.rint(np.asarray(days, dtype=float)).astype(np.int64).astype("datetime64[D]")


def _risk_emv(inputs: ForecastInputs) -> np.ndarray:
    emv = np.asarray(inputs.risk_probability, dtype=float) * np.asarray(inputs.risk_cost, dtype=float)
    return np.bincount(np.asarray(inputs.risk_project, dtype=np.int64), weights=emv, minlength=inputs.projects)


def project_frame(inputs: ForecastInputs, params: Parameters, stats: dict) -> pd.DataFrame:
    """One row per project, in the inputs' order."""
    cost_q, finish_q = stats["cost_q"], stats["finish_q"] + params.start_day
    return pd.DataFrame({
        "project_id": np.asarray(inputs.project_id, dtype=object),
        "bac": np.asarray(inputs.bac, dtype=float), "eac": params.eac,
        "cost_p50": cost_q[0], "cost_p80": cost_q[1], "cost_p90": cost_q[2],
        "prob_within_budget": stats["prob_within_budget"],
        "finish_point": _dates(params.start_day + params.finish_days(params.ieac_months)),
        "finish_p50": _dates(finish_q[0]), "finish_p80": _dates(finish_q[1]), "finish_p90": _dates(finish_q[2]),
        "baseline_finish": np.asarray(inputs.baseline_finish).astype("datetime64[D]"),
        "prob_by_baseline": stats["prob_by_baseline"], "prob_both": stats["prob_both"],
        "contingency_p80": cost_q[1] - params.eac, "risk_emv": _risk_emv(inputs),
        "prior_cost": params.prior_cost, "prior_schedule": params.prior_time,
    })


def portfolio_frame(inputs: ForecastInputs, params: Parameters, total: np.ndarray, share: np.ndarray,
                    last_day: np.ndarray, quantiles) -> pd.DataFrame:
    """The portfolio's one row: its total cost's quantiles against the total budget, and its schedule
    as the share of projects finishing by their baseline."""
    q = np.quantile(total, quantiles)
    bac, eac = float(np.sum(inputs.bac)), float(params.eac.sum())
    return pd.DataFrame({
        "bac": [bac], "eac": [eac], "cost_p50": [q[0]], "cost_p80": [q[1]], "cost_p90": [q[2]],
        "prob_within_budget": [float(np.mean(total <= bac))], "contingency_p80": [q[1] - eac],
        "risk_emv": [float(_risk_emv(inputs).sum())],
        "share_by_baseline_mean": [float(share.mean())],
        "share_by_baseline_p80": [float(np.quantile(share, 0.2, method="lower"))],
        "finish_last_p80": _dates([np.quantile(last_day, 0.8)]),
        "projects": [inputs.projects], "risks": [inputs.risks],
    })


def s_curve(total: np.ndarray, points: int = S_CURVE_POINTS) -> pd.DataFrame:
    """The total's empirical CDF, P(total <= cost), at evenly spaced costs from its least to its most."""
    ordered = np.sort(total)
    cost = np.unique(np.linspace(ordered[0], ordered[-1], points))
    probability = np.searchsorted(ordered, cost, side="right") / len(ordered)
    return pd.DataFrame({"cost": cost, "probability": probability})


def joint(total: np.ndarray, share: np.ndarray, bac: float) -> pd.DataFrame:
    """P(total <= cost and share of projects by baseline >= s) on a grid of costs and shares."""
    costs = np.unique(np.append(np.quantile(total, JOINT_COST_QUANTILES), bac))
    rows = []
    for cost in costs:
        within = total <= cost
        for s in JOINT_SHARES:
            rows.append((cost, float(within.mean()), s, float(np.mean(within & (share >= s - 1e-9)))))
    return pd.DataFrame(rows, columns=["cost", "prob_cost", "share_by_baseline", "probability"])


def _project_covariance(params: Parameters, rho: float) -> np.ndarray:
    """cov(base cost_p, sum of all projects' base costs), in closed form for the lognormal copula:
    cov_pq = a_p a_q (exp(rho_pq s_p s_q) - 1), a = scale x exp(s^2 / 2), rho_pp = 1."""
    a = params.cost_scale * np.exp(params.cost_sd ** 2 / 2)
    s = params.cost_sd
    out = np.empty(len(s))
    for lo in range(0, len(s), BLOCK):
        hi = min(lo + BLOCK, len(s))
        m = np.expm1(rho * np.outer(s[lo:hi], s))
        m[np.arange(hi - lo), np.arange(lo, hi)] = np.expm1(s[lo:hi] ** 2)
        out[lo:hi] = a[lo:hi] * (m @ a)
    return out


def tornado(inputs: ForecastInputs, params: Parameters, rho: float, spread: float,
            top: int = TORNADO_TOP) -> pd.DataFrame:
    """The drivers of the total's spread: each project's (its CPI's) and each risk's share of var(T),
    cov(x_i, T) / var(T), largest first; `amount` is that share of the total's P80 - P50."""
    project_cov = _project_covariance(params, rho)
    p = np.asarray(inputs.risk_probability, dtype=float)
    risk_var = p * (1 - p) * np.asarray(inputs.risk_cost, dtype=float) ** 2  # independent of all else
    variance = project_cov.sum() + risk_var.sum()
    columns = ["driver", "kind", "contribution", "amount"]
    if not variance > 0:
        return pd.DataFrame(columns=columns)
    share = np.concatenate([project_cov, risk_var]) / variance
    frame = pd.DataFrame({
        "driver": np.concatenate([np.asarray(inputs.project_id, dtype=object), inputs.risk_names()]),
        "kind": ["project"] * inputs.projects + ["risk"] * inputs.risks,
        "contribution": share, "amount": share * spread})
    order = np.argsort(-np.abs(share), kind="stable")
    order = order[share[order] != 0][:top]  # a driver without spread drives nothing
    return frame.iloc[order].reset_index(drop=True)


def notes(inputs: ForecastInputs, params: Parameters) -> tuple[str, ...]:
    """One line for each thing the reader of the figures should know."""
    out = []
    for label, young in (("cost (CPI)", params.prior_cost), ("schedule (SPI(t))", params.prior_time)):
        if young.any():
            out.append(f"{int(young.sum())} of {inputs.projects} projects have fewer than 3 periods of "
                       f"{label} history: their spread is the portfolio prior's")
    if inputs.risks_without_cost:
        out.append(f"{inputs.risks_without_cost} open risks have no cost impact in the register and are left out")
    return tuple(out)
