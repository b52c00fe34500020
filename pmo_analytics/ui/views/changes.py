"""The what-changed view: each project's change between two snapshots, risks raised and closed, slipped milestones."""
from __future__ import annotations

from typing import ClassVar

import ipywidgets as W
import pandas as pd
from IPython.display import HTML

from pmo_analytics.exceptions import PMOError
from pmo_analytics.metrics import changes as drift_metrics
from pmo_analytics.present import figures, tiles
from pmo_analytics.ui.filterbar import ALL, WIDE
from pmo_analytics.ui.views.base import View


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
        self.previous = W.Dropdown(description="Compared with", style=WIDE,
                                   layout=W.Layout(width="auto", min_width="220px"))
        self.measure = W.Dropdown(description="Measure", options=[("forecast", "forecast")],
                                  style=WIDE, layout=W.Layout(width="auto", min_width="200px"))
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
        self.show([HTML(tiles.titled_table(label, self.frames[name][columns], 10))
                   for name, (label, columns) in self.lists.items() if self.frames.get(name) is not None],
                  clear=False)


__all__ = ["DriftView"]
