"""The schedule health panel of the milestones dashboard (issue 17): the DCMA 14-point check of a stored
schedule of the filter bar's month, as a finding, the pass / fail strip and the table of the checks.

The checks of every schedule of the month are computed once when the month changes (one short-lived
connection); choosing another schedule in the panel's list redraws from them without reading again.
The filter bar's project chooses its schedule when it has one; the other filters do not apply.
"""
from __future__ import annotations

import ipywidgets as W
import pandas as pd

from pmo_analytics.exceptions import PMOError
from pmo_analytics.metrics.schedule_health import dcma_score, schedule_health
from pmo_analytics.present import schedule_health as words
from pmo_analytics.present.figures.schedule_health import dcma_chart
from pmo_analytics.present.findings import Finding
from pmo_analytics.ui.filterbar import WIDE
from pmo_analytics.ui.views.base import View


class ScheduleHealthPanel(View):
    """A header, the list of the month's stored schedules, and the chosen one's finding, DCMA strip and
    table of checks; one line when the month has no stored schedule."""

    title = "Schedule health (DCMA 14-point check)"
    question = ("Is the schedule sound enough to forecast from? The DCMA 14-point assessment of a project's "
                "stored schedule for the month: logic, leads and lags, constraints, float, durations, dates, "
                "resources, the critical path and the baseline indices (CPLI, BEI). The portfolio filters "
                "do not apply; the project filter picks its schedule.")
    drill_column = None

    def controls(self) -> list[W.Widget]:
        self.results: dict[str, pd.DataFrame] = {}
        self._month: str | None = None
        self._reuse = False       # the panel's own list changed: redraw from the checks already computed
        self._choosing = False    # the panel sets its list: no redraw for that
        self._bar_project: str | None = None
        self.schedule = W.Dropdown(description="Schedule", options=[], style=WIDE,
                                   layout=W.Layout(width="auto", min_width="420px", display="none"))
        self.schedule.observe(self._on_choice, names="value")
        return [self.schedule]

    def load(self, con, f: dict) -> dict[str, pd.DataFrame]:
        month = f["as_of"]
        if not (self._reuse and month == self._month):
            self.results = schedule_health(con, as_of=month)
            self._month = month
        self._reuse = False
        self._offer(f["project_ids"])
        if not self.results:
            raise PMOError(words.no_schedule(month))
        return {"result": self.results[self.schedule.value]}

    def make_table(self, frames: dict, f: dict) -> pd.DataFrame:
        return words.dcma_table(frames["result"])

    def draw(self, frames: dict, f: dict) -> list:
        result, project = frames["result"], self.schedule.value
        return [Finding(words.dcma_finding(result, project)),
                dcma_chart(result, title=f"{project}: DCMA 14-point schedule check")]

    # -- the list of schedules
    def _label(self, project_id: str) -> str:
        """"PRJ-001 Payroll replacement · 9 of 12 checks passed"."""
        names = self.bar.projects
        row = names[names["project_id"] == project_id] if "project_id" in names.columns else names.iloc[0:0]
        name = "" if row.empty or pd.isna(row["name"].iloc[0]) else f" {row['name'].iloc[0]}"
        passed, applicable = dcma_score(self.results[project_id])
        return f"{project_id}{name} · {passed} of {applicable} checks passed"

    def _offer(self, bar_project) -> None:
        """The month's schedules in the list; the bar's project when it has just been chosen and has a
        schedule, else the one shown before, else the first."""
        ids = sorted(self.results)
        wanted = self.schedule.value
        if bar_project != self._bar_project and bar_project in self.results:
            wanted = bar_project
        self._bar_project = bar_project
        self._choosing = True
        try:
            self.schedule.options = [(self._label(p), p) for p in ids]
            self.schedule.value = wanted if wanted in ids else (ids[0] if ids else None)
        finally:
            self._choosing = False
        self.schedule.layout.display = "" if ids else "none"

    def _on_choice(self, change) -> None:
        if not self._choosing and change.new:
            self._reuse = True
            self.redraw_soon()


__all__ = ["ScheduleHealthPanel"]
