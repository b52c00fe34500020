"""The CPI against SPI quadrant: one point per project, the quadrants labelled where no point is, the
worst projects named without their labels overlapping, and a legend for the point colours."""
from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.transforms as transforms
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from pmo_analytics.definitions import PLAUSIBILITY_MARK, PLAUSIBLE, implausible
from pmo_analytics.present import format as fmt
from pmo_analytics.present.figures.base import (
    COLORS,
    RAG,
    RAG_TINT,
    Note,
    figure_function,
    row_label,
    titled_figure,
)

_SCHEDULE_INDEX = {"spi": "SPI", "spi_t": "SPI(t)"}
_SCHEDULE_FORMULA = {"spi": "EV / PV", "spi_t": "ES / AT"}
NOT_REPORTED = "Progress is not reported for any project: no CPI or {name} to plot (missing, not 0)"
# The quadrant labels: text, corner (axes fraction) and alignment.
QUADRANTS = (("Ahead of schedule\nunder budget", (0.99, 0.99), "right", "top"),
             ("Behind schedule\nunder budget", (0.01, 0.99), "left", "top"),
             ("Behind schedule\nover budget", (0.01, 0.01), "left", "bottom"),
             ("Ahead of schedule\nover budget", (0.99, 0.01), "right", "bottom"))
# Where a project's name may go, in points from its point (tried in this order).
_OFFSETS = tuple((dx, dy) for dy in (3, -11, 14, -22, 26, -34, 38, -46) for dx in (8, -8))


def _zones(cpi: pd.Series, x: pd.Series) -> np.ndarray:
    """green: both at or above 1; red: both below; amber: one below."""
    return np.where((cpi >= 1) & (x >= 1), "green", np.where((cpi < 1) & (x < 1), "red", "amber"))


def _limits(data: pd.DataFrame) -> tuple[float, float]:
    """One range for both axes from the plausible values (an implausible one would squash the rest)."""
    values = pd.concat([data["cpi"], data["_x"]])
    low, high = PLAUSIBLE["cpi"]
    values = values[(values >= low) & (values <= high)]
    if values.empty:
        return 0.6, 1.4
    return min(0.6, values.min() - 0.05), max(1.4, values.max() + 0.05)


def _quadrant_labels(ax) -> list:
    """The four quadrant labels in the axes corners, on a white box (gid "quadrant")."""
    return [ax.text(*xy, text, transform=ax.transAxes, ha=ha, va=va, fontsize=9, color=COLORS["muted"],
                    style="italic", gid="quadrant", zorder=5,
                    bbox={"facecolor": "white", "edgecolor": "#dee2e6", "pad": 2.5})
            for text, xy, ha, va in QUADRANTS]


def _covered(boxes, points: np.ndarray, radius: float) -> list[bool]:
    """For each box (display coordinates), whether a point (display coordinates) lies within `radius`."""
    return [bool(((points[:, 0] > b.x0 - radius) & (points[:, 0] < b.x1 + radius)
                  & (points[:, 1] > b.y0 - radius) & (points[:, 1] < b.y1 + radius)).any()) for b in boxes]


def _place(fig, ax, scatter, raw: np.ndarray, labels, lo: float, hi: float) -> tuple[float, float]:
    """Sets the axes limits and the (clipped) point positions, widening the range on the side of a
    quadrant label until no point lies under one (up to 12 steps).

    The layout is fixed and the labels sit in axes coordinates, so their boxes are measured once and
    each step only moves the points (no redraw of the figure per step)."""
    boxes = [t.get_window_extent(fig.canvas.get_renderer()) for t in labels]
    for _ in range(12):
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        scatter.set_offsets(np.clip(raw, lo, hi))
        points = ax.transData.transform(scatter.get_offsets())
        top_right, top_left, bottom_left, bottom_right = _covered(boxes, points, 6.0)
        if not (top_right or top_left or bottom_left or bottom_right):
            break
        step = (hi - lo) * 0.08  # a wider range moves the points away from the covered corner
        lo -= step if top_left or bottom_left else 0.0
        hi += step if top_right or bottom_right else 0.0
    return lo, hi


def _name_box(fig, ax, x: float, y: float, text: str, dx: float, dy: float):
    """A project's name at (x, y) shifted by (dx, dy) points, not yet added to the axes, and its box."""
    shift = transforms.offset_copy(ax.transData, fig=fig, x=dx, y=dy, units="points")
    name = ax.text(x, y, text, transform=shift, ha="left" if dx >= 0 else "right", va="center",
                   fontsize=8.5, zorder=6, color=COLORS["total"], gid="project",
                   bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 1})
    box = name.get_window_extent(fig.canvas.get_renderer())
    name.remove()
    return name, box


def _name_worst(fig, ax, rows: pd.DataFrame, taken: list, points: np.ndarray) -> None:
    """Names each row's project next to its point (gid "project", with a leader line): at the first
    offset where the name stays inside the axes, overlaps no other name or quadrant label and covers
    no other point; failing that, the first where it only overlaps no other name or label.

    A name is measured once per side (left or right of its point); the other offsets move that box."""
    frame = ax.get_window_extent(fig.canvas.get_renderer())
    per_point = fig.dpi / 72
    for _, r in rows.iterrows():
        own = ax.transData.transform((r["_px"], r["_py"]))
        others = points[np.hypot(*(points - own).T) > 1.0]
        text = row_label(r, 26) + (f" {PLAUSIBILITY_MARK} {r['_why']}" if r["_odd"] else "")
        sides = {side: _name_box(fig, ax, r["_px"], r["_py"], text, side, 0)[1] for side in (8, -8)}
        fits = []
        for dx, dy in _OFFSETS:
            box = sides[dx].translated(0, dy * per_point)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(other) for other in taken):
                fits.append((_covered([box], others, 3.0)[0], (dx, dy), box))
        if fits:
            _, (dx, dy), box = min(fits, key=lambda f: f[0])  # the first that covers no point
            ax.add_artist(_name_box(fig, ax, r["_px"], r["_py"], text, dx, dy)[0])
            taken.append(box)
            ax.annotate("", (r["_px"], r["_py"]), xytext=(dx, dy), textcoords="offset points", gid="leader",
                        arrowprops={"arrowstyle": "-", "color": COLORS["muted"], "lw": 0.6, "shrinkA": 0,
                                    "shrinkB": 3})


