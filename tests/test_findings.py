"""The finding sentence above each figure (present/findings.py), on small frames worked out by hand,
and the one line each gives when its inputs are absent (as on the UK GMPP export)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pmo_analytics.present import findings


def test_overspend_names_the_projects_over_ten_percent_largest_first():
    variance = pd.DataFrame({"project_id": ["A", "B", "C", "D", "E", "F"],
                             "status": ["active", "active", "active", "closed", "active", "on_hold"],
                             "variance_pct": [12.0, 43.0, 10.0, 80.0, np.nan, 31.44]})
    # D is closed (its spend is final, not a forecast); C is at 10%, not above; E has no budget.
    assert str(findings.budget_overspend(variance)) == (
        "3 projects forecast over budget by more than 10%: B (+43.0%), F (+31.4%), A (+12.0%) "
        "(1 without a budget or forecast).")


def test_overspend_without_budgets_says_so():
    variance = pd.DataFrame({"project_id": ["A"], "status": ["active"], "variance_pct": [np.nan]})
    assert str(findings.budget_overspend(variance)) == (
        "No active project has both a budget and a forecast in these exports (1 active project).")


def test_cost_schedule_counts_projects_below_one_on_both():
    evm = pd.DataFrame({"project_id": ["A", "B", "C", "D"], "status": ["active"] * 4,
                        "cpi": [0.8, 0.95, 1.1, np.nan], "spi_t": [0.9, 1.02, 0.7, np.nan]})
    assert str(findings.cost_schedule(evm)) == (
        "1 of 3 projects with reported progress are over budget and behind schedule (CPI and SPI(t) below 1); "
        "the lowest CPI is A at 0.80.")
    no_progress = evm.assign(cpi=np.nan, spi_t=np.nan)
    assert str(findings.cost_schedule(no_progress)) == (
        "Progress is not reported for any of the 4 active projects: no CPI or SPI(t) (missing, not 0).")


def test_budget_curve_compares_forecast_with_budget():
    curve = pd.DataFrame({"period": pd.to_datetime(["2026-01-01", "2026-02-01"]),
                          "cum_budget": [40.0e6, 100.0e6], "cum_forecast": [40.0e6, 110.0e6],
                          "cum_consumed": [30.0e6, np.nan]})
    assert str(findings.budget_curve(curve, "GBP")) == (
        "Forecast at completion £110.0m against a budget of £100.0m (+10.0%); £30.0m consumed so far.")
    assert "No budget phased by month" in str(findings.budget_curve(curve.iloc[0:0]))


def test_team_load_lists_teams_above_capacity_from_the_snapshot_on():
    load = pd.DataFrame({"team": ["Data", "Data", "Apps", "Apps", "Test"],
                         "week": pd.to_datetime(["2026-09-07", "2026-10-05", "2026-10-05", "2026-10-12", "2026-10-05"]),
                         "utilisation": [1.5, 1.2, 1.34, 0.9, 0.8]})
    # Data's 150% was in September, before the October snapshot: its peak from October is 120%.
    assert str(findings.team_load(load, as_of=dt.date(2026, 10, 31))) == (
        "2 teams planned above capacity in some week: Apps (peak 134%), Data (peak 120%).")


def test_over_allocation_tells_no_plan_from_nobody_over():
    over = pd.DataFrame({"resource_id": ["R1", "R1", "R2"], "weeks": [2, 5, 1], "total_over_hours": [10.0, 40.5, 3.0]})
    assert str(findings.over_allocated(over)) == (
        "2 people planned above capacity: 54 hours over in all; the longest run is 5 weeks.")
    assert str(findings.over_allocated(over.iloc[0:0])) == "Nobody is planned above their capacity in this snapshot."
    assert str(findings.over_allocated(over.iloc[0:0], pd.DataFrame({"utilisation": []}))) == (
        "No resource plan with capacity in these exports, so no over-allocation can be shown.")
    one = pd.DataFrame({"resource_id": ["R1"], "weeks": [1], "total_over_hours": [3.0]})
    assert str(findings.over_allocated(one)).startswith("1 person planned above capacity")


def test_exposure_trend_names_the_portfolio_that_grew_most():
    trend = pd.DataFrame({"as_of": pd.to_datetime(["2026-09-30", "2026-09-30", "2026-10-31", "2026-10-31"]),
                          "portfolio": ["Ops", "IT", "Ops", "IT"], "total_emv": [100e3, 200e3, 400e3, 150e3]})
    assert str(findings.exposure_trend(trend, currency="GBP")) == (
        "Active exposure rose from £300k in Sep 2026 to £550k in Oct 2026; Ops grew most (+£300k).")


def test_milestone_and_baseline_slip():
    slippage = pd.DataFrame({"project_id": ["A", "B", "C"], "name": ["Go-live", "Design", "Build"],
                             "state": ["missed", "likely_to_miss", "on_track"], "slip_days": [30, 90, 0]})
    assert str(findings.milestone_slip(slippage)) == (
        "2 milestones missed or likely to miss of 3; the most slipped is B Design (90 days late).")
    baseline = pd.DataFrame({"slip_vs_original_days": [10, -5, 40, np.nan], "rebaselined_days": [0, 0, 30, np.nan]})
    assert str(findings.baseline_slip(baseline)) == (
        "2 of 3 projects finish later than their original baseline; re-baselining hid 30 days on 1 project.")


def test_kpi_summary_counts_green_and_names_red():
    latest = pd.DataFrame({"label": ["On time", "CPI", "Accuracy"], "rag": ["red", "green", None],
                           "value": [57.7, 0.97, np.nan]})
    assert str(findings.kpi_summary(latest)) == (
        "1 of 3 KPIs meet their target; red: On time; 1 not measured (their inputs are not in these exports).")


def test_drift_sentences():
    changes = pd.DataFrame({"project_id": ["A", "B", "C", "A"], "measure": ["forecast", "forecast", "forecast", "end_date"],
                            "change": [250e3, -50e3, np.nan, 45.0]})
    assert str(findings.forecast_drift(changes, "GBP")) == (
        "Forecasts moved by +£200k net on 2 projects; the largest rise is A (+£250k).")
    assert str(findings.finish_drift(changes)) == "1 project end date moved; 1 later, most A (45 days)."


def test_spread_and_compared_with():
    values = pd.DataFrame({"value": [0.7, 0.9, 1.0, 1.1, np.nan]})
    assert str(findings.spread(values)) == "Median CPI 0.95 over 4 projects; a quarter are below 0.85, 2 below 1."
    assert str(findings.compared_with(dt.date(2026, 10, 31), None)) == (
        "October 2026 is the first snapshot loaded: there is nothing to compare it with yet.")


def test_a_finding_is_escaped_html():
    assert findings.Finding("A <b> & B")._repr_html_().count("&lt;b&gt; &amp; B") == 1
