"""The one sentence above each figure of a report page, computed from the figure's own DataFrame:
"3 projects forecast over budget by more than 10%: PRJ-0012 (+43.0%), ...". Never hand-written, so
it stays true month after month; each says what is missing instead when the inputs are absent.

Each function takes the frame the figure takes and returns a Finding (shown as a paragraph).
"""
from __future__ import annotations

import html

import pandas as pd

from pmo_analytics.present import format as fmt

OVERSPEND_PCT = 10.0   # "over budget by more than 10%" names the projects a director asks about
NAMED = 3              # projects named in a sentence


class Finding:
    """A report page's finding: plain text, shown as a bold-led paragraph above its figure."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Finding({self.text!r})"

    def _repr_html_(self) -> str:
        return f"<p class='pmo-finding' style='font-size:14px;margin:10px 0 4px'><b>{html.escape(self.text)}</b></p>"


def _names(frame: pd.DataFrame, value: str, text, n: int = NAMED) -> str:
    """"A (+43.0%), B (+34.0%) and 2 more" from the first rows of `frame`."""
    items = [f"{row.project_id} {text(getattr(row, value))}" for row in frame.head(n).itertuples()]
    more = len(frame) - len(items)
    return ", ".join(items) + (f" and {more:,} more" if more > 0 else "")


def _active(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["status"].isin(["active", "on_hold"])] if "status" in frame.columns else frame


def compared_with(as_of, pair) -> Finding:
    """Which snapshot this month is compared with, or that it is the first one loaded."""
    if not pair:
        return Finding(f"{as_of:%B %Y} is the first snapshot loaded: there is nothing to compare it with yet.")
    return Finding(f"{pair[0]:%B %Y} compared with {pair[1]:%B %Y}.")


def budget_overspend(variance: pd.DataFrame) -> Finding:
    """Active projects forecast over budget by more than OVERSPEND_PCT, largest first."""
    active = _active(variance)
    known = active.dropna(subset=["variance_pct"])
    if known.empty:
        return Finding(f"No active project has both a budget and a forecast in these exports "
                       f"({fmt.plural(len(active), 'active project')}).")
    over = known[known["variance_pct"] > OVERSPEND_PCT].sort_values(["variance_pct", "project_id"],
                                                                    ascending=[False, True])
    unknown = len(active) - len(known)
    tail = f" ({unknown:,} without a budget or forecast)" if unknown else ""
    if over.empty:
        return Finding(f"No active project is forecast over budget by more than {OVERSPEND_PCT:g}% "
                       f"({fmt.plural(len(known), 'project')} with a budget and forecast{tail}).")
    return Finding(f"{fmt.plural(len(over), 'project')} forecast over budget by more than {OVERSPEND_PCT:g}%: "
                   f"{_names(over, 'variance_pct', lambda v: f'({fmt.percent(v, signed=True)})')}{tail}.")


def budget_curve(curve: pd.DataFrame, currency: str | None = None) -> Finding:
    """The portfolio's forecast at completion against its budget, and what is consumed so far."""
    if curve.empty or curve["cum_budget"].dropna().empty:
        return Finding("No budget phased by month in these exports, so there is no cumulative curve.")
    last = curve.dropna(subset=["cum_budget"]).iloc[-1]
    budget, forecast = float(last["cum_budget"]), last.get("cum_forecast")
    consumed = curve["cum_consumed"].dropna().max() if "cum_consumed" in curve.columns else None
    text = f"Forecast at completion {fmt.money(forecast, currency)} against a budget of {fmt.money(budget, currency)}"
    if not fmt.is_missing(forecast) and budget:
        text += f" ({fmt.percent((float(forecast) - budget) / budget * 100, signed=True)})"
    if not fmt.is_missing(consumed):
        text += f"; {fmt.money(consumed, currency)} consumed so far"
    return Finding(text + ".")


def cost_schedule(evm: pd.DataFrame) -> Finding:
    """How many projects with reported progress are over budget and behind schedule, the worst CPI."""
    active = _active(evm)
    known = active.dropna(subset=["cpi", "spi_t"])
    if known.empty:
        return Finding(f"Progress is not reported for any of the {fmt.plural(len(active), 'active project')}: "
                       "no CPI or SPI(t) (missing, not 0).")
    both = known[(known["cpi"] < 1) & (known["spi_t"] < 1)].sort_values(["cpi", "project_id"])
    worst = known.sort_values(["cpi", "project_id"]).iloc[0]
    return Finding(f"{len(both):,} of {fmt.plural(len(known), 'project')} with reported progress are over budget "
                   f"and behind schedule (CPI and SPI(t) below 1); the lowest CPI is {worst['project_id']} at "
                   f"{worst['cpi']:.2f}.")


