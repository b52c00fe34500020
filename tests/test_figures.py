"""The figures: titles, axis labels with units, bar and cell counts, colours, and the Note in place of a
figure without data."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import pandas as pd
import pytest

import pmo_analytics
from pmo_analytics import metrics
from pmo_analytics.metrics import changes as drift_metrics
from pmo_analytics.metrics import improvement as kpi_metrics
from pmo_analytics.present import figures


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def demo(demo_db):
    """Every frame the figures draw, read once from the demo portfolio (latest snapshot)."""
    with pmo_analytics.connect(demo_db) as con:
        return {
            "variance": metrics.budget_variance(con),
            "curve": metrics.budget_curve(con),
            "evm": metrics.evm(con),
            "series": metrics.evm_series(con, project_ids="PRJ-0030"),
            "load": metrics.resource_load(con, by="team"),
            "matrix": metrics.risk_matrix(con),
            "trend": metrics.exposure_trend(con),
            "mta": metrics.milestone_trend(con, project_ids="PRJ-0030"),
            "kpis": kpi_metrics.kpis(con),
            "drift": drift_metrics.drift(con),
            "history": metrics.performance_history(con),
            "slip": metrics.baseline_slip(con),
        }


def title(fig) -> str:
    return fig.get_suptitle()


def same_color(a, b) -> bool:
    return mcolors.to_hex(a) == mcolors.to_hex(b)


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


# ------------------------------------------------------------------------------ hand-made frames
def variance_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "project_id": ["P1", "P2", "P3"], "name": ["Alpha", "Beta", "Gamma"], "currency": ["EUR"] * 3,
        "budget": [100.0, 200.0, 50.0], "forecast": [130.0, 190.0, 50.0], "committed": [10.0, 5.0, 0.0],
        "consumed": [60.0, 100.0, 20.0], "variance": [30.0, -10.0, 0.0], "variance_pct": [30.0, -5.0, 0.0],
        "over_budget": [True, False, False]})


def bars(ax) -> dict:
    return {c.get_label(): c for c in ax.containers}


def test_budget_variance_bars_sorted_and_over_budget_in_warning_colour():
    fig = figures.budget_variance_chart(variance_frame())
    ax = fig.axes[0]
    assert title(fig) == "Budget, forecast, committed and consumed"
    assert ax.get_xlabel().startswith("Amount (EUR)")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["P1 Alpha", "P3 Gamma", "P2 Beta"]  # variance descending, overspend first
    containers = bars(ax)
    assert set(containers) == {"Budget", "Forecast", "Consumed", "Committed"}
    assert all(len(c.patches) == 3 for c in containers.values())
    forecast = containers["Forecast"].patches
    assert same_color(forecast[labels.index("P1 Alpha")].get_facecolor(), figures.COLORS["warning"])
    assert same_color(forecast[labels.index("P2 Beta")].get_facecolor(), figures.COLORS["forecast"])
    assert forecast[0].get_width() == 130.0
    # committed is stacked on consumed (open orders come on top of what is paid)
    assert containers["Committed"].patches[0].get_x() == 60.0


def test_budget_variance_keeps_the_largest_variances(demo):
    fig = figures.budget_variance_chart(demo["variance"], top=10)
    ax = fig.axes[0]
    assert len(bars(ax)["Forecast"].patches) == 10
    assert "GBP" in ax.get_xlabel()
    worst = demo["variance"].sort_values("variance", ascending=False).iloc[0]
    assert ax.get_yticklabels()[0].get_text().startswith(worst["project_id"])
    assert worst["over_budget"]
    assert same_color(bars(ax)["Forecast"].patches[0].get_facecolor(), figures.COLORS["warning"])


def test_s_curves_label_money_axes(demo):
    fig = figures.budget_s_curve(demo["curve"], currency="GBP")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Cumulative amount (GBP)" and ax.get_xlabel() == "Month"
    assert [line.get_label() for line in ax.get_lines()][:3] == ["Budget (approved)", "Forecast", "Consumed"]
    assert ax.get_lines()[0].get_ydata()[-1] == pytest.approx(demo["curve"]["cum_budget"].iloc[-1])

    fig = figures.evm_s_curve(demo["series"], currency="GBP")
    ax = fig.axes[0]
    assert title(fig).startswith("Earned value")
    assert ax.get_ylabel() == "Cumulative value (GBP)"
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:3] == ["PV (planned value)", "EV (earned value)", "AC (actual cost)"]
    assert ax.get_lines()[1].get_ydata()[-1] == pytest.approx(demo["series"]["ev"].iloc[-1])


def test_cpi_spi_quadrant_points_lines_and_labels(demo):
    fig = figures.cpi_spi_quadrant(demo["evm"], annotate=3)
    ax = fig.axes[0]
    assert "SPI" in ax.get_xlabel() and "CPI" in ax.get_ylabel()
    assert len(ax.collections[0].get_offsets()) == demo["evm"][["cpi", "spi"]].dropna().shape[0]
    quadrant_labels = [t.get_text() for t in ax.texts if t.get_gid() == "quadrant"]
    assert "Behind schedule\nover budget" in quadrant_labels and len(quadrant_labels) == 4
    names = [t.get_text() for t in ax.texts if t.get_gid() == "project"]
    assert len(names) == 3  # the three worst projects
    worst = demo["evm"].assign(s=demo["evm"]["cpi"] * demo["evm"]["spi"]).nsmallest(1, "s").iloc[0]
    assert any(t.startswith(worst["project_id"]) for t in names)


def test_resource_heatmap_one_cell_per_team_and_week(demo):
    load = demo["load"]
    fig = figures.resource_heatmap(load, by="team")
    ax = fig.axes[0]
    mesh = ax.collections[0]
    assert mesh.get_array().size == load["team"].nunique() * load["week"].nunique()
    assert ax.get_xlabel() == "Week (Monday)" and ax.get_ylabel() == "Team"
    assert fig.axes[1].get_ylabel() == "Planned / capacity (%)"  # the colour bar
    norm = mesh.norm
    assert norm(100) == pytest.approx(0.5)  # the scale diverges at 100%


def test_resource_heatmap_over_allocation_is_red():
    frame = pd.DataFrame({"team": ["A", "A", "B", "B"], "week": pd.to_datetime(["2026-01-05", "2026-01-12"] * 2),
                          "utilisation": [0.5, 1.0, 1.3, 0.8]})
    fig = figures.resource_heatmap(frame, by="team")
    mesh = fig.axes[0].collections[0]
    assert mesh.get_array().size == 4
    over = mesh.cmap(mesh.norm(130))
    spare = mesh.cmap(mesh.norm(50))
    assert over[0] > over[2] and spare[2] > spare[0]  # red above 100%, blue below


def test_risk_matrix_cell_texts_are_the_counts(demo):
    matrix = demo["matrix"]
    fig = figures.risk_matrix_chart(matrix)
    ax = fig.axes[0]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
             for t in ax.texts if t.get_gid() == "count"}
    assert len(cells) == 25
    expected = {(int(r.probability_band), int(r.impact)): str(int(r["count"])) for _, r in matrix.iterrows()}
    assert cells == expected
    assert ax.get_xlabel() == "Impact (1-5 scale)" and ax.get_ylabel() == "Probability band"
    # background: green low, red high
    colors = {p.get_xy(): p.get_facecolor() for p in ax.patches}
    assert same_color(colors[(0.5, 0.5)], figures.RISK_ZONES[0][1])
    assert same_color(colors[(4.5, 4.5)], figures.RISK_ZONES[2][1])


def test_risk_matrix_from_a_hand_made_frame():
    frame = pd.DataFrame([(b, i, b * i, 2 if (b, i) == (5, 5) else 0, 0.0)
                          for b in range(5, 0, -1) for i in range(1, 6)],
                         columns=["probability_band", "impact", "score", "count", "emv"])
    ax = figures.risk_matrix_chart(frame).axes[0]
    counts = [t.get_text() for t in ax.texts if t.get_gid() == "count"]
    assert counts.count("2") == 1 and counts.count("0") == 24


def test_exposure_trend_one_line_per_portfolio(demo):
    fig = figures.exposure_trend_chart(demo["trend"], currency="GBP")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == demo["trend"]["portfolio"].nunique()
    assert ax.get_ylabel() == "Exposure (EMV) (GBP)"
    assert ax.get_xlabel() == "Snapshot (month end)"


def test_milestone_trend_one_line_per_milestone_and_the_diagonal(demo):
    mta = demo["mta"]
    fig = figures.milestone_trend_chart(mta)
    ax = fig.axes[0]
    lines = [line for line in ax.get_lines() if line.get_gid() == "milestone"]
    assert len(lines) == mta["milestone_id"].nunique()
    assert any(line.get_label() == "forecast = snapshot" for line in ax.get_lines())
    assert ax.get_xlabel() == "Snapshot (month end)" and ax.get_ylabel().startswith("Forecast date")


def test_milestone_trend_hand_made():
    frame = pd.DataFrame({
        "as_of": pd.to_datetime(["2026-01-31", "2026-02-28", "2026-01-31", "2026-02-28"]),
        "project_id": ["P1"] * 4, "milestone_id": ["M1", "M1", "M2", "M2"], "name": ["Go", "Go", "End", "End"],
        "baseline_date": pd.to_datetime(["2026-06-01"] * 2 + ["2026-09-01"] * 2),
        "forecast_date": pd.to_datetime(["2026-06-01", "2026-07-01", "2026-09-01", "2026-09-01"]),
        "actual_date": pd.to_datetime([None] * 4)})
    ax = figures.milestone_trend_chart(frame).axes[0]
    lines = [line for line in ax.get_lines() if line.get_gid() == "milestone"]
    assert len(lines) == 2
    assert [line.get_label() for line in lines] == ["M1 Go", "M2 End"]


def test_kpi_tiles_one_tile_per_kpi_with_rag_colours(demo):
    k = demo["kpis"]
    fig = figures.kpi_tiles(k)
    tiles = [ax for ax in fig.axes if (ax.get_gid() or "").startswith("kpi:")]
    assert [t.get_gid() for t in tiles] == [f"kpi:{key}" for key in dict.fromkeys(k["kpi"])]
    latest = k[k["as_of"] == k["as_of"].max()].set_index("kpi")
    for tile in tiles:
        rag = latest.loc[tile.get_gid()[4:], "rag"]
        assert same_color(tile.get_facecolor(), figures.RAG_TINT.get(rag if isinstance(rag, str) else None))
    assert title(fig) == "PMO improvement KPIs"
    value_texts = [t.get_text() for t in tiles[0].texts]
    assert figures.format_kpi(latest.iloc[0]["value"], latest.iloc[0]["unit"]) in value_texts


def test_kpi_tiles_hand_made():
    frame = pd.DataFrame({
        "as_of": pd.to_datetime(["2026-01-31", "2026-02-28"] * 2), "kpi": ["a", "a", "b", "b"],
        "label": ["A share", "A share", "B count", "B count"], "unit": ["%", "%", "count", "count"],
        "value": [50.0, 60.0, 3.0, 5.0], "target": [80.0, 80.0, 0.0, 0.0], "amber": [55.0, 55.0, 4.0, 4.0],
        "higher_is_better": [True, True, False, False], "rag": ["red", "amber", "amber", "red"],
        "change": [None, 10.0, None, 2.0], "trend": [None, "up", None, "up"],
        "improving": [None, True, None, False]})
    fig = figures.kpi_tiles(frame, ncols=2)
    a, b = (ax for ax in fig.axes if ax.get_gid())
    assert same_color(a.get_facecolor(), figures.RAG_TINT["amber"])
    assert same_color(b.get_facecolor(), figures.RAG_TINT["red"])
    assert "60.0%" in [t.get_text() for t in a.texts] and "5" in [t.get_text() for t in b.texts]


def test_drift_waterfall_ends_at_the_net_change(demo):
    d = demo["drift"]
    fig = figures.drift_chart(d, measure="forecast", top=5, currency="GBP")
    ax = fig.axes[0]
    changed = d[(d["measure"] == "forecast") & d["change"].notna()]
    patches = ax.containers[0].patches
    assert len(patches) == 5 + 1 + 1  # five largest, the others combined, the net change
    assert patches[-1].get_width() == pytest.approx(changed["change"].sum())
    assert ax.get_yticklabels()[-1].get_text() == "Net change"
    assert ax.get_xlabel() == "Change in forecast (expected final spend) (GBP)"
    worst = changed.reindex(changed["change"].abs().sort_values(ascending=False).index).iloc[0]
    color = figures.COLORS["worse"] if worst["change"] > 0 else figures.COLORS["better"]
    assert same_color(patches[0].get_facecolor(), color)


def test_drift_hand_made_days():
    frame = pd.DataFrame({"project_id": ["P1", "P2", "P3"], "name": ["A", "B", "C"],
                          "measure": ["end_date", "end_date", "project"], "before": ["", "", "absent"],
                          "after": ["", "", "present"], "change": [10.0, -4.0, None],
                          "direction": ["worse", "better", None]})
    ax = figures.drift_chart(frame).axes[0]
    widths = [p.get_width() for p in ax.containers[0].patches]
    assert widths == [10.0, -4.0, 6.0]
    assert ax.get_xlabel() == "Change in forecast finish date (days)"


# ------------------------------------------------------------------ performance as reported, baseline slip
def history_frame() -> pd.DataFrame:
    """Three projects at two snapshots; P3 reported no progress in February."""
    return pd.DataFrame({
        "as_of": pd.to_datetime(["2026-01-31"] * 3 + ["2026-02-28"] * 3),
        "project_id": ["P1", "P2", "P3"] * 2, "name": ["Alpha", "Beta", "Gamma"] * 2,
        "progress_reported": [True, True, True, True, True, False],
        "cpi": [0.8, 1.0, 1.3, 0.9, 1.2, None],
        "spi_t": [0.7, 0.95, 1.1, 0.8, 1.0, None]})


def subtitle(ax) -> str:
    return ax.get_title(loc="left")  # the house style puts the subtitle on the left


def lines_by_gid(ax) -> dict:
    return {line.get_gid(): line for line in ax.get_lines() if line.get_gid()}


def test_performance_trend_many_projects_draws_the_medians():
    fig = figures.performance_trend(history_frame())
    ax = fig.axes[0]
    lines = lines_by_gid(ax)
    assert set(lines) == {"cpi", "spi_t", "reference"}
    # January: CPI 0.8, 1.0, 1.3 -> median 1.0; February: 0.9, 1.2 (P3 missing) -> (0.9 + 1.2) / 2 = 1.05
    assert list(lines["cpi"].get_ydata()) == pytest.approx([1.0, 1.05])
    # January: SPI(t) 0.7, 0.95, 1.1 -> 0.95; February: 0.8, 1.0 -> 0.9
    assert list(lines["spi_t"].get_ydata()) == pytest.approx([0.95, 0.9])
    assert list(lines["reference"].get_ydata()) == [1, 1]
    assert len(ax.collections) == 2  # one interquartile band each for CPI and SPI(t)
    assert subtitle(ax).startswith("3 projects")
    assert "1 of 3 without progress reported in Feb 2026" in subtitle(ax)
    assert ax.get_xlabel() == "Snapshot (month end)"
    assert {"CPI median", "SPI(t) median"} <= {t.get_text() for t in ax.get_legend().get_texts()}


def test_performance_trend_one_project_has_two_lines():
    one = history_frame().query("project_id == 'P1'")
    ax = figures.performance_trend(one).axes[0]
    lines = lines_by_gid(ax)
    assert [line.get_label() for line in ax.get_lines() if line.get_gid() in ("cpi", "spi_t")] == ["CPI", "SPI(t)"]
    assert list(lines["cpi"].get_ydata()) == [0.8, 0.9]  # P1's own values, January then February
    assert list(lines["spi_t"].get_ydata()) == [0.7, 0.8]
    assert "reference" in lines and not ax.collections  # the 1.0 line; no band for one project
    assert subtitle(ax).startswith("P1 Alpha")


def test_performance_trend_without_progress_says_so():
    frame = history_frame().assign(cpi=float("nan"), spi_t=float("nan"), progress_reported=False)
    note = figures.performance_trend(frame)
    assert isinstance(note, figures.Note)
    assert note.text == "Progress is not reported for any project: no CPI or SPI(t) to plot (missing, not 0)"


def test_performance_trend_of_one_snapshot_says_a_trend_needs_two():
    frame = history_frame()
    note = figures.performance_trend(frame[frame["as_of"] == pd.Timestamp("2026-02-28")])
    assert note.text == "Only one snapshot is loaded (Feb 2026): the trend needs two or more"


def test_performance_trend_on_the_demo(demo):
    history = demo["history"]
    ax = figures.performance_trend(history).axes[0]
    medians = history.groupby("as_of")["cpi"].median().sort_index()
    assert list(lines_by_gid(ax)["cpi"].get_ydata()) == pytest.approx(list(medians))
    assert subtitle(ax).startswith(f"{history['project_id'].nunique()} projects")


def slip_frame() -> pd.DataFrame:
    """Five projects; P3 and P5 have no slip (no baseline or forecast finish)."""
    return pd.DataFrame({
        "project_id": ["P1", "P2", "P3", "P4", "P5"], "project_name": ["Alpha", "Beta", "Gamma", "Delta", "Eps"],
        # original = re-baselined + current: P1 0 + 30 = 30, P2 60 + 30 = 90, P4 0 + -10 = -10
        "slip_vs_original_days": pd.array([30, 90, None, -10, None], dtype="Int64"),
        "slip_vs_current_days": pd.array([30, 30, None, -10, None], dtype="Int64"),
        "rebaselined_days": pd.array([0, 60, None, 0, None], dtype="Int64"),
        "finish_rebaselines": [0, 1, 0, 0, 0]})


def test_baseline_slip_largest_original_slip_first_and_missing_counted():
    fig = figures.baseline_slip_chart(slip_frame())
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["P2 Beta", "P1 Alpha", "P4 Delta"]
    assert subtitle(ax) == "3 projects, largest slip on top; 2 without a baseline or forecast finish left out"
    containers = bars(ax)
    assert set(containers) == {"Re-baselined", "Against current baseline"}
    assert [p.get_width() for p in containers["Re-baselined"].patches] == [60, 0, 0]
    current = containers["Against current baseline"].patches
    assert [p.get_width() for p in current] == [30, 30, -10]
    assert [p.get_x() for p in current] == [60, 0, 0]  # stacked on the re-baselined days
    assert same_color(current[0].get_facecolor(), figures.COLORS["worse"])
    assert same_color(current[2].get_facecolor(), figures.COLORS["better"])  # early
    assert "+90 d (+60 d re-baselined)" in texts(fig)[0]
    assert ax.get_xlabel().startswith("Days late against the original baseline")


def test_baseline_slip_keeps_the_top_and_says_so():
    ax = figures.baseline_slip_chart(slip_frame(), top=2).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["P2 Beta", "P1 Alpha"]
    assert subtitle(ax).startswith("2 of 3 projects with the largest slip")


def test_baseline_slip_without_any_slip_says_so():
    frame = slip_frame().iloc[[2, 4]]
    note = figures.baseline_slip_chart(frame)
    assert note.text == "No project has a baseline and a forecast finish: no slip to show"


def test_baseline_slip_on_the_demo(demo):
    slip = demo["slip"]
    ax = figures.baseline_slip_chart(slip).axes[0]
    worst = slip.sort_values("slip_vs_original_days", ascending=False).iloc[0]
    assert ax.get_yticklabels()[0].get_text().startswith(worst["project_id"])
    assert len(bars(ax)["Against current baseline"].patches) == 15


def test_no_data_for_a_filter_that_matches_nothing(demo_db):
    with pmo_analytics.connect(demo_db) as con:
        frame = metrics.budget_variance(con, portfolio="no such portfolio")
    note = figures.budget_variance_chart(frame)
    assert isinstance(note, figures.Note)
    assert note.text == "No project has a budget or a forecast in this selection: no variance to show"
    assert plt.get_fignums() == []  # no figure was made for it


def test_figures_leave_global_style_alone(demo):
    before = dict(matplotlib.rcParams)
    figures.budget_variance_chart(demo["variance"])
    assert dict(matplotlib.rcParams) == before
