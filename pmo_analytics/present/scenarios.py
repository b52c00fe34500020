"""Scenarios as people read them: a scenario's changes, the side-by-side comparison as text for the
terminal (pmo scenario show / compare) and as tiles for the arbitration dashboard."""
from __future__ import annotations

import html

import pandas as pd

from pmo_analytics.present import format as fmt
from pmo_analytics.present import tiles

# (headline column, label, how): the rows of a comparison, in the order a committee reads them.
ROWS = (
    ("budget", "Budget (approved, all projects)", "money"),
    ("forecast", "Forecast (all projects)", "money"),
    ("months_over_limit", "Months over the budget limit", "count"),
    ("group_weeks_over", "Team-weeks over capacity (after the snapshot)", "count"),
    ("over_allocated_people", "People over-allocated this month", "count"),
    ("risk_emv", "Risk exposure (EMV)", "money"),
    ("milestones_slipping", "Milestones missed or likely to miss", "count"),
)
# Shown when the comparison carries the risk-adjusted forecast (compare(..., with_forecast=True)).
FORECAST_ROWS = (
    ("cost_p50", "Projects to finish: cost P50 (with risks)", "money"),
    ("cost_p80", "Projects to finish: cost P80 (with risks)", "money"),
    ("prob_within_budget", "Projects to finish: chance within budget", "percent"),
)


def _money(value, currency: str | None, signed: bool = False) -> str:
    """£101.4m, £1.7k, £300: one decimal once scaled, so a change of 0.1m shows."""
    return fmt.money(value, currency, signed=signed, decimals=1 if abs(float(value)) >= 1000 else None)


def _value(value, how: str, currency: str | None) -> str:
    if fmt.is_missing(value):
        return fmt.MISSING
    if how == "percent":
        return f"{100 * float(value):.1f}%"
    return _money(value, currency) if how == "money" else f"{float(value):,.0f}"


def _delta(value, base, how: str, currency: str | None) -> str:
    if fmt.is_missing(value) or fmt.is_missing(base) or float(value) == float(base):
        return ""
    change = float(value) - float(base)
    if how == "percent":
        return f" ({100 * change:+.1f} pt)"
    return f" ({_money(change, currency, signed=True) if how == 'money' else f'{change:+,.0f}'})"


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def comparison_text(frames: dict, currency: str | None = None) -> str:
    """The baseline and each scenario in columns: headline rows with their change against the
    baseline, then every KPI that moves, then what each scenario changes."""
    top = frames["headline"].set_index("scenario")
    names = list(top.index)
    base = top.iloc[0]
    shown = ROWS + tuple(r for r in FORECAST_ROWS if r[0] in top.columns and top[r[0]].notna().any())
    rows = [[label] + [_value(top.at[n, col], how, currency) + ("" if i == 0 else _delta(top.at[n, col], base[col], how, currency))
                       for i, n in enumerate(names)] for col, label, how in shown]
    out = [_grid(["", *names], rows)]
    kpis = frames["kpis"]
    moved = kpis[kpis["delta"].notna() & (kpis["delta"] != 0)]
    if len(moved):
        out.append("\nKPIs that move:")
        for _, k in moved.iterrows():
            word = "better" if k["better"] is True else "worse" if k["better"] is False else ""
            out.append(f"  {k['scenario']}: {k['label']} {fmt.kpi_value(k['value'], k['unit'])} "
                       f"({fmt.kpi_change(k['delta'], k['unit'])}, {word})")
    else:
        out.append("\nNo KPI moves.")
    out.append("\nChanges:")
    for _, c in frames["projects"].iterrows():
        who = f" ({c['who']}" + (f": {c['why']}" if isinstance(c["why"], str) and c["why"] else "") + ")" if c["who"] else ""
        out.append(f"  {c['scenario']}: {c['change']}{who}")
    return "\n".join(out)


def fit_tiles(frames: dict, scenario: str, currency: str | None = None) -> str:
    """The arbitration dashboard's tiles for one scenario against the baseline: months over the budget
    limit, team-weeks over capacity, forecast and people over-allocated, each with its baseline."""
    top = frames["headline"].set_index("scenario")
    base, mine = top.iloc[0], top.loc[scenario]
    items = []
    for col, label, how in ROWS[:5]:
        value, was = mine[col], base[col]
        worse = not fmt.is_missing(value) and not fmt.is_missing(was) and float(value) > float(was)
        better = not fmt.is_missing(value) and not fmt.is_missing(was) and float(value) < float(was)
        rag = "red" if worse else "green" if better else ""
        items.append(tiles.tile(col, label, _value(value, how, currency),
                                f"baseline {_value(was, how, currency)}", rag))
    return tiles.STYLE + "<div class='pmo-tiles'>" + "".join(items) + "</div>"


def changes_html(changes: pd.DataFrame) -> str:
    """The session's changes as a short list, or a line saying there are none."""
    if changes.empty:
        return "<p class='pmo-note'>No change yet: the plan is the snapshot's.</p>"
    items = "".join(f"<li>{html.escape(str(c))}</li>" for c in changes["change"])
    return f"<ol class='pmo-changes'>{items}</ol>"
