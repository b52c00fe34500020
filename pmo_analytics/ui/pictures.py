"""A figure as a page shows it: a PNG that says in a text chunk how many data marks it draws (bars,
points, lines, cells), so a check of the page in a browser can tell a chart from an empty axis.

`show` and the dashboards' views display figures as Picture; the report pages and Voila embed the
PNG unchanged, chunk included.
"""
from __future__ import annotations

import io

import numpy as np

MARKS_KEY = "pmo-marks"


def count_marks(fig) -> int:
    """The data marks of a figure: artists drawn in data coordinates with something to show (a line
    with a finite point, a bar with a size, a scatter with points, a mesh or an image), in every axes
    and inset; reference lines and bands (axhline, axvspan) and text are not marks."""
    return sum(_axes_marks(ax) for ax in fig.axes)


def _axes_marks(ax) -> int:
    data = ax.transData
    marks = sum(1 for line in ax.lines if line.get_transform() is data and _finite(line.get_xydata()))
    marks += sum(1 for patch in ax.patches if patch.get_transform().contains_branch(data) and _sized(patch))
    for collection in ax.collections:
        offsets = collection.get_offsets()
        if len(offsets) and collection.get_offset_transform().contains_branch(data) and _finite(offsets):
            marks += 1
        elif collection.get_transform().contains_branch(data) and len(collection.get_paths()):
            marks += 1
    marks += len(ax.images)
    return marks + sum(_axes_marks(child) for child in ax.child_axes)


def _finite(xy) -> bool:
    array = np.asarray(xy, dtype=float)
    return bool(array.size) and bool(np.isfinite(array).all(axis=-1).any())


def _sized(patch) -> bool:
    width, height = getattr(patch, "get_width", None), getattr(patch, "get_height", None)
    if width is None or height is None:
        return True  # a polygon, wedge or path patch in data coordinates
    return bool(np.isfinite([width(), height()]).all() and (width() != 0 or height() != 0))


def _tight(fig):
    """"tight", or for a figure that fixed its own layout (layout engine "none": the quadrant places
    its labels in display space) the same box measured here: savefig would lay the figure out once
    more to find it (a tenth of the overview's redraw), and the PNG is the same."""
    from matplotlib import rcParams
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    if not isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        return "tight"
    box = fig.get_tightbbox(fig.canvas.get_renderer()).padded(rcParams["savefig.pad_inches"])
    fig.set_layout_engine(None)  # no engine: savefig draws once, to the PNG
    return box


class Picture:
    """A figure rendered to PNG at once (so the figure can be closed), with its mark count in the
    PNG's text chunk under MARKS_KEY."""

    def __init__(self, fig):
        self.marks = count_marks(fig)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches=_tight(fig), dpi=fig.dpi, facecolor="white",
                    metadata={MARKS_KEY: str(self.marks)})
        self.png = buffer.getvalue()

    def _repr_png_(self) -> bytes:
        return self.png

    def __repr__(self) -> str:
        return f"<Picture: {self.marks} marks>"


def picture(item):
    """A matplotlib figure as a Picture; anything else (a finding, a note, a table) as it is."""
    from matplotlib.figure import Figure

    return Picture(item) if isinstance(item, Figure) else item
