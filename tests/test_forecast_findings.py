"""The forecast page's sentences, small tables and choice of forecast (present/forecast_findings.py) on
frames built by hand: the saved forecast is shown unless stale, a snapshot with nothing to forecast
says why in every section, the contingency's three cases, the worst projects named, the joint grid
as a table and the calibration's coverage and verdicts. Money is in GBP unless said."""
from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from pmo_analytics.metrics.forecast_model import ForecastInputs
from pmo_analytics.present import forecast_findings as ff

OCT = dt.date(2026, 10, 31)
GBP = "GBP"


def _portfolio(**values) -> pd.DataFrame:
    row = dict(bac=64_026_607.49, eac=67_460_332.01, cost_p50=71_208_674.90, cost_p80=73_265_169.83,
               cost_p90=74_432_281.22, prob_within_budget=0.0001, contingency_p80=5_804_837.82,
               risk_emv=3_648_625.0, share_by_baseline_mean=0.3118, share_by_baseline_p80=0.2424, projects=33,
               risks=69)
    return pd.DataFrame([row | values])


def _tornado(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["driver", "kind", "contribution", "amount"])


def _page(portfolio=None, projects=None, tornado=None, joint=None, source="computed") -> ff.PageForecast:
    return ff.PageForecast(source, draws=10_000, seed=20261203, rho=0.3,
                           portfolio=_portfolio() if portfolio is None else portfolio,
                           projects=pd.DataFrame() if projects is None else projects,
                           tornado=_tornado() if tornado is None else tornado,
                           joint=pd.DataFrame() if joint is None else joint)


NONE = ff.PageForecast("none", why="no project is planned, active or on hold")


# ---------------------------------------------------------------------------------------------
# which forecast the page shows

def _inputs() -> ForecastInputs:
    """Two deterministic projects (every sd 0) and one risk on A (p 0.5, cost 10): the risk is the only
    spread, so the tornado is that risk with all of the variance."""
    return ForecastInputs(
        project_id=np.array(["A", "B"], dtype=object), bac=np.array([100.0, 200.0]), ac=np.array([30.0, 0.0]),
        ev=np.array([25.0, 0.0]), pv_months=np.array([10.0, 10.0]), at_months=np.array([5.0, 0.0]),
        es_months=np.array([4.0, 0.0]), start=np.array(["2026-01-01", "2026-07-01"], dtype="datetime64[D]"),
        baseline_finish=np.array(["2026-10-31", "2027-04-30"], dtype="datetime64[D]"),
        cpi_log_mean=np.array([math.log(0.8), np.nan]), cpi_log_sd=np.zeros(2), cpi_n=np.array([5, 0]),
        spi_log_mean=np.array([math.log(0.8), np.nan]), spi_log_sd=np.zeros(2), spi_n=np.array([5, 0]),
        fraction_complete=np.array([0.25, 0.0]), risk_project=np.array([0]), risk_probability=np.array([0.5]),
        risk_cost=np.array([10.0]), risk_delay_months=np.array([np.nan]),
        prior={"cpi_log_mean": 0.0, "cpi_log_sd": 0.0, "spi_log_mean": 0.0, "spi_log_sd": 0.0},
        risk_id=np.array(["R1"], dtype=object))


def _saved(stale: bool) -> dict:
    run = pd.DataFrame([{"draws": 400, "seed": 5, "rho": 0.2, "stale": stale}])
    return {"run": run, "portfolio": _portfolio(), "projects": pd.DataFrame({"project_id": ["A", "B"]}),
            "curve": pd.DataFrame({"cost": [1.0], "probability": [1.0]}), "drivers": _tornado(("X", "risk", 1.0, 0))}


def test_the_saved_forecast_is_shown_with_its_joint_confidence_computed_again_from_its_run():
    saved = _saved(stale=False)
    page = ff.page_forecast(_inputs(), saved)
    assert (page.source, page.draws, page.seed, page.rho) == ("saved", 400, 5, 0.2)
    assert page.portfolio is saved["portfolio"] and page.projects is saved["projects"] and page.curve is saved["curve"]
    assert page.tornado is saved["drivers"] and page.shown
    # The joint grid of the inputs' own run: costs P10..P90 of the total and the budget 300, by 6 shares.
    # The total is 123.75 + 200 = 323.75, plus 10 when R1 occurs (half the draws): P10..P50 323.75 or
    # so, P60..P90 333.75; the budget 300 is below every draw, so its chance is 0.
    assert len(page.joint) % 6 == 0 and set(page.joint["share_by_baseline"]) == {0.5, 0.6, 0.7, 0.8, 0.9, 1.0}
    at_budget = page.joint[page.joint["cost"] == 300.0]
    assert len(at_budget) == 6 and (at_budget["prob_cost"] == 0).all()
    assert page.joint["cost"].max() == pytest.approx(333.75)


