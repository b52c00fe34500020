"""Earned-value figures: the PV / EV / AC S-curves and the CPI / SPI(t) trend as reported at each snapshot
(the CPI against SPI quadrant is in quadrant.py)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pmo_analytics.present import format as fmt
from pmo_analytics.present.figures.base import (
    COLORS,
    Note,
    chart_money,
    currency_of,
    date_axis,
    figure_function,
    money_axis,
    money_label,
    row_label,
    titled_figure,
)


_ONE_MONTH = ("Earned value is reported for one month only{when} in these exports: the PV / EV / AC curves "
              "need values by month")
_EVM_LINES = (("pv", "PV (planned value)", {"color": COLORS["pv"], "lw": 2.2, "ls": "--"}),
              ("ev", "EV (earned value)", {"color": COLORS["ev"], "lw": 2.5}),
              ("ac", "AC (actual cost)", {"color": COLORS["ac"], "lw": 2.2}))


@figure_function(empty="No earned value series for this selection: no PV, EV or AC by month")
def evm_s_curve(df: pd.DataFrame, currency: str | None = None,
                title: str = "Earned value: planned, earned and actual cost") -> plt.Figure | Note:
    """S-curves from evm_series: cumulative PV, EV and AC per month, added up over the projects.

    For a single project the BAC is drawn as a horizontal line. A measure no project has (EV without
    progress reported) is left out and named in the subtitle; one month only gives a Note.
    """
    periods = df["period"].dropna().unique()
    if len(periods) < 2:
        return Note(_ONE_MONTH.format(when=f" ({pd.Timestamp(periods[0]):%b %Y})" if len(periods) else ""))
    per = df.groupby("period", as_index=False)[["pv", "ev", "ac"]].sum().sort_values("period")
    cur = currency_of(df, currency)
    projects = df["project_id"].nunique() if "project_id" in df.columns else 1
    absent = [label.split(" ")[0] for m, label, _ in _EVM_LINES if df[m].isna().all()]
    fig, ax = titled_figure(title, fmt.plural(projects, "project") + ", cumulative by month"
                            + (f"; {' and '.join(absent)} not reported" if absent else ""), size=(10, 5))
    for m, label, style in _EVM_LINES:
        if df[m].notna().any():
            ax.plot(per["period"], per[m], label=label, **style)
    if projects == 1 and "bac" in df.columns and df["bac"].notna().any():
        bac = float(df["bac"].dropna().iloc[-1])
        ax.axhline(bac, color=COLORS["total"], lw=1, ls=":")
        ax.text(per["period"].iloc[-1], bac, f"BAC {chart_money(bac, cur)}",
                ha="right", va="bottom", fontsize=8.5, color=COLORS["total"])
    date_axis(ax.xaxis)
    money_axis(ax.yaxis, cur)
    ax.set_xlabel("Month")
    ax.set_ylabel(money_label("Cumulative value", cur))
    ax.legend(loc="center left")
    return fig


_TREND = {"cpi": ("CPI", COLORS["forecast"]), "spi_t": ("SPI(t)", COLORS["ev"])}
_NOT_REPORTED = "Progress is not reported for any project: no CPI or SPI(t) to plot (missing, not 0)"
_ONE_SNAPSHOT = "Only one snapshot is loaded ({when}): the trend needs two or more"


def _not_reported_at_latest(df: pd.DataFrame, measures: list[str]) -> tuple[int, int]:
    """How many projects of the latest snapshot reported no progress, and how many it has."""
    latest = df[df["as_of"] == df["as_of"].max()] if "as_of" in df.columns else df
    if "progress_reported" in latest.columns:
        missing = ~latest["progress_reported"].fillna(False).astype(bool)
    else:
        missing = latest[measures].isna().all(axis=1)
    return int(missing.sum()), len(latest)


def _trend_of_one(ax, df: pd.DataFrame, measures: list[str]) -> None:
    """A project's CPI and SPI(t) at each snapshot: one line each (gid "cpi", "spi_t")."""
    per = df.sort_values("as_of")
    for m in measures:
        name, color = _TREND[m]
        ax.plot(per["as_of"], per[m], color=color, lw=2.2, marker="o", ms=4, label=name, gid=m)


def _trend_of_many(ax, df: pd.DataFrame, measures: list[str]) -> None:
    """The median CPI and SPI(t) per snapshot (gid "cpi", "spi_t") over their interquartile band."""
    grouped = df.groupby("as_of")[measures]
    low, mid, high = (grouped.quantile(q).sort_index() for q in (0.25, 0.5, 0.75))
    for m in measures:
        name, color = _TREND[m]
        ax.fill_between(mid.index, low[m], high[m], color=color, alpha=0.15, lw=0,
                        label=f"{name}: middle half of the projects")
        ax.plot(mid.index, mid[m], color=color, lw=2.4, marker="o", ms=4, label=f"{name} median", gid=m)


@figure_function(empty="No project in this selection: no CPI or SPI(t) to plot")
def performance_trend(df: pd.DataFrame,
                      title: str = "Cost and schedule performance as reported (CPI and SPI(t))") -> plt.Figure | Note:
    """CPI and SPI(t) from performance_history over the snapshots (as_of), with the 1.0 line.

    One project: its CPI and SPI(t) as two lines. Several: the median CPI and SPI(t) per snapshot,
    each over its interquartile band (25th to 75th percentile); the subtitle counts the projects and
    those without progress reported at the latest snapshot. The lines carry gid "cpi" and "spi_t";
    with no CPI or SPI(t) at all (progress never reported), or one snapshot only, a Note says so.
    """
    measures = [m for m in _TREND if m in df.columns]
    if not measures or df[measures].isna().all().all():
        return Note(_NOT_REPORTED)
    if df["as_of"].nunique() < 2:
        return Note(_ONE_SNAPSHOT.format(when=f"{pd.Timestamp(df['as_of'].max()):%b %Y}"))
    projects = df["project_id"].nunique() if "project_id" in df.columns else 1
    missing, latest = _not_reported_at_latest(df, measures)
    at = f"{pd.Timestamp(df['as_of'].max()):%b %Y} (the latest snapshot)"
    if projects == 1:
        name = row_label(df.sort_values("as_of").iloc[-1], 48) if "project_id" in df.columns else "One project"
        subtitle = name + (f"; no progress reported in {at}" if missing else "; as reported at each snapshot")
    else:
        subtitle = (f"{projects:,} projects: median and middle half per snapshot; "
                    f"{missing:,} of {latest:,} without progress reported in {at}")
    fig, ax = titled_figure(title, subtitle, size=(10, 5))
    (_trend_of_one if projects == 1 else _trend_of_many)(ax, df, measures)
    ax.axhline(1, color=COLORS["total"], lw=1, ls=":", gid="reference")
    date_axis(ax.xaxis)
    ax.set_xlabel("Snapshot (month end)")
    ax.set_ylabel("Index (1.0 = on plan; below 1 = over budget / behind)")
    ax.legend(loc="best")
    return fig
