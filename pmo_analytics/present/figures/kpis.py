"""KPI figures: the improvement KPI tiles with sparklines, and the spread of project CPI or SPI."""
from __future__ import annotations

import textwrap
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from pmo_analytics.present import format as fmt
from pmo_analytics.present.figures.base import (
    COLORS,
    RAG,
    RAG_TINT,
    Note,
    figure_function,
    integer_axis,
    titled_figure,
)
from pmo_analytics.present.tables import kpi_coverage

format_kpi = fmt.kpi_value  # the name notebooks and tests know


def _change_line(last: pd.Series) -> tuple[str, str]:
    """The tile's line under the value: target, direction and change ("target ≥ 80%   ▼ -5.5 pt"), or
    why the value is missing; and its colour. A change too small to show in the value's own decimals
    (a ratio moving by 0.000045) reads "▶ no change"."""
    target = f"target {'≥' if last['higher_is_better'] else '≤'} {fmt.kpi_target(last['target'], last['unit'])}"
    if fmt.is_missing(last["value"]):
        return (_coverage(last) or fmt.NOT_MEASURED) + f" · {target}", COLORS["muted"]
    change, good = last["change"], last["improving"]
    if fmt.is_missing(change):
        return target, COLORS["muted"]
    unit = last["unit"]
    if fmt.kpi_value(last["value"], unit) == fmt.kpi_value(last["value"] - change, unit):
        return f"{target}   {fmt.TREND_ARROWS['flat']} no change", COLORS["muted"]
    text = f"{target}   {fmt.trend_arrow(last['trend'])} {fmt.kpi_change(change, unit)}".rstrip()
    colour = COLORS["muted"] if pd.isna(good) or last["trend"] == "flat" else (
        COLORS["better"] if good else COLORS["worse"])
    return text, colour


def _coverage(last: pd.Series) -> str:
    """What the KPI is measured over when not all of it ("206 of 244 active projects: no budget
    reported for 38"), or why it has no value; "" when fully measured (tables.kpi_coverage)."""
    return kpi_coverage(SimpleNamespace(**last.to_dict())) if "n_missing" in last.index else ""


def _tile(ax, key: str, hist: pd.DataFrame) -> None:
    """One KPI tile: label, latest value in its RAG colour, the change line and the sparkline."""
    last = hist.iloc[-1]
    rag = last["rag"] if isinstance(last["rag"], str) else None
    ax.set_gid(f"kpi:{key}")
    ax.set_facecolor(RAG_TINT.get(rag, RAG_TINT[None]))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.add_patch(Rectangle((0, 0), 0.025, 1, transform=ax.transAxes, color=fmt.rag_colour(rag), clip_on=False))
    ax.text(0.07, 0.93, textwrap.fill(str(last["label"]), 30), transform=ax.transAxes, va="top",
            fontsize=9, color="#343a40")
    ax.text(0.07, 0.63, format_kpi(last["value"], last["unit"]), transform=ax.transAxes, va="center",
            fontsize=19, fontweight="bold", color=RAG.get(rag, "#495057"))
    line, colour = _change_line(last)
    ax.text(0.07, 0.49, textwrap.fill(line, 40), transform=ax.transAxes, fontsize=8, va="top", color=colour,
            gid="change")
    coverage = "" if fmt.is_missing(last["value"]) else _coverage(last)
    if coverage:  # measured over part of its population: say so under the change
        ax.text(0.07, 0.40, textwrap.fill(coverage, 46), transform=ax.transAxes, fontsize=7.5, va="top",
                color=COLORS["muted"], gid="coverage")
    if hist["value"].notna().any():
        spark = ax.inset_axes([0.07, 0.05, 0.88, 0.22 if coverage else 0.26])
        spark.plot(hist["as_of"], hist["value"], color="#495057", lw=1.4)
        spark.plot(hist["as_of"].iloc[-1], hist["value"].iloc[-1], "o", ms=4, color=RAG.get(rag, "#495057"))
        spark.axhline(last["target"], color=RAG["green"], lw=0.9, ls="--")
        spark.set_axis_off()


@figure_function(empty="No KPI is defined for this selection")
def kpi_tiles(df: pd.DataFrame, ncols: int = 5, title: str = "PMO improvement KPIs") -> plt.Figure:
    """A grid of tiles from kpis: per KPI the latest value, its RAG colour, target, trend and sparkline.

    One tile axes per KPI (gid "kpi:<key>", facecolor the RAG tint, left bar the RAG colour) in the
    frame's order; the sparkline is an inset with the target as a dashed line (none without a value).
    A KPI without a value says why (tables.kpi_coverage) in place of its change.
    """
    keys = list(dict.fromkeys(df["kpi"]))
    nrows = int(np.ceil(len(keys) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.9 * ncols, 2.5 * nrows), layout="constrained",
                             squeeze=False)
    fig.suptitle(title, x=0.01, ha="left")
    for ax in axes.flat[len(keys):]:
        ax.set_axis_off()
    for ax, key in zip(axes.flat, keys):
        _tile(ax, key, df[df["kpi"] == key].sort_values("as_of"))
    return fig


@figure_function(empty="No active project has a CPI or SPI(t) in this snapshot: progress is not reported, "
                        "so there is no spread to show (missing, not 0)")
def kpi_distribution_chart(df: pd.DataFrame, title: str = "Spread behind the median") -> plt.Figure:
    """Histogram of kpi_distribution's per-project CPI, SPI(t) or SPI, with the 0.9 and 1.0 lines; the
    count axis has whole numbers only."""
    measure = str(df["measure"].iloc[0]) if "measure" in df.columns else "value"
    measure = {"cpi": "CPI", "spi": "SPI", "spi_t": "SPI(t)"}.get(measure, measure.upper())
    fig, ax = titled_figure(title, f"{measure} of {fmt.plural(len(df), 'active project')}", size=(8, 4))
    import seaborn as sns  # here: seaborn brings scipy.stats (1-2 s), which the overview never needs
    sns.histplot(df["value"], bins=20, ax=ax, color=COLORS["forecast"], edgecolor="white")
    for x, color in ((0.9, COLORS["warning"]), (1.0, COLORS["total"])):
        ax.axvline(x, color=color, lw=1.2, ls="--")
    ax.axvline(df["value"].median(), color=COLORS["ev"], lw=2, label=f"median {df['value'].median():.2f}")
    ax.set_xlabel(f"{measure} (ratio; 1.0 = on plan)")
    ax.set_ylabel("Projects")
    integer_axis(ax.yaxis)
    ax.legend(loc="upper right")
    return fig
