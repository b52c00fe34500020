"""Interactive views for notebooks and Voila dashboards.

One `FilterBar` (snapshot month, portfolio, program, department, project) is shared by every view. Each
view (BudgetView, EvmView, ResourceView, RiskView, MilestoneView, KpiView, DriftView) owns an
`ipywidgets.Output`, redraws when a filter changes, and shows its figures with the numbers under them
as an escaped HTML table; `view.table` holds that table as a DataFrame. Choosing a project in a view's
"Drill down to" list sets the FilterBar's project, which redraws every view for that project.

Rules the views keep (see DESIGN.md):
- a short-lived read-only connection per redraw: DuckDB locks the file, so none is held between redraws;
- redraws are coalesced (`Redraws`): in a dashboard a change only schedules a redraw on the kernel's
  event loop, and a burst of changes (a key held down, a hostile websocket) costs one redraw of the
  last state, not one per message; in plain Python and while a notebook cell runs (papermill, nbval)
  a change redraws at once, and `FilterBar.flush()` runs a pending redraw now;
- widget values are untrusted: they only reach SQL as bound parameters of the metrics functions, and a
  dropdown only accepts values from its own options (read from the database);
- a viewer never sees a traceback: an error shows a one-line message (the details go to the log).
"""
from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import os
from pathlib import Path
from typing import ClassVar

import ipywidgets as W
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display

from pmo_analytics import metrics
from pmo_analytics.exceptions import PMOError
from pmo_analytics.metrics import scope as filters
from pmo_analytics.present import figures
from pmo_analytics.settings import REDRAW_DELAY, SAMPLE_DIR, db_path
from pmo_analytics.store import loads
from pmo_analytics.store.connection import connect

log = logging.getLogger(__name__)

ALL = ""  # a dropdown's "no filter" value (ipywidgets treats None as "nothing selected")
FRIENDLY_ERROR = ("This view could not be drawn for this selection. Try another month or filter; "
                  "if it persists, tell the PMO team (the details are in the server log).")
_WIDE = {"description_width": "initial"}


# ------------------------------------------------------------------------------ helpers
def _find_upwards(relative: Path) -> Path | None:
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / relative).exists():
            return folder / relative
    return None


def resolve_db(db=None) -> Path:
    """The database to read: `db`, then $PMO_DB, then data/pmo.duckdb found from the working directory
    upwards (a notebook in notebooks/ runs there, so it finds the project's data/pmo.duckdb)."""
    target = db_path(db)
    if target.is_absolute() or target.exists():
        return target
    return _find_upwards(target) or target


def exports_folder(folder=None) -> Path:
    """The folder of exports notebook 01 checks: `folder`, then $PMO_EXPORTS, then the latest month
    folder of the demo sample (data/sample/YYYY-MM, found from the working directory upwards)."""
    if folder:
        return Path(folder)
    if os.environ.get("PMO_EXPORTS"):
        return Path(os.environ["PMO_EXPORTS"])
    sample = _find_upwards(Path(str(SAMPLE_DIR.default)))
    if sample is None:
        return Path(str(SAMPLE_DIR.default))
    months = sorted(p for p in sample.iterdir() if p.is_dir() and p.name[:4].isdigit())
    return months[-1] if months else sample


def snapshot_currency(con, as_of=None, **project_filters) -> str | None:
    """The currency (or 'EUR,GBP' for a mix) of the snapshot's projects that the filters select."""
    snapshot = filters.resolve_as_of(con, as_of)
    cond, params = filters.project_where("p", **project_filters)
    rows = con.sql(f"SELECT DISTINCT currency FROM projects p WHERE p.as_of = ? AND {cond} "
                   "AND currency IS NOT NULL ORDER BY 1", params=[snapshot, *params]).fetchall()
    return ",".join(r[0] for r in rows) or None


def show(fig) -> None:
    """Displays a figure and closes it (so the inline backend does not show it a second time)."""
    try:
        display(fig)
    finally:
        plt.close(fig)


def _cell(value) -> str:
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return "–"
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"
    return str(value)


