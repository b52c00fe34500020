"""The view every area's view is: a header, its controls, a drill-down list and an Output with the
figures and the numbers under them as an escaped HTML table (`view.table` holds it as a DataFrame).

Rules the views keep (see DESIGN.md):
- one short-lived read-only connection per redraw, shared by the views it redraws (ui/reading.py):
  DuckDB locks the file, so none is held between redraws;
- redraws are coalesced (ui/redraws.py): a burst of changes costs one redraw of the last state;
- widget values are untrusted: they only reach SQL as bound parameters of the metrics functions;
- a viewer never sees a traceback: an error shows a one-line message (the details go to the log).
"""
from __future__ import annotations

import base64
import logging

import ipywidgets as W
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display

from pmo_analytics.exceptions import PMOError
from pmo_analytics.metrics.options import currencies
from pmo_analytics.present import tables, tiles
from pmo_analytics.ui.filterbar import ALL, WIDE, FilterBar
from pmo_analytics.ui.pictures import picture

log = logging.getLogger(__name__)

FRIENDLY_ERROR = ("This view could not be drawn for this selection. Try another month or filter; "
                  "if it persists, tell the PMO team (the details are in the server log).")


def show(fig) -> None:
    """Displays a figure as a PNG that carries its mark count (ui/pictures.py) and closes it (so the
    inline backend does not show it a second time); any other displayable (a finding, a table, a
    one-line note) is displayed as it is."""
    try:
        display(picture(fig))
    finally:
        if isinstance(fig, plt.Figure):
            plt.close(fig)


def display_data(obj) -> dict:
    """The output `display(obj)` would send: its mime bundle, formatted as the kernel formats it (the
    inline backend's PNG for a figure); outside IPython, IPython's default formats (HTML, text).
    Binary data (a PNG) is base64 text, as the kernel sends it: set as an Output widget's state, raw
    bytes would reach the page as a binary buffer, which it shows as a broken image."""
    from IPython import get_ipython
    from IPython.core.formatters import DisplayFormatter

    shell = get_ipython()
    formatter = shell.display_formatter if shell is not None else DisplayFormatter()
    data, metadata = formatter.format(obj)
    data = {k: base64.b64encode(v).decode("ascii") if isinstance(v, bytes) else v for k, v in data.items()}
    return {"output_type": "display_data", "data": data, "metadata": metadata}


