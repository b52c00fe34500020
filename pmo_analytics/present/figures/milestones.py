"""Milestone figures: the milestone trend analysis (forecast date by snapshot date) and each project's slip
against its original baseline, split into what re-baselining hid and the slip against the current one."""
from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from pmo_analytics.present import format as fmt
from pmo_analytics.present.figures.base import (
    COLORS,
    Note,
    date_axis,
    figure_function,
    row_label,
    titled_figure,
)


_NO_MILESTONES = ("No milestone forecasts to trace for this selection: no milestones in these exports, or "
                  "none late or likely to miss")


def _by_slip(data: pd.DataFrame, keys: list[str]) -> list:
    """The milestone groups, largest slip at the latest snapshot first (ties and unknown slips by key)."""
    groups = list(data.groupby(keys, sort=True))
    if "slip_days" not in data.columns:
        return groups
    slip = [g.sort_values("as_of")["slip_days"].astype(float).iloc[-1] for _, g in groups]
    order = sorted(range(len(groups)), key=lambda i: (pd.isna(slip[i]), -(slip[i] if pd.notna(slip[i]) else 0), i))
    return [groups[i] for i in order]


@figure_function(empty=_NO_MILESTONES)
def milestone_trend_chart(df: pd.DataFrame,
                          title: str = "Milestone trend analysis") -> plt.Figure | Note:
    """The MTA chart from milestone_trend: snapshot date (x) against forecast date (y).

    One line per milestone (gid "milestone"; the actual date once achieved, else the forecast); a
    flat line is a stable forecast, a rising line a slipping one. The grey diagonal is forecast =
    snapshot: a milestone reaches it when it falls due. Lines and legend go by the slip at the latest
    snapshot, largest first. One snapshot only (no trend yet) gives a Note.
    """
    if df["as_of"].nunique() < 2:
        return Note(f"Only one snapshot is loaded ({pd.Timestamp(df['as_of'].max()):%b %Y}): the milestone "
                    "trend needs two or more")
    data = df.copy()
    data["date"] = data["actual_date"].fillna(data["forecast_date"]).fillna(data["baseline_date"])
    data = data.dropna(subset=["date"]).sort_values("as_of")
    if data.empty:
        return Note("No milestone has a baseline, forecast or actual date: nothing to trace")
    # Once achieved, a milestone's line stops (its first snapshot with an actual date is the last point).
    done_before = (data.groupby(["project_id", "milestone_id"] if "project_id" in data.columns
                                else ["milestone_id"])["actual_date"]
                   .transform(lambda s: s.notna().cumsum().shift(fill_value=0)))
    data = data[done_before == 0]
    keys = ["project_id", "milestone_id"] if "project_id" in data.columns else ["milestone_id"]
    groups = _by_slip(data, keys)
    several_projects = "project_id" in data.columns and data["project_id"].nunique() > 1
    order = "; legend: largest slip first" if "slip_days" in data.columns and len(groups) > 1 else ""
    fig, ax = titled_figure(title, f"{fmt.plural(len(groups), 'milestone')}{order}; rising line = forecast "
                            "slipping", size=(10, 6))
    import seaborn as sns  # here: seaborn brings scipy.stats (1-2 s), which the overview never needs
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


_NO_SLIP = "No project has a baseline and a forecast finish: no slip to show"


def _slip_text(original: float, rebaselined: float) -> str:
    """A bar's label: the slip against the original baseline, and the part re-baselined away."""
    return f"  {original:+,.0f} d" + (f" ({rebaselined:+,.0f} d re-baselined)" if rebaselined else "")


@figure_function(empty=_NO_SLIP)
def baseline_slip_chart(df: pd.DataFrame, top: int | None = 15,
                        title: str = "Slip against the original baseline finish") -> plt.Figure | Note:
    """Bars from baseline_slip (by="project"): the projects with the largest slip against their original
    baseline finish, largest on top.

    Each bar is the slip against the original baseline in two stacked parts: the days re-baselined
    away (rebaselined_days, grey and hatched: the slip a current-baseline report no longer shows) and
    the slip against the current baseline (orange when late, green when early) on top of it. Both
    BarContainers are labelled ("Re-baselined", "Against current baseline") and hold one bar per row,
    top row first. Projects without a slip (no baseline or forecast finish) are left out and counted.
    """
    data = df.dropna(subset=["slip_vs_original_days"])
    if data.empty:
        return Note(_NO_SLIP)
    left_out = len(df) - len(data)
    data = data.assign(_o=data["slip_vs_original_days"].astype(float),
                       _r=data["rebaselined_days"].astype(float).fillna(0.0))
    data = data.assign(_c=data["slip_vs_current_days"].astype(float).fillna(data["_o"] - data["_r"]))
    data = data.sort_values(["_o", "project_id"], ascending=[False, True])
    shown = (data.head(top) if top else data).reset_index(drop=True)
    subtitle = (f"{len(shown):,} of {fmt.plural(len(data), 'project')} with the largest slip"
                if len(shown) < len(data) else fmt.plural(len(data), "project")) + ", largest slip on top"
    if left_out:
        subtitle += f"; {left_out:,} without a baseline or forecast finish left out"
    fig, ax = titled_figure(title, subtitle, size=(10, 1.9 + 0.38 * len(shown)))
    y = np.arange(len(shown))
    ax.barh(y, shown["_r"], height=0.62, color=COLORS["budget"], hatch="//", edgecolor="white",
            label="Re-baselined")
    ax.barh(y, shown["_c"], left=shown["_r"], height=0.62, label="Against current baseline",
            color=[COLORS["worse"] if c > 0 else COLORS["better"] for c in shown["_c"]])
    ends = np.maximum(shown["_r"], shown["_r"] + shown["_c"]).clip(lower=0)
    for yi, end, original, rebaselined in zip(y, ends, shown["_o"], shown["_r"]):
        ax.text(end, yi, _slip_text(original, rebaselined), va="center", fontsize=8.5, color=COLORS["total"])
    ax.axvline(0, color=COLORS["total"], lw=0.8)
    ax.set_yticks(y, [row_label(r) for _, r in shown.iterrows()])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    lo = min(0.0, float(np.min(np.minimum(shown["_r"], shown["_r"] + shown["_c"]))))
    hi = max(0.0, float(ends.max()))
    pad = (hi - lo) * 0.3 or 10.0
    ax.set_xlim(lo - (pad * 0.1 if lo < 0 else 0), hi + pad)
    ax.set_xlabel("Days late against the original baseline finish (negative = early)")
    fig.legend(handles=[Patch(facecolor=COLORS["budget"], hatch="//", edgecolor="white", label="Re-baselined away"),
                        Patch(color=COLORS["worse"], label="Late against the current baseline"),
                        Patch(color=COLORS["better"], label="Early against the current baseline")],
               loc="outside lower center", ncols=3, fontsize=8.5)
    return fig
