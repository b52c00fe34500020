"""The budget and earned-value views: where will we overspend, and are projects delivering the value planned?"""
from __future__ import annotations

from typing import ClassVar

from pmo_analytics import metrics
from pmo_analytics.periods import month_end
from pmo_analytics.present import figures, tiles
from pmo_analytics.ui.views.base import View


class BudgetView(View):
    title = "Budget variance"
    question = ("Where will we spend more than approved? Budget, forecast, open commitments and actuals "
                "per project, largest overspend first, and the cumulative spend curve of the selection.")
    columns: ClassVar[list[str]] = ["project_id", "name", "portfolio", "status", "currency", "budget", "forecast", "committed",
               "consumed", "variance", "variance_pct", "over_budget"]

    def load(self, con, f):
        return {"variance": metrics.budget_variance(con, **f), "curve": metrics.budget_curve(con, **f)}

    def make_table(self, frames, f):
        v = frames["variance"]
        return v.sort_values("variance", ascending=False, na_position="last")[self.columns]

    def draw(self, frames, f):
        curve = figures.budget_s_curve(frames["curve"], currency=self.bar.currency,
                                       as_of=month_end(f["as_of"]).replace(day=1))
        if f["project_ids"]:
            return [curve]
        return [figures.budget_variance_chart(frames["variance"]), curve]


class EvmView(View):
    title = "Earned value"
    question = ("Are projects delivering the value planned for what they cost? CPI against SPI(t) per "
                "project (bottom-left = behind and over budget), the EAC against the bottom-up forecast, "
                "and the PV / EV / AC curves.")
    columns: ClassVar[list[str]] = ["project_id", "name", "portfolio", "status", "bac", "pv", "ev", "ac", "cpi",
                                    "spi_t", "eac", "forecast", "eac_gap_pct", "vac", "forecast_finish",
                                    "actual_finish"]

    def load(self, con, f):
        return {"evm": metrics.evm(con, **f), "series": metrics.evm_series(con, **f)}

    def make_table(self, frames, f):
        return frames["evm"].sort_values(["cpi", "project_id"], na_position="last")[self.columns]

    def draw(self, frames, f):
        curve = figures.evm_s_curve(frames["series"], currency=self.bar.currency)  # PV and AC need no progress
        if f["project_ids"]:
            return [curve]
        return [quadrant(frames["evm"]), curve]


def quadrant(evm, title: str = "Cost and schedule performance (CPI vs SPI(t))"):
    """The CPI / SPI(t) quadrant of evm's frame, or one line in its place when no project of the
    selection reported progress (so none has a CPI or SPI(t))."""
    if len(evm) and not evm["progress_reported"].any():
        return tiles.progress_not_reported(len(evm))
    return figures.cpi_spi_quadrant(evm, title=title, schedule="spi_t")


__all__ = ["BudgetView", "EvmView", "quadrant"]
