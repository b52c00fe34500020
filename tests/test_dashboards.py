"""Dashboard building blocks without a browser: tile text and escaping."""
import pandas as pd

from pmo_analytics.present.format import money
from pmo_analytics.present.tiles import kpi_tiles, tile


def test_money_reads_like_a_tile():
    assert money(87_497_689.52, "GBP") == "£87.5m"
    assert money(2_389_405, "USD") == "$2.4m"
    assert money(-12_400, "EUR") == "-€12k"
    assert money(900, "CHF") == "900 CHF"
    assert money(None, "GBP") == "–"


def test_tiles_escape_text():
    html = tile("x", "<script>alert(1)</script>", "=HYPERLINK(\"a\")")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_kpi_tiles_show_value_rag_target_and_trend():
    table = pd.DataFrame([
        {"kpi": "within_budget_share", "label": "Projects within ±5% of budget", "unit": "%", "value": 52.63,
         "target": 80.0, "rag": "red", "trend": "down", "improving": False},
        {"kpi": "data_quality_score", "label": "Data quality score", "unit": "score", "value": 99.6,
         "target": 95.0, "rag": "green", "trend": "flat", "improving": False},
        {"kpi": "forecast_accuracy", "label": "Forecast accuracy", "unit": "%", "value": float("nan"),
         "target": 90.0, "rag": None, "trend": None, "improving": None},
    ])
    html = kpi_tiles(table)
    assert "<div class='pmo-tile red' data-key='within_budget_share'>" in html
    assert "52.6%" in html and "target 80% ▼ worse" in html
    assert "99.6" in html and "▶ no change" in html
    assert "n/a" in html and "target 90%</div>" in html


def test_a_tiny_kpi_change_is_written_without_an_exponent():
    from pmo_analytics.present.format import kpi_change

    # SPI(t) median 0.956300 -> 0.956255 on the demo: -0.000045, which "+.2g" wrote as -4.5e-05
    assert kpi_change(-4.5e-05, "ratio") == "-0.000045"
    assert kpi_change(-0.04, "%") == "-0.04 pt" and kpi_change(2.04, "%") == "+2.0 pt"
    assert kpi_change(0.013, "ratio") == "+0.01" and kpi_change(0, "ratio") == ""


def test_kpi_coverage_says_what_was_not_reported():
    from types import SimpleNamespace as Row

    from pmo_analytics.present.tiles import kpi_coverage

    words = {"population": "active projects", "not_reported": "progress not reported"}
    assert kpi_coverage(Row(value=float("nan"), n=0, n_missing=244, **words)) == \
        "progress not reported (244 active projects)"
    assert kpi_coverage(Row(value=0.96, n=12, n_missing=3, **words)) == \
        "12 of 15 active projects: progress not reported for 3"
    assert kpi_coverage(Row(value=0.96, n=15, n_missing=0, **words)) == ""
    assert kpi_coverage(Row(value=None, n=0, n_missing=0, **words)) == "no active projects in this snapshot"
