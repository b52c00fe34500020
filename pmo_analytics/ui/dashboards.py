"""The directors' dashboards: each a function that lays out the shared filter bar and views.

A dashboard notebook in notebooks/dashboards/ is two lines (`from pmo_analytics.ui.dashboards import
overview; overview()`); the views live in ui/views/, the tiles' HTML in present/tiles.py. Every
dashboard shows the snapshot date and its data-quality score so a director knows what they are looking at.
"""
from __future__ import annotations

import logging
from typing import ClassVar

import ipywidgets as W

from pmo_analytics import metrics
from pmo_analytics.metrics import improvement as kpi_metrics
from pmo_analytics.metrics import options as metric_options
from pmo_analytics.metrics.portfolio import Snapshot
from pmo_analytics.present import tiles
from pmo_analytics.ui.filterbar import FilterBar
from pmo_analytics.ui.forecast_panel import ForecastPanel
from pmo_analytics.ui.views.base import FRIENDLY_ERROR, View
from pmo_analytics.ui.views.budget import BudgetView, EvmView, quadrant
from pmo_analytics.ui.views.delivery import MilestoneView, ResourceView, RiskView
from pmo_analytics.ui.views.kpis import KpiView

log = logging.getLogger(__name__)


class SnapshotHeader:
    """'Snapshot 31 Oct 2026 · data quality 99.6/100': which month and how good its data is."""

    def __init__(self, bar: FilterBar):
        self.bar = bar
        self.widget = W.HTML()
        bar.on_change(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        as_of = self.bar.filters()["as_of"]
        if not as_of:
            self.widget.value = tiles.snapshot_note("No snapshot loaded yet.")
            return
        try:
            record = self.bar.reads.cached(("header", as_of), lambda con: metric_options.snapshot_header(con, as_of))
        except Exception:
            log.exception("snapshot header failed for %r", as_of)
            record = None
        if record is None:
            self.widget.value = tiles.snapshot_note(FRIENDLY_ERROR)
            return
        self.widget.value = tiles.STYLE + tiles.snapshot_line(record)


class HeadlineView(View):
    """The overview's tiles and its worst projects: largest expected overspend, with CPI and SPI(t)."""

    title = "Projects that need attention"
    question = ("The active projects with the largest expected overspend, with their cost (CPI) and schedule "
                "(SPI(t)) performance; every project on the quadrant below.")
    columns: ClassVar[list[str]] = ["project_id", "name", "portfolio", "rag", "budget", "forecast",
                                    "variance_pct", "cpi", "spi_t"]
    worst = 10
    cached_reads = True

    def load(self, reads, f):
        """The selection's headline, budget and evm frames, from the whole snapshot's read once per
        month and database file (a filter redraw then reads nothing)."""
        whole = reads.cached(("snapshot", f["as_of"]), lambda con: Snapshot(con, f["as_of"]))
        return whole.select(f["portfolio"], f["program"], f["department"], f["project_ids"])

    def make_table(self, frames, f):
        budget = frames["budget"]
        evm = frames["evm"][["project_id", "cpi", "spi_t"]]
        worst = budget.merge(evm, on="project_id", how="left")
        worst = worst[worst["status"].isin(["active", "on_hold"])]
        return worst.sort_values("variance_pct", ascending=False, na_position="last").head(self.worst)[self.columns]

    def draw(self, frames, f):
        return [quadrant(frames["evm"], title="Cost and schedule performance")]

    def refresh(self, *args):
        super().refresh(*args)
        h = self.frames.get("headline")
        self.tiles.value = tiles.STYLE + (tiles.headline_tiles(h.iloc[0])
                                          if h is not None and len(h) and not self.message else "")

    def controls(self):
        self.tiles = W.HTML()
        return []


class KpiTilesView(KpiView):
    """The KPI tiles alone: the overview's answer to "is the PMO getting better?"."""

    def controls(self):
        self.tiles = W.HTML()
        return []

    cached_reads = True

    def load(self, reads, f):
        """The selection's KPIs: every portfolio's are read in one query with the month's first draw
        (improvement.kpis_by), other selections once each, per month and database file."""
        as_of, chosen = f["as_of"], {k: v for k, v in f.items() if k != "as_of" and v is not None}
        if not chosen or set(chosen) == {"portfolio"}:
            by_portfolio = reads.cached(("kpis by portfolio", as_of), lambda con: kpi_metrics.kpis_by(con, as_of))
            if chosen and chosen["portfolio"] in by_portfolio:
                return {"kpis": by_portfolio[chosen["portfolio"]]}
        key = ("kpis", *((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(f.items())))
        return {"kpis": reads.cached(key, lambda con: metrics.kpis(con, **f))}

    def draw(self, frames, f):
        return []

    def refresh(self, *args):
        super().refresh(*args)
        self.tiles.value = "" if self.message else tiles.STYLE + tiles.kpi_tiles(self.latest(self.frames))


def _start(db, month) -> tuple[FilterBar, SnapshotHeader]:
    """The filter bar and the snapshot line, created before the views so the line updates first."""
    bar = FilterBar(db, month)
    return bar, SnapshotHeader(bar)


def _page(title: str, bar: FilterBar, header: SnapshotHeader, *parts: W.Widget) -> W.Widget:
    """Title, snapshot line and filter bar on top, then the dashboard's views."""
    top = W.VBox([W.HTML(tiles.page_title(title)), header.widget, bar.widget])
    return W.VBox([top, *parts], layout=W.Layout(padding="0 12px"))


def overview(db=None, month=None) -> W.Widget:
    """Headline tiles, the worst projects, the CPI/SPI quadrant and the improvement KPIs side by side."""
    bar = FilterBar(db, month)
    with bar.reads.redraw():  # the first draw reads through one connection, as a redraw does
        header, head, kpis = SnapshotHeader(bar), HeadlineView(bar), KpiTilesView(bar)
        forecast = ForecastPanel(bar)
    grid = W.GridspecLayout(1, 2, layout=W.Layout(grid_gap="16px", height="auto"))
    grid[0, 0], grid[0, 1] = head.widget, W.VBox([kpis.tiles, kpis.widget])
    return _page("PMO portfolio overview", bar, header, head.tiles, forecast.widget, grid)


def budget(db=None, month=None) -> W.Widget:
    """Budget variance and earned value, drill-down to one project."""
    bar, header = _start(db, month)
    return _page("Budget and earned value", bar, header, ForecastPanel(bar).widget, BudgetView(bar).widget,
                 EvmView(bar).widget)


def resources(db=None, month=None) -> W.Widget:
    """Resource load heatmap and over-allocation."""
    bar, header = _start(db, month)
    return _page("Resources", bar, header, ResourceView(bar).widget)


def risks(db=None, month=None) -> W.Widget:
    """The 5x5 matrix, exposure trend and top risks."""
    bar, header = _start(db, month)
    return _page("Risks", bar, header, RiskView(bar).widget)


def milestones(db=None, month=None) -> W.Widget:
    """Milestone slippage and the milestone trend analysis, then the DCMA check of the month's schedules."""
    from pmo_analytics.ui.schedule_health import ScheduleHealthPanel

    bar, header = _start(db, month)
    return _page("Milestones", bar, header, MilestoneView(bar).widget, ScheduleHealthPanel(bar).widget)


__all__ = ["HeadlineView", "KpiTilesView", "SnapshotHeader", "budget", "milestones", "overview", "resources",
           "risks"]
