"""Per-snapshot noise from a counter-based hash: the same numbers whichever snapshots are generated,
so a month looks the same in a history and in a flat export."""
from __future__ import annotations

import numpy as np

_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(z):
    z = z ^ (z >> np.uint64(30))
    z = z * _M1
    z = z ^ (z >> np.uint64(27))
    z = z * _M2
    return z ^ (z >> np.uint64(31))


def hash_u(seed: int, *keys) -> np.ndarray:
    """Uniform [0, 1) numbers that depend only on (seed, keys): noise that is the same whichever
    snapshots are generated (splitmix64 over the keys, broadcast together)."""
    arrays = np.broadcast_arrays(*[np.asarray(k, dtype=np.int64) for k in keys])
    with np.errstate(over="ignore"):
        h = np.full(arrays[0].shape, np.uint64((seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) % 2**64))
        for k in arrays:
            h = _mix(h ^ (k.view(np.uint64) + np.uint64(0x9E3779B97F4A7C15)))
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)
