"""Publishing a new state of the database file atomically: one lock, one build-beside-and-replace.

The live file is never opened read-write (DuckDB would lock every dashboard out). `publishing`
copies it beside itself, lets the caller change the copy inside one block, checkpoints it and swaps
it in with `os.replace`: readers see the old file or the new one, never half of one, and a failure
or a kill at any point leaves the live file byte-for-byte as it was. Publishers queue on a lock file
beside the database; copies a killed publisher left are removed once its process is gone.

The same two parts serve folders (the monthly report pack): `locked` is the one exclusive lock,
`replace_folder` the one rename-beside-and-replace; what may be replaced is for the caller to check.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import duckdb

from pmo_analytics.exceptions import DatabaseBusy, InputError, PublishFailed
from pmo_analytics.store import connection, schema


class CopyAhead:
    """A copy of the live file started before the lock, in a thread, so that it runs while the caller
    stages what it will publish (loading: 0.1-1 s for a 36-month database). `publishing` uses it only
    when the live file is still the one copied (same inode, size and modification time, and no
    write-ahead log beside it); else it copies again under the lock. `discard` waits for the copy
    and removes it when it was not used."""

    def __init__(self, target: Path):
        self.target = Path(os.path.realpath(target))
        self.tmp = _copy_path(self.target)
        self.identity = None
        self._thread = None
        if self.target.is_file() and not self.target.with_name(self.target.name + ".wal").exists():
            self.identity = _identity(self.target)
            self._thread = threading.Thread(target=self._copy, daemon=True)
            self._failed = False
            self._thread.start()

    def _copy(self) -> None:
        try:
            shutil.copyfile(self.target, self.tmp)
        except OSError:
            self._failed = True  # publishing copies again, and reports what fails then

    def usable(self, target: Path) -> bool:
        """Waits for the copy; True when it is a copy of `target` as it is now."""
        if self._thread is None or target != self.target:
            return False
        self._thread.join()
        return not self._failed and _identity(target) == self.identity and \
            not target.with_name(target.name + ".wal").exists()

    def discard(self) -> None:
        if self._thread is not None:
            self._thread.join()
            with contextlib.suppress(OSError):
                os.remove(self.tmp)


def _copy_path(target: Path) -> Path:
    return target.with_name(f"{target.name}.loading-{os.getpid()}")


def _identity(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


@contextlib.contextmanager
def publishing(con, target: Path, prepare: Callable | None = None, ahead: CopyAhead | None = None):
    """Attaches a copy of `target` (or a new file) as `pub` with the current schema; when the block
    succeeds, checkpoints it and swaps it in with os.replace. On any failure, or a kill, the live file
    is untouched. One publisher at a time per file (snapshots and history imports alike).
    `prepare(con, existed)` runs on the attached copy before the block (the snapshots layer brings
    an older database's summaries up to date there).

    `target` may be a symbolic link: the file it points to is replaced, the link stays. A file that is
    not a DuckDB database is never overwritten, and a write-ahead log left by a crashed writer is
    checkpointed into the file before it is copied (a copy without it would lose its rows, and the
    new file would sit under a log that is not its own). `ahead`: a CopyAhead of `target` started
    before, used when the file has not changed since."""
    target = Path(os.path.realpath(target))
    tmp = _copy_path(target)
    try:
        with _exclusive(target) as lock:
            _check_database(target)
            _absorb_wal(target)
            existing = target.exists()
            if existing and not (ahead is not None and ahead.usable(target)):
                shutil.copyfile(target, tmp)
            con.sql(f"ATTACH '{sql_path(tmp)}' AS pub")
            # A commit then writes its rows into the copy at once instead of into a write-ahead log
            # that the checkpoint below writes again (a 5,000-project month: about 35 ms less).
            con.sql("SET checkpoint_threshold = '1KB'")
            try:
                schema.ensure(con, "pub")
                if prepare is not None:
                    prepare(con, existing)
                yield
                con.sql("CHECKPOINT pub")
            finally:
                quietly(con, "DETACH pub")
            fsync(tmp)
            with _uninterrupted():
                _check_still_ours(target, lock)
                os.replace(tmp, target)
                fsync(target.parent)
    except (OSError, duckdb.IOException) as exc:
        raise PublishFailed(f"{target}: publishing failed: {_cause(exc)}; nothing was published") from None
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            with contextlib.suppress(OSError):
                os.remove(leftover)


DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def _check_database(target: Path) -> None:
    """Refuses to publish over anything but a DuckDB database (or nothing): never overwrite a file
    the workbench did not write."""
    if not os.path.lexists(target):
        return
    if target.is_dir():
        raise InputError(f"{target}: is a folder, not a DuckDB database file; give --db a file name")
    with open(target, "rb") as fh:
        head = fh.read(12)
    if head[8:12] != DUCKDB_MAGIC:
        what = "an empty file" if not head else "not a DuckDB database"
        raise InputError(f"{target}: {what}; the workbench will not overwrite it (give --db a new file name)")


def _absorb_wal(target: Path) -> None:
    """Checkpoints the write-ahead log a read-write session left beside `target` when it crashed (its
    committed rows are in the log, not yet in the file); refuses when another program holds the file."""
    wal = target.with_name(target.name + ".wal")
    if not wal.exists():
        return
    try:
        with duckdb.connect(str(target), config=connection.CONFIG) as writer:
            writer.sql("CHECKPOINT")
    except duckdb.Error as exc:
        first = _cause(exc)
        if "lock" in first.lower():
            raise DatabaseBusy(f"{target}: another program has the database open for writing ({first}); "
                               "close it, then publish again; nothing was published") from None
        raise PublishFailed(f"{target}: its write-ahead log {wal.name} (left by a program that stopped without "
                            f"closing the database) cannot be replayed: {first}; both files were left as they are "
                            "and nothing was published") from None
    if wal.exists():
        raise DatabaseBusy(f"{target}: {wal.name} is still there after a checkpoint: it is not a log DuckDB "
                           "wrote for this file, or another program is writing to the database; both files were "
                           "left as they are and nothing was published")


def _check_still_ours(target: Path, lock) -> None:
    """Last checks before the swap: the lock file is still the one this publisher holds (a removed
    lock file let another publisher in), and no program has opened the live file for writing."""
    lock_path = target.with_name(target.name + ".lock")
    try:
        same = os.stat(lock_path).st_ino == os.fstat(lock.fileno()).st_ino
    except FileNotFoundError:
        same = False
    if not same:
        raise DatabaseBusy(f"{lock_path}: the lock file was removed or replaced while publishing, so another "
                           "load may be running; nothing was published; run the command again")
    if target.with_name(target.name + ".wal").exists():
        raise DatabaseBusy(f"{target}: another program opened the database for writing while publishing; "
                           "nothing was published; close it and run the command again")


@contextlib.contextmanager
def _uninterrupted():
    """Defers Ctrl+C and SIGTERM over the swap, so 'nothing was published' is never said of a
    snapshot that was."""
    signals = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def quietly(con, sql: str) -> None:
    """Runs `sql` where a failure must not hide the error being raised (DETACH or ROLLBACK after a
    fatal write error, such as a full disk)."""
    with contextlib.suppress(duckdb.Error):
        con.sql(sql)


def _cause(exc: BaseException) -> str:
    """The first line of an error, with the operating system's reason when there is one."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror} ({exc.filename})" if exc.filename else exc.strerror
    text = str(exc).strip()
    text = text.split("Original error: ", 1)[-1]  # DuckDB wraps the OS error in a checkpoint failure
    lines = text.splitlines()
    return lines[0] if lines else type(exc).__name__


def sql_path(path: Path) -> str:
    """A path as a SQL string literal's content (ATTACH takes no parameters)."""
    return str(path).replace("'", "''")


@contextlib.contextmanager
def locked(lock_path: Path):
    """Holds an exclusive lock on `lock_path` (created when missing) over the block; a second holder
    waits for it. Yields the open lock file."""
    with open(lock_path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield fh
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def _exclusive(target: Path):
    """One publisher at a time per database file; a second waits rather than losing a snapshot.
    Yields the open lock file (publishing checks it is still in place before the swap)."""
    with locked(target.with_name(target.name + ".lock")) as fh:
        _remove_stale_copies(target)
        yield fh


def replace_folder(staging: Path, final: Path, remove_old: Callable[[Path], object]) -> None:
    """Renames folder `staging` to `final`: the old `final` away first (to `.NAME.old-PID-*` beside it),
    and back when the new one cannot go in; once it is in, `remove_old(old)` (only if there was one)."""
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-{os.getpid()}-", dir=final.parent))
        os.rmdir(old)
        os.rename(final, old)
    try:
        os.rename(staging, final)
    except BaseException:
        if old is not None:
            os.rename(old, final)
        raise
    fsync(final.parent)
    if old is not None:
        remove_old(old)


def _remove_stale_copies(target: Path) -> None:
    """Removes the copies (and their logs) that killed publishers left beside `target`: only names
    this module writes, and only when the process named in them is gone."""
    pattern = re.compile(re.escape(target.name) + r"\.loading-(\d+)(?:\.wal)?")
    for path in target.parent.iterdir():
        match = pattern.fullmatch(path.name)
        if match and not process_alive(int(match.group(1))):
            path.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Whether process `pid` exists (this process counts as alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fsync(path: Path) -> None:
    """Flushes a file or a folder (a rename is durable once its folder is flushed)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def transaction(con):
    """BEGIN ... COMMIT around the block; ROLLBACK on any failure without hiding it."""
    con.sql("BEGIN TRANSACTION")
    try:
        yield
        con.sql("COMMIT")
    except BaseException:
        quietly(con, "ROLLBACK")
        raise
