"""Arbitration figures (issue 15): what-if scenarios against the baseline (spend against the budget limit,
the change in team or role load, one scenario's capacity fit) and the portfolio optimiser (value against
the budget cap beside the naive ranking, what one more FTE or more budget is worth)."""
from __future__ import annotations

import matplotlib.colors as mcolors
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from pmo_analytics.exceptions import UsageError
from pmo_analytics.present import format as fmt
from pmo_analytics.present.figures.base import (
    COLORS,
    Note,
    chart_money,
    currency_of,
    figure_function,
    money_axis,
    money_label,
    titled_figure,
)
from pmo_analytics.present.figures.resources import resource_heatmap

BASELINE = "Baseline"  # the name scenario_compare gives the snapshot the scenarios are built on
# One colour per scenario, in order: none grey (the baseline) nor the warning orange (months over the limit).
SCENARIO_COLORS = ("#2b6cb0", "#2f9e44", "#8e7cc3", "#0c8599", "#d6336c", "#1c3d5a", "#a0522d", "#5c940d")
# Change in load, in points: green is less load, white none, red more.
DELTA_CMAP = mcolors.LinearSegmentedColormap.from_list(
    "pmo_load_delta", [(0.0, COLORS["better"]), (0.5, "#f8f9fa"), (1.0, "#e03131")])
OVER_EDGE = "#7f0000"  # the outline of a cell still above 100% of capacity
GAP_LABEL_PCT = 1.0    # the optimiser's lead over the ranking is written where it is above this
SOLVER_GAP_NOTE = 1e-3  # a solve that stopped further from its bound than this is worth a caution


def _scenarios(df: pd.DataFrame) -> list[str]:
    """The scenario names in the frame's order, the baseline first."""
    names = list(pd.unique(df["scenario"]))
    return ([BASELINE] if BASELINE in names else []) + [n for n in names if n != BASELINE]


