"""The figures on hand-made frames: the budget chart's order, cut outlier and legend; the quadrant's
labels clear of points; counts in words ("1 project"), whole-number count axes, no "-0"; and every
chart sorted the way its subtitle says."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest

from pmo_analytics.present import figures
from figurekit import close_figures, same_color  # noqa: F401 - close_figures is an autouse fixture




def ticks(ax) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]


def subtitle(ax) -> str:
    return ax.get_title(loc="left")


def gid_texts(ax, gid: str) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_gid() == gid]


# ------------------------------------------------------------------------------ budget variance
def five_projects() -> pd.DataFrame:
    """P2 is 5.2m against the others' 60 to 200 (cut at the axis); P3 is closed over budget; P5's
    +5,900% is implausible; P4 is the one underspend."""
    return pd.DataFrame({
        "project_id": ["P1", "P2", "P3", "P4", "P5"], "name": ["Alpha", "Beta", "Gamma", "Delta", "Eps"],
        "status": ["active", "active", "closed", "active", "active"], "currency": ["EUR"] * 5,
        "budget": [100.0, 5_000_000.0, 80.0, 200.0, 1.0],
        "forecast": [130.0, 5_200_000.0, 120.0, 180.0, 60.0],
        "consumed": [50.0, 1_000_000.0, 120.0, 90.0, 20.0], "committed": [10.0, 0.0, 0.0, 0.0, 0.0],
        # variance = forecast - budget; variance_pct = variance / budget x 100
        "variance": [30.0, 200_000.0, 40.0, -20.0, 59.0], "variance_pct": [30.0, 4.0, 50.0, -10.0, 5900.0],
        "over_budget": [True, True, False, False, True]})  # a closed project is never "over budget"


def bars(ax) -> dict:
    return {c.get_label(): c.patches for c in ax.containers}


def test_budget_chart_largest_overspend_on_top_then_the_underspend():
    ax = figures.budget_variance_chart(five_projects()).axes[0]
    # variance: P2 +200,000, P5 +59, P3 +40, P1 +30, P4 -20
    assert ticks(ax) == ["P2 Beta", "P5 Eps", "P3 Gamma (closed)", "P1 Alpha", "P4 Delta"]
    assert subtitle(ax) == ("5 projects by variance: 4 above budget, largest overspend on top; then 1 at or "
                            "under budget\n1 row cut at the axis (▸: its value written)")


def test_budget_chart_cuts_the_outlier_at_the_axis_and_writes_its_value():
    ax = figures.budget_variance_chart(five_projects()).axes[0]
    # longest bars: P2 5.2m, then P4 200: 5.2m > 3 x 200, so the axis ends at 200 x 1.1 = 220
    assert ax.get_xlim() == pytest.approx((0, 220.0))
    found = bars(ax)
    assert found["Budget"][0].get_width() == pytest.approx(220.0)
    assert found["Forecast"][0].get_width() == pytest.approx(220.0)
    assert found["Consumed"][0].get_width() == pytest.approx(220.0)
    assert found["Forecast"][1].get_width() == 60.0  # P5 is not cut
    assert [t.strip() for t in gid_texts(ax, "clipped")] == ["€5.0m ▸", "€5.2m ▸", "€1.0m ▸"]
    assert len([line for line in ax.get_lines() if line.get_gid() == "break"]) == 2  # one break mark, 2 strokes


def test_budget_chart_colours_and_legend():
    fig = figures.budget_variance_chart(five_projects())
    ax = fig.axes[0]
    forecast = bars(ax)["Forecast"]
    rows = ticks(ax)
    assert same_color(forecast[rows.index("P3 Gamma (closed)")].get_facecolor(), figures.COLORS["final"])
    assert same_color(forecast[rows.index("P1 Alpha")].get_facecolor(), figures.COLORS["warning"])
    assert same_color(forecast[rows.index("P4 Delta")].get_facecolor(), figures.COLORS["forecast"])
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Budget", "Forecast (within budget)", "Forecast (over budget)",
                      "Final spend (closed or cancelled)", "Consumed", "Committed (open orders)"]
    variance = gid_texts(ax, "variance")
    assert variance == ["+4.0%", "+5,900.0% ⚠", "+50.0%", "+30.0%", "-10.0%"]
    assert ax.get_xlabel().endswith("; ⚠ outside the plausible range")


def test_budget_chart_top_and_a_legend_of_the_colours_used_only():
    frame = five_projects().drop(index=[1, 2])  # P1, P4, P5: no closed project, nothing to cut
    fig = figures.budget_variance_chart(frame.assign(committed=float("nan"), consumed=float("nan")), top=2)
    ax = fig.axes[0]
    assert ticks(ax) == ["P5 Eps", "P1 Alpha"]
    assert subtitle(ax) == ("2 of 3 projects by variance: 2 above budget, largest overspend on top\n"
                            "Consumed and committed not reported")
    assert set(bars(ax)) == {"Budget", "Forecast"}  # no spend reported: no consumed bars
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Budget", "Forecast (over budget)"]
    assert ax.get_xlim()[1] == pytest.approx(130 * 1.05)  # P1's forecast, nothing cut


# ------------------------------------------------------------------------------ CPI / SPI quadrant
def corner_frame() -> pd.DataFrame:
    """Points in all four corners (where the labels go) and one CPI of 40 (implausible)."""
    return pd.DataFrame({
        "project_id": [f"P{i}" for i in range(1, 7)], "name": list("ABCDEF"),
        "cpi": [1.40, 1.40, 0.60, 0.60, 1.00, 40.0], "spi": [0.60, 1.40, 0.60, 1.40, 0.95, 1.10],
        "bac": [100.0] * 6})


def point_positions(ax) -> np.ndarray:
    return ax.transData.transform(ax.collections[0].get_offsets())


def test_quadrant_labels_cover_no_point():
    fig = figures.cpi_spi_quadrant(corner_frame())
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_gid() == "quadrant"]
    assert len(labels) == 4
    points = point_positions(ax)
    for label in labels:
        box = label.get_window_extent(renderer)
        assert not any(box.contains(x, y) for x, y in points), label.get_text()


def test_quadrant_on_the_demo_labels_cover_no_point_and_names_do_not_overlap(demo_db):
    import pmo_analytics
    from pmo_analytics import metrics

    with pmo_analytics.connect(demo_db) as con:
        evm = metrics.evm(con)
    fig = figures.cpi_spi_quadrant(evm, schedule="spi_t")
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    points = point_positions(ax)
    assert len(points) == evm[["cpi", "spi_t"]].dropna().shape[0]
    for label in (t for t in ax.texts if t.get_gid() == "quadrant"):
        box = label.get_window_extent(renderer)
        assert not any(box.contains(x, y) for x, y in points), label.get_text()
    names = [t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == "project"]
    assert len(names) == 6  # the six worst projects, all named
    assert not any(a.overlaps(b) for i, a in enumerate(names) for b in names[i + 1:])


def test_quadrant_legend_has_one_entry_per_colour_and_marks_the_implausible():
    fig = figures.cpi_spi_quadrant(corner_frame(), annotate=0)
    ax = fig.axes[0]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    # green: P2 (1.4, 1.4); amber: P1, P4, P5 (CPI 1.0, SPI 0.95), P6; red: P3
    assert legend == ["CPI and SPI at or above 1", "Below 1 on one of the two", "Both below 1: over budget and behind",
                      "⚠ implausible, drawn at the edge"]
    colours = {mcolors.to_hex(c) for c in ax.collections[0].get_facecolors()}
    assert colours == {mcolors.to_hex(figures.RAG[z]) for z in ("green", "amber", "red")}
    assert ax.get_ylim()[1] < 2  # the CPI of 40 does not squash the others: it sits on the top edge
    assert ax.collections[0].get_offsets()[5][1] == pytest.approx(ax.get_ylim()[1])
    assert gid_texts(ax, "project") == ["P6 F ⚠ CPI 40.00"]
    only_green = corner_frame().iloc[[1]]
    legend = [t.get_text() for t in figures.cpi_spi_quadrant(only_green).legends[0].get_texts()]
    assert legend == ["CPI and SPI at or above 1"]


# ------------------------------------------------------------------------------ texts
def test_counts_are_written_in_words():
    one = pd.DataFrame({"project_id": ["P1"], "name": ["A"], "measure": ["end_date"], "change": [-0.4],
                        "before": [""], "after": [""], "direction": ["better"]})
    ax = figures.drift_chart(one).axes[0]
    assert "1 project changed" in subtitle(ax)
    assert ax.texts[0].get_text().strip() == "0 d"  # -0.4 days rounds to 0: never "-0 d"
    matrix = pd.DataFrame([(b, i, b * i, 1 if (b, i) == (2, 3) else 0, 0.0) for b in range(1, 6) for i in range(1, 6)],
                          columns=["probability_band", "impact", "score", "count", "emv"])
    assert subtitle(figures.risk_matrix_chart(matrix).axes[0]).startswith("1 risk placed")
    load = pd.DataFrame({"resource_id": ["R1", "R1"], "name": ["Ana", "Ana"], "team": ["T", "T"],
                         "week": pd.to_datetime(["2026-01-05", "2026-01-12"]), "utilisation": [0.5, 1.2]})
    assert subtitle(figures.resource_heatmap(load, by="resource").axes[0]).startswith("1 person, highest peak first")
    evm = pd.DataFrame({"project_id": ["P1"], "name": ["A"], "cpi": [0.9], "spi": [1.1], "bac": [10.0]})
    assert subtitle(figures.cpi_spi_quadrant(evm).axes[0]).startswith("1 project;")


def test_spread_histogram_counts_in_whole_numbers():
    frame = pd.DataFrame({"measure": ["cpi"] * 5, "value": [0.8, 0.85, 0.9, 1.0, 1.2]})
    fig = figures.kpi_distribution_chart(frame)
    ax = fig.axes[0]
    fig.canvas.draw()
    locs = [v for v in ax.get_yticks() if ax.get_ylim()[0] <= v <= ax.get_ylim()[1]]
    assert locs and all(float(v).is_integer() for v in locs)
    assert subtitle(ax) == "CPI of 5 active projects"


def kpi_frame(change: float) -> pd.DataFrame:
    return pd.DataFrame({
        "as_of": pd.to_datetime(["2026-01-31", "2026-02-28"]), "kpi": ["spi_median"] * 2,
        "label": ["Median SPI(t)"] * 2, "unit": ["ratio"] * 2, "value": [0.96, 0.96 + change],
        "target": [0.95] * 2, "amber": [0.9] * 2, "higher_is_better": [True] * 2, "rag": ["green"] * 2,
        "change": [None, change], "trend": [None, "up" if change > 0 else "down"], "improving": [None, change > 0]})


def test_a_kpi_change_below_the_shown_decimals_reads_no_change():
    fig = figures.kpi_tiles(kpi_frame(-0.000045))
    assert [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "change"] == ["target ≥ 0.95   ▶ no change"]
    fig = figures.kpi_tiles(kpi_frame(0.01))
    assert [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "change"] == ["target ≥ 0.95   ▲ +0.01"]


# ------------------------------------------------------------------------------ sorted as the subtitle says
def test_drift_largest_change_first_ties_by_project():
    frame = pd.DataFrame({"project_id": ["P4", "P3", "P2", "P1"], "name": ["D", "C", "B", "A"],
                          "measure": ["end_date"] * 4, "change": [5.0, -20.0, 20.0, 1.0],
                          "before": [""] * 4, "after": [""] * 4, "direction": ["worse", "better", "worse", "worse"]})
    ax = figures.drift_chart(frame).axes[0]
    assert ticks(ax) == ["P2 B", "P3 C", "P4 D", "P1 A", "Net change"]
    assert "largest change first" in subtitle(ax)


def test_resource_rows_highest_peak_first_ties_by_name():
    weeks = pd.to_datetime(["2026-01-05", "2026-01-12"])
    frame = pd.DataFrame({"team": ["A", "A", "C", "C", "B", "B"], "week": list(weeks) * 3,
                          "utilisation": [0.9, 0.5, 1.3, 0.2, 0.4, 1.3]})
    ax = figures.resource_heatmap(frame, by="team").axes[0]
    assert ticks(ax) == ["B", "C", "A"]  # peaks 130%, 130%, 90%
    assert subtitle(ax).startswith("3 teams, highest peak first")


def test_exposure_legend_largest_latest_exposure_first():
    frame = pd.DataFrame({"as_of": pd.to_datetime(["2026-01-31", "2026-02-28"] * 2), "portfolio": ["X", "X", "Y", "Y"],
                          "total_emv": [500.0, 100.0, 50.0, 300.0]})
    ax = figures.exposure_trend_chart(frame).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Y", "X"]  # latest: Y 300, X 100
    assert "legend: largest latest exposure first" in subtitle(ax)


def test_milestone_trend_legend_largest_slip_first():
    frame = pd.DataFrame({
        "as_of": pd.to_datetime(["2026-01-31", "2026-02-28"] * 2), "project_id": ["P1"] * 4,
        "milestone_id": ["M1", "M1", "M2", "M2"], "name": ["Go", "Go", "End", "End"],
        "baseline_date": pd.to_datetime(["2026-06-01"] * 2 + ["2026-09-01"] * 2),
        "forecast_date": pd.to_datetime(["2026-06-01", "2026-06-06", "2026-09-01", "2026-10-01"]),
        "actual_date": pd.to_datetime([None] * 4), "slip_days": [0, 5, 0, 30]})
    ax = figures.milestone_trend_chart(frame).axes[0]
    lines = [line.get_label() for line in ax.get_lines() if line.get_gid() == "milestone"]
    assert lines == ["M2 End", "M1 Go"]  # latest slip 30 days, then 5
    assert subtitle(ax).startswith("2 milestones; legend: largest slip first")