def html_table(df: pd.DataFrame, max_rows: int = 25) -> str:
    """The frame as an HTML table, every header and cell escaped; long tables are cut at max_rows."""
    if df is None or df.empty:
        return f"<p><i>{html.escape(figures.NO_DATA)}</i></p>"
    shown = df.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c).replace('_', ' '))}</th>" for c in shown.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
        for row in shown.itertuples(index=False, name=None))
    note = (f"<p style='color:#868e96;margin:4px 0'>{len(shown)} of {len(df)} rows shown</p>"
            if len(df) > len(shown) else "")
    return ("<div style='max-height:480px;overflow:auto'>"
            "<table class='pmo-table' style='border-collapse:collapse;font-size:12px'>"
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>{note}"
            "<style>.pmo-table th,.pmo-table td{padding:2px 8px;border-bottom:1px solid #dee2e6;"
            "text-align:right}.pmo-table th{background:#f1f3f5;position:sticky;top:0}</style>")


def _display_data(obj) -> dict:
    """The output `display(obj)` would send: its mime bundle, formatted as the kernel formats it (the
    inline backend's PNG for a figure); outside IPython, IPython's default formats (HTML, text)."""
    from IPython import get_ipython
    from IPython.core.formatters import DisplayFormatter

    shell = get_ipython()
    formatter = shell.display_formatter if shell is not None else DisplayFormatter()
    data, metadata = formatter.format(obj)
    return {"output_type": "display_data", "data": data, "metadata": metadata}


def _message(text: str) -> HTML:
    return HTML("<div style='padding:12px;background:#fff9db;border-left:4px solid #f59f00'>"
                f"{html.escape(text)}</div>")


def _set_options(dropdown: W.Dropdown, options: list[tuple[str, str]]) -> None:
    """New options; keeps the current value when it is still offered, else 'All' (the first)."""
    current = dropdown.value
    if list(dropdown.options) != options:
        dropdown.options = options
    dropdown.value = current if current in {v for _, v in options} else options[0][1]


