"""Risk-adjusted forecast figures (issue 16): the portfolio's cost S-curve with its budget, point
forecast, P50 and P80 marked; the drivers of its spread (a tornado); each project's P50-P90 cost and
finish as range bars against its budget and baseline. They take the frames of a Simulation or of the
saved forecast (metrics.forecast_store.latest_forecast: "curve", "portfolio", "projects")."""
from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from pmo_analytics.present import format as fmt
from pmo_analytics.present.format import chance
from pmo_analytics.present.figures.base import (
    COLORS,
    Note,
    chart_money,
    date_axis,
    figure_function,
    money_axis,
    money_label,
    row_label,
    titled_figure,
)

NO_FORECAST = "No risk-adjusted forecast for this snapshot: `pmo forecast` computes and saves one"
# The S-curve's marks: portfolio column -> (label, colour, line style); gid is the column's short name.
CURVE_MARKS = {
    "bac": ("BAC (budget)", "#212529", "-"),
    "eac": ("EAC (point forecast)", COLORS["muted"], "--"),
    "cost_p50": ("P50", COLORS["forecast"], ":"),
    "cost_p80": ("P80", COLORS["warning"], ":"),
}
KIND_COLORS = {"project": COLORS["forecast"], "risk": COLORS["warning"]}
RANGE_OK, RANGE_OVER, RANGE_UNKNOWN = COLORS["forecast"], COLORS["warning"], COLORS["budget"]


def _gid(column: str) -> str:
    return column.removeprefix("cost_")


