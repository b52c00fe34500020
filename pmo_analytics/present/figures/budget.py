"""Budget figures: budget, forecast, committed and consumed per project, and the cumulative S-curves."""
from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.transforms as transforms
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from pmo_analytics.definitions import PLAUSIBILITY_MARK, implausible
from pmo_analytics.present import format as fmt
from pmo_analytics.present.figures.base import (
    COLORS,
    Note,
    chart_money,
    currency_of,
    date_axis,
    figure_function,
    group_column,
    money_axis,
    money_label,
    row_label,
    titled_figure,
)


ENDED = ("closed", "cancelled")
OUTLIER_RATIO = 3.0  # a row reaching more than 3x the next row's largest bar is cut at the axis limit
_CLIPPED = "▸"


def _variance_text_colour(pct) -> tuple[str, str | None]:
    """The colour and weight of a row's variance label: its variance RAG; muted when within budget."""
    rag = fmt.variance_rag(pct)
    return (COLORS["muted"], None) if rag in (None, "green") else (fmt.RAG[rag], "bold")


def _variance_text(pct) -> str:
    """+18.6%, with PLAUSIBILITY_MARK after a variance a PMO would question (+33,767% ⚠)."""
    return fmt.percent(pct, signed=True) + (f" {PLAUSIBILITY_MARK}" if implausible("variance_pct", pct) else "")


def _by_variance(df: pd.DataFrame, top: int | None) -> pd.DataFrame:
    """The `top` rows with the largest variance (forecast - budget), largest overspend first; rows
    without a variance last. Ties in the order of the row's key."""
    key = group_column(df)
    data = df.sort_values(["variance"] + ([key] if key else []), ascending=[False] + ([True] if key else []),
                          na_position="last", kind="stable")
    return (data.head(top) if top else data).reset_index(drop=True)


def _subtitle(shown: pd.DataFrame, total: int, what: str) -> str:
    """"20 of 244 projects by variance: 20 above budget, largest overspend on top" (and what follows)."""
    above = int((shown["variance"] > 0).sum())
    below = int((shown["variance"] <= 0).sum())
    unknown = int(shown["variance"].isna().sum())
    text = (f"{len(shown):,} of {fmt.plural(total, what)}" if len(shown) < total
            else fmt.plural(total, what)) + " by variance: "
    text += (f"{above:,} above budget, largest overspend on top" if above
             else "none above budget, smallest underspend on top")
    if above and below:
        text += f"; then {below:,} at or under budget"
    if unknown:
        text += f"; {unknown:,} without a budget last"
    return text


def axis_limit(extents: np.ndarray) -> tuple[float, int]:
    """The x-axis limit for rows whose longest bars are `extents`, and how many rows are cut at it: the
    (up to 3) largest rows are cut when each reaches more than OUTLIER_RATIO times the next row's."""
    order = np.sort(np.nan_to_num(extents.astype(float)))[::-1]
    if len(order) >= 3:
        for k in range(min(3, len(order) - 2)):
            if order[k + 1] > 0 and order[k] > OUTLIER_RATIO * order[k + 1]:
                return float(order[k + 1] * 1.1), k + 1
    top = float(order[0]) if len(order) else 0.0
    return (top * 1.05 if top > 0 else 1.0), 0


def _clipped_bar(ax, y, value, limit, cur, color) -> None:
    """A bar cut at the axis limit: a break mark and its value at its end ("£12.45bn ▸")."""
    ax.text(limit, y, f"{chart_money(value, cur)} {_CLIPPED} ", ha="right", va="center", fontsize=7,
            color=color, fontweight="bold", gid="clipped", clip_on=False)


def _break_mark(ax, y, limit, h) -> None:
    """Two white slanted strokes across a row's bars: the bars are cut here."""
    for dx in (0.0, 0.012):
        x = limit * (0.80 + dx)
        ax.plot([x - limit * 0.006, x + limit * 0.006], [y + 1.7 * h, y - 1.7 * h], color="white", lw=2.2,
                solid_capstyle="butt", zorder=4, gid="break")


