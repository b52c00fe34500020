"""Resource figures: the load heatmap of people, teams or roles by week or month."""
from __future__ import annotations

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pmo_analytics.present import format as fmt
from pmo_analytics.present.figures.base import Note, figure_function, titled_figure

# Utilisation: pale blue (spare) -> white at 100% -> red quickly above it, so over-allocation stands out.
LOAD_CMAP = mcolors.LinearSegmentedColormap.from_list(
    "pmo_load", [(0.0, "#6fa8dc"), (0.35, "#c6dbef"), (0.5, "#f8f9fa"), (0.6, "#fcae91"),
                 (0.8, "#e03131"), (1.0, "#7f0000")])


_WHO = {"resource": ("person", "people"), "team": ("team", None), "role": ("role", None)}


@figure_function(empty="No resource plan in these exports: no planned hours or capacity to show")
def resource_heatmap(df: pd.DataFrame, by: str | None = None, max_rows: int = 30, as_of=None,
                     title: str = "Resource load (planned hours / capacity)") -> plt.Figure | Note:
    """Heatmap of resource_load utilisation: rows are people, teams or roles; columns weeks or months.

    The colour scale diverges at 100%: blue is spare capacity, white fully loaded, red over-allocated.
    Rows go by their highest load, highest first (ties by name); with more than `max_rows` rows, those
    with the highest peak are kept. With `as_of`, a line marks the status date (weeks to its right
    are plans). Without any capacity (no utilisation) a Note says so.
    """
    if df["utilisation"].isna().all():
        return Note("No capacity in these exports: planned hours cannot be set against capacity")
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
    peak = grid.max(axis=1).rename("peak").reset_index().sort_values(["peak", "row"], ascending=[False, True],
                                                                      kind="stable")
    total = len(grid)
    grid = grid.loc[peak["row"].iloc[:max_rows]]
    one, many = _WHO.get(by, (by, None))
    subtitle = (f"{len(grid):,} of {fmt.plural(total, one, many)}" if total > len(grid)
                else fmt.plural(total, one, many)) + ", highest peak first"
    cols = grid.shape[1]
    fig, ax = titled_figure(title, subtitle + "; over 100% = over-allocated",
                      size=(min(16, max(8, 2.8 + 0.34 * cols)), 1.8 + 0.34 * len(grid)))
    vmax = max(130.0, float(np.nanmax(grid.to_numpy())) if grid.size else 130.0)
    norm = mcolors.TwoSlopeNorm(vmin=0, vcenter=100, vmax=vmax)
    annot = grid.size <= 400
    import seaborn as sns  # here: seaborn brings scipy.stats (1-2 s), which the overview never needs
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
