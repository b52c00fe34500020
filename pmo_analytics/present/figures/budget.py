"""Budget figures: budget, forecast, committed and consumed per project, and the cumulative S-curves."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from pmo_analytics.present import format as fmt
from pmo_analytics.present.figures.base import (
    COLORS,
    currency_of,
    date_axis,
    figure_function,
    money_axis,
    money_label,
    row_label,
    titled_figure,
)


def _variance_text_colour(pct) -> tuple[str, str | None]:
    """The colour and weight of a row's variance label: its variance RAG; muted when within budget."""
    rag = fmt.variance_rag(pct)
    return (COLORS["muted"], None) if rag in (None, "green") else (fmt.RAG[rag], "bold")


@figure_function
def budget_variance_chart(df: pd.DataFrame, top: int | None = 20, currency: str | None = None,
                          title: str = "Budget, forecast, committed and consumed") -> plt.Figure:
    """Per project (or rollup) from budget_variance: three bars per row, sorted by variance.

    Budget (grey), forecast (blue, or the warning colour when over budget) and consumed with the
    open commitments stacked on it; the variance in % of budget is written in its RAG colour
    (format.variance_rag). A closed or cancelled project's label says so. Rows are sorted by variance, largest overspend at the top; with `top`,
    only the rows with the largest absolute variance are shown. Each BarContainer is labelled
    ("Budget", "Forecast", "Consumed", "Committed") and holds one bar per row, top row first.
    """
    data = df.assign(_abs=df["variance"].abs()).sort_values("_abs", ascending=False, na_position="last")
    shown = data.head(top) if top else data
    shown = shown.sort_values("variance", ascending=False, na_position="last").reset_index(drop=True)
    cur = currency_of(df, currency)
    what = "projects" if "project_id" in df.columns else "groups"
    subtitle = (f"{len(shown)} of {len(df)} {what} with the largest variance" if len(shown) < len(df)
                else f"{len(df)} {what}") + ", largest overspend on top"
    fig, ax = titled_figure(title, subtitle, size=(10, 1.9 + 0.36 * len(shown)))
    y = np.arange(len(shown))
    over = shown["over_budget"].fillna(False).astype(bool).to_numpy()
    h = 0.26
    ax.barh(y - h, shown["budget"].fillna(0), height=h, color=COLORS["budget"], label="Budget")
    ax.barh(y, shown["forecast"].fillna(0), height=h, label="Forecast",
            color=[COLORS["warning"] if o else COLORS["forecast"] for o in over])
    consumed = shown["consumed"].fillna(0)
    ax.barh(y + h, consumed, height=h, color=COLORS["consumed"], label="Consumed")
    ax.barh(y + h, shown["committed"].fillna(0), left=consumed, height=h, color=COLORS["committed"],
            label="Committed")
    # A closed project's forecast is its final spend and is never "over budget" (it cannot be managed
    # any more); a cancelled one has no variance. The label says why the bar is not in the warning colour.
    ended = shown["status"] if "status" in shown.columns else pd.Series(None, index=shown.index)
    ax.set_yticks(y, [row_label(r) + (f" ({st})" if st in ("closed", "cancelled") else "")
                      for (_, r), st in zip(shown.iterrows(), ended)])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.margins(y=0.01)
    xmax = np.nanmax(shown[["budget", "forecast"]].to_numpy(dtype=float)) if len(shown) else 0
    for yi, pct in zip(y, shown["variance_pct"]):
        if pd.notna(pct):
            color, weight = _variance_text_colour(pct)
            ax.text(xmax * 1.02, yi, fmt.percent(pct, signed=True), va="center", fontsize=8.5, color=color,
                    fontweight=weight)
    ax.set_xlim(0, xmax * 1.12 if xmax > 0 else 1)
    money_axis(ax.xaxis, cur)
    ax.set_xlabel(money_label("Amount", cur) + "; right: variance in % of budget")
    handles = [Patch(color=COLORS["budget"], label="Budget"),
               Patch(color=COLORS["forecast"], label="Forecast (within budget)"),
               Patch(color=COLORS["warning"], label="Forecast (over budget)"),
               Patch(color=COLORS["consumed"], label="Consumed"),
               Patch(color=COLORS["committed"], label="Committed (open orders)")]
    fig.legend(handles=handles, loc="outside lower center", ncols=5, fontsize=8.5)
    return fig


@figure_function
def budget_s_curve(df: pd.DataFrame, currency: str | None = None, as_of=None,
                   title: str = "Cumulative budget, forecast and consumed") -> plt.Figure:
    """S-curves from budget_curve: cumulative budget, forecast and consumed per month.

    Per-project rows are added up per period. Consumed is drawn up to the last month with spend (or
    `as_of`), where a dotted line marks the status date.
    """
    per = df.groupby("period", as_index=False)[["budget", "forecast", "consumed"]].sum().sort_values("period")
    for c in ("budget", "forecast", "consumed"):
        per[f"cum_{c}"] = per[c].cumsum()
    if "cum_budget" in df.columns and "project_id" not in df.columns:  # keep the metric's own totals
        per[["cum_budget", "cum_forecast", "cum_consumed"]] = (
            df.sort_values("period")[["cum_budget", "cum_forecast", "cum_consumed"]].to_numpy())
    status = pd.Timestamp(as_of) if as_of is not None else (
        per.loc[per["consumed"] > 0, "period"].max() if (per["consumed"] > 0).any() else None)
    cur = currency_of(df, currency)
    fig, ax = titled_figure(title, "Running totals by month", size=(10, 5))
    ax.plot(per["period"], per["cum_budget"], color=COLORS["budget"], lw=2.5, label="Budget (approved)")
    ax.plot(per["period"], per["cum_forecast"], color=COLORS["forecast"], lw=2, ls="--", label="Forecast")
    spent = per if status is None else per[per["period"] <= status]
    ax.plot(spent["period"], spent["cum_consumed"], color=COLORS["consumed"], lw=2.5, label="Consumed")
    if status is not None:
        ax.axvline(status, color=COLORS["muted"], ls=":", lw=1.2)
        ax.text(status, ax.get_ylim()[1], f" status {pd.Timestamp(status):%b %Y}", va="top", fontsize=8.5,
                color=COLORS["muted"])
    date_axis(ax.xaxis)
    money_axis(ax.yaxis, cur)
    ax.set_xlabel("Month")
    ax.set_ylabel(money_label("Cumulative amount", cur))
    ax.legend(loc="upper left")
    return fig
