"""The filters every view shares: snapshot month, portfolio, program, department and project.

Options come from the metrics (metrics/options.py: the loaded months, the projects of the chosen month);
a dropdown only accepts values from its own options, and values reach SQL only as bound parameters.
"""
from __future__ import annotations

import contextlib
import logging

import ipywidgets as W
import pandas as pd

from pmo_analytics.exceptions import PMOError
from pmo_analytics.metrics import options as metric_options
from pmo_analytics.periods import month_end
from pmo_analytics.present import tiles
from pmo_analytics.ui.paths import resolve_db
from pmo_analytics.ui.reading import SharedReads
from pmo_analytics.ui.redraws import Redraws

log = logging.getLogger(__name__)

ALL = ""  # a dropdown's "no filter" value (ipywidgets treats None as "nothing selected")
WIDE = {"description_width": "initial"}  # a label as wide as its text


def _set_options(dropdown: W.Dropdown, options: list[tuple[str, str]]) -> None:
    """New options; keeps the current value when it is still offered, else 'All' (the first)."""
    current = dropdown.value
    if list(dropdown.options) != options:
        dropdown.options = options
    dropdown.value = current if current in {v for _, v in options} else options[0][1]


class FilterBar:
    """The filters every view shares: month, portfolio, program, department and project.

    Options come from the database (the projects of the chosen month, read with bound parameters);
    program, department and project options narrow to the portfolio (and program, department) chosen.
    `filters()` gives the metrics keyword arguments; `on_change(callback)` is called once per change,
    or in a dashboard once per burst of changes (`redraws` coalesces them; `flush()` runs them now).
    `reads.connection()` is the database connection the bar and its views read with: one per redraw.
    """

    def __init__(self, db=None, month=None):
        self.db = resolve_db(db)
        layout = W.Layout(width="auto", min_width="210px")
        self.month = W.Dropdown(description="Month", options=[("–", ALL)], layout=layout, style=WIDE)
        self.portfolio = W.Dropdown(description="Portfolio", layout=layout, style=WIDE)
        self.program = W.Dropdown(description="Program", layout=layout, style=WIDE)
        self.department = W.Dropdown(description="Department", layout=layout, style=WIDE)
        self.project = W.Dropdown(description="Project", layout=W.Layout(width="auto", min_width="360px"),
                                  style=WIDE)
        self.status = W.HTML()
        self.projects = pd.DataFrame(columns=metric_options.PROJECT_COLUMNS)
        self.currency: str | None = None
        self._listeners = []
        self._busy = False
        self._stale = False  # a value changed and the options are not narrowed to it yet
        self._projects_for: str | None = None  # the month whose projects `projects` holds
        self.reads = SharedReads(self.db)
        self.redraws = Redraws(session=self.reads.redraw)
        self.reads.on_torn = self._redraw_all  # a redraw that saw two files draws again from the newer
        self.widget = W.VBox([W.HBox([self.month, self.portfolio, self.program]),
                              W.HBox([self.department, self.project]), self.status])
        self._busy = True
        try:
            with self.reads.redraw():  # one connection for the months and the month's projects
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
            with self.reads.connection() as con:
                months = metric_options.snapshot_months(con)
        except Exception as exc:  # noqa: BLE001 - a missing or unreadable database: say so, offer nothing
            self._warn(exc)
            months = []
        options = [(f"{m:%b %Y}", f"{m:%Y-%m}") for m in reversed(months)] or [("no snapshot", ALL)]
        self.month.options = options
        wanted = ALL
        if month:
            with contextlib.suppress(PMOError):
                wanted = f"{month_end(month):%Y-%m}"
        self.month.value = wanted if wanted in {v for _, v in options} else options[0][1]
        if month and wanted != self.month.value:
            self.status.value = tiles.status_note(f"No snapshot for {month}; showing the latest.")

    def _read_projects(self) -> None:
        self._projects_for = self.month.value
        if not self.month.value:
            self.projects = self.projects.iloc[0:0]
            return
        try:
            with self.reads.connection() as con:
                self.projects = metric_options.snapshot_projects(con, self.month.value)
        except Exception as exc:  # noqa: BLE001 - shown as a message, logged
            self._warn(exc)
            self.projects = self.projects.iloc[0:0]

    def _warn(self, exc: Exception) -> None:
        text = str(exc) if isinstance(exc, PMOError) else "The database could not be read."
        if not isinstance(exc, PMOError):
            log.exception("FilterBar could not read %s", self.db)
        self.status.value = tiles.status_note(text)

    def _narrow(self) -> None:
        """Each dropdown offers the values within the choices to its left (portfolio > program > ...)."""
        narrowed = metric_options.narrow_options(self.projects, self.portfolio.value or None,
                                                 self.program.value or None, self.department.value or None)
        for dropdown, key in ((self.portfolio, "portfolios"), (self.program, "programs"),
                              (self.department, "departments")):
            _set_options(dropdown, [(f"All {key}", ALL)] + [(v, v) for v in narrowed[key]])
        _set_options(self.project, [("All projects", ALL)] + [
            (f"{r.project_id} {'' if pd.isna(r.name) else r.name}", str(r.project_id))
            for r in narrowed["projects"].itertuples()])
        self.currency = metric_options.currencies(self.selected())

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

    def _redraw_all(self) -> None:
        for callback in list(self._listeners):
            self.redraws.request(callback)

    def _apply(self) -> None:
        """Narrows the options to the latest values, then redraws every listener once."""
        self.sync()
        for callback in list(self._listeners):
            self.redraws.request(callback)


__all__ = ["ALL", "WIDE", "FilterBar"]
