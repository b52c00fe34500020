"""Every metric over the full history of the demo portfolio, cross-checked against plain SQL sums."""
import pandas as pd
import pytest

import pmo_analytics
from pmo_analytics import metrics
from pmo_analytics.store import loads


@pytest.fixture(scope="module")
def con(demo_db):
    with pmo_analytics.connect(demo_db) as connection:
        yield connection


def _one(con, sql, params):
    return con.sql(sql, params=params).fetchall()[0][0]


def test_every_snapshot_every_metric(con):
    months = loads.months(con)
    assert len(months) == 12
    for as_of in months:
        budget = metrics.budget_variance(con, as_of=as_of)
        assert len(budget) == _one(con, "SELECT count(*) FROM projects WHERE as_of = ?", [as_of])
        assert budget["budget"].sum() == pytest.approx(
            _one(con, "SELECT sum(budget) FROM budget_lines WHERE as_of = ?", [as_of]))
        by_portfolio = metrics.budget_variance(con, by="portfolio", as_of=as_of)
        # Rollups leave cancelled projects out of the money and count them apart (issue 13 item 4).
        live = budget[budget["status"] != "cancelled"]
        assert by_portfolio["consumed"].sum() == pytest.approx(live["consumed"].sum())
        assert by_portfolio["cancelled"].sum() == (budget["status"] == "cancelled").sum()

        ev = metrics.evm(con, as_of=as_of)
        assert ev["project_id"].is_unique
        assert (ev["ac"] <= budget.set_index("project_id").loc[ev["project_id"], "consumed"].values + 0.01).all()
        assert not ev[["cpi", "spi", "spi_t", "eac"]].isin([float("inf"), float("-inf")]).any().any()

        matrix = metrics.risk_matrix(con, as_of=as_of)
        assert len(matrix) == 25
        assert matrix["count"].sum() == _one(
            con, "SELECT count(*) FROM risks WHERE as_of = ? AND status IN ('open', 'mitigating')", [as_of])

        load = metrics.resource_load(con, as_of=as_of)
        assert load["planned_hours"].sum() == pytest.approx(
            _one(con, "SELECT sum(planned_hours) FROM allocations WHERE as_of = ?", [as_of]))

        slips = metrics.milestone_slippage(con, as_of=as_of)
        assert len(slips) == _one(con, "SELECT count(*) FROM milestones WHERE as_of = ?", [as_of])


def test_history_views_cover_every_snapshot(con):
    trend = metrics.milestone_trend(con)
    assert len(trend) == _one(con, "SELECT count(*) FROM milestones", [])
    assert trend["as_of"].nunique() == 12
    exposure = metrics.exposure_trend(con)
    assert exposure["as_of"].nunique() == 12
    assert set(exposure["portfolio"]) == {"Customer Operations", "Digital Transformation", "Infrastructure"}


def test_demo_portfolio_has_the_troubles_a_pmo_looks_for(con):
    ev = metrics.evm(con)
    assert (ev["cpi"] < 0.9).sum() >= 5          # cost overruns
    assert (ev["spi_t"] < 0.9).sum() >= 5        # schedule slips
    assert len(metrics.over_allocations(con)) >= 1   # somebody is overloaded
    slipped = metrics.milestone_slippage(con)
    assert (slipped["slip_days"] > 0).sum() >= 10
    assert isinstance(metrics.top_risks(con, n=5), pd.DataFrame) and len(metrics.top_risks(con, n=5)) == 5
