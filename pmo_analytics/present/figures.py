"""Figures for the PMO views: each takes a metrics DataFrame and returns a matplotlib Figure.

Every function draws one question's answer with a title, labelled axes with units (the currency comes from
the frame's `currency` column unless given) and fonts readable at dashboard size. None calls plt.show:
the caller displays the figure and closes it (`display(fig); plt.close(fig)`). An empty frame gives a
figure that says "No data for this selection" instead of raising.

Figures are made with pyplot (so the inline backend shows them) inside a local style context: importing
this module changes no global matplotlib setting.
"""
from __future__ import annotations

import functools
import inspect
import textwrap

import matplotlib.colors as mcolors
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter

NO_DATA = "No data for this selection"

# One palette for every view.
COLORS = {
    "budget": "#a9b4c2",     # approved budget: neutral grey-blue
    "forecast": "#2b6cb0",   # forecast within budget
    "warning": "#e8590c",    # over budget / worse: the one colour that shouts
    "consumed": "#1c3d5a",   # actuals
    "committed": "#74a9d8",  # open orders
    "pv": "#868e96", "ev": "#2b8a3e", "ac": "#c92a2a",
    "better": "#2f9e44", "worse": "#e8590c", "total": "#495057", "muted": "#868e96",
}
RAG = {"green": "#2f9e44", "amber": "#f59f00", "red": "#e03131"}
RAG_TINT = {"green": "#ebfbee", "amber": "#fff9db", "red": "#fff5f5", None: "#f1f3f5"}
# Risk matrix background by score (probability band x impact): low, medium, high.
RISK_ZONES = ((4, "#b2f2bb", "low"), (12, "#ffe066", "medium"), (25, "#ffa8a8", "high"))
# Utilisation: pale blue (spare) -> white at 100% -> red quickly above it, so over-allocation stands out.
LOAD_CMAP = mcolors.LinearSegmentedColormap.from_list(
    "pmo_load", [(0.0, "#6fa8dc"), (0.35, "#c6dbef"), (0.5, "#f8f9fa"), (0.6, "#fcae91"),
                 (0.8, "#e03131"), (1.0, "#7f0000")])

_STYLE = {
    "figure.dpi": 100, "savefig.dpi": 110, "savefig.bbox": "tight",
    "font.size": 10, "axes.titlesize": 11, "axes.titleweight": "normal", "axes.titlecolor": "#495057",
    "axes.titlelocation": "left", "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9,
    "figure.titlesize": 14, "figure.titleweight": "bold", "legend.fontsize": 9, "legend.frameon": False,
    "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#adb5bd",
    "axes.grid": True, "grid.color": "#dee2e6", "grid.linewidth": 0.8, "axes.axisbelow": True,
    "figure.facecolor": "white", "axes.facecolor": "white",
}
CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥"}


# ------------------------------------------------------------------------------ shared helpers
def figure_function(func):
    """Runs a figure function in the house style; an empty or missing frame gives the no-data figure."""
    default_title = inspect.signature(func).parameters["title"].default

    @functools.wraps(func)
    def wrapper(df, *args, **kwargs):
        with plt.rc_context(_STYLE):
            if df is None or len(df) == 0:
                return empty_figure(kwargs.get("title") or default_title)
            return func(df, *args, **kwargs)
    return wrapper


