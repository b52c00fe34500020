"""One read-only connection per redraw: the views, tiles and panels a filter change redraws share it.

Opening the database costs about 10-30 ms (DuckDB reads its catalog), and the overview's redraw used to
open four. Within `redraw()` (the filter bar's burst of redraws, or a dashboard's first draw) the first
`connection()` opens the file and the others reuse it; it is closed when the redraw ends, so none is held
between redraws (DuckDB locks the file) and every part of one redraw reads the same snapshot.

`cached(con, key, build)` keeps what `build()` read for the database file `con` was opened on (its
device, inode, mtime and size, and its WAL's), so a redraw reuses what an earlier one read of the same
file: a publish swaps in a new file (os.replace), and what was read of the old one is not used again.
"""
from __future__ import annotations

import contextlib
import os
from collections import OrderedDict

from pmo_analytics.store.connection import connect


class SharedReads:
    """`connection()` gives a read-only connection to `db`: inside `redraw()` one shared connection,
    opened on first use; outside it a short-lived one of its own."""

    keep = 8  # what `cached` keeps: the last few months (and selections) read

    def __init__(self, db):
        self.db = db
        self._depth = 0
        self._con = None
        self._opened: tuple | None = None  # version() just before the connection in use was opened
        self._cache: OrderedDict = OrderedDict()

    @contextlib.contextmanager
    def redraw(self):
        self._depth += 1
        try:
            yield self
        finally:
            self._depth -= 1
            if not self._depth and self._con is not None:
                con, self._con, self._opened = self._con, None, None
                con.close()

    def version(self) -> tuple | None:
        """Which file the database is now (a publish swaps in a new one): what a panel that depends only
        on the month compares to skip re-reading; None when it cannot be told."""
        try:
            st = os.stat(self.db)
        except (OSError, TypeError):
            return None
        try:
            wal = os.stat(f"{self.db}.wal")
            wal_version = (wal.st_ino, wal.st_mtime_ns, wal.st_size)
        except OSError:
            wal_version = None
        return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size, wal_version

    @contextlib.contextmanager
    def connection(self):
        if not self._depth:
            opened, self._opened = self._opened, self.version()
            try:
                with connect(self.db) as con:
                    yield con
            finally:
                self._opened = opened
            return
        if self._con is None:
            self._opened = self.version()  # taken before opening: a file swapped in between is newer, not older
            self._con = connect(self.db)
        yield self._con

    def cached(self, con, key, build):
        """build() (which reads with `con`, a connection from `connection()`), or what it gave before for
        the same key and database file; nothing is kept when the file cannot be told apart (no stat)."""
        if self._opened is None or (self._depth and con is not self._con):
            return build()
        full = (self._opened, key)
        if full in self._cache:
            self._cache.move_to_end(full)
            return self._cache[full]
        value = self._cache[full] = build()
        while len(self._cache) > self.keep:
            self._cache.popitem(last=False)
        return value


__all__ = ["SharedReads"]
