"""Issue 16: the risk-adjusted forecast's Monte Carlo, on cases worked by hand.

Each test builds its ForecastInputs with `inputs(...)`: projects start 2026-01-01 with BAC 1000, AC 600,
EV 500, PD 10 months, AT 6, ES 5, CPI = SPI(t) = 0.8 and no spread (a deterministic project) unless
said otherwise. A month is 365.25 / 12 = 30.4375 days.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics.forecast_engine import simulate
from pmo_analytics.metrics.forecast_model import ForecastInputs

START = np.datetime64("2026-01-01")
PRIOR = {"cpi_log_mean": 0.0, "cpi_log_sd": 0.3, "spi_log_mean": 0.0, "spi_log_sd": 0.3}
DEFAULTS = dict(bac=1000.0, ac=600.0, ev=500.0, pv_months=10.0, at_months=6.0, es_months=5.0,
                cpi_log_mean=math.log(0.8), cpi_log_sd=0.0, cpi_n=6, spi_log_mean=math.log(0.8), spi_log_sd=0.0,
                spi_n=6, fraction_complete=0.5, baseline_finish=np.datetime64("2026-11-01"))


def inputs(projects=1, risks=(), prior=PRIOR, **columns) -> ForecastInputs:
    """`projects` projects with DEFAULTS, a column given as a scalar for all or a list per project;
    risks as (project index, probability, cost, delay months or NaN)."""
    n = projects
    cols = {k: np.asarray(columns.get(k, v), dtype=type(v) if k != "baseline_finish" else "datetime64[D]")
            for k, v in DEFAULTS.items()}
    cols = {k: np.broadcast_to(v, (n,)).copy() for k, v in cols.items()}
    r = np.array(risks, dtype=float).reshape(-1, 4)
    return ForecastInputs(
        project_id=np.array([f"P{i}" for i in range(n)], dtype=object), start=np.full(n, START), **cols,
        risk_project=r[:, 0].astype(int), risk_probability=r[:, 1], risk_cost=r[:, 2], risk_delay_months=r[:, 3],
        prior=prior, risk_id=np.array([f"R{i}" for i in range(len(r))], dtype=object))


def test_a_deterministic_project_forecasts_its_point_values():
    # EAC = AC + (BAC - EV) / CPI = 600 + 500 / 0.8 = 1225
    # IEAC(t) = AT + (PD - ES) / SPI(t) = 6 + 5 / 0.8 = 12.25 months = 372.86 days -> 373 days
    # finish = 2026-01-01 + 373 days = 2027-01-09 (2026 has 365 days)
    sim = simulate(inputs(), draws=2000)
    row = sim.projects.iloc[0]
    assert row.eac == pytest.approx(1225, rel=1e-12)
    assert row.cost_p50 == row.cost_p80 == row.cost_p90 == row.eac
    assert row.finish_point == row.finish_p50 == row.finish_p90 == pd.Timestamp("2027-01-09")
    assert row.prob_within_budget == 0 and row.prob_by_baseline == 0 and row.contingency_p80 == 0
    assert sim.portfolio.cost_p50[0] == row.eac and sim.portfolio.prob_within_budget[0] == 0
    assert sim.tornado.empty and sim.method == "lhs-one-factor"


def test_lognormal_cpi_gives_the_lognormal_quantiles():
    # Not started (AC = EV = 0), BAC 1000, log CPI ~ N(0, 0.9 / sqrt(9)) = N(0, 0.3):
    # cost = 1000 / CPI, its q-quantile 1000 exp(0.3 z_q): P50 1000, P80 1000 e^0.2525 = 1287.2,
    # P90 1000 e^0.3845 = 1468.8; P(cost <= BAC) = 0.5. Months likewise: 10 exp(0.3 z_q) x 30.4375 days.
    case = inputs(ac=0.0, ev=0.0, fraction_complete=0.0, at_months=0.0, es_months=0.0, cpi_log_mean=0.0,
                  cpi_log_sd=0.9, cpi_n=9, spi_log_mean=0.0, spi_log_sd=0.9, spi_n=9)
    row = simulate(case, draws=10_000, seed=7).projects.iloc[0]
    for q, column in ((0.5, "cost_p50"), (0.8, "cost_p80"), (0.9, "cost_p90")):
        exact = 1000 * math.exp(0.3 * norm.ppf(q))
        assert row[column] == pytest.approx(exact, rel=0.01)
        assert math.log(row[column] / 1000) / 0.3 == pytest.approx(norm.ppf(q), abs=0.05)
        days = 10 * math.exp(0.3 * norm.ppf(q)) * 30.4375
        finish = (row[column.replace("cost", "finish")] - pd.Timestamp(START)).days
        assert finish == pytest.approx(days, rel=0.01)
    assert row.prob_within_budget == pytest.approx(0.5, abs=0.015)


def test_a_single_risk_on_a_deterministic_project():
    # BAC 1300, EV 800, AC 600: EAC = 600 + 500 / 0.8 = 1225 as above; one risk p = 0.3, cost 100, delay 2 months.
    # Cost is 1225 in 70% of draws and 1325 in 30%: P50 = 1225, P80 = P90 = 1325, P(cost <= 1300) = 0.7.
    # Months 12.25 or 14.25: 373 or 14.25 x 30.4375 = 433.7 -> 434 days: P50 2027-01-09, P80 2027-03-11.
    # Baseline 2027-02-01 sits between, so on time = within budget = no hit: all three chances 0.7.
    case = inputs(bac=1300.0, ev=800.0, ac=600.0, fraction_complete=800 / 1300, risks=[(0, 0.3, 100.0, 2.0)],
                  baseline_finish=np.datetime64("2027-02-01"))  # EAC = 600 + 500 / 0.8 = 1225
    sim = simulate(case, draws=10_000)
    row = sim.projects.iloc[0]
    assert row.cost_p50 == pytest.approx(1225, rel=1e-12)
    assert row.cost_p80 == row.cost_p90 == pytest.approx(1325, rel=1e-12)
    assert row.contingency_p80 == pytest.approx(100) and row.risk_emv == pytest.approx(30)
    assert row.finish_p50 == pd.Timestamp("2027-01-09") and row.finish_p80 == pd.Timestamp("2027-03-11")
    assert row.prob_within_budget == pytest.approx(0.7, abs=0.015)  # binomial sd 0.0046
    assert row.prob_within_budget == row.prob_by_baseline == row.prob_both
    assert list(sim.tornado.driver) == ["R0"] and sim.tornado.contribution[0] == pytest.approx(1)
    assert sim.tornado.amount[0] == pytest.approx(100)  # all of P80 - P50
    joint = sim.joint.set_index(["cost", "share_by_baseline"]).probability
    assert joint[(1300.0, 1.0)] == row.prob_both  # total <= BAC and every project (one) on time


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others():
    case = inputs(5, cpi_log_sd=0.4, spi_log_sd=0.4, risks=[(0, 0.5, 50.0, np.nan), (3, 0.2, 80.0, 1.0)])
    a, b, c = simulate(case, seed=1), simulate(case, seed=1), simulate(case, seed=2)
    for name in ("projects", "portfolio", "s_curve", "tornado", "joint"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.seed == 1 and a.draws == 10_000 and a.rho == 0.3
    assert (a.projects.cost_p80 != c.projects.cost_p80).all()
    assert a.portfolio.cost_p90[0] != c.portfolio.cost_p90[0]


def test_the_chunk_size_changes_nothing():
    rng = np.random.default_rng(3)
    case = inputs(23, cpi_log_sd=rng.uniform(0, 0.5, 23), spi_log_sd=rng.uniform(0, 0.5, 23),
                  cpi_n=rng.integers(0, 8, 23), spi_n=rng.integers(0, 8, 23),
                  risks=[(p, rng.uniform(0.1, 0.9), rng.uniform(10, 200), rng.choice([np.nan, 1.5]))
                         for p in rng.integers(0, 23, 40)])
    a, b = simulate(case, draws=3000, chunk=7), simulate(case, draws=3000, chunk=500)
    for name in ("projects", "portfolio", "s_curve", "tornado", "joint"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def test_rho_one_makes_identical_projects_move_together_and_rho_zero_narrows_the_spread():
    # Two identical projects, log CPI sd s = 0.5 / sqrt(6) x sqrt(1 - 0.5) = 0.1443: with rho = 1 both
    # draw z = F, so the total is twice one project in every draw and its P90 is twice the project's.
    case = inputs(2, cpi_log_sd=0.5)
    sim = simulate(case, rho=1.0)
    assert sim.portfolio.cost_p90[0] == pytest.approx(2 * sim.projects.cost_p90[0], rel=1e-9)
    assert sim.projects.cost_p90[0] == sim.projects.cost_p90[1]
    # 20 such projects: var(T) = a^2 k (20 (k - 1) + 380 (e^(rho s^2) - 1)), k = e^(s^2) = e^0.020833:
    # k - 1 = 0.021052, e^(0.3 s^2) - 1 = 0.006270; rho = 0: 0.42105, rho = 0.3: 0.42105 + 2.3826 = 2.8037;
    # the spread P90 - P50 ~ sqrt(var): sqrt(0.42105 / 2.8037) = 0.3875 of the rho = 0.3 spread at rho = 0.
    many = inputs(20, cpi_log_sd=0.5)
    spread = {rho: simulate(many, rho=rho).portfolio for rho in (0.0, 0.3)}
    ratio = ((spread[0.0].cost_p90 - spread[0.0].cost_p50) / (spread[0.3].cost_p90 - spread[0.3].cost_p50))[0]
    assert ratio == pytest.approx(0.39, abs=0.05)


def test_young_projects_take_the_prior():
    # Not started, BAC 1000, no spread of their own (sd 0). n = 2 < 3: the prior's sd 0.3 (not divided),
    # their own mean log(0.8): P50 = 1000 / 0.8 = 1250, P80 = 1250 e^(0.3 x 0.8416) = 1609.
    # n = 0 with no mean (NaN): the prior's mean 0 and sd 0.3: P50 1000. n = 3: its own sd 0: 1250 flat.
    case = inputs(3, ac=0.0, ev=0.0, fraction_complete=0.0, cpi_log_mean=[math.log(0.8), np.nan, math.log(0.8)],
                  cpi_n=[2, 0, 3])
    frame = simulate(case).projects
    assert frame.cost_p50.tolist() == pytest.approx([1250, 1000, 1250], rel=0.01)
    assert frame.cost_p80[0] == pytest.approx(1250 * math.exp(0.3 * norm.ppf(0.8)), rel=0.01)
    assert frame.cost_p90[2] == pytest.approx(1250, rel=1e-12)
    assert frame.prior_cost.tolist() == [True, True, False]
    assert "2 of 3 projects have fewer than 3 periods of cost" in simulate(case).notes[0]


def test_the_tornado_shares_the_variance_by_hand():
    # Deterministic projects, risks only (independent): var = p(1-p) c^2:
    # R0: 0.5 x 0.5 x 100^2 = 2500, R1: 0.2 x 0.8 x 200^2 = 6400; shares 2500 / 8900 = 0.2809, 0.7191.
    sim = simulate(inputs(2, risks=[(0, 0.5, 100.0, np.nan), (1, 0.2, 200.0, np.nan)]))
    assert sim.tornado.driver.tolist() == ["R1", "R0"]
    assert sim.tornado.contribution.tolist() == pytest.approx([6400 / 8900, 2500 / 8900])
    # Two projects, remaining cost at the point CPI a = 100 and b = 200 (BAC - EV = 80, 160 at CPI 0.8),
    # log CPI sd s = 0.2 each, rho = 0.5. With k = exp(s^2) = e^0.04 = 1.040811:
    # cov(A, T) = k (a^2 (k - 1) + a b (e^(rho s^2) - 1)) = 1.040811 (10000 x 0.040811 + 20000 x 0.020201)
    #           = 1.040811 x 812.13 = 845.28;  cov(B, T) = 1.040811 (40000 x 0.040811 + 404.03) = 2119.6
    # shares 845.28 / 2964.9 = 0.2851 and 0.7149
    k, m = math.exp(0.04), math.exp(0.02) - 1
    cov_a, cov_b = k * (1e4 * (k - 1) + 2e4 * m), k * (4e4 * (k - 1) + 2e4 * m)
    # BAC - EV = 80 and 160 at CPI 0.8; n = 1 < 3 takes the prior's sd 0.2; fraction 0: no correction
    case = inputs(2, ev=[920.0, 840.0], ac=[920.0, 840.0], fraction_complete=0.0, cpi_n=1,
                  prior={**PRIOR, "cpi_log_sd": 0.2})
    sim = simulate(case, rho=0.5)
    assert sim.tornado.driver.tolist() == ["P1", "P0"]
    assert sim.tornado.contribution.tolist() == pytest.approx([cov_b / (cov_a + cov_b), cov_a / (cov_a + cov_b)])
    assert sim.tornado.contribution.sum() == pytest.approx(1)


def test_the_portfolio_counts_projects_by_their_baseline():
    # Two deterministic projects finishing 2027-01-09; baselines 2027-02-01 (on time) and 2026-11-01 (late):
    # every draw has half the projects by their baseline; the last finish is 2027-01-09.
    sim = simulate(inputs(2, baseline_finish=["2027-02-01", "2026-11-01"]), draws=500)
    port = sim.portfolio.iloc[0]
    assert port.share_by_baseline_mean == 0.5 and port.share_by_baseline_p80 == 0.5
    assert port.finish_last_p80 == pd.Timestamp("2027-01-09")
    assert port.bac == 2000 and port.eac == pytest.approx(2450) and port.projects == 2
    assert sim.projects.prob_by_baseline.tolist() == [1.0, 0.0]
    assert sim.s_curve.probability.iloc[-1] == 1.0


def test_the_s_curve_and_the_joint_are_probabilities():
    sim = simulate(inputs(10, cpi_log_sd=0.4, spi_log_sd=0.4, risks=[(1, 0.4, 100.0, 2.0)]))
    curve = sim.s_curve
    assert 45 <= len(curve) <= 50 and curve.probability.is_monotonic_increasing
    assert curve.probability.iloc[-1] == 1.0 and curve.cost.is_monotonic_increasing
    assert (sim.joint.probability <= sim.joint.prob_cost + 1e-12).all()
    p50 = sim.joint[sim.joint.prob_cost.round(4) == 0.5]
    assert p50.probability.is_monotonic_decreasing  # a higher share by baseline is harder


@pytest.mark.parametrize("change, message", [
    ({"bac": np.array([np.nan])}, "ForecastInputs.bac: project P0 has nan"),
    ({"es_months": np.array([11.0])}, "ForecastInputs.es_months: project P0"),
    ({"cpi_log_sd": np.array([-0.1])}, "ForecastInputs.cpi_log_sd: project P0"),
    ({"risk_probability": np.array([1.5])}, r"ForecastInputs.risk_probability: R0 \(project P0\) has 1.5"),
    ({"risk_project": np.array([4])}, "ForecastInputs.risk_project: R0 has 4"),
    ({"start": np.array(["NaT"], dtype="datetime64[D]")}, "ForecastInputs.start: project P0 has NaT"),
    ({"prior": {"cpi_log_mean": 0.0}}, "ForecastInputs.prior: missing cpi_log_sd"),
])
def test_bad_inputs_name_the_field_and_the_project(change, message):
    case = inputs(risks=[(0, 0.3, 10.0, np.nan)])
    with pytest.raises(UsageError, match=message):
        simulate(ForecastInputs(**{**case.__dict__, **change}))


@pytest.mark.parametrize("argument", [{"rho": 1.5}, {"draws": 0}, {"chunk": 0}, {"seed": -1}, {"draws": 2.5}])
def test_bad_arguments_say_which(argument):
    with pytest.raises(UsageError, match=next(iter(argument))):
        simulate(inputs(), **argument)
