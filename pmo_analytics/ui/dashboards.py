"""The directors' dashboards: each a function that lays out the shared filter bar and views.

A dashboard notebook in notebooks/dashboards/ is two lines (`from pmo_analytics.dashboards import
overview; overview()`); everything testable lives here and in widgets.py. Every dashboard shows the
snapshot date and its data-quality score so a director knows what they are looking at.
"""
from __future__ import annotations

import html
import logging
from typing import ClassVar

import ipywidgets as W
import pandas as pd

from pmo_analytics import metrics
from pmo_analytics.metrics.portfolio import headline
from pmo_analytics.present import figures
from pmo_analytics.store.connection import connect
from pmo_analytics.ui.views import (
    FRIENDLY_ERROR,
    BudgetView,
    EvmView,
    FilterBar,
    KpiView,
    MilestoneView,
    ResourceView,
    RiskView,
    View,
)

log = logging.getLogger(__name__)

STYLE = """<style>
.pmo-tiles{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0 10px}
.pmo-tile{flex:1 1 150px;border-radius:6px;padding:10px 12px;background:#f8f9fa;border-left:5px solid #adb5bd}
.pmo-tile .label{font-size:12px;color:#495057}.pmo-tile .value{font-size:22px;font-weight:600;color:#212529}
.pmo-tile .note{font-size:11px;color:#868e96}
.pmo-tile.red{border-left-color:#e03131}.pmo-tile.amber{border-left-color:#f59f00}.pmo-tile.green{border-left-color:#2f9e44}
.pmo-snapshot{font-size:13px;color:#343a40;margin:2px 0 8px}
</style>"""


def money(value, currency: str | None) -> str:
    """£1.2m, £350k, £900: how money reads on a tile (one currency; a mix shows its codes)."""
    if value is None or pd.isna(value):
        return "–"
    symbol = figures.CURRENCY_SYMBOLS.get(currency or "", "")
    suffix = "" if symbol or not currency else f" {currency}"
    sign, v = ("-" if value < 0 else ""), abs(float(value))
    text = f"{v / 1e9:.2f}bn" if v >= 1e9 else f"{v / 1e6:.1f}m" if v >= 1e6 else \
        f"{v / 1e3:.0f}k" if v >= 1e3 else f"{v:.0f}"
    return f"{sign}{symbol}{text}{suffix}"


def tile(key: str, label: str, value: str, note: str = "", rag: str = "") -> str:
    """One headline tile; `data-key` lets a browser test find it."""
    return (f"<div class='pmo-tile {rag}' data-key='{key}'><div class='label'>{html.escape(label)}</div>"
            f"<div class='value'>{html.escape(value)}</div><div class='note'>{html.escape(note)}</div></div>")


def headline_tiles(h: pd.Series) -> str:
    """The overview's tiles from a `headline` row."""
    cur = h["currency"]
    var_rag = "red" if h["variance_pct"] > 5 else "amber" if h["variance_pct"] > 0 else "green"
    rag = (f"{h['rag_green']} G · {h['rag_amber_green']} AG · {h['rag_amber']} A · "
           f"{h['rag_amber_red']} AR · {h['rag_red']} R")
    return "<div class='pmo-tiles'>" + "".join([
        tile("budget", "Total budget", money(h["budget"], cur), f"{h['projects']} projects"),
        tile("forecast", "Forecast", money(h["forecast"], cur), f"{h['over_budget']} projects over budget"),
        tile("consumed", "Consumed", money(h["consumed"], cur), f"committed {money(h['committed'], cur)}"),
        tile("variance", "Variance", money(h["variance"], cur), f"{h['variance_pct']:+.1f}% of budget", var_rag),
        tile("rag", "Projects by RAG", f"{h['rag_red'] + h['rag_amber_red']} red", rag,
             "red" if h["rag_red"] else "amber" if h["rag_amber_red"] else "green"),
        tile("exposure", "Risk exposure (EMV)", money(h["risk_emv"], cur), f"{h['active_risks']} active risks"),
    ]) + "</div>"


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
            self.widget.value = "<div class='pmo-snapshot'>No snapshot loaded yet.</div>"
            return
        try:
            with connect(self.bar.db) as con:
                rows = con.sql("SELECT as_of, quality_score, warnings, loaded_at FROM loads "
                               "WHERE strftime(as_of, '%Y-%m') = ?", params=[as_of]).fetchall()
        except Exception:
            log.exception("snapshot header failed for %r", as_of)
            rows = []
        if not rows:
            self.widget.value = f"<div class='pmo-snapshot'>{html.escape(FRIENDLY_ERROR)}</div>"
            return
        day, score, warnings, loaded = rows[0]
        self.widget.value = (
            f"{STYLE}<div class='pmo-snapshot' data-key='snapshot'>Snapshot <b>{day:%d %b %Y}</b> · "
            f"data quality <b data-key='quality'>{score:.1f}/100</b> ({warnings} warnings) · "
            f"loaded {loaded:%d %b %Y %H:%M}</div>")


