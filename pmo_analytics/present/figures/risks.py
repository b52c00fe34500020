"""Risk figures: the 5x5 probability-impact matrix and the exposure (EMV) trend."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import Patch, Rectangle

from pmo_analytics.present import format as fmt
from pmo_analytics.present.figures.base import (
    Note,
    currency_of,
    date_axis,
    figure_function,
    group_column,
    money_axis,
    money_label,
    titled_figure,
)

# Risk matrix background by score (probability band x impact): low, medium, high.
RISK_ZONES = ((4, "#b2f2bb", "low"), (12, "#ffe066", "medium"), (25, "#ffa8a8", "high"))


def _risk_zone(score: int) -> tuple[str, str]:
    return next((color, name) for limit, color, name in RISK_ZONES if score <= limit)


@figure_function(empty="No risk register in these exports: no risks to place on the matrix")
def risk_matrix_chart(df: pd.DataFrame, title: str = "Risk matrix: active risks") -> plt.Figure | Note:
    """The 5x5 matrix from risk_matrix: probability band (y) by impact (x), the count in each cell.

    The background is green / amber / red by score (band x impact: up to 4, up to 12, above). Count
    texts carry gid "count"; empty cells show 0 in grey. No active risk at all gives a Note.
    """
    counts = df.set_index(["probability_band", "impact"])["count"]
    if not counts.fillna(0).sum():
        return Note("No active risk in this selection (none in these exports, or none open): nothing to "
                    "place on the matrix")
    fig, ax = titled_figure(title, f"{fmt.plural(counts.sum(), 'risk')} placed by probability and impact",
                            size=(7, 6))
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


def _by_latest(df: pd.DataFrame, by: str | None) -> list:
    """(name, rows) per group, the largest exposure at the latest snapshot first (ties by name)."""
    if not by:
        return [("All", df)]
    groups = list(df.groupby(by, dropna=False))
    latest = [g.loc[g["as_of"] == g["as_of"].max(), "total_emv"].sum() for _, g in groups]
    return [groups[i] for i in sorted(range(len(groups)), key=lambda i: (-latest[i], str(groups[i][0])))]


@figure_function(empty="No risks in these exports: no exposure (EMV) to show over time")
def exposure_trend_chart(df: pd.DataFrame, by: str | None = None, currency: str | None = None,
                         title: str = "Risk exposure over time (EMV of active risks)") -> plt.Figure | Note:
    """Lines of exposure_trend's total_emv per snapshot, one per portfolio (or the frame's group), the
    legend by the latest exposure, largest first. One snapshot only, or no EMV at all, gives a Note."""
    if df["as_of"].nunique() < 2:
        return Note(f"Only one snapshot is loaded ({pd.Timestamp(df['as_of'].max()):%b %Y}): the exposure "
                    "trend needs two or more")
    if df["total_emv"].isna().all():
        return Note("No risk has an expected monetary value (a probability and an impact cost): no exposure "
                    "to show")
    by = by or group_column(df)
    cur = currency_of(df, currency)
    groups = _by_latest(df, by)
    fig, ax = titled_figure(title, "Expected monetary value = probability x impact cost, summed per snapshot"
                            + ("; legend: largest latest exposure first" if len(groups) > 1 else ""), size=(10, 5))
    import seaborn as sns  # here: seaborn brings scipy.stats (1-2 s), which the overview never needs
    palette = sns.color_palette("colorblind", n_colors=max(3, len(groups)))
    for (name, g), color in zip(groups, palette):
        g = g.groupby("as_of", as_index=False)["total_emv"].sum().sort_values("as_of")
        ax.plot(g["as_of"], g["total_emv"], marker="o", ms=4, lw=2, color=color, label=str(name))
    date_axis(ax.xaxis)
    money_axis(ax.yaxis, cur)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Snapshot (month end)")
    ax.set_ylabel(money_label("Exposure (EMV)", cur))
    ax.legend(title=(by or "").replace("_", " ").capitalize() or None, loc="upper left",
              bbox_to_anchor=(1.0, 1.0))
    return fig