def empty_figure(title: str = "", message: str = NO_DATA, size=(8, 3)) -> plt.Figure:
    """A figure with only the title and a message (by default "No data for this selection")."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=size, layout="constrained")
        fig.suptitle(title, x=0.01, ha="left")
        ax.set_axis_off()
        ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=13, color=COLORS["muted"],
                transform=ax.transAxes)
        return fig


def _figure(title: str, subtitle: str = "", size=(10, 5.5), **kwargs):
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
    return f"{what} ({currency})" if currency else what


def money_axis(axis, currency: str | None = None) -> None:
    """Ticks like £1.2m / £350k on a matplotlib axis (ax.xaxis or ax.yaxis)."""
    symbol = CURRENCY_SYMBOLS.get(currency or "", "")
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: short_money(v, symbol)))


def short_money(value: float, symbol: str = "") -> str:
    sign = "-" if value < 0 else ""
    v = abs(value)
    for limit, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if v >= limit:
            return f"{sign}{symbol}{v / limit:.3g}{suffix}"
    return f"{sign}{symbol}{v:,.0f}"


def _label(row, width: int = 32) -> str:
    """'PRJ-0001 Project name' (shortened) for a project row, else the rollup's group value."""
    if "project_id" in row.index:
        name = row.get("name", row.get("project_name", ""))
        text = f"{row['project_id']} {'' if pd.isna(name) else name}".strip()
    else:
        text = next((str(row[c]) for c in ("program", "portfolio", "department", "team", "role")
                     if c in row.index), "")
    return textwrap.shorten(text, width=width, placeholder="…")


def _group_column(df: pd.DataFrame, candidates=("portfolio", "program", "department", "project_id")):
    return next((c for c in candidates if c in df.columns), None)


def _date_axis(axis) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    axis.set_major_locator(locator)
    axis.set_major_formatter(mdates.ConciseDateFormatter(locator))


# ------------------------------------------------------------------------------ budget
@figure_function
def budget_variance_chart(df: pd.DataFrame, top: int | None = 20, currency: str | None = None,
                          title: str = "Budget, forecast, committed and consumed") -> plt.Figure:
    """Per project (or rollup) from budget_variance: three bars per row, sorted by variance.

    Budget (grey), forecast (blue, or the warning colour when over budget) and consumed with the
    open commitments stacked on it. Rows are sorted by variance, largest overspend at the top; with
    `top`, only the rows with the largest absolute variance are shown. Each BarContainer is labelled
    ("Budget", "Forecast", "Consumed", "Committed") and holds one bar per row, top row first.
    """
    data = df.assign(_abs=df["variance"].abs()).sort_values("_abs", ascending=False, na_position="last")
    shown = data.head(top) if top else data
    shown = shown.sort_values("variance", ascending=False, na_position="last").reset_index(drop=True)
    cur = currency_of(df, currency)
    what = "projects" if "project_id" in df.columns else "groups"
    subtitle = (f"{len(shown)} of {len(df)} {what} with the largest variance" if len(shown) < len(df)
                else f"{len(df)} {what}") + ", largest overspend on top"
    fig, ax = _figure(title, subtitle, size=(10, 1.9 + 0.36 * len(shown)))
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
    ax.set_yticks(y, [_label(r) for _, r in shown.iterrows()])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.margins(y=0.01)
    xmax = np.nanmax(shown[["budget", "forecast"]].to_numpy(dtype=float)) if len(shown) else 0
    for yi, pct, o in zip(y, shown["variance_pct"], over):
        if pd.notna(pct):
            ax.text(xmax * 1.02, yi, f"{pct:+.1f}%", va="center", fontsize=8.5,
                    color=COLORS["warning"] if o else COLORS["muted"], fontweight="bold" if o else None)
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
    fig, ax = _figure(title, "Running totals by month", size=(10, 5))
    ax.plot(per["period"], per["cum_budget"], color=COLORS["budget"], lw=2.5, label="Budget (approved)")
    ax.plot(per["period"], per["cum_forecast"], color=COLORS["forecast"], lw=2, ls="--", label="Forecast")
    spent = per if status is None else per[per["period"] <= status]
    ax.plot(spent["period"], spent["cum_consumed"], color=COLORS["consumed"], lw=2.5, label="Consumed")
    if status is not None:
        ax.axvline(status, color=COLORS["muted"], ls=":", lw=1.2)
        ax.text(status, ax.get_ylim()[1], f" status {pd.Timestamp(status):%b %Y}", va="top", fontsize=8.5,
                color=COLORS["muted"])
    _date_axis(ax.xaxis)
    money_axis(ax.yaxis, cur)
    ax.set_xlabel("Month")
    ax.set_ylabel(money_label("Cumulative amount", cur))
    ax.legend(loc="upper left")
    return fig


