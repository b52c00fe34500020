"""The delivery views: resource load, risks and milestones (who is overloaded, what threatens, what slips)."""
from __future__ import annotations

from typing import ClassVar

import ipywidgets as W

from pmo_analytics import metrics
from pmo_analytics.periods import month_end
from pmo_analytics.present import figures
from pmo_analytics.ui.views.base import View


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
                                         as_of=month_end(f["as_of"]))]


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


__all__ = ["MilestoneView", "ResourceView", "RiskView"]