@figure_function(empty=NO_FORECAST)
def cost_s_curve(curve: pd.DataFrame, portfolio: pd.DataFrame | None = None, currency: str | None = None,
                 title: str = "Portfolio cost at completion: how likely each total is") -> plt.Figure | Note:
    """The portfolio total's probability of costing at most each amount (curve: cost, probability 0..1;
    gid "s_curve"), with a vertical line at its BAC, EAC, P50 and P80 (gids "bac", "eac", "p50",
    "p80"; one without a value is left out and said so). The subtitle gives the chance of finishing
    within the budget and the contingency at P80 (P80 - EAC)."""
    data = curve.dropna(subset=["cost", "probability"]).sort_values("cost")
    if data.empty:
        return Note("The forecast has no cost distribution to draw (no draws of the portfolio's total)")
    row = portfolio.iloc[0] if portfolio is not None and len(portfolio) else pd.Series(dtype=float)
    fig, ax = titled_figure(title, _curve_subtitle(row, currency), size=(10, 5.2))
    ax.plot(data["cost"], 100 * data["probability"].astype(float), color=COLORS["total"], lw=2.2, gid="s_curve",
            label="P(total cost ≤ amount)")
    for column, (label, colour, style) in CURVE_MARKS.items():
        value = row.get(column)
        if fmt.is_missing(value):
            continue
        ax.axvline(float(value), color=colour, ls=style, lw=1.6, gid=_gid(column),
                   label=f"{label} {chart_money(value, currency)}")
    money_axis(ax.xaxis, currency)
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylim(0, 100)
    ax.set_xlabel(money_label("Total cost at completion", currency))
    ax.set_ylabel("Probability the total is at most this")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def _curve_subtitle(row: pd.Series, currency: str | None) -> str:
    parts = []
    if not fmt.is_missing(row.get("prob_within_budget")):
        parts.append(f"chance of finishing within the budget {chance(row['prob_within_budget'])}")
    if not fmt.is_missing(row.get("contingency_p80")):
        parts.append(f"contingency at P80 (P80 - EAC) {fmt.money(row['contingency_p80'], currency)}")
    missing = [CURVE_MARKS[c][0].split(" ")[0] for c in CURVE_MARKS if fmt.is_missing(row.get(c))]
    if missing:
        parts.append(f"not marked (unknown): {', '.join(missing)}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


@figure_function(empty="No drivers to rank: no project's cost varies in the forecast and no risk has a cost")
def forecast_tornado(tornado: pd.DataFrame, currency: str | None = None, n: int = 10,
                     title: str = "What drives the spread of the portfolio's cost") -> plt.Figure | Note:
    """The `n` largest drivers of the total's spread (Simulation.tornado: driver, kind, contribution,
    amount), largest on top, as horizontal bars of their share of the total's variance (gid
    "driver:ID"), a project's CPI in blue, a risk in orange, each labelled with its share and, where
    given, its part of P80 - P50."""
    data = tornado.dropna(subset=["contribution"])
    if data.empty:
        return Note("No driver has a contribution to the spread: nothing to rank")
    data = data.reindex(data["contribution"].abs().sort_values(ascending=False, kind="stable").index).head(n)
    fig, ax = titled_figure(title, f"Share of the total's variance (the {fmt.plural(len(data), 'largest driver')}"
                            "); the amount is that share of P80 - P50", size=(10, 0.9 + 0.42 * len(data)))
    y = np.arange(len(data))[::-1]
    for yi, row in zip(y, data.itertuples()):
        share = 100 * float(row.contribution)
        ax.barh(yi, share, height=0.6, color=KIND_COLORS.get(row.kind, COLORS["muted"]), gid=f"driver:{row.driver}")
        amount = getattr(row, "amount", np.nan)
        text = fmt.percent(share) + ("" if fmt.is_missing(amount) else f"  {chart_money(amount, currency)}")
        ax.text(share, yi, f" {text}", va="center", ha="left" if share >= 0 else "right", fontsize=9, gid="label")
    ax.set_yticks(y, [str(d) for d in data["driver"]])
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlim(min(0.0, 100 * data["contribution"].min() * 1.3), max(1.0, 100 * data["contribution"].max() * 1.3))
    ax.axvline(0, color="#adb5bd", lw=0.8)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Share of the variance of the portfolio's total cost")
    kinds = [k for k in KIND_COLORS if k in set(data["kind"])]
    ax.legend(handles=[Patch(color=KIND_COLORS[k], label="project (its CPI)" if k == "project" else "risk")
                       for k in kinds], loc="lower right")
    return fig


def _ranges(df: pd.DataFrame, low: str, high: str, reference: str, n: int) -> tuple[pd.DataFrame, int, int]:
    """(the n rows with the largest `high` - `reference` first, a row without it after those with it;
    how many rows had no range and were left out; how many rows there were with one)."""
    usable = df.dropna(subset=[low, high])
    over = usable[high] - usable[reference]
    if pd.api.types.is_timedelta64_dtype(over):
        over = over.dt.days
    order = over.astype(float).fillna(-np.inf).sort_values(ascending=False, kind="stable").index
    return usable.loc[order].head(n), len(df) - len(usable), len(usable)


def _range_subtitle(what: str, shown: int, total: int, dropped: int) -> str:
    text = f"P50 to P90 of each project's {what}; the {fmt.plural(shown, 'project')} "
    text += f"(of {total:,}) " if shown < total else ""
    text += "furthest past it first"
    return text + (f"; {fmt.plural(dropped, 'project')} without a forecast left out" if dropped else "")


def _past(value: pd.Series, reference: pd.Series) -> pd.Series:
    """value > reference, NaN (unknown) where there is no reference."""
    return (value > reference).astype(object).where(reference.notna())


def _range_bars(ax, rows: pd.DataFrame, left, width, over: pd.Series) -> np.ndarray:
    """One bar per row (gid "range:PROJECT"), orange where `over`, grey where it is unknown (NaN), the
    first row on top; returns y."""
    y = np.arange(len(rows))[::-1]
    for yi, project, lo, w, bad in zip(y, rows["project_id"], left, width, over):
        colour = RANGE_UNKNOWN if pd.isna(bad) else RANGE_OVER if bad else RANGE_OK
        ax.barh(yi, w, left=lo, height=0.55, color=colour, alpha=0.85, gid=f"range:{project}")
    ax.set_yticks(y, [row_label(r, width=28) for _, r in rows.iterrows()])
    ax.grid(axis="y", visible=False)
    return y


def _range_legend(over: pd.Series, ok: str, bad: str, unknown: str) -> list:
    """The bars' legend: the colours the bars use."""
    kinds = ((RANGE_OK, ok, over.eq(False)), (RANGE_OVER, bad, over.eq(True)), (RANGE_UNKNOWN, unknown, over.isna()))
    return [Patch(color=colour, label=label) for colour, label, used in kinds if used.any()]


def _ticks(ax, y, x, gid: str, colour: str, label: str, size: float = 260) -> Line2D | None:
    """A vertical tick at x on each bar (gid), none where x is unknown; its legend handle."""
    x = pd.Series(np.asarray(x, dtype=float))
    known = x.notna().to_numpy()
    if not known.any():
        return None
    ax.scatter(x[known], y[known], marker="|", s=size, linewidths=2.4, color=colour, zorder=4, gid=gid)
    return Line2D([], [], marker="|", ls="", ms=14, mew=2.4, color=colour, label=label)


@figure_function(empty=NO_FORECAST)
def project_ranges(projects: pd.DataFrame, currency: str | None = None, n: int = 20,
                   title: str = "Cost at completion by project: P50 to P90 against the budget") -> plt.Figure | Note:
    """Each project's P50-P90 cost as a range bar (gid "range:PROJECT", orange when its P80 is above
    its BAC), with its BAC (gid "bac") and EAC (gid "eac") ticked and its P80 dotted (gid "p80"); the
    `n` whose P90 is furthest above their BAC first."""
    rows, dropped, total = _ranges(projects, "cost_p50", "cost_p90", "bac", n)
    if rows.empty:
        return Note("No project has a P50 and P90 cost in this forecast: no ranges to draw")
    fig, ax = titled_figure(title, _range_subtitle("cost against its BAC", len(rows), total, dropped),
                            size=(10, 1.2 + 0.36 * len(rows)))
    p50, p90 = rows["cost_p50"].astype(float), rows["cost_p90"].astype(float)
    over = _past(rows["cost_p80"].astype(float), rows["bac"].astype(float))
    y = _range_bars(ax, rows, p50, p90 - p50, over)
    handles = _range_legend(over, "P50-P90, P80 within BAC", "P80 over BAC", "no BAC")
    handles += [h for h in (_ticks(ax, y, rows["bac"], "bac", "#212529", "BAC (budget)"),
                            _ticks(ax, y, rows["eac"], "eac", COLORS["muted"], "EAC (point forecast)")) if h]
    ax.scatter(rows["cost_p80"].astype(float), y, s=18, color="#212529", zorder=5, gid="p80")
    handles.append(Line2D([], [], marker="o", ls="", ms=4, color="#212529", label="P80"))
    money_axis(ax.xaxis, currency)
    ax.set_xlabel(money_label("Cost at completion", currency))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


@figure_function(empty=NO_FORECAST)
def finish_ranges(projects: pd.DataFrame, n: int = 20,
                  title: str = "Finish by project: P50 to P90 against the baseline") -> plt.Figure | Note:
    """Each project's P50-P90 finish date as a range bar (gid "range:PROJECT", orange when its P80 is
    after its baseline finish), its baseline finish ticked (gid "baseline") and its P80 dotted (gid
    "p80"); the `n` whose P90 is furthest past their baseline first."""
    dates = projects.assign(**{c: pd.to_datetime(projects[c]) for c in
                               ("finish_p50", "finish_p80", "finish_p90", "baseline_finish") if c in projects})
    if "baseline_finish" not in dates:
        dates["baseline_finish"] = pd.NaT
    rows, dropped, total = _ranges(dates, "finish_p50", "finish_p90", "baseline_finish", n)
    if rows.empty:
        return Note("No project has a P50 and P90 finish date in this forecast: no ranges to draw")
    fig, ax = titled_figure(title, _range_subtitle("finish against its baseline", len(rows), total, dropped),
                            size=(10, 1.2 + 0.36 * len(rows)))
    p50, p90 = mdates.date2num(rows["finish_p50"]), mdates.date2num(rows["finish_p90"])
    late = _past(rows["finish_p80"], rows["baseline_finish"])
    y = _range_bars(ax, rows, p50, np.maximum(p90 - p50, 1.0), late)
    baseline = mdates.date2num(rows["baseline_finish"])
    handles = _range_legend(late, "P50-P90, P80 by baseline", "P80 late", "no baseline")
    handles += [h for h in (_ticks(ax, y, baseline, "baseline", "#212529", "Baseline finish"),) if h]
    ax.scatter(mdates.date2num(rows["finish_p80"]), y, s=18, color="#212529", zorder=5, gid="p80")
    handles.append(Line2D([], [], marker="o", ls="", ms=4, color="#212529", label="P80"))
    ax.xaxis_date()
    date_axis(ax.xaxis)
    ax.set_xlabel("Finish date")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig
