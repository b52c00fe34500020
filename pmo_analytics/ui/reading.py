"""One read-only connection per redraw: the views, tiles and panels a filter change redraws share it.

Opening the database costs about 10-30 ms (DuckDB reads its catalog), and the overview's redraw used to
open four. Within `redraw()` (the filter bar's burst of redraws, or a dashboard's first draw) the first
`connection()` opens the file and the others reuse it; it is closed when the redraw ends, so none is held
between redraws (DuckDB locks the file) and every part of one redraw reads the same snapshot.

`cached(key, build)` keeps what `build(con)` read, per database file (its device, inode, mtime and
size, and its WAL's): a redraw reuses what an earlier one read of the same file, and opens no
connection when everything it shows is kept; a publish swaps in a new file (os.replace), and what was
read of the old one is not used again. A redraw looks at the file once (`pinned`); should the file
be swapped before the redraw opens its connection, `on_torn` is called (the filter bar then runs the
redraw's parts again, in the same redraw, from the new file), so one redraw never shows two snapshots.
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
        self._pinned: tuple | None = None  # the file this redraw reads: version() at its first look
        self._cache: OrderedDict = OrderedDict()
        self.on_torn = None  # called when the file changed between a redraw's first look and its connection

    @contextlib.contextmanager
    def redraw(self):
        self._depth += 1
        try:
            yield self
        finally:
            self._depth -= 1
            if not self._depth:
                self._pinned = None
                if self._con is not None:
                    con, self._con = self._con, None
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
            with connect(self.db) as con:
                yield con
            return
        if self._con is None:
            opened = self.version()  # taken before opening: a file swapped in between is newer, not older
            self._con = connect(self.db)
            pinned, self._pinned = self._pinned, opened
            if pinned is not None and pinned != opened and self.on_torn is not None:
                self.on_torn()  # what this redraw took from the cache is of the file before
        yield self._con

    def cached(self, key, build):
        """build(con) with a connection from `connection()` (opened only now), or what it gave before for
        the same key and database file; nothing is kept when the file cannot be told apart (no stat)."""
        if self._depth:
            if self._pinned is None:
                self._pinned = self.version()
            version = self._pinned
        else:
            version = self.version()
        full = (version, key)
        if version is not None and full in self._cache:
            self._cache.move_to_end(full)
            return self._cache[full]
        with self.connection() as con:
            value = build(con)
            version = self._pinned if self._depth else version  # the file read (a redraw may have moved on)
        if version is not None:
            self._cache[(version, key)] = value
            while len(self._cache) > self.keep:
                self._cache.popitem(last=False)
        return value


__all__ = ["SharedReads"]