# ------------------------------------------------------------------------------ coalesced redraws
def _in_cell() -> bool:
    """True while an IPython kernel runs a cell (its current shell request is an execute_request):
    code in a cell that sets a filter and then reads `view.table` sees the new table at once."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    get_parent = getattr(getattr(get_ipython(), "kernel", None), "get_parent", None)
    if get_parent is None:
        return False
    try:
        parent = get_parent("shell") or {}
    except Exception:  # noqa: BLE001 - another kernel's API: then behave as outside a cell
        return False
    return parent.get("header", {}).get("msg_type") == "execute_request"


def _loop_for_redraws() -> asyncio.AbstractEventLoop | None:
    """The running event loop (a kernel's tornado IOLoop runs on asyncio) when redraws may wait for
    it; None when they must run at once (no loop running, or inside a notebook cell)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return None if _in_cell() else loop


class Redraws:
    """Coalesces redraws: latest wins.

    `request(callback)` runs callback on the running event loop once `delay` seconds have passed
    without another request (the timer restarts with each one), so a stream of widget messages
    (queued in the kernel faster than `delay` apart) costs one redraw when it ends, not one per
    message, and the messages are read at full speed meanwhile. Requests for a callback already
    pending are merged into it; callbacks read the widget values when they run, so the last change
    wins. With `first=True` the callback runs before the others (the filter bar narrows its options
    before the views redraw). Callbacks requested while a flush runs run in that flush.

    Without a running loop (plain Python, tests), inside a notebook cell (nbval, papermill reports:
    the notebook must show the final state when the cell ends) or with `delay` 0, a request runs at
    once. `flush()` runs whatever is pending now. `deferred` is True while callbacks run from the
    loop's timer, after the widget message that asked for them was answered (see `View.show`).
    """

    def __init__(self, delay: float | None = None):
        if delay is None:
            try:
                delay = min(max(0.0, float(REDRAW_DELAY.value())), 10.0)  # nan becomes 0
            except (TypeError, ValueError):
                log.warning("%s=%r is not a number of seconds; using %s", REDRAW_DELAY.env,
                            REDRAW_DELAY.value(), REDRAW_DELAY.default)
                delay = REDRAW_DELAY.default
        self.delay = float(delay)
        self.runs = 0  # callbacks run so far
        self.deferred = False
        self._pending: dict = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        self._due = 0.0
        self._flushing = False

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def request(self, callback, first: bool = False) -> None:
        if first:
            self._pending.pop(callback, None)
            self._pending = {callback: None, **self._pending}
        else:
            self._pending.setdefault(callback, None)
        if self._flushing:
            return
        loop = _loop_for_redraws() if self.delay > 0 else None
        if loop is None:
            self.flush()
            return
        self._due = loop.time() + self.delay
        if self._timer is None or self._timer_loop is not loop:  # none yet, or left on a closed loop
            if self._timer is not None:
                self._timer.cancel()
            self._timer, self._timer_loop = loop.call_at(self._due, self._fire, loop), loop

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        if loop.time() + 0.001 < self._due:  # asked again meanwhile: wait `delay` after the last ask
            self._timer = loop.call_at(self._due, self._fire, loop)
            return
        self.deferred = True
        try:
            self.flush()
        finally:
            self.deferred = False

    def flush(self) -> None:
        """Runs the pending callbacks now, in order; one that fails is logged and the others still run."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flushing:
            return
        self._flushing = True
        failed = None
        try:
            while self._pending:
                callback = next(iter(self._pending))
                del self._pending[callback]
                self.runs += 1
                try:
                    callback()
                except Exception as exc:  # noqa: BLE001 - re-raised once the others have run
                    log.exception("redraw %r failed", callback)
                    failed = failed or exc
        finally:
            self._flushing = False
        if failed is not None:
            raise failed


# ------------------------------------------------------------------------------ the filter bar
class FilterBar:
    """The filters every view shares: month, portfolio, program, department and project.

    Options come from the database (the projects of the chosen month, read with bound parameters);
    program, department and project options narrow to the portfolio (and program, department) chosen.
    `filters()` gives the metrics keyword arguments; `on_change(callback)` is called once per change,
    or in a dashboard once per burst of changes (`redraws` coalesces them; `flush()` runs them now).
    """

    def __init__(self, db=None, month=None):
        self.db = resolve_db(db)
        layout = W.Layout(width="auto", min_width="210px")
        self.month = W.Dropdown(description="Month", options=[("–", ALL)], layout=layout, style=_WIDE)
        self.portfolio = W.Dropdown(description="Portfolio", layout=layout, style=_WIDE)
        self.program = W.Dropdown(description="Program", layout=layout, style=_WIDE)
        self.department = W.Dropdown(description="Department", layout=layout, style=_WIDE)
        self.project = W.Dropdown(description="Project", layout=W.Layout(width="auto", min_width="360px"),
                                  style=_WIDE)
        self.status = W.HTML()
        self.projects = pd.DataFrame(columns=["project_id", "name", "portfolio", "program", "department",
                                              "currency"])
        self.currency: str | None = None
        self._listeners = []
        self._busy = False
        self._stale = False  # a value changed and the options are not narrowed to it yet
        self._projects_for: str | None = None  # the month whose projects `projects` holds
        self.redraws = Redraws()
        self.widget = W.VBox([W.HBox([self.month, self.portfolio, self.program]),
                              W.HBox([self.department, self.project]), self.status])
        self._busy = True
        try:
            self._read_months(month)
            self._read_projects()
            self._narrow()
        finally:
            self._busy = False
        for dropdown in self.dropdowns:
            dropdown.observe(self._on_value, names="value")

    @property
    def dropdowns(self) -> tuple[W.Dropdown, ...]:
        return (self.month, self.portfolio, self.program, self.department, self.project)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # -- reading options
    def _read_months(self, month) -> None:
        try:
            with connect(self.db) as con:
                months = loads.months(con)
        except Exception as exc:  # noqa: BLE001 - a missing or unreadable database: say so, offer nothing
            self._warn(exc)
            months = []
        options = [(f"{m:%b %Y}", f"{m:%Y-%m}") for m in reversed(months)] or [("no snapshot", ALL)]
        self.month.options = options
        wanted = ALL
        if month:
            with contextlib.suppress(PMOError):
                wanted = f"{filters.month_end(month):%Y-%m}"
        self.month.value = wanted if wanted in {v for _, v in options} else options[0][1]
        if month and wanted != self.month.value:
            self.status.value = (f"<span style='color:#e8590c'>No snapshot for {html.escape(str(month))}; "
                                 "showing the latest.</span>")

    def _read_projects(self) -> None:
        self._projects_for = self.month.value
        if not self.month.value:
            self.projects = self.projects.iloc[0:0]
            return
        try:
            with connect(self.db) as con:
                self.projects = con.sql(
                    "SELECT project_id, name, portfolio, program, department, currency FROM projects "
                    "WHERE as_of = ? ORDER BY project_id",
                    params=[filters.month_end(self.month.value)]).df()
        except Exception as exc:  # noqa: BLE001 - shown as a message, logged
            self._warn(exc)
            self.projects = self.projects.iloc[0:0]

    def _warn(self, exc: Exception) -> None:
        text = str(exc) if isinstance(exc, PMOError) else "The database could not be read."
        if not isinstance(exc, PMOError):
            log.exception("FilterBar could not read %s", self.db)
        self.status.value = f"<span style='color:#e8590c'>{html.escape(text)}</span>"

    def _narrow(self) -> None:
        """Each dropdown offers the values within the choices to its left (portfolio > program > ...)."""
        rows = self.projects

        def values(frame, column, label):
            found = sorted(str(v) for v in frame[column].dropna().unique())
            return [(f"All {label}", ALL)] + [(v, v) for v in found]

        _set_options(self.portfolio, values(rows, "portfolio", "portfolios"))
        for dropdown, column, label in ((self.program, "program", "programs"),
                                        (self.department, "department", "departments")):
            rows = rows[rows["portfolio"] == self.portfolio.value] if self.portfolio.value else rows
            if dropdown is self.department and self.program.value:
                rows = rows[rows["program"] == self.program.value]
            _set_options(dropdown, values(rows, column, label))
        if self.department.value:
            rows = rows[rows["department"] == self.department.value]
        _set_options(self.project, [("All projects", ALL)] + [
            (f"{r.project_id} {'' if pd.isna(r.name) else r.name}", str(r.project_id))
            for r in rows.itertuples()])
        chosen = self.selected()
        codes = sorted({c for c in chosen["currency"].dropna().astype(str)}) if len(chosen) else []
        self.currency = ",".join(codes) or None

    # -- state
    def selected(self) -> pd.DataFrame:
        """The month's projects that the current filters select."""
        rows = self.projects
        for dropdown, column in ((self.portfolio, "portfolio"), (self.program, "program"),
                                 (self.department, "department"), (self.project, "project_id")):
            if dropdown.value:
                rows = rows[rows[column] == dropdown.value]
        return rows

    def filters(self) -> dict:
        """The metrics keyword arguments: as_of, portfolio, program, department, project_ids (None = all)."""
        return {"as_of": self.month.value or None, "portfolio": self.portfolio.value or None,
                "program": self.program.value or None, "department": self.department.value or None,
                "project_ids": self.project.value or None}

    def on_change(self, callback) -> None:
        """Calls callback() after every change of the filters (one call per user action; in a
        dashboard one call per burst of changes, reading the values when it runs)."""
        self._listeners.append(callback)

    def flush(self) -> None:
        """Runs the pending narrowing and redraws now (a report or a test that needs the final state)."""
        self.redraws.flush()

    def sync(self) -> None:
        """Narrows the options to the current values if a change is not applied yet (re-reading the
        projects when the month changed)."""
        if not self._stale:
            return
        self._busy = True
        try:
            if self.month.value != self._projects_for:
                self._read_projects()
            self._narrow()
        finally:
            self._busy = False
            self._stale = False

    def select_project(self, project_id) -> None:
        """Drills down to a project of the month (or back to all projects with None / '')."""
        self.sync()
        if not project_id:
            self.project.value = ALL
            return
        row = self.projects[self.projects["project_id"] == str(project_id)]
        if row.empty:
            return  # not a project of this month: ignore (the value may come from a browser)
        if str(project_id) not in {v for _, v in self.project.options}:
            self._busy = True  # widen the filters to the project's own portfolio first
            try:
                self.department.value = self.program.value = ALL
                self.portfolio.value = str(row["portfolio"].iloc[0])
                self._narrow()
            finally:
                self._busy = False
        self.project.value = str(project_id)

    def _on_value(self, _change) -> None:
        if self._busy:
            return
        self._stale = True
        self.redraws.request(self._apply, first=True)

    def _apply(self) -> None:
        """Narrows the options to the latest values, then redraws every listener once."""
        self.sync()
        for callback in list(self._listeners):
            self.redraws.request(callback)


# ------------------------------------------------------------------------------ views
class View:
    """One view: header, optional controls, a drill-down list and an Output with figures and table.

    Subclasses define `load(con, f) -> dict of DataFrames` (inside the short-lived connection),
    `make_table(frames, f) -> DataFrame` and `draw(frames, f) -> list of Figures`.
    """

    title = "View"
    question = ""
    drill_column: str | None = "project_id"
    max_rows = 100  # the table scrolls

    def __init__(self, bar: FilterBar):
        self.bar = bar
        self.out = W.Output()
        self.table = pd.DataFrame()
        self.frames: dict[str, pd.DataFrame] = {}
        self.message: str | None = None
        self._drilling = False
        self.drill = W.Dropdown(description="Drill down to", options=[("(choose a project)", ALL)],
                                layout=W.Layout(width="auto", min_width="380px"), style=_WIDE)
        self.back = W.Button(description="Back to all projects", icon="arrow-up",
                             layout=W.Layout(width="auto", display="none"))
        self.drill.observe(self._on_drill, names="value")
        self.back.on_click(lambda _button: self.bar.select_project(None))
        controls = [*self.controls(), self.drill, self.back]
        header = W.HTML(f"<h3 style='margin:4px 0'>{html.escape(self.title)}</h3>"
                        f"<p style='margin:0 0 6px;color:#495057'>{html.escape(self.question)}</p>")
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
            with connect(self.bar.db) as con:
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
        items = [_message(self.message)] if self.message else [*figs, HTML(html_table(self.table, self.max_rows))]
        try:
            self.show(items)
        finally:
            for fig in figs:
                plt.close(fig)
        self._update_drill(f)

    def show(self, items: list, clear: bool = True) -> None:
        """Shows items (figures, HTML) in the view's Output, in place of what it showed (or after it).

        `with out:` sends the items as outputs of the request the kernel is handling, which the page
        files under the Output widget only until that request is answered; a coalesced redraw runs
        later, from the event loop, so it sets the Output's outputs itself.
        """
        if self.bar.redraws.deferred:
            shown = tuple(_display_data(item) for item in items)
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
                                       as_of=filters.month_end(f["as_of"]).replace(day=1))
        if f["project_ids"]:
            return [curve]
        return [figures.budget_variance_chart(frames["variance"]), curve]


