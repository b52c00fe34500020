"""Earned-value figures: the PV / EV / AC S-curves and the CPI against SPI quadrant."""
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
