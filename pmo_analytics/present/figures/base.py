"""What every figure shares: the house style, the palette, the Note shown in place of a figure whose
inputs are absent, money axes and labels.

Figures are made with pyplot (so the inline backend shows them) inside a local style context:
importing this module changes no global matplotlib setting.
"""
from __future__ import annotations

import functools
import itertools
import math
import textwrap

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import Formatter, MaxNLocator

from pmo_analytics.present import format as fmt
from pmo_analytics.present import tiles
from pmo_analytics.present.format import CURRENCY_SYMBOLS, NO_DATA, RAG, RAG_TINT

# One palette for every view.
COLORS = {
    "budget": "#a9b4c2",     # approved budget: neutral grey-blue
    "forecast": "#2b6cb0",   # forecast within budget
    "warning": "#e8590c",    # over budget / worse: the one colour that shouts
    "consumed": "#1c3d5a",   # actuals
    "final": "#8e7cc3",      # a closed or cancelled project's final spend: no longer managed
    "committed": "#74a9d8",  # open orders
    "pv": "#868e96", "ev": "#2b8a3e", "ac": "#c92a2a",
    "better": "#2f9e44", "worse": "#e8590c", "total": "#495057", "muted": "#868e96",
}

STYLE = {
    "figure.dpi": 100, "savefig.dpi": 110, "savefig.bbox": "tight",
    "font.size": 10, "axes.titlesize": 11, "axes.titleweight": "normal", "axes.titlecolor": "#495057",
    "axes.titlelocation": "left", "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9,
    "figure.titlesize": 14, "figure.titleweight": "bold", "legend.fontsize": 9, "legend.frameon": False,
    "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#adb5bd",
    "axes.grid": True, "grid.color": "#dee2e6", "grid.linewidth": 0.8, "axes.axisbelow": True,
    "figure.facecolor": "white", "axes.facecolor": "white",
}


class Note:
    """The one line shown in place of a figure whose inputs the data does not hold ("No resource plan
    in these exports"): never an empty axis. Displays as HTML in the style of tiles.message."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Note({self.text!r})"

    def _repr_html_(self) -> str:
        return tiles.message(self.text)


def figure_function(func=None, *, empty: str = NO_DATA):
    """Runs a figure function in the house style; an empty or missing frame gives Note(empty), the
    figure's own reason why there is nothing to draw. Use as @figure_function(empty="...")."""
    if func is None:
        return lambda f: figure_function(f, empty=empty)

    @functools.wraps(func)
    def wrapper(df, *args, **kwargs):
        if df is None or len(df) == 0:
            return Note(empty)
        with plt.rc_context(STYLE):
            return func(df, *args, **kwargs)
    wrapper.empty = empty
    return wrapper


def integer_axis(axis) -> None:
    """Whole-number ticks on a count axis (no 0.5 projects)."""
    axis.set_major_locator(MaxNLocator(integer=True))


def titled_figure(title: str, subtitle: str = "", size=(10, 5.5), **kwargs):
    """A figure and its axes with the title on top, left-aligned, and the subtitle over the (first) axes."""
    fig, ax = plt.subplots(figsize=size, layout="constrained", **kwargs)
    fig.suptitle(title, x=0.01, ha="left")
    if subtitle:
        (ax.flat[0] if isinstance(ax, np.ndarray) else ax).set_title(subtitle)
    return fig, ax


def currency_of(df: pd.DataFrame, currency: str | None = None) -> str | None:
    """The currency to label money with: the given one, else the frame's `currency` column values."""
    if currency:
        return str(currency)
    if "currency" not in df.columns:
        return None
    codes = sorted({c for v in df["currency"].dropna() for c in str(v).split(",") if c})
    return ",".join(codes) or None


def money_label(what: str, currency: str | None) -> str:
    """An axis label with its currency: "Amount (GBP)"."""
    return f"{what} ({currency})" if currency else what


def chart_money(value: float, currency: str | None = None, signed: bool = False) -> str:
    """An amount written on a chart (BAC line, waterfall bars): the compact money rule, symbol only
    (the axis label names a code without a symbol)."""
    return fmt.money(value, currency if currency in CURRENCY_SYMBOLS else None, signed=signed)


class MoneyFormatter(Formatter):
    """Axis ticks in the compact money rule (£1.2m, £350k), with the decimals the tick step needs so
    neighbouring ticks never read the same (£1.25m, £1.50m)."""

    def __init__(self, currency: str | None = None):
        self.currency = currency if currency in CURRENCY_SYMBOLS else None
        self.tick_values: list[float] = []

    def set_locs(self, locs):
        # kept here: matplotlib 3.11 deprecates the Formatter's own `locs`
        self.tick_values = [float(v) for v in locs]

    def __call__(self, value, pos=None):
        return fmt.money(value, self.currency, decimals=self._decimals(value))

    def _decimals(self, value: float) -> int | None:
        locs = sorted(v for v in self.tick_values if math.isfinite(v))
        steps = [b - a for a, b in itertools.pairwise(locs) if b > a]
        if not steps:
            return None
        step = min(steps) / fmt.money_scale(value)
        return next((d for d in range(4) if abs(round(step, d) - step) <= step * 1e-6), 3)


def money_axis(axis, currency: str | None = None) -> None:
    """Ticks like £1.2m / £350k on a matplotlib axis (ax.xaxis or ax.yaxis)."""
    axis.set_major_formatter(MoneyFormatter(currency))


def row_label(row, width: int = 32) -> str:
    """'PRJ-0001 Project name' (shortened) for a project row, else the rollup's group value."""
    if "project_id" in row.index:
        name = row.get("name", row.get("project_name", ""))
        text = f"{row['project_id']} {'' if pd.isna(name) else name}".strip()
    else:
        text = next((str(row[c]) for c in ("program", "portfolio", "department", "team", "role")
                     if c in row.index), "")
    short = textwrap.shorten(text, width=width, placeholder="…")
    # one word longer than the width (ASSIGNMENT_RESOURCE_RATES_TEST) would shorten to "…" alone
    return short if short != "…" else text[:width - 1] + "…"


def group_column(df: pd.DataFrame, candidates=("portfolio", "program", "department", "project_id")):
    """The first grouping column the frame has (a rollup's group), or None."""
    return next((c for c in candidates if c in df.columns), None)


def date_axis(axis) -> None:
    """Concise month ticks (4 to 9 of them) on a date axis."""
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    axis.set_major_locator(locator)
    axis.set_major_formatter(mdates.ConciseDateFormatter(locator))


__all__ = [
    "COLORS", "CURRENCY_SYMBOLS", "NO_DATA", "RAG", "RAG_TINT", "STYLE", "MoneyFormatter", "Note",
    "chart_money", "currency_of", "date_axis", "figure_function", "group_column", "integer_axis",
    "money_axis", "money_label", "row_label", "titled_figure",
]
