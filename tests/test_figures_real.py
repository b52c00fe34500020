"""The figures on what a portfolio really carries: an empty selection and the UK GMPP 2023 snapshot (one
snapshot, no monthly phasing, no progress, no risks, resources or milestones) give a one-line Note
saying why, never an empty axis; the demo's figures all draw marks."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")


import matplotlib.pyplot as plt
import pandas as pd
import pytest

import pmo_analytics
from pmo_analytics import metrics
from pmo_analytics.metrics import changes as drift_metrics
from pmo_analytics.metrics import improvement as kpi_metrics
from pmo_analytics.present import figures
from pmo_analytics.ui.pictures import count_marks



@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def frames(database) -> dict[str, pd.DataFrame]:
    """The frames the notebooks feed their figures, at the latest snapshot."""
    with pmo_analytics.connect(database) as con:
        as_of = metrics.resolve_as_of(con, None)
        return {
            "variance": metrics.budget_variance(con, as_of=as_of),
            "curve": metrics.budget_curve(con, as_of=as_of),
            "evm": metrics.evm(con, as_of=as_of),
            "series": metrics.evm_series(con, as_of=as_of),
            "history": metrics.performance_history(con, period_to=as_of),
            "team_load": metrics.resource_load(con, by="team", as_of=as_of),
            "people_load": metrics.resource_load(con, by="resource", as_of=as_of),
            "matrix": metrics.risk_matrix(con, as_of=as_of),
            "exposure": metrics.exposure_trend(con, by="portfolio", period_to=as_of),
            "mta": metrics.milestone_trend(con, period_to=as_of),
            "slip": metrics.baseline_slip(con, by="project", as_of=as_of),
            "kpis": kpi_metrics.kpis(con, as_of=as_of),
            "distribution": kpi_metrics.kpi_distribution(con, measure="cpi", as_of=as_of),
            "drift": drift_metrics.drift(con, as_of=as_of),
        }


# name: (figure call on the frames, the Note it gives for an empty frame)
FIGURES = {
    "budget_variance": (lambda f: figures.budget_variance_chart(f["variance"]),
                        "No project has a budget or a forecast in this selection: no variance to show"),
    "budget_s_curve": (lambda f: figures.budget_s_curve(f["curve"]),
                       "No budget phased by month in these exports: the cumulative curve needs budget lines "
                       "by period"),
    "quadrant": (lambda f: figures.cpi_spi_quadrant(f["evm"], schedule="spi_t"),
                 "No project in this selection: no CPI or SPI to plot"),
    "evm_s_curve": (lambda f: figures.evm_s_curve(f["series"]),
                    "No earned value series for this selection: no PV, EV or AC by month"),
    "performance_trend": (lambda f: figures.performance_trend(f["history"]),
                          "No project in this selection: no CPI or SPI(t) to plot"),
    "team_load": (lambda f: figures.resource_heatmap(f["team_load"], by="team"),
                  "No resource plan in these exports: no planned hours or capacity to show"),
    "people_load": (lambda f: figures.resource_heatmap(f["people_load"], by="resource", max_rows=20),
                    "No resource plan in these exports: no planned hours or capacity to show"),
    "risk_matrix": (lambda f: figures.risk_matrix_chart(f["matrix"]),
                    "No risk register in these exports: no risks to place on the matrix"),
    "exposure": (lambda f: figures.exposure_trend_chart(f["exposure"]),
                 "No risks in these exports: no exposure (EMV) to show over time"),
    "mta": (lambda f: figures.milestone_trend_chart(f["mta"]),
            "No milestone forecasts to trace for this selection: no milestones in these exports, or none "
            "late or likely to miss"),
    "slip": (lambda f: figures.baseline_slip_chart(f["slip"]),
             "No project has a baseline and a forecast finish: no slip to show"),
    "kpi_tiles": (lambda f: figures.kpi_tiles(f["kpis"]), "No KPI is defined for this selection"),
    "distribution": (lambda f: figures.kpi_distribution_chart(f["distribution"]),
                     "No active project has a CPI or SPI(t) in this snapshot: progress is not reported, so "
                     "there is no spread to show (missing, not 0)"),
    "drift": (lambda f: figures.drift_chart(f["drift"]),
              "No change to show: there is no earlier snapshot to compare with, or no project changed since it"),
}


@pytest.fixture(scope="module")
def demo(demo_db):
    return frames(demo_db)


@pytest.fixture(scope="module")
def uk(uk_2023_db):
    return frames(uk_2023_db)  # uk_2023.csv loaded as 2023-03, profile uk-gmpp (conftest.uk_2023_db)


@pytest.mark.parametrize("name", FIGURES)
def test_an_empty_frame_gives_the_figures_own_note(demo, name):
    draw, text = FIGURES[name]
    empty = {key: frame.iloc[0:0] for key, frame in demo.items()}  # the metric's columns, no rows
    note = draw(empty)
    assert isinstance(note, figures.Note)
    assert note.text == text
    assert note._repr_html_().count(text) == 1 and "<div" in note._repr_html_()
    assert plt.get_fignums() == []


@pytest.mark.parametrize("name", FIGURES)
def test_every_demo_figure_draws_marks(demo, name):
    fig = FIGURES[name][0](demo)
    assert isinstance(fig, plt.Figure)
    assert count_marks(fig) > 0


# What the UK GMPP 2023 snapshot lacks, figure by figure (None: it has what the figure draws).
UK_NOTES = {
    "budget_variance": None,
    "budget_s_curve": "No budget phased by month in these exports: the cumulative curve needs budget lines by "
                      "period (all of them are in Mar 2023)",
    "quadrant": "Progress is not reported for any project: no CPI or SPI(t) to plot (missing, not 0)",
    "evm_s_curve": "Earned value is reported for one month only (Mar 2023) in these exports: the PV / EV / AC "
                   "curves need values by month",
    "performance_trend": "Progress is not reported for any project: no CPI or SPI(t) to plot (missing, not 0)",
    "team_load": "No resource plan in these exports: no planned hours or capacity to show",
    "people_load": "No resource plan in these exports: no planned hours or capacity to show",
    "risk_matrix": "No active risk in this selection (none in these exports, or none open): nothing to place "
                   "on the matrix",
    "exposure": "No risks in these exports: no exposure (EMV) to show over time",
    "mta": FIGURES["mta"][1],
    "slip": "No project has a baseline and a forecast finish: no slip to show",
    "kpi_tiles": None,
    "distribution": FIGURES["distribution"][1],
    "drift": FIGURES["drift"][1],
}


@pytest.mark.parametrize("name", FIGURES)
def test_uk_gmpp_2023_gives_a_note_or_a_figure_with_marks(uk, name):
    result = FIGURES[name][0](uk)
    if UK_NOTES[name] is None:
        assert isinstance(result, plt.Figure)
        assert count_marks(result) > 0
    else:
        assert isinstance(result, figures.Note)
        assert result.text == UK_NOTES[name]


def test_uk_kpi_tiles_say_why_a_kpi_is_not_measured(uk):
    fig = figures.kpi_tiles(uk["kpis"])
    lines = {ax.get_gid(): [t.get_text() for t in ax.texts if t.get_gid() == "change"][0]
             for ax in fig.axes if (ax.get_gid() or "").startswith("kpi:")}
    assert len(lines) == 10
    # 244 active projects, none with progress: the reason (tables.kpi_coverage) before the target
    assert lines["kpi:spi_median"].replace("\n", " ") == "progress not reported (244 active projects) · target ≥ 0.95"
    assert lines["kpi:milestone_on_time_rate"].replace("\n", " ").startswith("no achieved milestones in this snapshot")
    not_measured = [ax for ax in fig.axes if "n/a" in [t.get_text() for t in ax.texts]]
    assert len(not_measured) == 8  # all but the within-budget share and the data-quality score
    assert all(not ax.child_axes for ax in not_measured)  # no sparkline without a value


def test_a_view_shows_a_note_in_place_of_a_figure(demo_db):
    """ui.views.base.View.refresh passes a Note through to the page (and does not try to close it)."""
    from pmo_analytics.ui.filterbar import FilterBar
    from pmo_analytics.ui.views.base import View

    class NoteView(View):
        def load(self, con, f):
            return {}

        def make_table(self, frames, f):
            return pd.DataFrame({"a": [1]})

        def draw(self, frames, f):
            return [figures.Note("No resource plan in these exports")]

        def show(self, items, clear=True):
            self.shown = items

    view = NoteView(FilterBar(demo_db))
    assert view.message is None
    note, table = view.shown
    assert isinstance(note, figures.Note) and note.text == "No resource plan in these exports"
    assert "No resource plan in these exports" in note._repr_html_()