# ------------------------------------------------------------------------------ earned value
@figure_function
def evm_s_curve(df: pd.DataFrame, currency: str | None = None,
                title: str = "Earned value: planned, earned and actual cost") -> plt.Figure:
    """S-curves from evm_series: cumulative PV, EV and AC per month, added up over the projects.

    For a single project the BAC is drawn as a horizontal line.
    """
    per = df.groupby("period", as_index=False)[["pv", "ev", "ac"]].sum().sort_values("period")
    cur = currency_of(df, currency)
    projects = df["project_id"].nunique() if "project_id" in df.columns else 1
    fig, ax = _figure(title, f"{projects} project{'s' if projects != 1 else ''}, cumulative by month",
                      size=(10, 5))
    ax.plot(per["period"], per["pv"], color=COLORS["pv"], lw=2.2, ls="--", label="PV (planned value)")
    ax.plot(per["period"], per["ev"], color=COLORS["ev"], lw=2.5, label="EV (earned value)")
    ax.plot(per["period"], per["ac"], color=COLORS["ac"], lw=2.2, label="AC (actual cost)")
    if projects == 1 and "bac" in df.columns and df["bac"].notna().any():
        bac = float(df["bac"].dropna().iloc[-1])
        ax.axhline(bac, color=COLORS["total"], lw=1, ls=":")
        ax.text(per["period"].iloc[-1], bac, f"BAC {short_money(bac, CURRENCY_SYMBOLS.get(cur or '', ''))}",
                ha="right", va="bottom", fontsize=8.5, color=COLORS["total"])
    _date_axis(ax.xaxis)
    money_axis(ax.yaxis, cur)
    ax.set_xlabel("Month")
    ax.set_ylabel(money_label("Cumulative value", cur))
    ax.legend(loc="center left")
    return fig