def earned_value_curve(series: pd.DataFrame, currency: str | None = None) -> Finding:
    """The portfolio's cumulative CPI in the last month with earned value."""
    known = series.dropna(subset=["ev", "ac"]) if not series.empty else series
    if known.empty:
        return Finding("No earned value in these exports (progress is not reported), so there is no curve.")
    last = known[known["period"] == known["period"].max()]
    ev, ac = float(last["ev"].sum()), float(last["ac"].sum())
    cpi = f"; CPI {ev / ac:.2f}" if ac else ""
    return Finding(f"By {pd.Timestamp(last['period'].iloc[0]):%B %Y} the projects earned {fmt.money(ev, currency)} "
                   f"of value for {fmt.money(ac, currency)} spent{cpi}.")


def performance_trend(history: pd.DataFrame) -> Finding:
    """The median CPI and SPI(t), first snapshot against the last."""
    known = history.dropna(subset=["cpi"]) if not history.empty else history
    if known.empty or known["as_of"].nunique() < 1:
        return Finding("Progress is not reported in any snapshot, so there is no CPI or SPI(t) history.")
    medians = known.groupby("as_of")[["cpi", "spi_t"]].median().sort_index()
    first, last = medians.iloc[0], medians.iloc[-1]
    if len(medians) == 1:
        return Finding(f"One snapshot with progress so far: median CPI {last['cpi']:.2f}, "
                       f"SPI(t) {last['spi_t']:.2f}.")
    return Finding(f"Median CPI went from {first['cpi']:.2f} in {medians.index[0]:%b %Y} to {last['cpi']:.2f} in "
                   f"{medians.index[-1]:%b %Y}; median SPI(t) from {first['spi_t']:.2f} to {last['spi_t']:.2f}.")


def team_load(load: pd.DataFrame, as_of=None) -> Finding:
    """Teams planned above 100% of capacity in some week from the snapshot on, highest peak first."""
    if load.empty or load["utilisation"].dropna().empty:
        return Finding("No resource plan with capacity in these exports, so there is no load to show.")
    future = load if as_of is None else load[pd.to_datetime(load["week"]) >= pd.Timestamp(as_of).replace(day=1)]
    peak = future.groupby("team")["utilisation"].max().dropna().sort_values(ascending=False)
    over = peak[peak > 1]
    if over.empty:
        return Finding(f"No team is planned above its capacity in any week ({fmt.plural(len(peak), 'team')}).")
    named = ", ".join(f"{team} (peak {fmt.percent(value * 100, decimals=0)})" for team, value in over.head(NAMED).items())
    more = f" and {len(over) - NAMED} more" if len(over) > NAMED else ""
    return Finding(f"{fmt.plural(len(over), 'team')} planned above capacity in some week: {named}{more}.")


def over_allocated(over: pd.DataFrame, load: pd.DataFrame | None = None) -> Finding:
    """People over-allocated, and the hours over capacity in all (`load`: the per-person load, to tell
    "nobody over capacity" from "no resource plan")."""
    if load is not None and (load.empty or load["utilisation"].dropna().empty):
        return Finding("No resource plan with capacity in these exports, so no over-allocation can be shown.")
    if over.empty:
        return Finding("Nobody is planned above their capacity in this snapshot.")
    people = over["resource_id"].nunique()
    return Finding(f"{fmt.plural(people, 'person', 'people')} planned above capacity: "
                   f"{over['total_over_hours'].sum():,.0f} hours over in all; the longest run is "
                   f"{int(over['weeks'].max())} weeks.")


def risk_matrix(matrix: pd.DataFrame, currency: str | None = None) -> Finding:
    """Active risks by band: how many are red (score 15 or more) and their exposure."""
    if matrix.empty or not matrix["count"].sum():
        return Finding("No assessed active risk in these exports.")
    red = matrix[matrix["score"] >= 15]
    return Finding(f"{int(red['count'].sum()):,} of {fmt.plural(int(matrix['count'].sum()), 'active risk')} score "
                   f"15 or more (red), with an exposure of {fmt.money(red['emv'].sum(), currency)} of "
                   f"{fmt.money(matrix['emv'].sum(), currency)}.")


def exposure_trend(trend: pd.DataFrame, by: str = "portfolio", currency: str | None = None) -> Finding:
    """Active exposure in the first and last snapshot, and the portfolio whose exposure grew most."""
    if trend.empty:
        return Finding("No risk register in these exports.")
    totals = trend.groupby("as_of")["total_emv"].sum().sort_index()
    if len(totals) == 1:
        return Finding(f"Active exposure {fmt.money(totals.iloc[0], currency)} in the one snapshot loaded.")
    change = totals.iloc[-1] - totals.iloc[0]
    text = (f"Active exposure {'rose' if change > 0 else 'fell' if change < 0 else 'held'} from "
            f"{fmt.money(totals.iloc[0], currency)} in {totals.index[0]:%b %Y} to "
            f"{fmt.money(totals.iloc[-1], currency)} in {totals.index[-1]:%b %Y}")
    by = trend.pivot_table(index="as_of", columns=by, values="total_emv", aggfunc="sum").sort_index()
    grew = (by.iloc[-1].fillna(0) - by.iloc[0].fillna(0)).sort_values(ascending=False)
    if len(grew) and grew.iloc[0] > 0:
        text += f"; {grew.index[0]} grew most ({fmt.money(grew.iloc[0], currency, signed=True)})"
    return Finding(text + ".")


