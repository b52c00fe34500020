"""Checking and loading one monthly snapshot, published atomically into the DuckDB file.

A load stages and validates every file in memory first; with any error nothing is written. Then the
live database is copied beside itself, the month's rows are replaced in the copy inside one
transaction, the copy is checkpointed and closed, and `os.replace` swaps it in. Open dashboards (which
hold short read-only connections) see the old file or the new one, never half a snapshot, and a load
that fails or is killed at any point leaves the live file byte-for-byte as it was.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pmo_analytics import contract, validation
from pmo_analytics.exceptions import InputError, ValidationFailed
from pmo_analytics.ingest import discovery as ingest
from pmo_analytics.periods import month_end
from pmo_analytics.settings import db_path
from pmo_analytics.snapshots import summaries
from pmo_analytics.store import connection as db
from pmo_analytics.store import publish
from pmo_analytics.validation.history import check_history

Progress = Callable[[str], None] | None


@dataclass(frozen=True)
class ScheduleHealth:
    """The DCMA-14 assessment of one schedule file of a check or load (validation/dcma.py)."""

    project_id: str
    result: object  # the dcma() frame

    @property
    def score(self) -> tuple[int, int]:
        from pmo_analytics.validation.dcma import dcma_score

        return dcma_score(self.result)

    def line(self, file: str) -> str:
        passed, applicable = self.score
        return (f"schedule health (DCMA-14) of {Path(file).name} ({self.project_id}): {passed} of "
                f"{applicable} applicable checks pass")


@dataclass
class Report:
    """The outcome of `check` or `load`: per-file results, every problem and the quality score."""

    as_of: dt.date | None
    checks: dict[str, validation.TableCheck]
    problems: list[validation.Problem] = field(default_factory=list)
    db: Path | None = None
    schedules: dict[str, ScheduleHealth] = field(default_factory=dict)  # by file

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
        lines += [h.line(f) for f, h in self.schedules.items()]
        lines.append(f"quality score: {self.quality_score}/100; {len(self.errors)} error(s), "
                     f"{len(self.warnings)} warning(s)")
        return "\n".join(lines)


STAGING_THREADS = 2  # files staged at once; DuckDB releases the GIL, and one file's queries leave a core idle


def _stage_all(con, sources: list[ingest.Source], progress: Progress, as_of=None) -> dict[str, validation.TableCheck]:
    """Stages and checks every file, two at a time (each on its own cursor of `con`); progress and
    results keep the files' order. Schedules are read on this thread (MPXJ's JVM is attached to it)."""
    checks = {}
    for source in sources:
        if source.picked and progress:
            progress(f"{source.path.name}: profile {source.profile.name if source.profile else 'workbook'} "
                     f"picked for {source.table} ({source.picked})")
    pool = ThreadPoolExecutor(max_workers=STAGING_THREADS)
    try:
        futures = [None if _is_schedule(s) else pool.submit(_check_on_cursor, con, s, as_of) for s in sources]
        for i, (source, future) in enumerate(zip(sources, futures), 1):
            checks[source.table] = (future.result() if future is not None
                                    else validation.check_table(con, source, as_of))
            if progress:
                progress(f"[{i}/{len(sources)}] {source.path.name}: {checks[source.table].rows:,} rows")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # no query may still run when `con` closes
    return checks


def _check_on_cursor(con, source: ingest.Source, as_of) -> validation.TableCheck:
    cursor = con.cursor()
    try:
        return validation.check_table(cursor, source, as_of)
    finally:
        cursor.close()


def _is_schedule(source: ingest.Source) -> bool:
    return source.profile is not None and source.profile.kind in ingest.SCHEDULE_KINDS


def check(paths, progress: Progress = None, profile: str | None = None, as_of=None, database=None) -> Report:
    """Validates exports without loading them (references checked among the given files only).

    With `database` (a file that exists), the month is also checked against the snapshot loaded
    before `as_of` there (before none: the latest), as `load` does: history that breaks, restated
    actuals (validation.history)."""
    as_of = month_end(as_of) if as_of is not None else None
    con = db.memory()
    try:
        checks = _stage_all(con, ingest.discover(paths, profile), progress, as_of)
        problems = [p for c in checks.values() for p in c.problems]
        problems += validation.check_references(con, checks)
        problems += validation.check_snapshot(con, checks, as_of)
        if database is not None and db_path(database).exists():
            con.sql(f"ATTACH '{publish.sql_path(db_path(database))}' AS live (READ_ONLY)")
            problems += check_history(con, checks, as_of, existing="live")
        return Report(None, checks, problems, schedules=schedule_health(checks))
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
    # Input checksums are computed in a thread while DuckDB (which releases the GIL) stages the files,
    # the live database is copied beside itself in another (publish.CopyAhead), and the checks against
    # the database run in a thread while the rows are written.
    pool = ThreadPoolExecutor(max_workers=2)
    ahead = None
    try:
        sources = ingest.discover(paths, profile)
        if not sources:
            raise InputError(f"{', '.join(map(str, paths))}: no table to load in these exports")
        ahead = publish.CopyAhead(target)
        sums = {s.table: pool.submit(s.checksum) for s in sources}
        checks = _stage_all(con, sources, progress, as_of)
        report = Report(as_of, checks, [p for c in checks.values() for p in c.problems], target,
                        schedules=schedule_health(checks))
        if report.errors:
            raise ValidationFailed(report.problems)
        with publish.publishing(con, target, prepare=backfill, ahead=ahead):
            # The checks against the database run while the rows are written (_publish waits for them
            # before the commit): on their own cursor they see the database as it was.
            cross = pool.submit(_cross_checks, con, checks, as_of)
            try:
                _publish(con, checks, as_of, report, {t: f.result() for t, f in sums.items()}, cross)
            finally:
                futures.wait([cross])
        if progress:
            progress(f"published snapshot {as_of:%Y-%m} to {target} (quality {report.quality_score}/100)")
        return report
    finally:
        pool.shutdown(cancel_futures=True)
        if ahead is not None:
            ahead.discard()
        con.close()


def refresh_summaries(database=None) -> int:
    """Recomputes every snapshot's summaries (summaries.py) and publishes the result; returns how many
    snapshots there are. Needed once for a database written before a summary existed."""
    target = db.existing(database)
    con = db.memory()
    try:
        with publish.publishing(con, target), publish.transaction(con):
            summaries.refresh(con, "pub")
            return con.sql("SELECT count(*) FROM pub.loads").fetchall()[0][0]
    finally:
        con.close()


def backfill(con, existed: bool) -> None:
    """Before publishing into a database written by an older version: its summaries, missing or of
    another definition, are recomputed for every month (publishing's `prepare`)."""
    if existed and not summaries.current(con, "pub"):
        summaries.refresh(con, "pub")


def _cross_checks(con, checks, as_of: dt.date) -> list[validation.Problem]:
    """The checks of the month against the database (`pub`) and across its files, on a cursor of its own."""
    cursor = con.cursor()
    try:
        return (validation.check_references(cursor, checks, existing="pub", as_of=as_of)
                + validation.check_dependents(cursor, checks, existing="pub", as_of=as_of)
                + validation.check_snapshot(cursor, checks, as_of, existing="pub")
                + check_history(cursor, checks, as_of, existing="pub"))
    finally:
        cursor.close()


def _publish(con, checks, as_of: dt.date, report: Report, sha256: dict[str, str], cross: futures.Future) -> None:
    """Replaces the month's rows of each loaded table, its `loads` record and its summaries, in one
    transaction; rolled back when the checks against the database (`cross`) find an error."""
    with publish.transaction(con):
        for name, check in checks.items():
            _replace_table(con, name, check, as_of)
        report.problems += cross.result()
        if report.errors:
            raise ValidationFailed(report.problems)
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
        _publish_schedules(con, checks, as_of)
        summaries.refresh(con, "pub", [as_of])


def _schedule_files(checks) -> list[Path]:
    return sorted({p for c in checks.values() if _is_schedule(c.source) for p in c.source.files})


def schedule_health(checks) -> dict[str, ScheduleHealth]:
    """The DCMA-14 assessment of each schedule file among the checked sources, by file (pandas, which
    the DCMA checks need, is imported only when there is one: it costs a CSV load ~0.3 s)."""
    paths = _schedule_files(checks)
    if not paths:
        return {}
    from pmo_analytics.ingest.schedules import reading
    from pmo_analytics.validation.dcma import dcma

    out = {}
    for path in paths:
        d = reading.detail(path)
        out[str(path)] = ScheduleHealth(d.project_id, dcma(d.activities, d.relations, d.schedule.status_date))
    return out


def _publish_schedules(con, checks, as_of: dt.date) -> None:
    """Each loaded schedule's activities and relationships, for the DCMA-14 check of this month."""
    paths = _schedule_files(checks)
    if not paths:
        return
    from pmo_analytics.ingest.schedules import reading
    from pmo_analytics.store import schedules as schedule_store

    for path in paths:
        d = reading.detail(path)
        schedule_store.replace(con, "pub", as_of, d.project_id, d.header, d.activities, d.relations)


def _replace_table(con, name: str, check: validation.TableCheck, as_of: dt.date) -> None:
    con.sql(f"DELETE FROM pub.{name} WHERE as_of = ?", params=[as_of])
    con.sql(f"INSERT INTO pub.{name} BY NAME {validation.select_canonical(check)}",
            params=[as_of, str(check.source.path)])