def _bar_colours(shown: pd.DataFrame) -> list[str]:
    """Forecast bar colours: a closed or cancelled project's final spend, else over or within budget."""
    over = shown["over_budget"].fillna(False).astype(bool) if "over_budget" in shown.columns else \
        shown["variance"] > 0
    ended = shown["status"].isin(ENDED) if "status" in shown.columns else pd.Series(False, index=shown.index)
    return [COLORS["final"] if e else COLORS["warning"] if o else COLORS["forecast"] for e, o in zip(ended, over)]


def _legend(fig, shown: pd.DataFrame, colours: list[str]) -> None:
    """One legend entry per colour the chart uses."""
    entries = [(shown["budget"].notna().any(), COLORS["budget"], "Budget"),
               (COLORS["forecast"] in colours, COLORS["forecast"], "Forecast (within budget)"),
               (COLORS["warning"] in colours, COLORS["warning"], "Forecast (over budget)"),
               (COLORS["final"] in colours, COLORS["final"], "Final spend (closed or cancelled)"),
               (shown["consumed"].notna().any(), COLORS["consumed"], "Consumed"),
               ((shown["committed"].fillna(0) > 0).any(), COLORS["committed"], "Committed (open orders)")]
    handles = [Patch(color=c, label=label) for used, c, label in entries if used]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(6, len(handles)), fontsize=8.5)


@figure_function(empty="No project has a budget or a forecast in this selection: no variance to show")
def budget_variance_chart(df: pd.DataFrame, top: int | None = 20, currency: str | None = None,
                          title: str = "Budget, forecast, committed and consumed") -> plt.Figure:
    """Per project (or rollup) from budget_variance: the `top` rows by variance (forecast - budget),
    largest overspend on top, three bars each.

    Budget (grey), forecast (blue; the warning colour when over budget; violet: a closed or cancelled
    project's final spend) and consumed with the open commitments stacked on it; the variance in %
    of budget is written in its RAG colour, with PLAUSIBILITY_MARK when implausible. A row whose bars
    would squash the others (axis_limit) is cut at the axis limit with a break mark and its value
    written (gid "clipped"). Each BarContainer is labelled ("Budget", "Forecast", "Consumed",
    "Committed") and holds one bar per row, top row first.
    """
    shown = _by_variance(df, top)
    cur = currency_of(df, currency)
    spent = shown["consumed"].notna().any() or shown["committed"].notna().any()
    extents = np.nanmax(np.vstack([shown["budget"].astype(float), shown["forecast"].astype(float),
                                   shown["consumed"].astype(float).fillna(0)
                                   + shown["committed"].astype(float).fillna(0)]), axis=0)
    limit, cut = axis_limit(extents)
    subtitle = _subtitle(shown, len(df), "project" if "project_id" in df.columns else "group")
    notes = ([f"{fmt.plural(cut, 'row')} cut at the axis ({_CLIPPED}: its value written)"] if cut else []) + (
        [] if spent else ["consumed and committed not reported"])
    note = "; ".join(notes)
    fig, ax = titled_figure(title, subtitle + (f"\n{note[:1].upper()}{note[1:]}" if note else ""),
                            size=(10, 1.9 + (0.36 if spent else 0.3) * len(shown)))
    y = np.arange(len(shown))
    colours = _bar_colours(shown)
    h = _bars(ax, shown, colours, limit, cur, spent)
    for yi in y[extents > limit]:
        _break_mark(ax, yi, limit, h)
    ax.set_yticks(y, [row_label(r) + (f" ({r['status']})" if r.get("status") in ENDED else "")
                      for _, r in shown.iterrows()])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.margins(y=0.01)
    marked = _variance_labels(ax, shown)
    ax.set_xlim(0, limit)
    money_axis(ax.xaxis, cur)
    ax.set_xlabel(money_label("Amount", cur) + "; right: variance in % of budget (red: over by more than "
                  f"{fmt.VARIANCE_AMBER_PCT:g}%, amber: up to {fmt.VARIANCE_AMBER_PCT:g}%)"
                  + (f"; {PLAUSIBILITY_MARK} outside the plausible range" if marked else ""))
    _legend(fig, shown, colours)
    return fig