class HeadlineView(View):
    """The overview's tiles and its worst projects: largest expected overspend, with CPI and SPI(t)."""

    title = "Projects that need attention"
    question = ("The active projects with the largest expected overspend, with their cost (CPI) and schedule "
                "(SPI(t)) performance; every project on the quadrant below.")
    columns: ClassVar[list[str]] = ["project_id", "name", "portfolio", "rag", "budget", "forecast",
                                    "variance_pct", "cpi", "spi_t"]
    worst = 10

    def load(self, con, f):
        budget = metrics.budget_variance(con, **f)
        return {"headline": headline(con, **f, budget=budget), "budget": budget, "evm": metrics.evm(con, **f)}

    def make_table(self, frames, f):
        budget = frames["budget"]
        evm = frames["evm"][["project_id", "cpi", "spi_t"]]
        worst = budget.merge(evm, on="project_id", how="left")
        worst = worst[worst["status"].isin(["active", "on_hold"])]
        return worst.sort_values("variance_pct", ascending=False, na_position="last").head(self.worst)[self.columns]

    def draw(self, frames, f):
        return [figures.cpi_spi_quadrant(frames["evm"], title="Cost and schedule performance")]

    def refresh(self, *args):
        super().refresh(*args)
        h = self.frames.get("headline")
        self.tiles.value = STYLE + (headline_tiles(h.iloc[0]) if h is not None and len(h) and not self.message
                                    else "")

    def controls(self):
        self.tiles = W.HTML()
        return []


def kpi_tiles(table: pd.DataFrame) -> str:
    """The improvement KPIs of one snapshot as tiles: value, RAG, target and direction of travel.

    HTML rather than a figure: the overview redraws on every filter change and text is instant.
    """
    arrows = {"up": "▲", "down": "▼", "flat": "▶"}
    tiles = []
    for row in table.itertuples():
        if pd.isna(row.value):
            value = "n/a"
        elif row.unit == "%":
            value = f"{row.value:.1f}%"
        elif row.unit == "ratio":
            value = f"{row.value:.2f}"
        elif row.unit == "score":
            value = f"{row.value:.1f}"
        else:
            value = f"{row.value:,.0f}" + (" days" if row.unit == "days" else "")
        if pd.isna(row.trend):
            trend = ""
        elif row.trend == "flat":
            trend = f"{arrows['flat']} no change"
        else:
            trend = f"{arrows.get(row.trend, '')} {'better' if row.improving else 'worse'}"
        note = f"target {row.target:g}{'%' if row.unit == '%' else ''} {trend}".strip()
        tiles.append(tile(row.kpi, row.label, value, note, "" if pd.isna(row.rag) else row.rag))
    return "<div class='pmo-tiles'>" + "".join(tiles) + "</div>"


class KpiTilesView(KpiView):
    """The KPI tiles alone: the overview's answer to "is the PMO getting better?"."""

    def controls(self):
        self.tiles = W.HTML()
        return []

    def load(self, con, f):
        return {"kpis": metrics.kpis(con, **f)}

    def draw(self, frames, f):
        return []

    def refresh(self, *args):
        super().refresh(*args)
        self.tiles.value = "" if self.message else STYLE + kpi_tiles(self.table)


def _start(db, month) -> tuple[FilterBar, SnapshotHeader]:
    """The filter bar and the snapshot line, created before the views so the line updates first."""
    bar = FilterBar(db, month)
    return bar, SnapshotHeader(bar)


def _page(title: str, bar: FilterBar, header: SnapshotHeader, *parts: W.Widget) -> W.Widget:
    """Title, snapshot line and filter bar on top, then the dashboard's views."""
    top = W.VBox([W.HTML(f"<h2 style='margin:0'>{html.escape(title)}</h2>"), header.widget, bar.widget])
    return W.VBox([top, *parts], layout=W.Layout(padding="0 12px"))


def overview(db=None, month=None) -> W.Widget:
    """Headline tiles, the worst projects, the CPI/SPI quadrant and the improvement KPIs side by side."""
    bar, header = _start(db, month)
    head, kpis = HeadlineView(bar), KpiTilesView(bar)
    grid = W.GridspecLayout(1, 2, layout=W.Layout(grid_gap="16px", height="auto"))
    grid[0, 0], grid[0, 1] = head.widget, W.VBox([kpis.tiles, kpis.widget])
    return _page("PMO portfolio overview", bar, header, head.tiles, grid)


def budget(db=None, month=None) -> W.Widget:
    """Budget variance and earned value, drill-down to one project."""
    bar, header = _start(db, month)
    return _page("Budget and earned value", bar, header, BudgetView(bar).widget, EvmView(bar).widget)


def resources(db=None, month=None) -> W.Widget:
    """Resource load heatmap and over-allocation."""
    bar, header = _start(db, month)
    return _page("Resources", bar, header, ResourceView(bar).widget)


def risks(db=None, month=None) -> W.Widget:
    """The 5x5 matrix, exposure trend and top risks."""
    bar, header = _start(db, month)
    return _page("Risks", bar, header, RiskView(bar).widget)


def milestones(db=None, month=None) -> W.Widget:
    """Milestone slippage and the milestone trend analysis."""
    bar, header = _start(db, month)
    return _page("Milestones", bar, header, MilestoneView(bar).widget)
