"""Milestone figures: the milestone trend analysis (forecast date by snapshot date)."""
from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from pmo_analytics.present.figures.base import COLORS, date_axis, figure_function, titled_figure


@figure_function
def milestone_trend_chart(df: pd.DataFrame,
                          title: str = "Milestone trend analysis") -> plt.Figure:
    """The MTA chart from milestone_trend: snapshot date (x) against forecast date (y).

    One line per milestone (gid "milestone"; the actual date once achieved, else the forecast); a
    flat line is a stable forecast, a rising line a slipping one. The grey diagonal is forecast =
    snapshot: a milestone reaches it when it falls due.
    """
    data = df.copy()
    data["date"] = data["actual_date"].fillna(data["forecast_date"]).fillna(data["baseline_date"])
    data = data.dropna(subset=["date"]).sort_values("as_of")
    # Once achieved, a milestone's line stops (its first snapshot with an actual date is the last point).
    done_before = (data.groupby(["project_id", "milestone_id"] if "project_id" in data.columns
                                else ["milestone_id"])["actual_date"]
                   .transform(lambda s: s.notna().cumsum().shift(fill_value=0)))
    data = data[done_before == 0]
    keys = ["project_id", "milestone_id"] if "project_id" in data.columns else ["milestone_id"]
    groups = list(data.groupby(keys, sort=True))
    several_projects = "project_id" in data.columns and data["project_id"].nunique() > 1
    fig, ax = titled_figure(title, f"{len(groups)} milestones; rising line = forecast slipping",
                      size=(10, 6))
    palette = sns.color_palette("tab10" if len(groups) <= 10 else "husl", n_colors=max(1, len(groups)))
    for (key, g), color in zip(groups, palette):
        name = g["name"].iloc[-1] if "name" in g.columns else key[-1]
        label = textwrap.shorten(f"{key[0]} {name}" if several_projects else f"{key[-1]} {name}", 40,
                                 placeholder="…")
        ax.plot(g["as_of"], g["date"], marker="o", ms=4, lw=1.8, color=color, label=label, gid="milestone")
        done = g["actual_date"].notna()
        if done.any():
            ax.plot(g.loc[done, "as_of"], g.loc[done, "date"], ls="none", marker="D", ms=6, color=color)
    lo = min(data["as_of"].min(), data["date"].min())
    hi = max(data["as_of"].max(), data["date"].max())
    ax.set_xlim(data["as_of"].min() - pd.Timedelta(days=10), data["as_of"].max() + pd.Timedelta(days=10))
    ax.plot([lo, hi], [lo, hi], color=COLORS["muted"], lw=1.2, ls="--", label="forecast = snapshot",
            zorder=1)
    date_axis(ax.xaxis)
    ax.yaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
    ax.yaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.set_xlabel("Snapshot (month end)")
    ax.set_ylabel("Forecast date (actual once achieved, ◆)")
    if len(groups) <= 20:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8.5)
    return fig
