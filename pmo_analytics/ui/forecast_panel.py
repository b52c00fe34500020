"""The risk-adjusted forecast panel of the overview and budget dashboards (issue 16): the stored
forecast of the filter bar's snapshot, read in a few small queries (pmo forecast and pmo month
compute it), so opening a dashboard never runs a Monte Carlo."""
from __future__ import annotations

import logging

import ipywidgets as W

from pmo_analytics.metrics.forecast_store import latest_forecast
from pmo_analytics.metrics.options import snapshot_currency
from pmo_analytics.present import tiles
from pmo_analytics.ui.filterbar import FilterBar
from pmo_analytics.ui.views.base import FRIENDLY_ERROR

log = logging.getLogger(__name__)

TITLE = "Risk-adjusted forecast"
QUESTION = ("How likely are the projects still to finish to come in within budget? Cost at completion at P50, "
            "P80 and P90 from each project's own CPI and SPI(t) history and its open risks, for the whole "
            "snapshot (the filters do not apply: quantiles do not add up).")
ABSENT = ("No risk-adjusted forecast is stored for this snapshot yet; the PMO computes it with each month's "
          "load (pmo month, or pmo forecast).")


class ForecastPanel:
    """A header and the forecast tiles, redrawn when the filter bar's month changes."""

    def __init__(self, bar: FilterBar):
        self.bar = bar
        self.stored: dict | None = None
        self.widget = W.HTML()
        self._shown: tuple | None = None  # (month, database file) drawn: other filters change nothing here
        bar.on_change(self.refresh)
        self.refresh()

    def refresh(self, *_args) -> None:
        as_of = self.bar.filters()["as_of"]
        head = tiles.STYLE + tiles.view_header(TITLE, QUESTION)
        shown, self._shown = self._shown, (as_of, self.bar.reads.version())
        if as_of and shown == self._shown and shown[1] is not None:
            return
        if not as_of:
            self.widget.value = ""
            return
        try:
            with self.bar.reads.connection() as con:
                self.stored = latest_forecast(con, as_of)
                currency = snapshot_currency(con, as_of)
        except Exception:
            log.exception("forecast panel failed for %r", as_of)
            self._shown = None
            self.widget.value = head + tiles.message(FRIENDLY_ERROR)
            return
        if self.stored is None or self.stored["portfolio"].empty:
            self.widget.value = head + tiles.message(ABSENT)
            return
        self.widget.value = head + tiles.forecast_tiles(self.stored["portfolio"].iloc[0], self.stored["run"].iloc[0],
                                                        currency)
