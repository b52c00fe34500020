"""What-changed figures: the waterfall of each project's change in one measure between two snapshots."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pmo_analytics.present import format as fmt
from pmo_analytics.present.figures.base import (
    COLORS,
    Note,
    chart_money,
    currency_of,
    figure_function,
    money_axis,
    row_label,
    titled_figure,
)

# drift's measures: how their change is counted (positive is always worse) and what to call them.
DRIFT_MEASURES = {
    "forecast": ("money", "Forecast (expected final spend)"),
    "eac": ("money", "EAC (BAC / CPI)"),
    "risk_emv": ("money", "Risk exposure (EMV of active risks)"),
    "top_risk": ("money", "EMV of the top risk"),
    "end_date": ("days", "Forecast finish date"),
    "rag": ("RAG steps", "RAG rating (green = 1 ... red = 5)"),
}


def _change_text(value: float, unit: str, currency: str | None) -> str:
    """A bar's change: +£12k (money), +30 d (days) or +1 (RAG steps)."""
    if unit == "money":
        return chart_money(value, currency, signed=True)
    if unit == "days":
        return fmt.no_negative_zero(f"{value:+,.0f}") + " d"
    return f"{value:+g}"


_NO_DRIFT = ("No change to show: there is no earlier snapshot to compare with, or no project changed "
             "since it")
_NO_AMOUNT = "No project changed in an amount, a date or a RAG rating since the previous snapshot"


@figure_function(empty=_NO_DRIFT)
def drift_chart(df: pd.DataFrame, measure: str | None = None, top: int = 12, currency: str | None = None,
                title: str = "What changed since the previous snapshot") -> plt.Figure | Note:
    """A waterfall of drift's changes for one measure: each project's change, then the net change.

    Projects are ordered by the size of their change (largest first, ties by project); those beyond
    `top` are combined
    into one bar. Each bar starts where the previous one ended, so the last bar ("Net change") is
    their sum. Worse changes (direction 'worse': positive) take the warning colour, better ones green.
    The measure defaults to forecast; rows without a numeric change (e.g. 'project') are left out.
    """
    numeric = df.dropna(subset=["change"])
    measures = list(dict.fromkeys(numeric["measure"]))
    if not measures:
        return Note(_NO_AMOUNT)
    measure = measure if measure in measures else ("forecast" if "forecast" in measures else measures[0])
    unit, what = DRIFT_MEASURES.get(measure, ("", measure.replace("_", " ")))
    data = numeric[numeric["measure"] == measure]
    data = (data.assign(_size=data["change"].abs())
            .sort_values(["_size", "project_id"], ascending=[False, True], kind="stable"))
    shown, rest = data.head(top), data.iloc[top:]
    rows = [(row_label(r, 30), float(r["change"])) for _, r in shown.iterrows()]
    if len(rest):
        rows.append((fmt.plural(len(rest), "other project"), float(rest["change"].sum())))
    net = float(data["change"].sum())
    cur = currency_of(df, currency) if unit == "money" else None
    fig, ax = titled_figure(title, f"{what}: {fmt.plural(len(data), 'project')} changed, largest change "
                            "first; positive = worse", size=(10, 1.9 + 0.38 * (len(rows) + 1)))
    starts = np.concatenate([[0.0], np.cumsum([c for _, c in rows])[:-1]]) if rows else np.array([])
    changes = [c for _, c in rows] + [net]
    lefts = list(starts) + [0.0]
    colors = [COLORS["worse"] if c > 0 else COLORS["better"] for c in changes[:-1]]
    colors.append(COLORS["total"])
    y = np.arange(len(changes))
    ax.barh(y, changes, left=lefts, color=colors, height=0.62)
    for yi, left, c in zip(y, lefts, changes):
        ax.text(max(left, left + c), yi, "  " + _change_text(c, unit, cur), va="center", fontsize=8.5,
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
