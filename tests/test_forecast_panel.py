"""The overview's and budget dashboard's forecast panel (ui/forecast_panel.py): the stored forecast of the
filter bar's snapshot, or one line saying there is none."""
from __future__ import annotations

import re
import shutil

import pytest

from pmo_analytics.metrics.forecast_engine import simulate
from pmo_analytics.metrics.forecast_inputs import forecast_inputs
from pmo_analytics.present import format as fmt
from pmo_analytics.store import connection, forecasts
from pmo_analytics.ui.filterbar import FilterBar
from pmo_analytics.ui.forecast_panel import ABSENT, ForecastPanel


def _tiles(html: str) -> dict[str, str]:
    return dict(re.findall(r"data-key='(\w+)'><div class='label'>[^<]*</div><div class='value'>([^<]*)</div>", html))


@pytest.fixture
def database(demo_db, tmp_path):
    path = tmp_path / "pmo.duckdb"
    shutil.copyfile(demo_db, path)
    return path


def test_without_a_stored_forecast_the_panel_says_so_in_one_line(database):
    panel = ForecastPanel(FilterBar(database))
    assert ABSENT.replace("'", "&#x27;") in panel.widget.value and _tiles(panel.widget.value) == {}


def test_the_panel_shows_the_stored_forecast_of_its_month_only(database):
    with connection.connect(database) as con:
        inputs = forecast_inputs(con)
    sim = simulate(inputs, draws=2_000, seed=7)
    forecasts.save(database, inputs.as_of, sim, {"prior_source": inputs.prior_source})
    bar = FilterBar(database)
    panel = ForecastPanel(bar)
    top = sim.portfolio.iloc[0]
    shown = _tiles(panel.widget.value)
    assert shown["cost_p50"] == fmt.money(top["cost_p50"], "GBP")
    assert shown["cost_p80"] == fmt.money(top["cost_p80"], "GBP")
    assert shown["contingency_p80"] == fmt.money(top["cost_p80"] - top["eac"], "GBP")
    assert shown["prob_within_budget"] == fmt.chance(top["prob_within_budget"])
    assert "2,000 draws, seed 7" in panel.widget.value
    bar.month.value = "2026-06"  # no forecast stored for June
    assert _tiles(panel.widget.value) == {} and "No risk-adjusted forecast" in panel.widget.value
