"""What the figure tests share: every figure closed after each test, colours compared as hex, and the
artists a figure marks with a gid."""
from __future__ import annotations

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import pytest


@pytest.fixture(autouse=True)
def close_figures():
    """Imported by a figure test module, closes every figure after each of its tests."""
    yield
    plt.close("all")


def same_color(a, b) -> bool:
    return mcolors.to_hex(a) == mcolors.to_hex(b)


def by_gid(ax, gid: str) -> list:
    return [a for a in ax.get_children() if a.get_gid() == gid]