class View:
    """One view: header, optional controls, a drill-down list and an Output with figures and table.

    Subclasses define `load(con, f) -> dict of DataFrames` (inside the short-lived connection),
    `make_table(frames, f) -> DataFrame` and `draw(frames, f) -> list of Figures` (or of HTML text, a
    one-line note where a figure's inputs are absent).
    """

    title = "View"
    question = ""
    drill_column: str | None = "project_id"
    max_rows = 100  # the table scrolls
    cached_reads = False  # True: load(reads, f) gets the bar's SharedReads and reads with reads.cached(key, build)

    def __init__(self, bar: FilterBar):
        self.bar = bar
        self.out = W.Output()
        self.table = pd.DataFrame()
        self.frames: dict[str, pd.DataFrame] = {}
        self.message: str | None = None
        self._drilling = False
        self.drill = W.Dropdown(description="Drill down to", options=[("(choose a project)", ALL)],
                                layout=W.Layout(width="auto", min_width="380px"), style=WIDE)
        self.back = W.Button(description="Back to all projects", icon="arrow-up",
                             layout=W.Layout(width="auto", display="none"))
        self.drill.observe(self._on_drill, names="value")
        self.back.on_click(lambda _button: self.bar.select_project(None))
        controls = [*self.controls(), self.drill, self.back]
        header = W.HTML(tiles.view_header(self.title, self.question))
        self.widget = W.VBox([header, W.HBox(controls), self.out])
        bar.on_change(self.refresh)
        self.refresh()  # the first draw is synchronous: a notebook or report shows it when the cell ends

    def redraw_soon(self) -> None:
        """Asks for a redraw (a control of this view changed): coalesced with the filter bar's."""
        self.bar.redraws.request(self.refresh)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # -- to override
    def controls(self) -> list[W.Widget]:
        return []

    def load(self, con, f: dict) -> dict[str, pd.DataFrame]:
        raise NotImplementedError

    def make_table(self, frames: dict, f: dict) -> pd.DataFrame:
        raise NotImplementedError

    def draw(self, frames: dict, f: dict) -> list:
        raise NotImplementedError

    # -- drawing
    def refresh(self, *_args) -> None:
        """Re-reads the data for the current filters and redraws; errors become a friendly message."""
        self.bar.sync()
        f = self.bar.filters()
        figs, before = [], set(plt.get_fignums())
        try:
            if not f["as_of"]:
                raise PMOError("No snapshot is loaded yet: load one with `pmo load` or `pmo demo`.")
            if self.cached_reads:  # load reads through bar.reads.cached: a connection only for what is not kept
                self.frames = self.load(self.bar.reads, f)
            else:
                with self.bar.reads.connection() as con:
                    self.frames = self.load(con, f)
            self.table = self.make_table(self.frames, f).reset_index(drop=True)
            figs = self.draw(self.frames, f)
            self.message = None
        except PMOError as exc:
            self.message = str(exc)
        except Exception:
            log.exception("%s failed for filters %r", type(self).__name__, f)
            self.message = FRIENDLY_ERROR
        if self.message:
            self.table = pd.DataFrame()
            for num in set(plt.get_fignums()) - before:
                plt.close(num)
            figs = []
        # draw may give HTML text (a one-line note in place of a figure whose inputs are absent)
        items = ([HTML(tiles.message(self.message))] if self.message
                 else [HTML(x) if isinstance(x, str) else picture(x) for x in figs]
                 + [HTML(tables.html_table(self.table, self.max_rows, currency=self._currency()))])
        try:
            self.show(items)
        finally:
            for fig in figs:
                if isinstance(fig, plt.Figure):  # a str or a Note (anything with _repr_html_) is no figure
                    plt.close(fig)
        self._update_drill(f)

    def _currency(self) -> str | None:
        """The selection's currency, for money cells of a table without a currency column of its own."""
        try:
            return currencies(self.bar.selected())
        except Exception:  # noqa: BLE001 - a table without its symbol beats no table
            return None

    def show(self, items: list, clear: bool = True) -> None:
        """Shows items (figures, HTML) in the view's Output, in place of what it showed (or after it).

        `with out:` sends the items as outputs of the request the kernel is handling, which the page
        files under the Output widget only until that request is answered; a coalesced redraw runs
        later, from the event loop, so it sets the Output's outputs itself.
        """
        if self.bar.redraws.deferred:
            shown = tuple(display_data(item) for item in items)
            self.out.outputs = shown if clear else self.out.outputs + shown
            return
        if clear:
            self.out.outputs = ()  # drop what a coalesced redraw set, so the next one is sent again
        with self.out:
            if clear:
                self.out.clear_output(wait=True)
            for item in items:
                display(item)

    # -- drill-down
    def _update_drill(self, f: dict) -> None:
        column = self.drill_column
        in_project = bool(f["project_ids"])
        self.back.layout.display = "" if in_project else "none"
        self.drill.layout.display = "none" if in_project or column is None else ""
        if column is None or column not in self.table.columns:
            options = []
        else:
            names = next((c for c in ("name", "project_name") if c in self.table.columns), None)
            rows = self.table.drop_duplicates(column)
            options = [(f"{r[column]} {'' if names is None or pd.isna(r[names]) else r[names]}".strip(),
                        str(r[column])) for _, r in rows.iterrows()]
        self._drilling = True
        try:
            self.drill.options = [("(choose a project)", ALL)] + options
            self.drill.value = ALL
        finally:
            self._drilling = False

    def _on_drill(self, change) -> None:
        if not self._drilling and change.new:
            self.bar.redraws.request(self._drill)

    def _drill(self) -> None:
        if self.drill.value:  # the latest choice; a redraw since may have reset the list
            self.bar.select_project(self.drill.value)


__all__ = ["FRIENDLY_ERROR", "View", "display_data", "show"]