def _colours(names: list[str]) -> dict:
    """The baseline grey, every scenario its own colour (in order, round the palette)."""
    others = iter(SCENARIO_COLORS * (len(names) // len(SCENARIO_COLORS) + 1))
    return {n: COLORS["muted"] if n == BASELINE else next(others) for n in names}


def _over_counts(df: pd.DataFrame, names: list[str]) -> dict:
    """Months each scenario's spend is above its limit (a month without spend or limit is not over)."""
    over = df["spend"].astype(float) > df["limit"].astype(float)
    return {n: int(over[df["scenario"] == n].sum()) for n in names}


def _over_subtitle(counts: dict) -> str:
    """"Baseline: 3 months over the limit; defer-two: 1"."""
    if not any(counts.values()):
        return "No month over the limit, in the baseline or any scenario"
    (first, n), *rest = counts.items()
    return "; ".join([f"{first}: {fmt.plural(n, 'month')} over the limit"] + [f"{k}: {v:,}" for k, v in rest])


def _month_edges(months: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Where each month's step of the limit starts, and where the last ends: half-way between the points
    (spend is drawn on the first of each month), half a month before the first and after the last."""
    half = pd.Timedelta(days=15)
    mids = months[:-1] + (months[1:] - months[:-1]) / 2
    return pd.DatetimeIndex([months[0] - half, *mids, months[-1] + half])


def _step(ax, months, values: pd.Series, **style) -> None:
    """A step line holding each month's value across that month (values[i] from edge i to edge i + 1)."""
    y = values.to_numpy(float)
    ax.plot(_month_edges(months), np.append(y, y[-1]), drawstyle="steps-post", gid="limit", **style)


def _limit_lines(ax, df: pd.DataFrame, names: list[str], colours: dict) -> list:
    """The limit as a step line across each month (gid "limit"): one line when every scenario has the
    same limit in every month, else one dashed line per scenario in its colour. Returns legend handles."""
    data = df.assign(limit=df["limit"].astype(float))
    per = data.pivot_table(index="month", columns="scenario", values="limit", aggfunc="first", dropna=False)
    per = per.reindex(columns=[n for n in names if n in per.columns]).sort_index()
    if per.isna().all().all():
        return []
    if per.nunique(axis=1).le(1).all():
        _step(ax, per.index, per.max(axis=1), color="#212529", lw=1.6, label="Budget limit")
        return [Line2D([], [], color="#212529", lw=1.6, label="Budget limit")]
    for name in per.columns:
        _step(ax, per.index, per[name], color=colours[name], lw=1.2, ls="--", label=f"Limit ({name})")
    return [Line2D([], [], color="#212529", lw=1.2, ls="--", label="Limit (per scenario, dashed)")]


@figure_function(empty="No monthly spend to compare: run the comparison on a snapshot with budget lines ahead")
def scenario_budget(budget: pd.DataFrame, currency: str | None = None,
                    title: str = "Spend by month against the budget limit") -> plt.Figure | Note:
    """Spend by month (scenario_compare's budget frame: scenario, month, spend, limit) for the baseline
    (grey) and each scenario (its own colour, gid "spend:NAME"), the limit as a step line (gid "limit"),
    and a warning-colour dot on every month a scenario's spend is above its limit (one collection, gid
    "over"). A month without spend reported is a gap in its line, never 0. The subtitle counts the
    months over the limit per scenario."""
    if budget["spend"].isna().all():
        return Note("No spend reported for the months ahead, in the baseline or any scenario")
    df = budget.assign(month=pd.to_datetime(budget["month"]), spend=budget["spend"].astype(float)).sort_values(
        "month", kind="stable")
    names = _scenarios(df)
    colours = _colours(names)
    counts = _over_counts(df, names)
    notes = [] if df["limit"].notna().any() else ["no budget limit set"]
    if df["spend"].isna().any():
        notes.append("gaps: spend not reported")
    fig, ax = titled_figure(title, "; ".join([_over_subtitle(counts)] + notes), size=(10, 5.2))
    handles = _limit_lines(ax, df, names, colours)
    for name in names:
        rows = df[df["scenario"] == name]
        ax.plot(rows["month"], rows["spend"], color=colours[name], lw=2.6 if name == BASELINE else 1.9,
                marker="o", ms=3.5, gid=f"spend:{name}", label=name, zorder=3)
    over = df[df["spend"] > df["limit"].astype(float)]
    if len(over):
        ax.scatter(over["month"], over["spend"], s=52, color=COLORS["warning"], zorder=5, gid="over",
                   edgecolors=[colours[n] for n in over["scenario"]], linewidths=1.6, label="Over the limit")
    line_handles = [h for h in ax.get_lines() if (h.get_gid() or "").startswith("spend:")]
    dots = [Line2D([], [], ls="", marker="o", color=COLORS["warning"], label="Over the limit")] if len(over) else []
    ax.legend(handles=line_handles + handles + dots, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=4)
    cur = currency_of(df, currency)
    _month_axis(ax.xaxis, df["month"].nunique())
    money_axis(ax.yaxis, cur)
    ax.set_xlabel("Month")
    ax.set_ylabel(money_label("Spend per month (forecast)", cur))
    return fig


def _month_axis(axis, months: int) -> None:
    """A tick on the first of the months (every month up to 12 of them, else every few)."""
    locator = mdates.MonthLocator(interval=max(1, int(np.ceil(months / 12))))
    axis.set_major_locator(locator)
    axis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _points(value: float) -> str:
    """A change in utilisation, in percentage points, for a cell: "+30", "-5", "+0.4", "0"; "" missing."""
    if pd.isna(value):
        return ""
    if abs(value) < 0.05:
        return "0"
    return f"{value:+.1f}" if abs(value) < 1 else f"{value:+.0f}"


def _delta_grid(rows: pd.DataFrame, names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(delta in points, utilisation) by (group, scenario) row and month, groups by name, scenarios in order."""
    data = rows.assign(month=pd.to_datetime(rows["month"]), row=rows["group"].fillna("(none)"),
                       order=rows["scenario"].map({n: i for i, n in enumerate(names)}))
    keys = data[["row", "order", "scenario"]].drop_duplicates().sort_values(["row", "order"], kind="stable")
    index = pd.MultiIndex.from_frame(keys[["row", "scenario"]])
    delta = data.pivot_table(index=["row", "scenario"], columns="month", values="delta", aggfunc="mean",
                             dropna=False).reindex(index) * 100
    load = data.pivot_table(index=["row", "scenario"], columns="month", values="utilisation", aggfunc="mean",
                            dropna=False).reindex(index=index, columns=delta.columns)
    return delta, load


@figure_function(empty="No load to compare: the snapshot has no resource plan for the months ahead")
def scenario_load_delta(load: pd.DataFrame, by: str = "team",
                        title: str = "Change in load against the baseline") -> plt.Figure | Note:
    """Heatmap of each scenario's change in utilisation against the baseline (scenario_compare's load
    frame: scenario, group, month, utilisation, delta as a fraction): one row per group and scenario
    (the baseline's rows are not drawn), one column per month, the cells written in percentage points.
    Green is less load, red more, white none (the scale is centred on 0); a cell whose scenario is still
    above 100% of capacity is outlined (patches with gid "over"). A Note when no scenario changes any load."""
    who = {"team": "team", "role": "role"}.get(by, by)
    rows = load[load["scenario"] != BASELINE]
    if not len(rows):
        return Note("No scenario to compare with the baseline")
    if load["utilisation"].isna().all():
        return Note("No capacity in these exports: the load cannot be set against capacity")
    if not (rows["delta"].astype(float).abs() >= 0.0005).any():
        return Note(f"No scenario changes the load of any {who}")
    names = [n for n in _scenarios(load) if n != BASELINE]
    delta, util = _delta_grid(rows, names)
    over = util.to_numpy(float) > 1
    subtitle = (f"{fmt.plural(delta.index.get_level_values(0).nunique(), who)} x "
                f"{fmt.plural(len(names), 'scenario')}; points of capacity; outlined: still over 100%"
                + ("; blank: no capacity or no baseline plan that month" if delta.isna().to_numpy().any() else ""))
    fig, ax = titled_figure(title, subtitle, size=(min(16, max(10, 3.6 + 0.5 * delta.shape[1])),
                                                   1.8 + 0.34 * len(delta)))
    top = max(5.0, float(np.nanmax(np.abs(delta.to_numpy(float)))))
    annot = np.vectorize(_points, otypes=[object])(delta.to_numpy(float))
    import seaborn as sns  # here: seaborn brings scipy.stats (1-2 s), which the overview never needs
    sns.heatmap(delta.reset_index(drop=True), ax=ax, cmap=DELTA_CMAP,
                norm=mcolors.TwoSlopeNorm(vmin=-top, vcenter=0, vmax=top), linewidths=0.5, linecolor="white",
                annot=annot, fmt="", annot_kws={"fontsize": 7.5},
                cbar_kws={"label": "Change in utilisation (points)", "shrink": 0.8})
    for i, j in zip(*np.nonzero(over)):
        ax.add_patch(Rectangle((j + 0.04, i + 0.04), 0.92, 0.92, fill=False, edgecolor=OVER_EDGE, lw=1.8,
                               gid="over"))
    groups = delta.index.get_level_values(0)
    for i in np.nonzero(groups[1:] != groups[:-1])[0] + 1:
        ax.axhline(i, color="white", lw=3)
    ax.grid(False)
    ax.set_yticks(np.arange(len(delta)) + 0.5, [f"{g} · {s}" for g, s in delta.index], rotation=0)
    ax.set_xticks(np.arange(delta.shape[1]) + 0.5, [f"{pd.Timestamp(c):%b %Y}" for c in delta.columns],
                  rotation=90)
    ax.set_xlabel("Month")
    ax.set_ylabel(f"{who.capitalize()} · scenario")
    return fig


@figure_function(empty="No load for this scenario: the snapshot has no resource plan for the months ahead")
def capacity_fit(load: pd.DataFrame, by: str = "team", as_of=None, scenario: str | None = None,
                 title: str | None = None) -> plt.Figure | Note:
    """One scenario's utilisation by group and month (columns group, month, utilisation; with a scenario
    column, the rows of `scenario`), drawn by resources.resource_heatmap: `group` is renamed to `by`
    (team or role) and the month columns make a monthly heatmap, red above 100%, highest peak first."""
    data = load
    if "scenario" in load.columns:
        names = _scenarios(load)
        if scenario is None and len(names) > 1:
            raise UsageError(f"capacity_fit draws one scenario; name it (scenario=...): one of {', '.join(names)}")
        scenario = scenario if scenario is not None else names[0]
        if scenario not in names:
            raise UsageError(f"no scenario {scenario!r} in the load frame; it has {', '.join(names)}")
        data = load[load["scenario"] == scenario]
    data = data.rename(columns={"group": by})[[by, "month", "utilisation"]]
    name = scenario or "the scenario"
    return resource_heatmap(data, by=by, as_of=as_of,
                            title=title or f"Capacity fit of {name} (planned hours / capacity)")


def _gap_labels(ax, shown: pd.DataFrame) -> list[float]:
    """The optimiser's lead over the ranking, in %, written above the optimiser's point where it is above
    GAP_LABEL_PCT (gid "gap"), with a dotted line between the curves. Returns the leads written."""
    written = []
    for cap, best, naive in zip(shown["budget_cap"], shown["optimiser_value"], shown["greedy_value"]):
        if pd.isna(naive) or naive <= 0 or (best - naive) / naive * 100 <= GAP_LABEL_PCT:
            continue
        lead = (best - naive) / naive * 100
        ax.plot([cap, cap], [naive, best], color=COLORS["muted"], ls=":", lw=1.2, gid="gap_line")
        ax.annotate(fmt.percent(lead, signed=True), (cap, best), xytext=(0, 6), textcoords="offset points",
                    ha="center", fontsize=8, color=COLORS["forecast"], gid="gap")
        written.append(lead)
    return written


def _frontier_subtitle(shown: pd.DataFrame, skipped: int, leads: list[float], cur) -> str:
    parts, notes = [fmt.plural(len(shown), "budget cap")], []
    if leads:
        best = shown.assign(lead=(shown["optimiser_value"] - shown["greedy_value"]) / shown["greedy_value"])
        at = best.loc[best["lead"].idxmax()]
        parts.append(f"the optimiser leads the ranking by up to {fmt.percent(max(leads), signed=True)} "
                     f"(at a cap of {chart_money(at['budget_cap'], cur)})")
    else:
        parts.append(f"the optimiser and the ranking within {GAP_LABEL_PCT:g}% of each other at every cap")
    if skipped:
        notes.append(f"{fmt.plural(skipped, 'cap')} below the must-do projects' cost skipped (infeasible)")
    gaps = pd.to_numeric(shown["gap"], errors="coerce") if "gap" in shown.columns else pd.Series(dtype=float)
    if (gaps > SOLVER_GAP_NOTE).any():
        notes.append(f"Solved to within {fmt.percent(gaps.max() * 100)} of the best bound: smaller differences "
                     "are noise")
    return "\n".join(["; ".join(parts)] + notes)


@figure_function(empty="No frontier computed: nothing to set value against the budget cap")
def optimiser_frontier(frontier: pd.DataFrame, currency: str | None = None,
                       title: str = "Value against budget: the gap is value the optimiser finds above "
                                    "ranking by value/cost") -> plt.Figure | Note:
    """Portfolio value (the objective) against the total budget cap, from optimiser_explain.frontier: the
    optimiser's curve (gid "optimiser") and the greedy ranking's (gid "greedy"), one point per feasible cap
    (rows without an optimiser value, infeasible caps, are skipped). Where the optimiser is more than
    GAP_LABEL_PCT above the ranking its lead is written (gid "gap")."""
    values = frontier.assign(optimiser_value=pd.to_numeric(frontier["optimiser_value"], errors="coerce"),
                             greedy_value=pd.to_numeric(frontier["greedy_value"], errors="coerce"))
    shown = values[values["optimiser_value"].notna()].sort_values("budget_cap", kind="stable")
    if not len(shown):
        return Note("No budget cap in the frontier is feasible: the must-do projects cost more than every cap")
    cur = currency_of(frontier, currency)
    fig, ax = titled_figure(title, "", size=(10, 5.2))
    ax.plot(shown["budget_cap"], shown["optimiser_value"], color=COLORS["forecast"], lw=2.2, marker="o", ms=4,
            gid="optimiser", label="Optimiser")
    ax.plot(shown["budget_cap"], shown["greedy_value"], color=COLORS["muted"], lw=1.8, ls="--", marker="s",
            ms=3.5, gid="greedy", label="Ranking by value / cost (greedy)")
    leads = _gap_labels(ax, shown)
    ax.set_title(_frontier_subtitle(shown, len(values) - len(shown), leads, cur))
    money_axis(ax.xaxis, cur)
    ax.set_xlabel(money_label("Total budget cap", cur))
    ax.set_ylabel("Portfolio value (objective)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right")
    return fig


def _delta_text(delta, status) -> str:
    if pd.isna(delta):
        return f"not solved ({status})" if isinstance(status, str) and status else "not solved"
    return "no gain" if abs(delta) < 1e-9 else f"{delta:+,.2f}"


@figure_function(empty="No change to value: the problem has no capacity-limited role and no budget limit")
def marginal_values_chart(marginal: pd.DataFrame,
                          title: str = "What one more FTE or more budget is worth") -> plt.Figure | Note:
    """The value each change adds (optimiser_explain.marginal_values: change, kind, role, delta, status):
    one horizontal bar per change (a BarContainer labelled "Gain"), largest gain on top; each bar's value
    written at its end (gid "delta"), "no gain" for a change worth nothing and "not solved" where the
    re-solve failed (no bar: missing, not 0)."""
    data = marginal.assign(delta=pd.to_numeric(marginal["delta"], errors="coerce"))
    if data["delta"].isna().all():
        return Note("No change could be re-solved: no marginal value to show")
    data = data.sort_values("delta", ascending=False, na_position="last", kind="stable").reset_index(drop=True)
    none = int((data["delta"].abs() < 1e-9).sum())
    subtitle = "Each change re-solved on its own, largest gain on top" + (
        f"; {fmt.plural(none, 'change')} with no gain" if none else "")
    fig, ax = titled_figure(title, subtitle, size=(10, 1.8 + 0.42 * len(data)))
    y = np.arange(len(data))
    colours = [COLORS["better"] if d > 0 else COLORS["muted"] for d in data["delta"].fillna(0)]
    ax.barh(y, data["delta"].fillna(0), color=colours, height=0.6, label="Gain")
    top = float(np.nanmax(np.abs(data["delta"]))) or 1.0
    status = data["status"] if "status" in data.columns else pd.Series([None] * len(data))
    for yi, delta, state in zip(y, data["delta"], status):
        x = 0.0 if pd.isna(delta) else max(float(delta), 0.0)
        ax.text(x + top * 0.01, yi, _delta_text(delta, state), va="center", fontsize=8.5, gid="delta",
                color=COLORS["total"] if pd.notna(delta) and delta > 0 else COLORS["muted"])
    ax.set_yticks(y, list(data["change"]))
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlim(min(0.0, float(np.nanmin(data["delta"])) * 1.1), top * 1.25)
    ax.axvline(0, color="#adb5bd", lw=1)
    ax.set_xlabel("Value gained (objective after the change - before)")
    return fig


__all__ = ["BASELINE", "DELTA_CMAP", "SCENARIO_COLORS", "capacity_fit", "marginal_values_chart",
           "optimiser_frontier", "scenario_budget", "scenario_load_delta"]