def _legend(fig, zones, name: str, marked: bool) -> None:
    """One entry per point colour used (and the plausibility mark when one is shown)."""
    meaning = {"green": f"CPI and {name} at or above 1", "amber": "Below 1 on one of the two",
               "red": "Both below 1: over budget and behind"}
    handles = [Line2D([], [], ls="none", marker="o", ms=8, color=RAG[z], alpha=0.75, label=meaning[z])
               for z in ("green", "amber", "red") if z in set(zones)]
    if marked:
        handles.append(Line2D([], [], ls="none", marker="o", ms=8, color="white", markeredgecolor="#212529",
                              label=f"{PLAUSIBILITY_MARK} implausible, drawn at the edge"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(3, len(handles)), fontsize=8.5)


def _frame(df: pd.DataFrame, schedule: str) -> pd.DataFrame:
    """The projects with a CPI and a schedule index (`_x`), flagged when implausible (`_odd`, and `_why`:
    "CPI 40.00")."""
    data = df.dropna(subset=["cpi", schedule]).rename(columns={schedule: "_x"})
    name = _SCHEDULE_INDEX[schedule]
    why = [" ".join([f"CPI {c:.2f}"] * bool(implausible("cpi", c)) + [f"{name} {x:.2f}"] * bool(implausible(schedule, x)))
           for c, x in zip(data["cpi"], data["_x"])]
    return data.assign(_odd=[bool(w) for w in why], _why=why)


@figure_function(empty="No project in this selection: no CPI or SPI to plot")
def cpi_spi_quadrant(df: pd.DataFrame, annotate: int = 6, title: str | None = None,
                     schedule: str = "spi") -> plt.Figure | Note:
    """Scatter of evm's SPI (x; `schedule="spi_t"`: SPI(t)) against CPI (y), one point per project,
    sized by BAC and coloured green / amber / red by quadrant (with a legend).

    Lines at 1.0 split the quadrants, labelled in the corners (gid "quadrant"), the range widened
    until no point is under a label. The `annotate` worst projects (lowest CPI x SPI) and every
    implausible value (drawn at the axis edge, PLAUSIBILITY_MARK) are named (gid "project") where
    their names overlap nothing. Projects without a CPI or SPI are left out (counted in the subtitle).
    """
    name = _SCHEDULE_INDEX[schedule]
    title = title or f"Cost and schedule performance (CPI vs {name})"
    data = _frame(df, schedule)
    if data.empty:
        return Note(NOT_REPORTED.format(name=name))
    left_out = len(df) - len(data)
    subtitle = fmt.plural(len(data), "project") + (f" ({left_out:,} without CPI/{name} left out)" if left_out else "")
    fig, ax = titled_figure(title, subtitle + "; point size = budget at completion", size=(9, 6.8))
    lo, hi = _limits(data)
    zone = _zones(data["cpi"], data["_x"])
    bac = data["bac"].fillna(0) if "bac" in data.columns else pd.Series(1.0, index=data.index)
    sizes = 30 + 270 * np.sqrt(bac / bac.max()) if bac.max() > 0 else 60
    scatter = ax.scatter(data["_x"], data["cpi"], s=sizes, c=[RAG[z] for z in zone], alpha=0.75, zorder=3,
                         edgecolors=["#212529" if odd else "white" for odd in data["_odd"]], linewidths=0.8,
                         clip_on=False)
    ax.axhline(1, color=COLORS["total"], lw=1)
    ax.axvline(1, color=COLORS["total"], lw=1)
    ax.add_patch(Rectangle((-1e3, -1e3), 1e3 + 1, 1e3 + 1, color=RAG_TINT["red"], zorder=0))
    ax.add_patch(Rectangle((1, 1), 1e3, 1e3, color=RAG_TINT["green"], zorder=0))
    ax.set_xlabel(f"{name} = {_SCHEDULE_FORMULA[schedule]} (schedule; below 1 = behind)")
    ax.set_ylabel("CPI = EV / AC (cost; below 1 = over budget)")
    _legend(fig, zone, name, bool(data["_odd"].any()))
    fig.get_layout_engine().execute(fig)  # the constrained layout alone: no draw of a picture nobody sees
    fig.set_layout_engine("none")  # the layout is fixed from here: labels are placed in display space
    labels = _quadrant_labels(ax)
    raw = data[["_x", "cpi"]].to_numpy(dtype=float)
    lo, hi = _place(fig, ax, scatter, raw, labels, lo, hi)
    shown = scatter.get_offsets()
    data = data.assign(_px=shown[:, 0], _py=shown[:, 1], _s=data["cpi"] * data["_x"])
    worst = data.nsmallest(annotate, "_s") if annotate else data[:0]
    named = pd.concat([data[data["_odd"]], worst[~worst["_odd"]]])
    _name_worst(fig, ax, named, [t.get_window_extent(fig.canvas.get_renderer()) for t in labels],
                ax.transData.transform(shown))
    return fig


__all__ = ["NOT_REPORTED", "QUADRANTS", "cpi_spi_quadrant"]