def test_a_saved_forecast_without_drivers_has_them_computed_again():
    saved = _saved(stale=False)
    del saved["drivers"]
    page = ff.page_forecast(_inputs(), saved)
    # The risk is the only spread: all of the variance, p(1 - p) c^2 = 25 of 25.
    assert page.tornado[["driver", "kind"]].values.tolist() == [["R1", "risk"]]
    assert page.tornado["contribution"].iloc[0] == pytest.approx(1.0)


def test_a_stale_or_missing_saved_forecast_is_computed_with_the_defaults():
    # A's EAC = AC + (BAC - EV) / CPI = 30 + 75 / 0.8 = 123.75; B not started: 200 / exp(0) = 200.
    for saved, source in ((_saved(stale=True), "stale"), (None, "computed")):
        page = ff.page_forecast(_inputs(), saved)
        assert (page.source, page.draws, page.seed, page.rho) == (source, 10_000, 20261203, 0.3)
        assert page.projects["eac"].tolist() == pytest.approx([123.75, 200.0])
        assert page.portfolio["eac"].iloc[0] == pytest.approx(323.75)


def test_nothing_to_forecast_says_why_counted_per_reason():
    left = pd.DataFrame({"project_id": ["P1", "P2", "P3"], "reason": ["no BAC", "no plan", "no BAC"]})
    empty = SimpleNamespace(projects=0, left_out=left)
    assert ff.nothing_to_forecast(empty) == "none of the 3 projects to finish can be forecast: no BAC (2); no plan (1)"
    assert ff.nothing_to_forecast(SimpleNamespace(projects=0, left_out=left.head(0))) == (
        "no project is planned, active or on hold")
    assert ff.nothing_to_forecast(SimpleNamespace(projects=2, left_out=left)) == ""
    page = ff.page_forecast(empty, saved=None)
    assert page.source == "none" and not page.shown and page.why.startswith("none of the 3")


def test_the_source_says_which_forecast_and_how_it_was_made():
    how = "10,000 draws, seed 20261203, correlation between projects 0.30"
    assert str(ff.source(_page(source="saved"), OCT)) == (
        f"The forecast saved for October 2026 ({how}), as the dashboards show it; the joint confidence of cost "
        "and schedule, which is not saved, is computed again from the same inputs and seed.")
    assert str(ff.source(_page(source="stale"), OCT)) == (
        f"The forecast saved for October 2026 is stale (the snapshot was loaded again since): computed here from "
        f"the snapshot ({how}); pmo forecast saves it again.")
    assert str(ff.source(_page(source="computed"), OCT)) == (
        f"No forecast is saved for October 2026: computed here from the snapshot ({how}); pmo forecast saves "
        "one for the dashboards.")
    assert str(ff.source(NONE, OCT)) == "Nothing to forecast in October 2026: no project is planned, active or on hold."


def test_caveats_name_the_prior_and_what_is_left_out():
    page = ff.PageForecast("computed", notes=("2 of 5 projects have fewer than 3 periods",))
    inputs = SimpleNamespace(prior_source="CPI: default", risks_unassessed=1,
                             left_out=pd.DataFrame({"reason": ["no BAC", "no BAC"]}))
    assert str(ff.caveats(page, inputs)) == (
        "Reference class (prior): CPI: default; 2 of 5 projects have fewer than 3 periods; 1 open risk without a "
        "probability adds nothing; 2 projects to finish left out: no BAC (2).")
    assert ff.caveats(NONE, inputs) is None


def test_every_section_says_so_in_one_line_when_there_is_nothing_to_forecast():
    lines = [ff.cost(NONE), ff.contingency(NONE), ff.drivers(NONE), ff.cost_ranges(NONE), ff.finish_ranges(NONE),
             ff.joint(NONE)]
    assert [str(x) for x in lines] == [
        f"No {what}: this snapshot has nothing to forecast (see above)." for what in (
            "risk-adjusted cost at completion", "contingency to recommend", "drivers of the spread",
            "cost ranges by project", "finish ranges by project", "joint cost and schedule confidence")]


# ---------------------------------------------------------------------------------------------
# the portfolio