@figure_function
def cpi_spi_quadrant(df: pd.DataFrame, annotate: int = 6,
                     title: str = "Cost and schedule performance (CPI vs SPI)") -> plt.Figure:
    """Scatter of evm's SPI (x) against CPI (y), one point per project, sized by BAC.

    Lines at 1.0 split the quadrants, which are labelled; the `annotate` worst projects (lowest
    CPI x SPI) are named. Projects without a CPI or SPI are left out (counted in the subtitle).
    """
    data = df.dropna(subset=["cpi", "spi"])
    if data.empty:
        return empty_figure(title)
    left_out = len(df) - len(data)
    subtitle = f"{len(data)} projects" + (f" ({left_out} without CPI/SPI left out)" if left_out else "")
    fig, ax = _figure(title, subtitle + "; point size = budget at completion", size=(9, 6.5))
    lo = min(0.6, data["spi"].min() - 0.05, data["cpi"].min() - 0.05)
    hi = max(1.4, data["spi"].max() + 0.05, data["cpi"].max() + 0.05)
    zone = np.where((data["cpi"] >= 1) & (data["spi"] >= 1), "green",
                    np.where((data["cpi"] < 1) & (data["spi"] < 1), "red", "amber"))
    bac = data["bac"].fillna(0) if "bac" in data.columns else pd.Series(1.0, index=data.index)
    sizes = 30 + 270 * np.sqrt(bac / bac.max()) if bac.max() > 0 else 60
    ax.scatter(data["spi"], data["cpi"], s=sizes, c=[RAG[z] for z in zone], alpha=0.75,
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
    worst = data.assign(_s=data["cpi"] * data["spi"]).nsmallest(annotate, "_s") if annotate else data[:0]
    for _, r in worst.iterrows():
        ax.annotate(_label(r, 26), (r["spi"], r["cpi"]), xytext=(8, -3), textcoords="offset points",
                    fontsize=8.5, color=COLORS["total"],
                    arrowprops={"arrowstyle": "-", "color": COLORS["muted"], "lw": 0.6})
    ax.set_xlabel("SPI = EV / PV (schedule; below 1 = behind)")
    ax.set_ylabel("CPI = EV / AC (cost; below 1 = over budget)")
    return fig


# ------------------------------------------------------------------------------ resources
@figure_function
def resource_heatmap(df: pd.DataFrame, by: str | None = None, max_rows: int = 30, as_of=None,
                     title: str = "Resource load (planned hours / capacity)") -> plt.Figure:
    """Heatmap of resource_load utilisation: rows are people, teams or roles; columns weeks or months.

    The colour scale diverges at 100%: blue is spare capacity, white fully loaded, red over-allocated.
    With more than `max_rows` rows, those with the highest peak load are kept. With `as_of`, a line
    marks the status date (weeks to its right are plans).
    """
    by = by or ("resource" if "resource_id" in df.columns else "team" if "team" in df.columns else "role")
    grain = "week" if "week" in df.columns else "month"
    data = df.copy()
    if by == "resource":
        data["row"] = data["name"].fillna(data["resource_id"]) + " · " + data["team"].fillna("")
        clash = data.groupby("row")["resource_id"].transform("nunique") > 1
        data.loc[clash, "row"] = data["row"] + " (" + data["resource_id"] + ")"
    else:
        data["row"] = data[by].fillna("(none)")
    data["pct"] = data["utilisation"] * 100
    grid = data.pivot_table(index="row", columns=grain, values="pct", aggfunc="mean")
    peak = grid.max(axis=1).sort_values(ascending=False)
    total = len(grid)
    grid = grid.loc[peak.index[:max_rows]] if total > max_rows else grid.loc[peak.index]
    subtitle = (f"{len(grid)} of {total} {'people' if by == 'resource' else by + 's'}, highest peak first"
                if total > len(grid) else f"{total} {'people' if by == 'resource' else by + 's'}")
    cols = grid.shape[1]
    fig, ax = _figure(title, subtitle + "; over 100% = over-allocated",
                      size=(min(16, max(8, 2.8 + 0.34 * cols)), 1.8 + 0.34 * len(grid)))
    vmax = max(130.0, float(np.nanmax(grid.to_numpy())) if grid.size else 130.0)
    norm = mcolors.TwoSlopeNorm(vmin=0, vcenter=100, vmax=vmax)
    annot = grid.size <= 400
    sns.heatmap(grid, ax=ax, cmap=LOAD_CMAP, norm=norm, linewidths=0.5, linecolor="white",
                annot=annot, fmt=".0f", annot_kws={"fontsize": 7.5},
                cbar_kws={"label": "Planned / capacity (%)", "shrink": 0.8})
    ax.grid(False)
    labels = [pd.Timestamp(c).strftime("%d %b" if grain == "week" else "%b %Y") for c in grid.columns]
    step = max(1, int(np.ceil(cols / 20)))
    ax.set_xticks(np.arange(cols)[::step] + 0.5, labels[::step], rotation=90)
    if as_of is not None:
        later = [i for i, c in enumerate(grid.columns) if pd.Timestamp(c) > pd.Timestamp(as_of)]
        if later:
            ax.axvline(later[0], color="#212529", lw=2)
            ax.text(later[0], -0.15, " plan →", fontsize=8.5, va="bottom", color="#212529")
    ax.set_xlabel("Week (Monday)" if grain == "week" else "Month")
    ax.set_ylabel({"resource": "Person · team", "team": "Team", "role": "Role"}.get(by, by))
    ax.tick_params(axis="y", rotation=0)
    return fig


# ------------------------------------------------------------------------------ risks
def _risk_zone(score: int) -> tuple[str, str]:
    return next((color, name) for limit, color, name in RISK_ZONES if score <= limit)


@figure_function
def risk_matrix_chart(df: pd.DataFrame, title: str = "Risk matrix: active risks") -> plt.Figure:
    """The 5x5 matrix from risk_matrix: probability band (y) by impact (x), the count in each cell.

    The background is green / amber / red by score (band x impact: up to 4, up to 12, above). Count
    texts carry gid "count"; empty cells show 0 in grey.
    """
    counts = df.set_index(["probability_band", "impact"])["count"]
    fig, ax = _figure(title, f"{int(counts.sum())} risks placed by probability and impact", size=(7, 6))
    for band in range(1, 6):
        for impact in range(1, 6):
            color, _ = _risk_zone(band * impact)
            ax.add_patch(Rectangle((impact - 0.5, band - 0.5), 1, 1, facecolor=color, edgecolor="white",
                                   lw=2))
            n = int(counts.get((band, impact), 0))
            ax.text(impact, band, str(n), ha="center", va="center", gid="count",
                    fontsize=15 if n else 12, fontweight="bold" if n else "normal",
                    color="#212529" if n else "#868e96")
    ax.set_xlim(0.5, 5.5)
    ax.set_ylim(0.5, 5.5)
    ax.set_aspect("equal")
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks(range(1, 6), ["1\nminimal", "2\nminor", "3\nmoderate", "4\nmajor", "5\nsevere"])
    ax.set_yticks(range(1, 6), ["1  ≤20%", "2  ≤40%", "3  ≤60%", "4  ≤80%", "5  >80%"])
    ax.tick_params(length=0)
    ax.set_xlabel("Impact (1-5 scale)")
    ax.set_ylabel("Probability band")
    ax.legend(handles=[Patch(color=c, label=f"{n} (score ≤{lim})" if lim < 25 else f"{n} (score ≥15)")
                       for lim, c, n in RISK_ZONES],
              loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3)
    return fig


@figure_function
def exposure_trend_chart(df: pd.DataFrame, by: str | None = None, currency: str | None = None,
                         title: str = "Risk exposure over time (EMV of active risks)") -> plt.Figure:
    """Lines of exposure_trend's total_emv per snapshot, one per portfolio (or the frame's group)."""
    by = by or _group_column(df)
    cur = currency_of(df, currency)
    fig, ax = _figure(title, "Expected monetary value = probability x impact cost, summed per snapshot",
                      size=(10, 5))
    groups = df.groupby(by, dropna=False) if by else [("All", df)]
    palette = sns.color_palette("colorblind", n_colors=max(3, len(groups) if by else 1))
    for (name, g), color in zip(groups, palette):
        g = g.groupby("as_of", as_index=False)["total_emv"].sum().sort_values("as_of")
        ax.plot(g["as_of"], g["total_emv"], marker="o", ms=4, lw=2, color=color, label=str(name))
    _date_axis(ax.xaxis)
    money_axis(ax.yaxis, cur)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Snapshot (month end)")
    ax.set_ylabel(money_label("Exposure (EMV)", cur))
    ax.legend(title=(by or "").replace("_", " ").capitalize() or None, loc="upper left",
              bbox_to_anchor=(1.0, 1.0))
    return fig


# ------------------------------------------------------------------------------ milestones
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
    fig, ax = _figure(title, f"{len(groups)} milestones; rising line = forecast slipping",
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
    _date_axis(ax.xaxis)
    ax.yaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
    ax.yaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.set_xlabel("Snapshot (month end)")
    ax.set_ylabel("Forecast date (actual once achieved, ◆)")
    if len(groups) <= 20:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8.5)
    return fig


# ------------------------------------------------------------------------------ KPIs
def format_kpi(value, unit: str) -> str:
    """A KPI value as a director reads it: 52.6%, 0.96, 166 days, 12, 99.6."""
    if value is None or pd.isna(value):
        return "n/a"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "ratio":
        return f"{value:.2f}"
    if unit == "days":
        return f"{value:.0f} days"
    if unit == "count":
        return f"{value:.0f}"
    return f"{value:.1f}"


@figure_function
def kpi_tiles(df: pd.DataFrame, ncols: int = 5, title: str = "PMO improvement KPIs") -> plt.Figure:
    """A grid of tiles from kpis: per KPI the latest value, its RAG colour, target, trend and sparkline.

    One tile axes per KPI (gid "kpi:<key>", facecolor the RAG tint, left bar the RAG colour) in the
    frame's order; the sparkline is an inset with the target as a dashed line.
    """
    keys = list(dict.fromkeys(df["kpi"]))
    nrows = int(np.ceil(len(keys) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.9 * ncols, 2.5 * nrows), layout="constrained",
                             squeeze=False)
    fig.suptitle(title, x=0.01, ha="left")
    for ax in axes.flat[len(keys):]:
        ax.set_axis_off()
    for ax, key in zip(axes.flat, keys):
        hist = df[df["kpi"] == key].sort_values("as_of")
        last = hist.iloc[-1]
        rag = last["rag"] if isinstance(last["rag"], str) else None
        ax.set_gid(f"kpi:{key}")
        ax.set_facecolor(RAG_TINT.get(rag, RAG_TINT[None]))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.add_patch(Rectangle((0, 0), 0.025, 1, transform=ax.transAxes, color=RAG.get(rag, "#adb5bd"),
                               clip_on=False))
        ax.text(0.07, 0.93, textwrap.fill(str(last["label"]), 30), transform=ax.transAxes, va="top",
                fontsize=9, color="#343a40")
        ax.text(0.07, 0.63, format_kpi(last["value"], last["unit"]), transform=ax.transAxes, va="center",
                fontsize=19, fontweight="bold", color=RAG.get(rag, "#495057"))
        sense = "≥" if last["higher_is_better"] else "≤"
        trend = {"up": "▲", "down": "▼", "flat": "▶"}.get(last["trend"], "")
        good = last["improving"]
        change = "" if pd.isna(last["change"]) else f" {last['change']:+.2g}"
        ax.text(0.07, 0.45, f"target {sense} {format_kpi(last['target'], last['unit'])}   {trend}{change}",
                transform=ax.transAxes, fontsize=8.5,
                color=COLORS["muted"] if pd.isna(good) or last["trend"] == "flat"
                else (COLORS["better"] if good else COLORS["worse"]))
        spark = ax.inset_axes([0.07, 0.06, 0.88, 0.32])
        spark.plot(hist["as_of"], hist["value"], color="#495057", lw=1.4)
        if hist["value"].notna().any():
            spark.plot(hist["as_of"].iloc[-1], hist["value"].iloc[-1], "o", ms=4,
                       color=RAG.get(rag, "#495057"))
        spark.axhline(last["target"], color=RAG["green"], lw=0.9, ls="--")
        spark.set_axis_off()
    return fig


@figure_function
def kpi_distribution_chart(df: pd.DataFrame, title: str = "Spread behind the median") -> plt.Figure:
    """Histogram of kpi_distribution's per-project CPI or SPI, with the 0.9 and 1.0 lines."""
    measure = str(df["measure"].iloc[0]).upper() if "measure" in df.columns else "Value"
    fig, ax = _figure(title, f"{measure} of {len(df)} active projects", size=(8, 4))
    sns.histplot(df["value"], bins=20, ax=ax, color=COLORS["forecast"], edgecolor="white")
    for x, color in ((0.9, COLORS["warning"]), (1.0, COLORS["total"])):
        ax.axvline(x, color=color, lw=1.2, ls="--")
    ax.axvline(df["value"].median(), color=COLORS["ev"], lw=2, label=f"median {df['value'].median():.2f}")
    ax.set_xlabel(f"{measure} (ratio; 1.0 = on plan)")
    ax.set_ylabel("Projects")
    ax.legend(loc="upper right")
    return fig


# ------------------------------------------------------------------------------ what changed
# drift's measures: how their change is counted (positive is always worse) and what to call them.
DRIFT_MEASURES = {
    "forecast": ("money", "Forecast (expected final spend)"),
    "eac": ("money", "EAC (BAC / CPI)"),
    "risk_emv": ("money", "Risk exposure (EMV of active risks)"),
    "top_risk": ("money", "EMV of the top risk"),
    "end_date": ("days", "Forecast finish date"),
    "rag": ("RAG steps", "RAG rating (green = 1 ... red = 5)"),
}


def _change_text(value: float, unit: str, symbol: str) -> str:
    if unit == "money":
        return ("+" if value > 0 else "-") + short_money(abs(value), symbol)
    if unit == "days":
        return f"{value:+,.0f} d"
    return f"{value:+g}"


@figure_function
def drift_chart(df: pd.DataFrame, measure: str | None = None, top: int = 12, currency: str | None = None,
                title: str = "What changed since the previous snapshot") -> plt.Figure:
    """A waterfall of drift's changes for one measure: each project's change, then the net change.

    Projects are ordered by the size of their change (largest first); those beyond `top` are combined
    into one bar. Each bar starts where the previous one ended, so the last bar ("Net change") is
    their sum. Worse changes (direction 'worse': positive) take the warning colour, better ones green.
    The measure defaults to forecast; rows without a numeric change (e.g. 'project') are left out.
    """
    numeric = df.dropna(subset=["change"])
    measures = list(dict.fromkeys(numeric["measure"]))
    if not measures:
        return empty_figure(title)
    measure = measure if measure in measures else ("forecast" if "forecast" in measures else measures[0])
    unit, what = DRIFT_MEASURES.get(measure, ("", measure.replace("_", " ")))
    data = numeric[numeric["measure"] == measure]
    data = data.reindex(data["change"].abs().sort_values(ascending=False).index)
    shown, rest = data.head(top), data.iloc[top:]
    rows = [(_label(r, 30), float(r["change"])) for _, r in shown.iterrows()]
    if len(rest):
        rows.append((f"{len(rest)} other projects", float(rest["change"].sum())))
    net = float(data["change"].sum())
    cur = currency_of(df, currency) if unit == "money" else None
    symbol = CURRENCY_SYMBOLS.get(cur or "", "")
    fig, ax = _figure(title, f"{what}: {len(data)} project{'s' if len(data) != 1 else ''} changed; "
                      "positive = worse", size=(10, 1.9 + 0.38 * (len(rows) + 1)))
    starts = np.concatenate([[0.0], np.cumsum([c for _, c in rows])[:-1]]) if rows else np.array([])
    changes = [c for _, c in rows] + [net]
    lefts = list(starts) + [0.0]
    colors = [COLORS["worse"] if c > 0 else COLORS["better"] for c in changes[:-1]]
    colors.append(COLORS["total"])
    y = np.arange(len(changes))
    ax.barh(y, changes, left=lefts, color=colors, height=0.62)
    for yi, left, c in zip(y, lefts, changes):
        ax.text(max(left, left + c), yi, "  " + _change_text(c, unit, symbol), va="center", fontsize=8.5,
                color=COLORS["total"], fontweight="bold" if yi == y[-1] else None)
    ax.axvline(0, color=COLORS["total"], lw=0.8)
    ax.set_yticks(y, [label for label, _ in rows] + ["Net change"])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ends = np.array(lefts) + np.array(changes)
    lo, hi = min(0.0, float(np.min(ends)), float(np.min(lefts))), max(0.0, float(np.max(ends)),
                                                                      float(np.max(lefts)))
    pad = (hi - lo) * 0.12 or 1.0
    ax.set_xlim(lo - pad * 0.3, hi + pad)
    if unit == "money":
        money_axis(ax.xaxis, cur)
    ax.set_xlabel(f"Change in {what[0].lower() + what[1:]}" + (f" ({cur})" if cur else
                                                                f" ({unit})" if unit else ""))
    return fig


__all__ = [
    "COLORS",
    "NO_DATA",
    "RAG",
    "budget_s_curve",
    "budget_variance_chart",
    "cpi_spi_quadrant",
    "drift_chart",
    "empty_figure",
    "evm_s_curve",
    "exposure_trend_chart",
    "kpi_distribution_chart",
    "kpi_tiles",
    "milestone_trend_chart",
    "resource_heatmap",
    "risk_matrix_chart",
]