def _bars(ax, shown: pd.DataFrame, colours: list[str], limit: float, cur, spent: bool) -> float:
    """The bars of every row, cut at `limit` (a cut bar says its value); returns the bar height.
    Consumed with the commitments stacked on it only when the exports report spend."""
    y = np.arange(len(shown))
    h = 0.26 if spent else 0.36
    consumed = shown["consumed"].astype(float)
    bars = [(shown["budget"], -h if spent else -h / 2, COLORS["budget"], "Budget", 0),
            (shown["forecast"], 0 if spent else h / 2, colours, "Forecast", 0)]
    if spent:
        bars += [(consumed, h, COLORS["consumed"], "Consumed", 0),
                 (consumed.fillna(0) + shown["committed"].astype(float), h, COLORS["committed"], "Committed",
                  consumed.fillna(0).clip(upper=limit))]
    for values, offset, colour, label, left in bars:
        values = values.astype(float)
        ax.barh(y + offset, values.fillna(0).clip(upper=limit) - left, left=left, height=h, color=colour,
                label=label)
        for yi, value in zip(y, values):
            if value > limit and label != "Committed":
                _clipped_bar(ax, yi + offset, value, limit, cur, "#212529" if label == "Budget" else "white")
    return h


def _variance_labels(ax, shown: pd.DataFrame) -> bool:
    """Each row's variance in % right of the axes, in its RAG colour (gid "variance"); whether one is
    marked implausible."""
    side = transforms.blended_transform_factory(ax.transAxes, ax.transData)
    marked = False
    for yi, pct in enumerate(shown["variance_pct"]):
        if pd.notna(pct):
            color, weight = _variance_text_colour(pct)
            marked = marked or bool(implausible("variance_pct", pct))
            ax.text(1.01, yi, _variance_text(pct), va="center", fontsize=8.5, color=color, fontweight=weight,
                    transform=side, gid="variance")
    return marked


_NOT_PHASED = "No budget phased by month in these exports: the cumulative curve needs budget lines by period"


@figure_function(empty=_NOT_PHASED)
def budget_s_curve(df: pd.DataFrame, currency: str | None = None, as_of=None,
                   title: str = "Cumulative budget, forecast and consumed") -> plt.Figure | Note:
    """S-curves from budget_curve: cumulative budget, forecast and consumed per month.

    Per-project rows are added up per period. Consumed is drawn up to the last month with spend (or
    `as_of`), where a dotted line marks the status date. Budget lines in one period only (an export
    with project totals, not monthly phasing) give a Note: one point is no curve.
    """
    periods = df["period"].dropna().unique()
    if len(periods) < 2:
        when = f" (all of them are in {pd.Timestamp(periods[0]):%b %Y})" if len(periods) else ""
        return Note(_NOT_PHASED + when)
    per = df.groupby("period", as_index=False)[["budget", "forecast", "consumed"]].sum().sort_values("period")
    for c in ("budget", "forecast", "consumed"):
        per[f"cum_{c}"] = per[c].cumsum()
    if "cum_budget" in df.columns and "project_id" not in df.columns:  # keep the metric's own totals
        per[["cum_budget", "cum_forecast", "cum_consumed"]] = (
            df.sort_values("period")[["cum_budget", "cum_forecast", "cum_consumed"]].to_numpy())
    status = pd.Timestamp(as_of) if as_of is not None else (
        per.loc[per["consumed"] > 0, "period"].max() if (per["consumed"] > 0).any() else None)
    cur = currency_of(df, currency)
    fig, ax = titled_figure(title, "Running totals by month" + (
        "" if df["consumed"].notna().any() else "; consumed not reported"), size=(10, 5))
    ax.plot(per["period"], per["cum_budget"], color=COLORS["budget"], lw=2.5, label="Budget (approved)")
    ax.plot(per["period"], per["cum_forecast"], color=COLORS["forecast"], lw=2, ls="--", label="Forecast")
    spent = per if status is None else per[per["period"] <= status]
    if df["consumed"].notna().any():  # no actuals in the exports: no line (missing, not 0)
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