def test_cost_against_budget_and_point_forecast():
    assert str(ff.cost(_page(), GBP)) == (
        "With their open risks, the 33 projects to finish cost £71.2m at P50, £73.3m at P80 and £74.4m at P90, "
        "against a budget (BAC) of £64.0m and a point forecast (EAC) of £67.5m: the chance of finishing within "
        "the budget is under 0.1%.")


def test_contingency_against_what_the_budget_holds():
    # BAC 64.03m < EAC 67.46m: the budget is 3.43m below it; P80 - EAC = 5.80m; P80 - BAC = 9.24m.
    assert str(ff.contingency(_page(), GBP)) == (
        "For an 80% chance, hold £5.8m above the point forecast (P80 - EAC); the budget is already £3.4m below "
        "the point forecast, £9.2m short of the P80 (the open risks' expected cost alone is £3.6m).")
    # EAC 100 < BAC 110 < P80 130: holds 10, 20 short.
    between = _portfolio(bac=110.0, eac=100.0, cost_p80=130.0, risk_emv=0.0)
    assert str(ff.contingency(_page(between), GBP)) == (
        "For an 80% chance, hold £30 above the point forecast (P80 - EAC); the budget holds £10 above the point "
        "forecast, £20 short of the P80.")
    # BAC 150 above P80 130: 20 to spare. EAC 140 above P80 130: nothing needed above it.
    ample = _portfolio(bac=150.0, eac=140.0, cost_p80=130.0, risk_emv=np.nan)
    assert str(ff.contingency(_page(ample), GBP)) == (
        "The point forecast is at or above the P80 (by £10): an 80% chance needs nothing above it; the budget "
        "holds £10 above the point forecast, enough for the P80 with £20 to spare.")


def test_contingency_table_sets_each_level_against_budget_and_point_forecast():
    table = ff.contingency_table(_portfolio(bac=110.0, eac=100.0, cost_p50=105.0, cost_p80=130.0, cost_p90=150.0))
    assert table["measure"].tolist() == ["budget (BAC)", "point forecast (EAC)", "P50", "P80", "P90"]
    assert table["cost"].tolist() == [110, 100, 105, 130, 150]
    assert table["above_budget"].tolist() == [0, -10, -5, 20, 40]
    assert table["above_point_forecast"].tolist() == [10, 0, 5, 30, 50]


def test_drivers_name_the_three_largest_and_the_risks_share():
    tornado = _tornado(("P1", "project", 0.5, 50.0), ("R9", "risk", 0.25, 25.0), ("P2", "project", 0.15, 15.0),
                       ("R3", "risk", 0.1, 10.0))
    assert str(ff.drivers(_page(tornado=tornado))) == (
        "The largest shares of the spread of the portfolio's cost: P1's cost performance 50.0%, risk R9 25.0%, "
        "P2's cost performance 15.0%; 2 of the 4 largest drivers are risks, 35.0% of the variance together.")
    only_projects = tornado[tornado["kind"] == "project"]
    assert str(ff.drivers(_page(tornado=only_projects))).endswith("; no risk is among the 2 largest drivers.")
    assert str(ff.drivers(_page())) == (
        "Nothing drives a spread: no project's cost varies in the forecast and no open risk has a cost.")


# ---------------------------------------------------------------------------------------------
# the projects

PROJECTS = pd.DataFrame({
    "project_id": ["B", "A", "C", "D"], "bac": [200.0, 100.0, 50.0, np.nan], "eac": [180.0, 120.0, 55.0, 10.0],
    "cost_p50": [185.0, 130.0, 56.0, 10.0], "cost_p80": [190.0, 150.0, 60.0, 12.0],
    "cost_p90": [195.0, 160.0, 70.0, 13.0], "prob_within_budget": [0.9, 0.1, 0.3, np.nan],
    "contingency_p80": [10.0, 30.0, 5.0, 2.0],
    "baseline_finish": pd.to_datetime(["2027-06-30", "2027-01-01", None, "2027-03-01"]),
    "finish_p50": pd.to_datetime(["2027-05-01", "2027-01-10", "2027-02-01", "2027-02-01"]),
    "finish_p80": pd.to_datetime(["2027-06-01", "2027-01-31", "2027-03-01", "2027-03-02"]),
    "finish_p90": pd.to_datetime(["2027-06-15", "2027-02-15", "2027-04-01", "2027-03-05"]),
    "prob_by_baseline": [0.9, 0.3, np.nan, 0.6], "prob_both": [0.85, 0.05, np.nan, np.nan]})