class EvmView(View):
    title = "Earned value"
    question = ("Are projects delivering the value planned for what they cost? CPI against SPI per "
                "project (bottom-left = behind and over budget) and the PV / EV / AC curves.")
    columns: ClassVar[list[str]] = ["project_id", "name", "portfolio", "bac", "pv", "ev", "ac", "cpi", "spi", "eac", "vac",
               "spi_t", "forecast_finish"]

    def load(self, con, f):
        return {"evm": metrics.evm(con, **f), "series": metrics.evm_series(con, **f)}

    def make_table(self, frames, f):
        return frames["evm"].sort_values(["cpi", "project_id"], na_position="last")[self.columns]

    def draw(self, frames, f):
        curve = figures.evm_s_curve(frames["series"], currency=self.bar.currency)
        return [curve] if f["project_ids"] else [figures.cpi_spi_quadrant(frames["evm"]), curve]


class ResourceView(View):
    title = "Resource load"
    question = ("Who is overloaded, and when? Planned hours against capacity per team (or person) and "
                "week; red is over-allocated. The table lists each run of over-allocated weeks.")
    drill_column = None

    def controls(self):
        self.by = W.ToggleButtons(options=[("Auto", "auto"), ("Team", "team"), ("Person", "resource"),
                                           ("Role", "role")], value="auto", style={"button_width": "70px"})
        self.by.observe(lambda _change: self.redraw_soon(), names="value")
        return [self.by]

    def grouping(self, f) -> str:
        if self.by.value != "auto":
            return self.by.value
        return "resource" if f["project_ids"] else "team"

    def load(self, con, f):
        return {"load": metrics.resource_load(con, by=self.grouping(f), **f),
                "over": metrics.over_allocations(con, **f)}

    def make_table(self, frames, f):
        return frames["over"]

    def draw(self, frames, f):
        return [figures.resource_heatmap(frames["load"], by=self.grouping(f),
                                         as_of=filters.month_end(f["as_of"]))]


