"""The improvement-KPI view: each KPI against its target with its history, and the spread behind the medians."""
from __future__ import annotations

from typing import ClassVar

import ipywidgets as W

from pmo_analytics.metrics import improvement as kpi_metrics
from pmo_analytics.present import figures, tables
from pmo_analytics.ui.views.base import View


class KpiView(View):
    title = "Improvement KPIs"
    question = ("Is the PMO getting better? Each KPI against its target (green / amber / red) with its "
                "history, and the spread of project CPI or SPI(t) behind the medians.")
    drill_column = None
    columns: ClassVar[list[str]] = ["kpi", "label", "unit", "value", "n", "n_missing", "target", "rag", "trend",
                                    "improving"]
    measures: ClassVar[dict[str, str]] = {"cpi": "CPI", "spi_t": "SPI(t)"}

    def controls(self):
        self.measure = W.ToggleButtons(options=[(label, key) for key, label in self.measures.items()], value="cpi",
                                       style={"button_width": "60px"})
        self.measure.observe(lambda _change: self.redraw_soon(), names="value")
        return [self.measure]

    def load(self, con, f):
        return {"kpis": kpi_metrics.kpis(con, **f),
                "distribution": kpi_metrics.kpi_distribution(con, measure=self.measure.value, **f)}

    def make_table(self, frames, f):
        latest = self.latest(frames)
        return tables.kpi_table(latest).frame if len(latest) else latest[self.columns]

    @staticmethod
    def latest(frames):
        """The KPIs of the snapshot shown (kpis gives every snapshot up to it, for the history)."""
        k = frames["kpis"]
        return k.reindex(columns=kpi_metrics.COLUMNS) if k.empty else k[k["as_of"] == k["as_of"].max()]

    def draw(self, frames, f):
        return [figures.kpi_tiles(frames["kpis"]),
                figures.kpi_distribution_chart(frames["distribution"],
                                               title=f"Spread of project {self.measures[self.measure.value]}")]


__all__ = ["KpiView"]