def test_cost_ranges_count_and_name_the_projects_furthest_above_budget_at_p80():
    # A: 150 - 100 = +50 (+50.0%); C: 60 - 50 = +10 (+20.0%); B within (190 <= 200); D has no budget.
    assert str(ff.cost_ranges(_page(projects=PROJECTS), GBP)) == (
        "2 of 3 projects have a P80 cost above the budget; furthest above: A (+£50, +50.0%), C (+£10, +20.0%).")
    within = PROJECTS[PROJECTS["project_id"] == "B"]
    assert str(ff.cost_ranges(_page(projects=within), GBP)) == (
        "Every project (1) has its P80 cost within its budget.")


def test_finish_ranges_count_late_and_likely_late_projects():
    # A: 2027-01-31 - 2027-01-01 = 30 days late; D: 1 day late; B on time; C has no baseline.
    # More likely than not late (chance by baseline < 50%): A only (D 60%, B 90%).
    assert str(ff.finish_ranges(_page(projects=PROJECTS))) == (
        "2 of 3 projects have a P80 finish after the baseline and 1 is more likely than not to finish late; "
        "furthest past it: A (30 days late), D (1 day late).")
    on_time = PROJECTS[PROJECTS["project_id"] == "B"]
    assert str(ff.finish_ranges(_page(projects=on_time))) == (
        "Every project (1) finishes by its baseline at P80.")


def test_project_table_puts_the_largest_p80_above_budget_first_under_readable_names():
    table = ff.project_table(PROJECTS)
    # P80 - BAC: A +50, C +10, B -10, D unknown (last).
    assert table["project_id"].tolist() == ["A", "C", "B", "D"]
    assert list(table.columns) == list(ff.PROJECT_NAMES.values())
    assert table.loc[0, "point_forecast"] == 120 and table.loc[0, "p80_cost"] == 150
    assert set(ff.PROJECT_KINDS) <= set(table.columns)


# ---------------------------------------------------------------------------------------------
# cost and schedule together

def _joint() -> pd.DataFrame:
    """A grid at costs 90 (P10), 100 (the budget), 110 (P50), 120 (P80), 130 (P90) by shares 0.5 and 1."""
    rows = [(90.0, 0.1, 0.5, 0.08), (90.0, 0.1, 1.0, 0.01), (100.0, 0.3, 0.5, 0.2), (100.0, 0.3, 1.0, 0.05),
            (110.0, 0.5, 0.5, 0.35), (110.0, 0.5, 1.0, 0.1), (120.0, 0.8, 0.5, 0.6), (120.0, 0.8, 1.0, 0.2),
            (130.0, 0.9, 0.5, 0.7), (130.0, 0.9, 1.0, 0.25)]
    return pd.DataFrame(rows, columns=["cost", "prob_cost", "share_by_baseline", "probability"])


JOINT_PORTFOLIO = _portfolio(bac=100.0, cost_p50=110.0, cost_p80=120.0, cost_p90=130.0,
                             share_by_baseline_mean=0.55, share_by_baseline_p80=0.5)


def test_joint_reads_the_budget_and_p80_rows_at_half_the_projects():
    page = _page(JOINT_PORTFOLIO, joint=_joint())
    assert str(ff.joint(page, GBP)) == (
        "The chance of staying within the budget while at least half of the projects finish by their baseline "
        "is 20.0%; spending up to the P80 (£120), 60.0%. On average 55.0% of the projects finish by their "
        "baseline, and at least 50.0% in 80% of the draws.")


def test_joint_table_has_one_row_per_cost_cheapest_first():
    table = ff.joint_table(_page(JOINT_PORTFOLIO, joint=_joint()))
    assert table["measure"].tolist() == ["budget (BAC)", "P50", "P80", "P90"]  # the P10 row is left out
    assert table["cost"].tolist() == [100, 110, 120, 130]
    assert table["chance_of_the_cost_alone"].tolist() == [0.3, 0.5, 0.8, 0.9]
    assert table["and_at_least_50%_by_baseline"].tolist() == [0.2, 0.35, 0.6, 0.7]
    assert table["and_at_least_100%_by_baseline"].tolist() == [0.05, 0.1, 0.2, 0.25]
    assert ff.joint_kinds(table)["cost"] == "money" and ff.joint_kinds(table)["and_at_least_50%_by_baseline"] == "share"


# ---------------------------------------------------------------------------------------------
# forecasts checked against history

