"""The risk-adjusted forecast's inputs from a small hand-built portfolio, and the saved forecast's round trip.

Two snapshots, 2026-02 and 2026-05 (the latest, which the hand calculations describe unless a test says
otherwise). Every budget line is labour; a budget of 100 a month makes PV(t) = 100 t, so ES = EV / 100.

  project        status     portfolio  bac   budget lines           consumed by month            progress %
  P1 Apollo      active     Alpha     1000   Jan..Oct 100 (PD 10)   Jan 100 Feb 125 Mar 125      Jan 10 Feb 20 Mar 35
                                                                    Apr 100 May 150              Apr 45 May 60
  P2 Borealis    active     Alpha      800   Jan..Aug 100 (PD 8)    Jan 100 Feb 80 Mar 100       Jan 10 (no Feb) Mar 30
                                                                    Apr 80 May 100               Apr 40 May 50
  P3 Cygnus      on_hold    Beta       500   Mar..Jul 100 (PD 5)    Mar 60 Apr 65 May 0          Mar 10 Apr 20
  P4 Dorado      closed     Beta       400   Jan..Apr 100 (PD 4)    Jan 125 Feb 100 Mar 100      Jan 25 Feb 50 Mar 75
                                                                    Apr 125                      Apr 100
  P5 Eridanus    planned    Beta       600   Jul..Sep 200 (PD 3)    -                            -
  P6 Fornax      active     Alpha        -   Apr 100                Apr 40                       Apr 5
  P7 Gemini      cancelled  Beta       300   Jan 300                Jan 10                       -
  P8 Hydra       active     Alpha      200   May 200                May 50                       -
  P1's baseline_end_date is 2026-11-30; the others have none (their planned finish stands in).
  risks  R1 P1 open 0.5 x 100; R2 P1 mitigating 0.2, no cost; R3 P2 closed 0.9 x 500; R4 P3 open, no
         probability, 50; R5 P4 open 0.3 x 70; R6 P2 open 0.1 x 0

The February snapshot holds the same projects (P4 still active), lines and progress up to February.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import statistics
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import insert, sha256

from pmo_analytics import contract
from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics.forecast_inputs import FALLBACK_PRIOR, forecast_inputs
from pmo_analytics.metrics.forecast_store import latest_forecast
from pmo_analytics.snapshots import summaries
from pmo_analytics.store import connection, forecasts, schema

FEB, MAY = dt.date(2026, 2, 28), dt.date(2026, 5, 31)
M = {m: dt.date(2026, m, 1) for m in range(1, 13)}
PROJECTS = [("P1", "Apollo", "Alpha", "active", 1000, "2026-11-30"), ("P2", "Borealis", "Alpha", "active", 800, None),
            ("P3", "Cygnus", "Beta", "on_hold", 500, None), ("P4", "Dorado", "Beta", "closed", 400, None),
            ("P5", "Eridanus", "Beta", "planned", 600, None), ("P6", "Fornax", "Alpha", "active", None, None),
            ("P7", "Gemini", "Beta", "cancelled", 300, None), ("P8", "Hydra", "Alpha", "active", 200, None)]
CONSUMED = {"P1": {1: 100, 2: 125, 3: 125, 4: 100, 5: 150}, "P2": {1: 100, 2: 80, 3: 100, 4: 80, 5: 100},
            "P3": {3: 60, 4: 65, 5: 0}, "P4": {1: 125, 2: 100, 3: 100, 4: 125}, "P6": {4: 40}, "P7": {1: 10},
            "P8": {5: 50}}
BUDGET = {"P1": (range(1, 11), 100), "P2": (range(1, 9), 100), "P3": (range(3, 8), 100), "P4": (range(1, 5), 100),
          "P5": (range(7, 10), 200), "P6": ([4], 100), "P7": ([1], 300), "P8": ([5], 200)}
PROGRESS = {"P1": {1: 10, 2: 20, 3: 35, 4: 45, 5: 60}, "P2": {1: 10, 3: 30, 4: 40, 5: 50}, "P3": {3: 10, 4: 20},
            "P4": {1: 25, 2: 50, 3: 75, 4: 100}, "P6": {4: 5}}
RISKS = [("R1", "P1", 0.5, 100, "open"), ("R2", "P1", 0.2, None, "mitigating"), ("R3", "P2", 0.9, 500, "closed"),
         ("R4", "P3", None, 50, "open"), ("R5", "P4", 0.3, 70, "open"), ("R6", "P2", 0.1, 0, "open")]
L = math.log


def _snapshot(c, as_of: dt.date) -> None:
    last = as_of.month
    insert(c, "projects", ["as_of", "project_id", "name", "portfolio", "status", "bac", "baseline_end_date",
                           "currency"],
           [(as_of, p, n, pf, "active" if (p, as_of) == ("P4", FEB) else s, bac, base, "GBP")
            for p, n, pf, s, bac, base in PROJECTS])
    insert(c, "budget_lines", ["as_of", "project_id", "period", "category", "budget", "forecast", "consumed"],
           [(as_of, p, M[m], "labour", amount, amount, CONSUMED.get(p, {}).get(m) if m <= last else None)
            for p, (months, amount) in BUDGET.items() for m in months])
    insert(c, "progress", ["as_of", "project_id", "period", "percent_complete"],
           [(as_of, p, M[m], pct) for p, months in PROGRESS.items() for m, pct in months.items() if m <= last])
    insert(c, "risks", ["as_of", "risk_id", "project_id", "title", "probability", "impact_cost", "status"],
           [(as_of, r, p, f"risk {r}", prob, cost, status) for r, p, prob, cost, status in RISKS])
    insert(c, "loads", ["as_of", "loaded_at", "files", "warnings", "quality_score", "checksum"],
           [(as_of, f"2026-{last + 1:02d}-02 09:00:00", "{}", 0, 100.0, "x")])


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = tmp_path_factory.mktemp("forecast") / "pmo.duckdb"
    c = connection.connect(path, read_only=False)
    for ddl in contract.all_ddl() + schema.summary_ddl():
        c.sql(ddl)
    for as_of in (FEB, MAY):
        _snapshot(c, as_of)
    summaries.refresh(c, "main")
    c.close()
    return path


@pytest.fixture
def con(database):
    with connection.connect(database) as c:
        yield c


def _by_project(inputs) -> dict:
    return {p: i for i, p in enumerate(inputs.project_id)}


def test_projects_to_finish_with_a_bac_and_the_left_out(con):
    inputs = forecast_inputs(con)
    # closed P4 and cancelled P7 have nothing to forecast; P6 has no BAC; P8 spends with no progress report
    assert list(inputs.project_id) == ["P1", "P2", "P3", "P5"]
    assert inputs.as_of == MAY
    left = inputs.left_out.set_index("project_id")
    assert list(left.index) == ["P6", "P8"]
    assert "no BAC" in left.loc["P6", "reason"] and left.loc["P6", "status"] == "active"
    assert "no progress" in left.loc["P8", "reason"]
    assert inputs.validate() is inputs


def test_where_each_project_stands(con):
    inputs = forecast_inputs(con)
    # P1: AC 100+125+125+100+150 = 600, EV 60% x 1000 = 600, ES 600/100 = 6, AT 5 (Jan..May), PD 10
    # P2: AC 100+80+100+80+100 = 460, EV 50% x 800 = 400, ES 4, AT 5, PD 8
    # P3 (on hold): AC 60+65+0 = 125, EV 20% x 500 = 100 (April's, carried into May), ES 1, AT 3 (Mar..May), PD 5
    # P5 (period 1 is July, after the snapshot): not started, AC = EV = ES = AT = 0, PD 3
    assert inputs.bac.tolist() == [1000, 800, 500, 600]
    assert inputs.ac.tolist() == [600, 460, 125, 0]
    assert inputs.ev.tolist() == pytest.approx([600, 400, 100, 0])
    assert inputs.es_months.tolist() == pytest.approx([6, 4, 1, 0])
    assert inputs.at_months.tolist() == [5, 5, 3, 0]
    assert inputs.pv_months.tolist() == [10, 8, 5, 3]
    assert inputs.fraction_complete.tolist() == pytest.approx([0.6, 0.5, 0.2, 0])
    assert inputs.start.tolist() == [M[1], M[1], M[3], M[7]]
    # P1's baseline_end_date; the others the month end of period PD: P2 Aug, P3 Jul, P5 Sep
    assert inputs.baseline_finish.tolist() == [dt.date(2026, 11, 30), dt.date(2026, 8, 31), dt.date(2026, 7, 31),
                                               dt.date(2026, 9, 30)]
    assert inputs.start.dtype == np.dtype("datetime64[D]")


# P1 month by month: EV +100 +100 +150 +100 +150 over AC +100 +125 +125 +100 +150
P1_CPI = [L(1), L(100 / 125), L(150 / 125), L(1), L(1)]
# ES +1 +1 +1.5 +1 +1.5 over AT +1 each month
P1_SPI = [0, 0, L(1.5), 0, L(1.5)]
# P2 has no February report: its span Jan -> Mar earns 240 - 80 = 160 for 280 - 100 = 180 over 2 months
# (month by month February's EV increase would be 0 and March's 160 against 100 of cost: 1.6);
# Jan 80/100, Apr 80/80, May 80/100. ES 0.8, 2.4, 3.2, 4.0 at AT 1, 3, 4, 5: 0.8 every span.
P2_CPI = [L(0.8), L(160 / 180), L(1), L(0.8)]
P2_SPI = [L(0.8)] * 4
# P4 (closed): EV +100 a month over AC +125 +100 +100 +125; ES = AT = 1..4, frozen at its April finish
P4_CPI = [L(0.8), 0, 0, L(0.8)]
P4_SPI = [0] * 4


def test_periodic_cpi_and_spi_t_statistics(con):
    inputs = forecast_inputs(con)
    i = _by_project(inputs)
    for p, cpi, spi in (("P1", P1_CPI, P1_SPI), ("P2", P2_CPI, P2_SPI)):
        assert inputs.cpi_n[i[p]] == len(cpi) and inputs.spi_n[i[p]] == len(spi)
        assert inputs.cpi_log_mean[i[p]] == pytest.approx(statistics.mean(cpi))
        assert inputs.cpi_log_sd[i[p]] == pytest.approx(statistics.stdev(cpi))
        assert inputs.spi_log_mean[i[p]] == pytest.approx(statistics.mean(spi))
        assert inputs.spi_log_sd[i[p]] == pytest.approx(statistics.stdev(spi), abs=1e-12)
    assert inputs.spi_log_sd[i["P2"]] == pytest.approx(0, abs=1e-12)
    # P3 is young (2 periods: Mar 50/60, Apr 50/65; ES +0.5 over AT +1 twice): the means are the cumulative
    # indices' logs, CPI 100/125 = 0.8 and SPI(t) ES/AT = 1/3; the sd is the periods' own (ddof 1)
    assert (inputs.cpi_n[i["P3"]], inputs.spi_n[i["P3"]]) == (2, 2)
    assert inputs.cpi_log_mean[i["P3"]] == pytest.approx(L(0.8))
    assert inputs.cpi_log_sd[i["P3"]] == pytest.approx(abs(L(50 / 60) - L(50 / 65)) / math.sqrt(2))
    assert inputs.spi_log_mean[i["P3"]] == pytest.approx(L(1 / 3))
    assert inputs.spi_log_sd[i["P3"]] == pytest.approx(0, abs=1e-12)
    # P5 has not started: no periods, no mean (the engine takes the prior's), sd 0
    assert (inputs.cpi_n[i["P5"]], inputs.spi_n[i["P5"]]) == (0, 0)
    assert np.isnan(inputs.cpi_log_mean[i["P5"]]) and np.isnan(inputs.spi_log_mean[i["P5"]])
    assert (inputs.cpi_log_sd[i["P5"]], inputs.spi_log_sd[i["P5"]]) == (0, 0)


def test_prior_pools_the_grown_projects_closed_ones_included(con):
    inputs = forecast_inputs(con)
    # P1, P2 and closed P4 have >= 3 periods (P3 has 2): 13 values each, pooled
    cpi, spi = P1_CPI + P2_CPI + P4_CPI, P1_SPI + P2_SPI + P4_SPI
    assert inputs.prior == pytest.approx({"cpi_log_mean": statistics.mean(cpi), "cpi_log_sd": statistics.stdev(cpi),
                                          "spi_log_mean": statistics.mean(spi), "spi_log_sd": statistics.stdev(spi)})
    assert inputs.prior_source.startswith("CPI: portfolio, 13 periodic values of 3 projects")
    # the filters choose the projects forecast, not the reference class
    beta = forecast_inputs(con, portfolio="Beta")
    assert list(beta.project_id) == ["P3", "P5"] and beta.prior == inputs.prior and beta.left_out.empty


def test_too_little_history_falls_back_to_the_default_prior(con):
    inputs = forecast_inputs(con, as_of="2026-02")
    # February: P1 and P4 have 2 periods, P2 1 (no February report): no project has 3
    assert inputs.prior == FALLBACK_PRIOR == {"cpi_log_mean": 0, "cpi_log_sd": 0.10, "spi_log_mean": 0,
                                              "spi_log_sd": 0.10}
    assert inputs.prior_source.startswith("CPI: default (log mean 0, sd 0.10), 0 projects")
    i = _by_project(inputs)
    # P2 in February: EV 80 (January's, carried), AC 180, one period; its mean is log(80/180), ES 0.8 / AT 2
    # P4 was still active; P8's period 1 (May) is after February, so it had not started rather than
    # spent without progress
    assert list(inputs.project_id) == ["P1", "P2", "P3", "P4", "P5", "P8"]
    assert inputs.cpi_n[i["P2"]] == 1 and inputs.cpi_log_mean[i["P2"]] == pytest.approx(L(80 / 180))
    assert inputs.spi_log_mean[i["P2"]] == pytest.approx(L(0.8 / 2)) and inputs.cpi_log_sd[i["P2"]] == 0
    # P3's period 1 (March) is after February: not started
    assert (inputs.ac[i["P3"]], inputs.at_months[i["P3"]], inputs.cpi_n[i["P3"]]) == (0, 0, 0)


def test_open_risks_of_the_projects_forecast(con):
    inputs = forecast_inputs(con)
    # R1 (P1) and R6 (P2, a cost of 0 is a cost); R2 has no cost, R4 no probability: counted apart;
    # R3 is closed and R5's project P4 is closed
    assert list(inputs.risk_id) == ["R1", "R6"]
    assert inputs.risk_project.tolist() == [0, 1]
    assert inputs.risk_probability.tolist() == [0.5, 0.1] and inputs.risk_cost.tolist() == [100, 0]
    assert np.isnan(inputs.risk_delay_months).all() and len(inputs.risk_delay_months) == 2
    assert (inputs.risks_without_cost, inputs.risks_unassessed) == (1, 1)
    only_p2 = forecast_inputs(con, project_ids=["P2"])
    assert list(only_p2.risk_id) == ["R6"] and only_p2.risk_project.tolist() == [0]
    assert (only_p2.risks_without_cost, only_p2.risks_unassessed) == (0, 0)


def test_period_filters_are_refused(con):
    with pytest.raises(TypeError):
        forecast_inputs(con, period_from="2026-01")
    with pytest.raises(UsageError, match="not a month"):
        forecast_inputs(con, as_of="May")


def test_an_empty_database_has_nothing_to_forecast():
    c = connection.memory()
    for ddl in contract.all_ddl():
        c.sql(ddl)
    inputs = forecast_inputs(c)
    assert inputs.projects == 0 and inputs.risks == 0 and inputs.left_out.empty
    assert inputs.prior == FALLBACK_PRIOR
    c.close()


def _simulation(scale: float = 1.0) -> SimpleNamespace:
    days = np.array(["2026-12-15", "2026-09-30"], dtype="datetime64[D]")
    projects = pd.DataFrame({
        "project_id": ["P1", "P2"], "bac": [1000.0, 800.0], "eac": [1010.0 * scale, 920.0],
        "cost_p50": [1005.0, 930.0], "cost_p80": [1100.0, 990.0], "cost_p90": [1150.0, 1020.0],
        "prob_within_budget": [0.45, 0.1], "finish_point": days, "finish_p50": days, "finish_p80": days + 30,
        "finish_p90": days + 61, "baseline_finish": days - 15, "prob_by_baseline": [0.7, 0.2],
        "prob_both": [0.3, 0.05], "contingency_p80": [90.0, 70.0], "risk_emv": [50.0, 0.0],
        "prior_cost": [False, True], "prior_schedule": [False, False], "extra": ["ignored", "ignored"]})
    portfolio = pd.DataFrame({
        "bac": [1800.0], "eac": [1930.0], "cost_p50": [1940.0], "cost_p80": [2060.0], "cost_p90": [2130.0],
        "prob_within_budget": [0.05], "contingency_p80": [130.0], "risk_emv": [50.0],
        "share_by_baseline_mean": [0.45], "share_by_baseline_p80": [0.5],
        "finish_last_p80": np.array(["2027-01-14"], dtype="datetime64[D]"), "projects": [2], "risks": [1]})
    curve = pd.DataFrame({"cost": [1800.0, 1940.0, 2130.0], "probability": [0.05, 0.5, 0.9]})
    tornado = pd.DataFrame({"driver": ["P2", "K1"], "kind": ["project", "risk"], "contribution": [0.7, 0.3],
                            "amount": [84.0, 36.0], "extra": ["ignored", "ignored"]})
    return SimpleNamespace(seed=11, draws=2000, rho=0.3, method="lhs-one-factor", projects=projects,
                           portfolio=portfolio, s_curve=curve, tornado=tornado, joint=None)


def _snapshot_rows(path) -> dict:
    with connection.connect(path) as c:
        return {t: sorted(c.sql(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in [*contract.TABLES, "loads", *schema.SUMMARY_TABLES]}


@pytest.fixture
def copy(database, tmp_path):
    path = tmp_path / "pmo.duckdb"
    shutil.copyfile(database, path)
    return path


def test_an_older_database_has_no_saved_forecast(con):
    assert latest_forecast(con) is None


def test_saving_and_reading_back_a_forecast(copy):
    before, inode = _snapshot_rows(copy), os.stat(copy).st_ino
    forecasts.save(copy, "2026-05", _simulation(), {"prior_source": "CPI: portfolio"})
    assert os.stat(copy).st_ino != inode  # a new file swapped in whole
    assert sorted(p.name for p in copy.parent.iterdir()) == ["pmo.duckdb", "pmo.duckdb.lock"]
    assert _snapshot_rows(copy) == before
    with connection.connect(copy) as c:
        saved = latest_forecast(c)
        assert latest_forecast(c, as_of="2026-02") is None
    run = saved["run"].iloc[0]
    assert (run["as_of"], run["seed"], run["draws"], run["rho"], run["method"], run["projects"]) == (
        pd.Timestamp(MAY), 11, 2000, 0.3, "lhs-one-factor", 2)
    assert run["prior_source"] == "CPI: portfolio" and not run["stale"]
    sim = _simulation()
    expected = sim.projects.drop(columns="extra")
    for c in ("finish_point", "finish_p50", "finish_p80", "finish_p90", "baseline_finish"):
        expected[c] = pd.to_datetime(expected[c]).astype("datetime64[us]")
    pd.testing.assert_frame_equal(saved["projects"], expected)
    assert saved["portfolio"].iloc[0]["finish_last_p80"] == pd.Timestamp("2027-01-14")
    assert saved["portfolio"].iloc[0]["cost_p80"] == 2060
    pd.testing.assert_frame_equal(saved["curve"], sim.s_curve)
    pd.testing.assert_frame_equal(saved["drivers"], sim.tornado.drop(columns="extra"))  # largest share first


def test_saving_again_replaces_that_snapshots_forecast_only(copy):
    forecasts.save(copy, "2026-05", _simulation())
    forecasts.save(copy, "2026-02", _simulation(), {"seed": 3, "computed_at": dt.datetime(2026, 3, 1, 8)})
    forecasts.save(copy, "2026-05", _simulation(scale=2), {"seed": 5})
    with connection.connect(copy) as c:
        may, feb = latest_forecast(c), latest_forecast(c, as_of="2026-02")
        assert c.sql("SELECT count(*) FROM forecast_runs").fetchall() == [(2,)]
    assert may["run"]["seed"].tolist() == [5] and may["projects"]["eac"].tolist() == [2020, 920]
    assert len(may["curve"]) == 3
    # February's forecast was computed before its snapshot was loaded (2026-03-02 09:00): stale
    assert feb["run"]["seed"].tolist() == [3] and feb["run"]["stale"].tolist() == [True]


def test_a_refused_save_leaves_the_file_as_it_was(copy):
    digest = sha256(copy)
    with pytest.raises(UsageError, match="no snapshot 2026-03 is loaded"):
        forecasts.save(copy, "2026-03", _simulation())
    broken = _simulation()
    broken.projects = broken.projects.drop(columns="cost_p80")
    with pytest.raises(UsageError, match="no column cost_p80"):
        forecasts.save(copy, "2026-05", broken)
    with pytest.raises(UsageError, match="unknown field"):
        forecasts.save(copy, "2026-05", _simulation(), {"sed": 1})
    assert sha256(copy) == digest
