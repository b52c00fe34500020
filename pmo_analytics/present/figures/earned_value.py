"""Earned-value figures: the PV / EV / AC S-curves, the CPI against SPI quadrant and the CPI / SPI(t) trend
as reported at each snapshot."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from pmo_analytics.present.figures.base import (
    COLORS,
    RAG,
    RAG_TINT,
    chart_money,
    currency_of,
    date_axis,
    empty_figure,
    figure_function,
    money_axis,
    money_label,
    row_label,
    titled_figure,
)


@figure_function
def evm_s_curve(df: pd.DataFrame, currency: str | None = None,
                title: str = "Earned value: planned, earned and actual cost") -> plt.Figure:
    """S-curves from evm_series: cumulative PV, EV and AC per month, added up over the projects.

    For a single project the BAC is drawn as a horizontal line.
    """
    per = df.groupby("period", as_index=False)[["pv", "ev", "ac"]].sum().sort_values("period")
    cur = currency_of(df, currency)
    projects = df["project_id"].nunique() if "project_id" in df.columns else 1
    fig, ax = titled_figure(title, f"{projects} project{'s' if projects != 1 else ''}, cumulative by month",
                      size=(10, 5))
    ax.plot(per["period"], per["pv"], color=COLORS["pv"], lw=2.2, ls="--", label="PV (planned value)")
    ax.plot(per["period"], per["ev"], color=COLORS["ev"], lw=2.5, label="EV (earned value)")
    ax.plot(per["period"], per["ac"], color=COLORS["ac"], lw=2.2, label="AC (actual cost)")
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


_SCHEDULE_INDEX = {"spi": "SPI", "spi_t": "SPI(t)"}
_SCHEDULE_FORMULA = {"spi": "EV / PV", "spi_t": "ES / AT"}


@figure_function
def cpi_spi_quadrant(df: pd.DataFrame, annotate: int = 6,
                     title: str = "Cost and schedule performance (CPI vs SPI)", schedule: str = "spi") -> plt.Figure:
    """Scatter of evm's SPI (x; `schedule="spi_t"`: SPI(t)) against CPI (y), one point per project,
    sized by BAC.

    Lines at 1.0 split the quadrants, which are labelled; the `annotate` worst projects (lowest
    CPI x SPI) are named. Projects without a CPI or SPI are left out (counted in the subtitle).
    """
    name = _SCHEDULE_INDEX[schedule]
    data = df.dropna(subset=["cpi", schedule]).rename(columns={schedule: "_x"})
    if data.empty:
        return empty_figure(title)
    left_out = len(df) - len(data)
    subtitle = f"{len(data)} projects" + (f" ({left_out} without CPI/{name} left out)" if left_out else "")
    fig, ax = titled_figure(title, subtitle + "; point size = budget at completion", size=(9, 6.5))
    lo = min(0.6, data["_x"].min() - 0.05, data["cpi"].min() - 0.05)
    hi = max(1.4, data["_x"].max() + 0.05, data["cpi"].max() + 0.05)
    zone = np.where((data["cpi"] >= 1) & (data["_x"] >= 1), "green",
                    np.where((data["cpi"] < 1) & (data["_x"] < 1), "red", "amber"))
    bac = data["bac"].fillna(0) if "bac" in data.columns else pd.Series(1.0, index=data.index)
    sizes = 30 + 270 * np.sqrt(bac / bac.max()) if bac.max() > 0 else 60
    ax.scatter(data["_x"], data["cpi"], s=sizes, c=[RAG[z] for z in zone], alpha=0.75,
               edgecolors="white", linewidths=0.8, zorder=3)
    ax.axhline(1, color=COLORS["total"], lw=1)
    ax.axvline(1, color=COLORS["total"], lw=1)
    ax.add_patch(Rectangle((lo, lo), 1 - lo, 1 - lo, color=RAG_TINT["red"], zorder=0))
    ax.add_patch(Rectangle((1, 1), hi - 1, hi - 1, color=RAG_TINT["green"], zorder=0))
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    for x, y, text, ha, va in ((hi, hi, "Ahead of schedule\nunder budget", "right", "top"),
                               (lo, hi, "Behind schedule\nunder budget", "left", "top"),
                               (lo, lo, "Behind schedule\nover budget", "left", "bottom"),
                               (hi, lo, "Ahead of schedule\nover budget", "right", "bottom")):
        ax.text(x + (0.01 if ha == "left" else -0.01), y + (0.01 if va == "bottom" else -0.01), text,
                ha=ha, va=va, fontsize=9, color=COLORS["muted"], style="italic")
    worst = data.assign(_s=data["cpi"] * data["_x"]).nsmallest(annotate, "_s") if annotate else data[:0]
    for _, r in worst.iterrows():
        ax.annotate(row_label(r, 26), (r["_x"], r["cpi"]), xytext=(8, -3), textcoords="offset points",
                    fontsize=8.5, color=COLORS["total"],
                    arrowprops={"arrowstyle": "-", "color": COLORS["muted"], "lw": 0.6})
    ax.set_xlabel(f"{name} = {_SCHEDULE_FORMULA[schedule]} (schedule; below 1 = behind)")
    ax.set_ylabel("CPI = EV / AC (cost; below 1 = over budget)")
    return fig


_TREND = {"cpi": ("CPI", COLORS["forecast"]), "spi_t": ("SPI(t)", COLORS["ev"])}
_NOT_REPORTED = "Progress is not reported: no CPI or SPI(t) to show"


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


@figure_function
def performance_trend(df: pd.DataFrame,
                      title: str = "Cost and schedule performance as reported (CPI and SPI(t))") -> plt.Figure:
    """CPI and SPI(t) from performance_history over the snapshots (as_of), with the 1.0 line.

    One project: its CPI and SPI(t) as two lines. Several: the median CPI and SPI(t) per snapshot,
    each over its interquartile band (25th to 75th percentile); the subtitle counts the projects and
    those without progress reported at the latest snapshot. The lines carry gid "cpi" and "spi_t";
    with no CPI or SPI(t) at all (progress never reported) the figure says so.
    """
    measures = [m for m in _TREND if m in df.columns]
    if not measures or df[measures].isna().all().all():
        return empty_figure(title, _NOT_REPORTED)
    projects = df["project_id"].nunique() if "project_id" in df.columns else 1
    missing, latest = _not_reported_at_latest(df, measures)
    at = f"{pd.Timestamp(df['as_of'].max()):%b %Y} (the latest snapshot)"
    if projects == 1:
        name = row_label(df.sort_values("as_of").iloc[-1], 48) if "project_id" in df.columns else "One project"
        subtitle = name + (f"; no progress reported in {at}" if missing else "; as reported at each snapshot")
    else:
        subtitle = (f"{projects} projects: median and middle half per snapshot; "
                    f"{missing} of {latest} without progress reported in {at}")
    fig, ax = titled_figure(title, subtitle, size=(10, 5))
    (_trend_of_one if projects == 1 else _trend_of_many)(ax, df, measures)
    ax.axhline(1, color=COLORS["total"], lw=1, ls=":", gid="reference")
    date_axis(ax.xaxis)
    ax.set_xlabel("Snapshot (month end)")
    ax.set_ylabel("Index (1.0 = on plan; below 1 = over budget / behind)")
    ax.legend(loc="best")
    return fig