def _summary(*rows) -> pd.DataFrame:
    columns = ["months_before", "projects", "cost_covered", "cost_coverage", "finish_covered", "finish_coverage",
               "uplift_cost", "uplift_finish_months", "slip_months_p80", "reason"]
    return pd.DataFrame(rows, columns=columns)


TOO_FEW = "2 closed projects have a forecast made 6 or more months before finishing; at least 3 are needed"
HISTORY = _summary((3, 11, 7, 7 / 11, 10, 10 / 11, 1.004375, 1.0, 0.0, ""),
                   (6, 8, 4, 0.5, 8, 1.0, 1.18, 1.25, 2.0, ""))


def test_calibration_gives_coverage_verdict_and_uplift_per_horizon():
    # Binomial at 80%: 7 of 11, P(X <= 7) = 0.161 and P(X >= 7) = 0.95: in line; 4 of 8, P(X <= 4) = 0.056
    # < 0.10: optimistic; 10 of 11, P(X >= 10) = 0.322 and 8 of 8, P(X >= 8) = 0.8^8 = 0.168: in line.
    assert str(ff.calibration(HISTORY)) == (
        "Against the projects closed since, the cost P80 covered 7 of 11 (64%) made 3 months before, in line with "
        "80%; 4 of 8 (50%) made 6 months before, optimistic; the finish P80 covered 10 of 11 (in line with 80%) "
        "and 8 of 8 (in line with 80%). For an 80% chance the history asks P50 x 1.004 (3 months) and x 1.18 "
        "(6 months).")


def test_calibration_with_too_few_projects_says_why():
    partly = _summary((3, 11, 7, 7 / 11, 10, 10 / 11, 1.004375, 1.0, 0.0, ""),
                      (6, 2, 1, np.nan, 2, np.nan, np.nan, np.nan, np.nan, TOO_FEW))
    assert str(ff.calibration(partly)).endswith(f"P50 x 1.004 (3 months); 6 months before: {TOO_FEW}.")
    nothing = partly.tail(1)
    assert str(ff.calibration(nothing)) == f"No forecast can be checked against history yet: {TOO_FEW}."


def test_calibration_table_words_each_horizon():
    partly = _summary((3, 11, 7, 7 / 11, 10, 10 / 11, 1.004375, 1.0, 0.0, ""),
                      (6, 2, 1, np.nan, 2, np.nan, np.nan, np.nan, np.nan, TOO_FEW))
    table = ff.calibration_table(partly)
    assert table["cost_forecasts"].tolist() == ["in line with 80%", "too few to judge"]
    assert table["p50_uplift_for_cost"].tolist() == ["1.004", "–"]
    assert table["p50_uplift_for_duration"].tolist() == ["1.000", "–"]
    assert table["cost_covered"].tolist() == [7, 1] and table["finish_coverage"].iloc[0] == pytest.approx(10 / 11)


def test_factor_keeps_a_small_uplift_visible():
    assert [ff.factor(x) for x in (1.004375, 1.18, 0.9, np.nan)] == ["1.004", "1.18", "0.90", "–"]


# ---------------------------------------------------------------------------------------------
# the checked cell

def test_key_numbers_round_to_the_thousand():
    tornado = _tornado(("PRJ-0057", "project", 0.2788, 1.0), ("PRJ-0058", "project", 0.1998, 1.0),
                       ("RSK-1", "risk", 0.1342, 1.0), ("PRJ-0001", "project", 0.01, 1.0))
    assert ff.key_numbers(OCT, _page(tornado=tornado), HISTORY) == "\n".join([
        "snapshot: 2026-10",
        "projects forecast: 33, open risks with a cost: 69",
        "cost P50 / P80 / P90: 71,209,000 / 73,265,000 / 74,432,000",
        "budget (BAC): 64,027,000, point forecast (EAC): 67,460,000",
        "chance within budget: 0.01%",
        "top drivers: PRJ-0057 27.9%, PRJ-0058 20.0%, RSK-1 13.4%",
        "calibration, cost P80 covered: 3 months before 7 of 11, 6 months before 4 of 8",
        "calibration, finish P80 covered: 3 months before 10 of 11, 6 months before 8 of 8"])
    too_few = HISTORY.assign(cost_coverage=np.nan)
    assert ff.key_numbers(OCT, NONE, too_few) == "\n".join([
        "snapshot: 2026-10", "nothing to forecast: no project is planned, active or on hold",
        "calibration, cost P80 covered: 3 months before too few, 6 months before too few",
        "calibration, finish P80 covered: 3 months before too few, 6 months before too few"])