class RiskView(View):
    title = "Risks"
    question = ("Which risks threaten the portfolio and is exposure growing? Active risks by probability "
                "and impact, exposure (EMV) per snapshot, and the largest risks.")
    columns: ClassVar[list[str]] = ["risk_id", "project_id", "project_name", "title", "status", "owner", "probability",
               "impact", "score", "emv", "due_date", "overdue"]

    def load(self, con, f):
        by = "project" if f["project_ids"] else "program" if f["portfolio"] else "portfolio"
        trend_filters = {k: v for k, v in f.items() if k != "as_of"}
        return {"matrix": metrics.risk_matrix(con, **f),
                "trend": metrics.exposure_trend(con, by=by, period_to=f["as_of"], **trend_filters),
                "top": metrics.top_risks(con, n=15, **f)}

    def make_table(self, frames, f):
        return frames["top"][self.columns]

    def draw(self, frames, f):
        trend = frames["trend"]
        if "project_id" in trend.columns:
            trend = trend.drop(columns=["project_name", "portfolio"], errors="ignore")
        return [figures.risk_matrix_chart(frames["matrix"]),
                figures.exposure_trend_chart(trend, currency=self.bar.currency)]


class MilestoneView(View):
    title = "Milestones"
    question = ("Which milestones slip, and is the slip getting worse? Forecast dates snapshot by "
                "snapshot (a rising line slips). Without a project: the most slipped open milestones.")
    lines = 8

    def load(self, con, f):
        slippage = metrics.milestone_slippage(con, **f)
        if f["project_ids"]:
            keys = slippage[["project_id", "milestone_id"]]
        else:
            open_ = slippage[slippage["state"].isin(["missed", "likely_to_miss"])]
            keys = open_.sort_values(["slip_days", "project_id"], ascending=[False, True]).head(self.lines)
            keys = keys[["project_id", "milestone_id"]]
        trend_filters = {k: v for k, v in f.items() if k not in ("as_of", "project_ids")}
        ids = sorted(keys["project_id"].unique())
        trend = (metrics.milestone_trend(con, project_ids=ids, period_to=f["as_of"], **trend_filters)
                 if ids else slippage.iloc[0:0])
        trend = trend.merge(keys, on=["project_id", "milestone_id"]) if ids else trend
        frames = {"slippage": slippage, "trend": trend}
        if not f["project_ids"]:
            frames["summary"] = metrics.milestone_summary(con, by="project", **f)
        return frames

    def make_table(self, frames, f):
        if f["project_ids"]:
            return frames["slippage"][["project_id", "milestone_id", "name", "baseline_date",
                                       "forecast_date", "actual_date", "slip_days", "state"]]
        return frames["summary"].sort_values(["max_slip_days", "project_id"], ascending=[False, True],
                                             na_position="last")

    def draw(self, frames, f):
        title = "Milestone trend analysis" + ("" if f["project_ids"] else
                                              f": the {self.lines} most slipped open milestones")
        return [figures.milestone_trend_chart(frames["trend"], title=title)]


