"""Checking and loading one monthly snapshot, published atomically into the DuckDB file.

A load stages and validates every file in memory first; with any error nothing is written. Then the
live database is copied beside itself, the month's rows are replaced in the copy inside one
transaction, the copy is checkpointed and closed, and `os.replace` swaps it in. Open dashboards (which
hold short read-only connections) see the old file or the new one, never half a snapshot, and a load
that fails or is killed at any point leaves the live file byte-for-byte as it was.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from . import contract, db, ingest, summaries, validation
from .exceptions import DatabaseBusy, InputError, PublishFailed, ValidationFailed
from .filters import month_end
from .settings import db_path

Progress = Callable[[str], None] | None


@dataclass
class Report:
    """The outcome of `check` or `load`: per-file results, every problem and the quality score."""

    as_of: dt.date | None
    checks: dict[str, validation.TableCheck]
    problems: list[validation.Problem] = field(default_factory=list)
    db: Path | None = None

    @property
    def errors(self) -> list[validation.Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[validation.Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def quality_score(self) -> float | None:
        """0-100 over the files of this report; missing columns and warnings lower it."""
        if not self.checks:
            return None
        return round(100 * sum(c.quality() for c in self.checks.values()) / len(self.checks), 1)

    def summary(self) -> str:
        """A plain-text data-quality report, one line per file, then one line per problem."""
        lines = [f"{'table':<13} {'rows':>9} {'errors':>7} {'warnings':>9} {'quality':>8}  file"]
        for name, c in self.checks.items():
            errs = sum(p.severity == "error" and p.file == str(c.source.path) for p in self.problems)
            warns = sum(p.severity == "warning" and p.file == str(c.source.path) for p in self.problems)
            lines.append(f"{name:<13} {c.rows:>9,} {errs:>7} {warns:>9} {100 * c.quality():>7.1f}%  {c.source.path}")
        lines += [str(p) for p in self.errors] + [str(p) for p in self.warnings]
        lines.append(f"quality score: {self.quality_score}/100; {len(self.errors)} error(s), "
                     f"{len(self.warnings)} warning(s)")
        return "\n".join(lines)


def _stage_all(con, sources: list[ingest.Source], progress: Progress, as_of=None) -> dict[str, validation.TableCheck]:
    checks = {}
    for source in sources:
        if source.picked and progress:
            progress(f"{source.path.name}: profile {source.profile.name if source.profile else 'workbook'} "
                     f"picked for {source.table} ({source.picked})")
    for i, source in enumerate(sources, 1):
        checks[source.table] = validation.check_table(con, source, as_of)
        if progress:
            progress(f"[{i}/{len(sources)}] {source.path.name}: {checks[source.table].rows:,} rows")
    return checks


def check(paths, progress: Progress = None, profile: str | None = None, as_of=None) -> Report:
    """Validates exports without loading them (references checked among the given files only)."""
    as_of = month_end(as_of) if as_of is not None else None
    con = db.memory()
    try:
        checks = _stage_all(con, ingest.discover(paths, profile), progress, as_of)
        problems = [p for c in checks.values() for p in c.problems]
        problems += validation.check_references(con, checks)
        problems += validation.check_snapshot(con, checks, as_of)
        return Report(None, checks, problems)
    finally:
        con.close()


def load(paths, as_of, database=None, progress: Progress = None, profile: str | None = None) -> Report:
    """Validates the exports and publishes them as the snapshot of month `as_of`.

    Only the tables given are replaced for that month; other tables and other months stay. `profile`
    (a shipped name or a .toml path) says how to read exports that are not in the workbench's format.
    Raises ValidationFailed (nothing written) when any file has an error.
    """
    as_of = month_end(as_of)
    target = db_path(database)
    target.parent.mkdir(parents=True, exist_ok=True)
    con = db.memory()
    # Input checksums are computed in a thread while DuckDB (which releases the GIL) stages the files.
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        sources = ingest.discover(paths, profile)
        if not sources:
            raise InputError(f"{', '.join(map(str, paths))}: no table to load in these exports")
        sums = {s.table: pool.submit(s.checksum) for s in sources}
        checks = _stage_all(con, sources, progress, as_of)
        report = Report(as_of, checks, [p for c in checks.values() for p in c.problems], target)
        if report.errors:
            raise ValidationFailed(report.problems)
        with publishing(con, target):
            report.problems += validation.check_references(con, checks, existing="pub", as_of=as_of)
            report.problems += validation.check_dependents(con, checks, existing="pub", as_of=as_of)
            report.problems += validation.check_snapshot(con, checks, as_of, existing="pub")
            if report.errors:
                raise ValidationFailed(report.problems)
            _publish(con, checks, as_of, report, {t: f.result() for t, f in sums.items()})
        if progress:
            progress(f"published snapshot {as_of:%Y-%m} to {target} (quality {report.quality_score}/100)")
        return report
    finally:
        pool.shutdown(cancel_futures=True)
        con.close()


def refresh_summaries(database=None) -> int:
    """Recomputes every snapshot's summaries (summaries.py) and publishes the result; returns how many
    snapshots there are. Needed once for a database written before a summary existed."""
    target = db.existing(database)
    con = db.memory()
    try:
        with publishing(con, target, backfill=False):
            con.sql("BEGIN TRANSACTION")
            try:
                summaries.refresh(con, "pub")
                con.sql("COMMIT")
            except BaseException:
                _quietly(con, "ROLLBACK")
                raise
            return con.sql("SELECT count(*) FROM pub.loads").fetchall()[0][0]
    finally:
        con.close()


@contextlib.contextmanager
def publishing(con, target: Path, backfill: bool = True):
    """Attaches a copy of `target` (or a new file) as `pub` with the current schema; when the block
    succeeds, checkpoints it and swaps it in with os.replace. On any failure, or a kill, the live file
    is untouched. One publisher at a time per file (snapshots and history imports alike). With
    `backfill`, summaries missing or of another version are recomputed for every month first.

    `target` may be a symbolic link: the file it points to is replaced, the link stays. A file that is
    not a DuckDB database is never overwritten, and a write-ahead log left by a crashed writer is
    checkpointed into the file before it is copied (a copy without it would lose its rows, and the
    new file would sit under a log that is not its own)."""
    target = Path(os.path.realpath(target))
    tmp = target.with_name(f"{target.name}.loading-{os.getpid()}")
    try:
        with _exclusive(target) as lock:
            _check_database(target)
            _absorb_wal(target)
            existing = target.exists()
            if existing:
                shutil.copyfile(target, tmp)
            con.sql(f"ATTACH '{_sql_path(tmp)}' AS pub")
            try:
                _ensure_schema(con)
                if backfill and existing and not summaries.current(con, "pub"):
                    summaries.refresh(con, "pub")
                yield
                con.sql("CHECKPOINT pub")
            finally:
                _quietly(con, "DETACH pub")
            _fsync(tmp)
            with _uninterrupted():
                _check_still_ours(target, lock)
                os.replace(tmp, target)
                _fsync(target.parent)
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
        with duckdb.connect(str(target), config=db.CONFIG) as writer:
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


def _quietly(con, sql: str) -> None:
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


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _ensure_schema(con) -> None:
    """Creates missing tables in `pub` and adds columns a newer contract declares."""
    for ddl in contract.all_ddl():
        con.sql(ddl.replace("CREATE TABLE IF NOT EXISTS ", "CREATE TABLE IF NOT EXISTS pub.", 1))
    existing = {(t, c) for t, c in con.sql(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = 'pub'").fetchall()}
    for table in contract.TABLES.values():
        for c in table.columns:
            if (table.name, c.name) not in existing:
                con.sql(f"ALTER TABLE pub.{table.name} ADD COLUMN {c.name} {c.type}")


def _publish(con, checks, as_of: dt.date, report: Report, sha256: dict[str, str]) -> None:
    """Replaces the month's rows of each loaded table, its `loads` record and its summaries, in one
    transaction."""
    con.sql("BEGIN TRANSACTION")
    try:
        for name, check in checks.items():
            _replace_table(con, name, check, as_of)
        previous = con.sql("SELECT files FROM pub.loads WHERE as_of = ?", params=[as_of]).fetchall()
        files = json.loads(previous[0][0]) if previous else {}
        # A table's warnings are its own; cross-file ones go to the first table read from the file they name.
        own = {p for c in checks.values() for p in c.problems}
        cross = [p for p in report.problems if p not in own and p.severity == "warning"]
        attributed = set()
        for name, check in checks.items():
            path = str(check.source.path)
            warnings = sum(p.severity == "warning" for p in check.problems)
            if path not in attributed:
                warnings += sum(p.file == path for p in cross)
                attributed.add(path)
            files[name] = {"file": str(check.source.path), "sha256": sha256[name],
                           "rows": check.rows, "warnings": warnings, "quality": round(100 * check.quality(), 1)}
        files = dict(sorted(files.items()))
        counts = {t: con.sql(f"SELECT count(*) FROM pub.{t} WHERE as_of = ?", params=[as_of]).fetchall()[0][0]
                  for t in contract.TABLES}
        checksum = hashlib.sha256("".join(f"{t}:{f['sha256']};" for t, f in files.items()).encode()).hexdigest()
        score = round(sum(f["quality"] for f in files.values()) / len(files), 1)
        con.sql("DELETE FROM pub.loads WHERE as_of = ?", params=[as_of])
        con.sql(f"""INSERT INTO pub.loads (as_of, loaded_at, files, {', '.join(f'rows_{t}' for t in counts)},
                    warnings, quality_score, checksum)
                    VALUES (?, now()::TIMESTAMP, ?, {', '.join('?' for _ in counts)}, ?, ?, ?)""",
                params=[as_of, json.dumps(files), *counts.values(),
                        sum(f["warnings"] for f in files.values()), score, checksum])
        summaries.refresh(con, "pub", [as_of])
        con.sql("COMMIT")
    except BaseException:
        _quietly(con, "ROLLBACK")
        raise


def _replace_table(con, name: str, check: validation.TableCheck, as_of: dt.date) -> None:
    con.sql(f"DELETE FROM pub.{name} WHERE as_of = ?", params=[as_of])
    con.sql(f"INSERT INTO pub.{name} BY NAME {validation.select_canonical(check)}",
            params=[as_of, str(check.source.path)])


@contextlib.contextmanager
def _exclusive(target: Path):
    """One publisher at a time per database file; a second waits rather than losing a snapshot.
    Yields the open lock file (publishing checks it is still in place before the swap)."""
    with open(target.with_name(target.name + ".lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        _remove_stale_copies(target)
        try:
            yield fh
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def list_snapshots(database=None) -> pd.DataFrame:
    """Every loaded snapshot with its row counts, warnings, quality score and load time."""
    with db.connect(database) as con:
        return con.sql("""
            SELECT strftime(as_of, '%Y-%m') AS month, as_of,
                   rows_projects AS projects, rows_budget_lines AS budget_lines, rows_progress AS progress,
                   rows_resources AS resources, rows_allocations AS allocations, rows_risks AS risks,
                   rows_milestones AS milestones, warnings, quality_score,
                   strftime(loaded_at, '%Y-%m-%d %H:%M') AS loaded_at
            FROM loads ORDER BY as_of""").df()
