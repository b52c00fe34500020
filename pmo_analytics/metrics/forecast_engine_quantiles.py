"""Per-row quantiles of the forecast's draws (issue 16): exact order statistics with numpy's default
'linear' interpolation, the finish dates' by counting whole days instead of partitioning."""
from __future__ import annotations

import numpy as np


def _positions(quantiles, draws: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each quantile q: the order statistics k and k + 1 around q (draws - 1), and the weight of k + 1."""
    pos = np.asarray(quantiles, dtype=float) * (draws - 1)
    below = np.floor(pos).astype(np.int64)
    return below, np.minimum(below + 1, draws - 1), pos - below


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    return a + (b - a) * t[:, None]


def row_quantiles(x: np.ndarray, quantiles) -> np.ndarray:
    """(len(quantiles), rows) float64: each row's quantiles, as np.quantile(x, quantiles, axis=1) gives."""
    below, above, t = _positions(quantiles, x.shape[1])
    kth = np.unique(np.concatenate([below, above]))
    part = np.partition(x, kth, axis=1)
    return _lerp(part[:, below].T.astype(float), part[:, above].T.astype(float), t)


def whole_day_quantiles(days: np.ndarray, quantiles) -> np.ndarray:
    """row_quantiles for rows of whole numbers: a count of each row's values over its range finds the
    order statistics in one pass (falls back to a partition when the ranges are wider than the draws)."""
    rows, draws = days.shape
    low = days.min(axis=1)
    width = int((days.max(axis=1) - low).max()) + 1
    if width > draws:
        return row_quantiles(days, quantiles)
    offset = (days - low[:, None]).astype(np.int64)
    offset += (np.arange(rows, dtype=np.int64) * width)[:, None]
    cumulative = np.bincount(offset.ravel(), minlength=rows * width).reshape(rows, width).cumsum(axis=1)
    below, above, t = _positions(quantiles, draws)
    ks = np.concatenate([below, above])
    # the k-th smallest (from 0) is the first value whose cumulative count exceeds k
    stat = np.stack([(cumulative <= k).sum(axis=1) for k in ks]) + low[None, :].astype(float)
    return _lerp(stat[:len(below)], stat[len(below):], t)