class KpiView(View):
    title = "Improvement KPIs"
    question = ("Is the PMO getting better? Each KPI against its target (green / amber / red) with its "
                "history, and the spread of project CPI or SPI behind the medians.")
    drill_column = None
    columns: ClassVar[list[str]] = ["kpi", "label", "unit", "value", "target", "rag", "trend", "improving"]

    def controls(self):
        self.measure = W.ToggleButtons(options=[("CPI", "cpi"), ("SPI", "spi")], value="cpi",
                                       style={"button_width": "60px"})
        self.measure.observe(lambda _change: self.redraw_soon(), names="value")
        return [self.measure]

    def load(self, con, f):
        from pmo_analytics.metrics import improvement as kpi_metrics
        return {"kpis": kpi_metrics.kpis(con, **f),
                "distribution": kpi_metrics.kpi_distribution(con, measure=self.measure.value, **f)}

    def make_table(self, frames, f):
        k = frames["kpis"]
        if k.empty:
            return k.reindex(columns=self.columns)
        return k[k["as_of"] == k["as_of"].max()][self.columns]

    def draw(self, frames, f):
        return [figures.kpi_tiles(frames["kpis"]),
                figures.kpi_distribution_chart(frames["distribution"],
                                               title=f"Spread of project {self.measure.value.upper()}")]


