"""One read-only connection per redraw: the views, tiles and panels a filter change redraws share it.

Opening the database costs about 10-30 ms (DuckDB reads its catalog), and the overview's redraw used to
open four. Within `redraw()` (the filter bar's burst of redraws, or a dashboard's first draw) the first
`connection()` opens the file and the others reuse it; it is closed when the redraw ends, so none is held
between redraws (DuckDB locks the file) and every part of one redraw reads the same snapshot.
"""
from __future__ import annotations

import contextlib
import os

from pmo_analytics.store.connection import connect


class SharedReads:
    """`connection()` gives a read-only connection to `db`: inside `redraw()` one shared connection,
    opened on first use; outside it a short-lived one of its own."""

    def __init__(self, db):
        self.db = db
        self._depth = 0
        self._con = None

    @contextlib.contextmanager
    def redraw(self):
        self._depth += 1
        try:
            yield self
        finally:
            self._depth -= 1
            if not self._depth and self._con is not None:
                con, self._con = self._con, None
                con.close()

    def version(self) -> tuple | None:
        """Which file the database is now (a publish swaps in a new one): what a panel that depends only
        on the month compares to skip re-reading; None when it cannot be told."""
        try:
            st = os.stat(self.db)
        except (OSError, TypeError):
            return None
        return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size

    @contextlib.contextmanager
    def connection(self):
        if not self._depth:
            with connect(self.db) as con:
                yield con
            return
        if self._con is None:
            self._con = connect(self.db)
        yield self._con


__all__ = ["SharedReads"]