def milestone_slip(slippage: pd.DataFrame) -> Finding:
    """Open milestones missed or likely to miss, and the most slipped."""
    if slippage.empty:
        return Finding("No milestones in these exports.")
    late = slippage[slippage["state"].isin(["missed", "likely_to_miss"])].sort_values(
        ["slip_days", "project_id"], ascending=[False, True])
    if late.empty:
        return Finding(f"No open milestone is missed or likely to miss ({fmt.plural(len(slippage), 'milestone')}).")
    top = late.iloc[0]
    return Finding(f"{fmt.plural(len(late), 'milestone')} missed or likely to miss of {len(slippage):,}; the most "
                   f"slipped is {top['project_id']} {top['name']} ({fmt.plural(int(top['slip_days']), 'day')} late).")


def baseline_slip(baseline: pd.DataFrame) -> Finding:
    """Projects late against their original baseline finish, and the slip re-baselining hid."""
    known = baseline.dropna(subset=["slip_vs_original_days"]) if not baseline.empty else baseline
    if known.empty:
        return Finding("No baseline finish dates in these exports.")
    late = known[known["slip_vs_original_days"] > 0]
    hidden = known["rebaselined_days"].fillna(0)
    text = (f"{len(late):,} of {fmt.plural(len(known), 'project')} finish later than their original baseline")
    if (hidden > 0).any():
        text += (f"; re-baselining hid {fmt.plural(int(hidden[hidden > 0].sum()), 'day')} on "
                 f"{fmt.plural(int((hidden > 0).sum()), 'project')}")
    else:
        text += "; none was re-baselined"
    return Finding(text + ".")


def kpi_summary(latest: pd.DataFrame) -> Finding:
    """How many KPIs meet their target, and which are red or not measured."""
    if latest.empty:
        return Finding("No KPI could be measured in this snapshot.")
    rated = latest[latest["rag"].isin(["green", "amber", "red"])]
    red = latest[latest["rag"] == "red"]["label"].tolist()
    unmeasured = int(latest["value"].isna().sum())
    text = f"{int((rated['rag'] == 'green').sum()):,} of {fmt.plural(len(latest), 'KPI')} meet their target"
    if red:
        text += f"; red: {', '.join(red[:NAMED])}" + (f" and {len(red) - NAMED} more" if len(red) > NAMED else "")
    if unmeasured:
        text += f"; {unmeasured:,} not measured (their inputs are not in these exports)"
    return Finding(text + ".")


def spread(values: pd.DataFrame, measure: str = "CPI") -> Finding:
    """The median and the lower quartile of a measure over the projects."""
    known = values["value"].dropna() if not values.empty else pd.Series(dtype=float)
    if known.empty:
        return Finding(f"No project reports a {measure} in this snapshot.")
    return Finding(f"Median {measure} {known.median():.2f} over {fmt.plural(len(known), 'project')}; a quarter are "
                   f"below {known.quantile(0.25):.2f}, {int((known < 1).sum()):,} below 1.")


def forecast_drift(changes: pd.DataFrame, currency: str | None = None) -> Finding:
    """The net forecast change since the previous snapshot, and the largest rise."""
    moved = changes[(changes["measure"] == "forecast") & changes["change"].notna()] if not changes.empty else changes
    if moved.empty:
        return Finding("No project's forecast changed since the previous snapshot.")
    top = moved.sort_values(["change", "project_id"], ascending=[False, True]).iloc[0]
    return Finding(f"Forecasts moved by {fmt.money(moved['change'].sum(), currency, signed=True)} net on "
                   f"{fmt.plural(len(moved), 'project')}; the largest rise is {top['project_id']} "
                   f"({fmt.money(top['change'], currency, signed=True)}).")


def finish_drift(changes: pd.DataFrame) -> Finding:
    """Project end dates that moved since the previous snapshot, and the largest slip."""
    moved = changes[(changes["measure"] == "end_date") & changes["change"].notna()] if not changes.empty else changes
    if moved.empty:
        return Finding("No project's end date moved since the previous snapshot.")
    later = moved[moved["change"] > 0].sort_values(["change", "project_id"], ascending=[False, True])
    text = f"{fmt.plural(len(moved), 'project end date')} moved; {len(later):,} later"
    if len(later):
        text += f", most {later.iloc[0]['project_id']} ({fmt.plural(int(later.iloc[0]['change']), 'day')})"
    return Finding(text + ".")


__all__ = ["Finding", "baseline_slip", "budget_curve", "budget_overspend", "compared_with", "cost_schedule", "earned_value_curve",
           "exposure_trend", "finish_drift", "forecast_drift", "kpi_summary", "milestone_slip", "over_allocated",
           "performance_trend", "risk_matrix", "spread", "team_load"]