class DriftView(View):
    title = "What changed since last month"
    question = ("What moved between two snapshots? Each project's change in the chosen measure (largest "
                "first, positive = worse) and the net change; risks raised and closed; milestones that "
                "slipped.")
    columns: ClassVar[list[str]] = ["project_id", "name", "portfolio", "measure", "before", "after", "change", "change_pct",
               "direction"]
    lists: ClassVar[dict[str, tuple[str, list[str]]]] = {"new_risks": ("Risks raised", ["risk_id", "project_id", "title", "status", "score", "emv"]),
             "closed_risks": ("Risks closed", ["risk_id", "project_id", "title", "status_after",
                                               "emv_before"]),
             "slipped_milestones": ("Milestones that slipped", ["project_id", "milestone_id", "name",
                                                                "forecast_before", "forecast_after",
                                                                "slip_days", "state"])}

    def controls(self):
        self._busy = False
        self._for = None
        self.previous = W.Dropdown(description="Compared with", style=_WIDE,
                                   layout=W.Layout(width="auto", min_width="220px"))
        self.measure = W.Dropdown(description="Measure", options=[("forecast", "forecast")],
                                  style=_WIDE, layout=W.Layout(width="auto", min_width="200px"))
        self.previous.observe(self._control_changed, names="value")
        self.measure.observe(self._control_changed, names="value")
        return [self.previous, self.measure]

    def _control_changed(self, _change):
        if not self._busy:
            self.redraw_soon()

    def _previous_options(self, f) -> None:
        """The snapshots before the chosen month; after a month change, the one just before it."""
        months = [v for _, v in self.bar.month.options if v and v < f["as_of"]]
        options = [(pd.Timestamp(f"{m}-01").strftime("%b %Y"), m) for m in months] or [("–", ALL)]
        self._busy = True
        try:
            current = self.previous.value
            self.previous.options = options
            keep = current in months and self._for == f["as_of"]
            self.previous.value = current if keep else options[0][1]
            self._for = f["as_of"]
        finally:
            self._busy = False

    def load(self, con, f):
        from pmo_analytics.metrics import changes as drift_metrics
        self._previous_options(f)
        if not self.previous.value:
            raise PMOError("There is no earlier snapshot to compare with.")
        kw = {k: v for k, v in f.items() if k != "as_of"}
        args = (con, f["as_of"], self.previous.value)
        frames = {"drift": drift_metrics.drift(*args, **kw)}
        for name in self.lists:
            frames[name] = getattr(drift_metrics, name)(*args, **kw)
        return frames

    def make_table(self, frames, f):
        d = frames["drift"]
        measures = list(dict.fromkeys(d.loc[d["change"].notna(), "measure"])) if len(d) else []
        self._busy = True
        try:
            current = self.measure.value
            self.measure.options = [(m.replace("_", " "), m) for m in measures] or [("–", ALL)]
            self.measure.value = current if current in measures else (
                "forecast" if "forecast" in measures else self.measure.options[0][1])
        finally:
            self._busy = False
        return d[d["measure"] == self.measure.value][self.columns]

    def draw(self, frames, f):
        when = pd.Timestamp(f"{self.previous.value}-01").strftime("%b %Y")
        return [figures.drift_chart(frames["drift"], measure=self.measure.value, currency=self.bar.currency,
                                    title=f"What changed since {when}")]

    def refresh(self, *args):
        super().refresh(*args)
        if self.message:
            return
        self.show([HTML(f"<h4 style='margin:10px 0 4px'>{html.escape(label)}: {len(self.frames[name])}</h4>"
                        + html_table(self.frames[name][columns], 10))
                   for name, (label, columns) in self.lists.items() if self.frames.get(name) is not None],
                  clear=False)


VIEWS = (BudgetView, EvmView, ResourceView, RiskView, MilestoneView, KpiView, DriftView)

__all__ = [
    "VIEWS", "BudgetView", "DriftView", "EvmView", "FilterBar", "KpiView", "MilestoneView", "Redraws",
    "ResourceView", "RiskView", "View", "exports_folder", "html_table", "resolve_db", "show", "snapshot_currency",
]
