"""The monthly cycle: load a month's exports, re-run the report notebooks, publish an HTML pack.

`run_month(month, exports_dir)` (`pmo month YYYY-MM EXPORTS_DIR`) checks the folder, publishes it as
that month's snapshot (snapshots.load: atomic, other months untouched), then `build_report`.
`build_report(month)` (`pmo report --month YYYY-MM`) runs the report notebooks (notebooks/02..07)
with papermill for a month already loaded and writes `reports/YYYY-MM/`:

    index.html            the headline numbers (from metrics.portfolio.headline) and the snapshot's
                          data-quality score (from `loads`), linking every report
    NN_name.html          each notebook without code: figures (PNG) and tables, no widgets
    NN_name.ipynb         each executed notebook, for analysts

Nothing half-done: the pack is rendered into a hidden folder beside `reports/YYYY-MM` and swapped in
only when every notebook ran (the old folder is renamed away, the new one renamed in, the old one
deleted), so a failed run leaves the previous pack of that month as it was. A notebook that fails
raises ReportFailed naming the notebook, the cell and the error, and its executed copy (with the
traceback) is kept in `reports/.failed-YYYY-MM/` for the analyst.

Only what the workbench wrote is ever replaced or deleted. index.html carries a manifest (month,
generator, version, the SHA-256 of every file); `reports/YYYY-MM` is replaced only when it carries a
valid one and holds nothing else, unchanged since, and is not the exports folder (nor inside or
above it); otherwise the run is refused (PackRefused) before anything is loaded. Work folders and
`.failed-YYYY-MM/` carry marker files; stale ones are removed only when marked and their run is gone.
Notebook processes die with the run (PR_SET_PDEATHSIG; their kernels follow via ipykernel's parent
poller); under `stop_on_signals` Ctrl+C, SIGTERM and SIGHUP stop them and raise Interrupted.

Reports are deterministic: re-running a month over the same data gives byte-identical HTML apart
from the `<time>` elements of index.html (when it was generated and loaded); `strip_volatile`
removes those. The executed notebooks differ only in papermill's timing metadata.

Each notebook runs in its own process (`python -c _CHILD`: papermill, kernel `python3`, working
directory notebooks/, parameters `month` and `db`, PMO_DB set), `jobs` at a time (default one per
CPU). `progress` receives one line per step: "[3/9] running 04_risks ...".
"""
from __future__ import annotations

import contextlib
import copy
import ctypes
import datetime as dt
import fcntl
import hashlib
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pmo_analytics import packaged
from pmo_analytics import __version__
from pmo_analytics.metrics import scope as filters
from pmo_analytics.snapshots import loading as snapshots
from pmo_analytics.store import connection as _db
from pmo_analytics.exceptions import InputError, PMOError, UsageError, ValidationFailed
from pmo_analytics.settings import CELL_TIMEOUT, NOTEBOOK_TIMEOUT, REPORT_NOTEBOOKS, REPORTS_DIR, db_path
from pmo_analytics.store import loads, publish
from pmo_analytics.periods import month_end

NOTEBOOKS = packaged.NOTEBOOKS
# Notebooks that compare with the previous snapshot: skipped (and said so) for the first month loaded.
NEEDS_PREVIOUS = frozenset({"07_month_over_month"})
KERNEL = "python3"
# Cells tagged with one of these are left out of the HTML (the interactive widget cells go anyway).
HIDDEN_TAGS = frozenset({"parameters", "injected-parameters", "report-skip", "remove_cell"})
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_IMG = re.compile(r"<img\b[^>]*\bsrc=\"data:image/(?:png|jpeg|svg\+xml)")
_TABLE = re.compile(r"<table\b")
_VOLATILE = re.compile(r"<time\b[^>]*>.*?</time>", re.DOTALL)
# What marks a folder as the workbench's, so that it only ever replaces or deletes what it wrote: a
# pack's index.html carries a manifest (month, generator, version, every file with its SHA-256) in
# this block; a work folder holds WORK_MARKER (the pid of its run); .failed-YYYY-MM/ holds FAILED_MARKER.
GENERATOR = "pmo_analytics"
INDEX = "index.html"
MANIFEST_ID = "pmo-report"
_MANIFEST = re.compile(rf'<script type="application/json" id="{MANIFEST_ID}">(.*?)</script>'.encode(), re.DOTALL)
_MANIFEST_TEXT = re.compile(rf'(<script type="application/json" id="{MANIFEST_ID}">).*?(</script>)', re.DOTALL)
WORK_MARKER = ".pmo-work.json"
FAILED_MARKER = ".pmo-failed.json"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

Progress = Callable[[str], object] | None


class ReportFailed(PMOError):
    """A report notebook failed; nothing was published. Names the notebook, cell and error."""

    def __init__(self, message: str, notebook: str | None = None, cell: int | None = None,
                 ename: str | None = None, evalue: str | None = None, executed: Path | None = None):
        self.notebook, self.cell, self.ename, self.evalue, self.executed = notebook, cell, ename, evalue, executed
        super().__init__(message)


class MonthNotLoaded(PMOError):
    """`pmo report` for a month that has no snapshot in the database."""


class PackRefused(PMOError):
    """--out, or the month's folder in it, is not the workbench's to replace; nothing was loaded or written."""


class PackWriteFailed(PMOError):
    """Writing the pack failed (a full disk, a file size limit, permissions); nothing was published."""


class Interrupted(KeyboardInterrupt):
    """A stop signal (Ctrl+C, SIGTERM, SIGHUP) ended the run; its notebooks were stopped. `detail`
    says what was published."""

    def __init__(self, signum: int, detail: str = "nothing was published"):
        super().__init__(signum)
        self.signum, self.detail = signum, detail

    def __str__(self) -> str:
        return f"interrupted; {self.detail}"


@dataclass
class MonthReport:
    """What build_report / run_month produced."""

    month: dt.date
    folder: Path
    database: Path
    notebooks: list[str] = field(default_factory=list)       # rendered, in pack order
    skipped: dict[str, str] = field(default_factory=dict)    # notebook -> why it was not run
    headline: dict = field(default_factory=dict)             # the numbers on index.html
    figures: dict[str, int] = field(default_factory=dict)    # notebook -> <img> count in its HTML
    seconds: float = 0.0
    load: snapshots.Report | None = None                     # run_month: the load's report


def strip_volatile(text: str) -> str:
    """The report HTML without what changes between identical runs (the <time> elements, and the
    manifest, whose digests of the executed notebooks change with papermill's timings)."""
    return _MANIFEST_TEXT.sub(r"\1\2", _VOLATILE.sub("<time></time>", text))


# ---------------------------------------------------------------------------------------------
# the two entry points

def run_month(month, exports_dir, database=None, out_dir=None, progress: Progress = None,
              profile: str | None = None, notebooks: Iterable | None = None, jobs: int | None = None) -> MonthReport:
    """Checks `exports_dir`, publishes it as the snapshot of `month`, then builds that month's report.

    Raises ValidationFailed (database and reports untouched) when the exports have errors, and
    ReportFailed (the snapshot is loaded; the month's previous report stays in place) when a notebook
    fails. `notebooks` (paths or names in notebooks/) and `jobs` (notebooks run at once) as in
    build_report.
    """
    out_dir = str(REPORTS_DIR.value()) if out_dir is None else out_dir
    start = time.perf_counter()
    as_of = month_end(month)
    exports = Path(exports_dir)
    if not exports.exists():
        raise InputError(f"{exports}: no such file or folder")
    books = _resolve_notebooks(notebooks)
    _preflight(out_dir, f"{as_of:%Y-%m}", exports)
    steps = _Steps(progress, 3 + len(books))
    steps(f"checking {exports}")
    checked = snapshots.check([exports], profile=profile, as_of=as_of)
    if checked.errors:
        raise ValidationFailed(checked.problems)
    rows = sum(c.rows for c in checked.checks.values())
    steps.note(f"{len(checked.checks)} file(s), {rows:,} rows, {len(checked.warnings)} warning(s), "
               f"quality {checked.quality_score}/100")
    for problem in checked.warnings[:10]:
        steps.note(str(problem))
    if len(checked.warnings) > 10:
        steps.note(f"... and {len(checked.warnings) - 10} more warning(s) (pmo check {exports})")
    steps(f"loading {exports} as the snapshot of {as_of:%Y-%m}")
    loaded = snapshots.load([exports], as_of, database=database, profile=profile)
    steps.note(f"published {as_of:%Y-%m} to {db_path(database)} (quality {loaded.quality_score}/100)")
    try:
        result = _build(as_of, database, out_dir, books, steps, jobs)
    except Interrupted as exc:
        if exc.detail == "nothing was published":
            exc.detail = (f"the {as_of:%Y-%m} snapshot was loaded but no report was published "
                          f"({Path(out_dir) / f'{as_of:%Y-%m}'} is as it was)")
        raise
    result.load = loaded
    result.seconds = time.perf_counter() - start
    _warn_later_reports(as_of, Path(out_dir), steps)
    return result


def build_report(month, database=None, out_dir=None, progress: Progress = None,
                 notebooks: Iterable | None = None, jobs: int | None = None) -> MonthReport:
    """Re-runs the report notebooks for a loaded month and publishes `out_dir/YYYY-MM/` atomically.

    `notebooks`: the notebooks to run (paths, or names of notebooks in notebooks/; default
    REPORT_NOTEBOOKS). `jobs`: how many run at once (default: one per CPU, at most one per notebook).
    Raises MonthNotLoaded when the month has no snapshot, ReportFailed when a notebook fails.
    """
    out_dir = str(REPORTS_DIR.value()) if out_dir is None else out_dir
    start = time.perf_counter()
    as_of = month_end(month)
    books = _resolve_notebooks(notebooks)
    _preflight(out_dir, f"{as_of:%Y-%m}")
    result = _build(as_of, database, out_dir, books, _Steps(progress, 1 + len(books)), jobs)
    result.seconds = time.perf_counter() - start
    return result


# ---------------------------------------------------------------------------------------------
# building a pack

class _Steps:
    """Numbered progress lines: "[3/9] running 04_risks ..."; thread-safe."""

    def __init__(self, progress: Progress, total: int):
        self.progress, self.total, self.done, self.lock = progress, total, 0, threading.Lock()

    def __call__(self, message: str) -> None:
        with self.lock:
            self.done += 1
            if self.progress:
                self.progress(f"[{self.done}/{self.total}] {message}")

    def note(self, message: str) -> None:
        if self.progress:
            with self.lock:
                self.progress(f"      {message}")


def report_notebooks() -> list[str]:
    """The notebooks of the pack, in order ($PMO_REPORT_NOTEBOOKS, else 02 to 07: 01 loads exports and
    the dashboards are served, not reported)."""
    return [item.strip() for item in str(REPORT_NOTEBOOKS.value()).split(",") if item.strip()]


def _resolve_notebooks(notebooks) -> list[Path]:
    books = []
    for item in (report_notebooks() if notebooks is None else notebooks):
        path = Path(item)
        if path.suffix != ".ipynb" and not path.is_absolute() and len(path.parts) == 1:
            path = NOTEBOOKS / f"{path.name}.ipynb"
        if not path.is_file():
            raise UsageError(f"{path}: no such notebook")
        books.append(path.resolve())
    if not books:
        raise UsageError("no report notebooks to run")
    if len({b.stem for b in books}) != len(books):
        raise UsageError("two report notebooks have the same name")
    return books


def _snapshot_info(database: Path, as_of: dt.date) -> tuple[list[dt.date], dict]:
    """The loaded months and this month's `loads` row; MonthNotLoaded when it has none."""
    with _db.connect(database) as con:
        loaded = loads.months(con)
        if as_of not in loaded:
            have = ", ".join(f"{d:%Y-%m}" for d in loaded) or "none"
            raise MonthNotLoaded(f"{as_of:%Y-%m} is not loaded in {database} (loaded: {have}); load it first "
                                 f"with `pmo month {as_of:%Y-%m} EXPORTS_DIR` or `pmo load EXPORTS_DIR "
                                 f"--as-of {as_of:%Y-%m}`")
        row = con.sql("SELECT * FROM loads WHERE as_of = ?", params=[as_of]).df().iloc[0].to_dict()
    return loaded, row


def _preflight(out_dir, name: str, exports: Path | None = None) -> None:
    """Refuses, before anything is loaded or written, an --out that cannot hold the pack (a file, not
    writable) and a month folder that is not the workbench's to replace: the exports folder (or one
    inside or above it), a symbolic link, a folder without the workbench's manifest or with files
    the manifest does not list or that changed since."""
    shown_out = Path(out_dir)
    shown = shown_out / name
    _check_out_dir(shown_out)
    try:
        final = (shown_out.resolve() / name).resolve()
        source = exports.resolve() if exports is not None else None
    except (OSError, RuntimeError) as exc:
        raise PackRefused(f"cannot resolve {shown}: {exc}; choose another --out") from None
    if source is not None and final == source:
        raise PackRefused(f"{shown} is the exports folder {exports}: the {name} pack would replace it; "
                          f"choose another --out")
    if source is not None and source.is_relative_to(final):
        raise PackRefused(f"{shown} holds the exports {exports}: the {name} pack would replace it; "
                          f"choose another --out")
    if source is not None and final.is_relative_to(source):
        raise PackRefused(f"{shown} is inside the exports folder {exports}: the pack would be written among "
                          f"the exports; choose another --out")
    _refuse_pack(shown_out.resolve() / name, shown, name)


def _check_out_dir(out: Path) -> None:
    """--out must be a folder, or creatable, and writable; says which folder when it is not."""
    probe = out
    while not probe.exists():
        if probe.is_symlink():
            raise PackRefused(f"cannot create {out}: {probe} is a broken symbolic link; choose another --out")
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        where = "" if probe == out else f"cannot create {out}: "
        raise PackRefused(f"{where}{probe} is a file, not a folder; choose another --out")
    if not os.access(probe, os.W_OK | os.X_OK):
        try:
            read_only = bool(os.statvfs(probe).f_flag & os.ST_RDONLY)
        except OSError:
            read_only = False
        why = "read-only file system" if read_only else "permission denied"
        raise PackRefused(f"cannot write to {probe} ({why}); choose another --out")


def _build(as_of: dt.date, database, out_dir, books: list[Path], steps: _Steps, jobs: int | None) -> MonthReport:
    database = db_path(database).resolve()
    name = f"{as_of:%Y-%m}"
    shown = Path(out_dir) / name
    out = Path(out_dir).resolve()
    final = out / name
    loaded, load_row = _snapshot_info(database, as_of)
    result = MonthReport(as_of, final, database)
    staging = None
    try:
        out.mkdir(parents=True, exist_ok=True)
        with _locked(out):
            _remove_stale(out)
        staging = _new_staging(out, name)
        _render(result, books, loaded, load_row, staging, steps, jobs)
        steps(f"writing index.html and publishing {final}")
        with _locked(out), _publishing(shown):
            _publish(staging, final, shown, name)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename and not str(exc.filename).startswith(str(out)) else ""
        raise PackWriteFailed(f"cannot write {shown} ({exc.strerror or exc}{where}); nothing was published") from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)  # the work folder this run made (gone once swapped in)
    return result


def _render(result: MonthReport, books: list[Path], loaded: list[dt.date], load_row: dict, staging: Path,
            steps: _Steps, jobs: int | None) -> None:
    """Runs the notebooks and writes every page of the pack into `staging`, index.html (sealed with
    the manifest) last."""
    as_of, database, final = result.month, result.database, result.folder
    has_previous = any(d < as_of for d in loaded)
    run = []
    for book in books:
        if book.stem in NEEDS_PREVIOUS and not has_previous:
            result.skipped[book.stem] = "no earlier snapshot is loaded to compare with"
        else:
            run.append(book)
    for stem, why in result.skipped.items():
        steps(f"skipping {stem}: {why}")
    executed = _run_all(run, as_of, database, staging, final, steps, jobs)
    titles = {}
    for book in run:
        nb = executed[book.stem]
        titles[book.stem] = _title(nb, book.stem)
        page = _to_html(nb, titles[book.stem])
        result.figures[book.stem] = len(_IMG.findall(page))
        (staging / f"{book.stem}.html").write_text(page, encoding="utf-8")
        result.notebooks.append(book.stem)
    result.headline = _headline(database, as_of, load_row)
    tables = {stem: len(_TABLE.findall((staging / f"{stem}.html").read_text(encoding="utf-8")))
              for stem in result.notebooks}
    page = _index_html(as_of, result, titles, tables, load_row, loaded)
    (staging / INDEX).write_bytes(_seal(staging, page, final.name))
    for stem in result.notebooks:
        if not result.figures[stem]:
            steps.note(f"warning: {stem}.html shows no figure")


def _publish(staging: Path, final: Path, shown: Path, name: str) -> None:
    """Swaps the pack in (under the lock): only over a pack the workbench wrote, checked again now,
    since the user may have put a file there while the notebooks ran."""
    files = _refuse_pack(final, shown, name)
    (staging / WORK_MARKER).unlink()
    os.chmod(staging, 0o755)  # mkdtemp makes it private; a published report is readable like its peers
    _swap_in(staging, final, files)
    _remove_failed(final.parent, name)


def _run_all(books: list[Path], as_of: dt.date, database: Path, staging: Path, final: Path,
             steps: _Steps, jobs: int | None) -> dict:
    """Executes the notebooks, `jobs` at a time, each in its own process; returns the executed
    notebooks (also written to `staging`). On the first failure the others are stopped."""
    if not books:
        return {}
    jobs = max(1, min(len(books), jobs or os.cpu_count() or 1))
    runner = _Runner(as_of, database, staging, final)
    results: dict = {}
    failures: list[BaseException] = []

    def one(book: Path) -> None:
        if runner.stopped:
            return
        steps(f"running {book.stem} ...")
        started = time.perf_counter()
        try:
            results[book.stem] = runner.run(book)
        except Exception as exc:  # noqa: BLE001 - re-raised in the calling thread below
            if not runner.stopped:  # the first failure stops the notebooks still running
                failures.append(exc)
                runner.stop()
            return
        steps.note(f"{book.stem} done in {time.perf_counter() - started:.1f} s")

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="pmo-report")
    try:
        for future in [pool.submit(one, book) for book in books]:
            future.result()
    except BaseException:  # interrupted: no notebook process may outlive the run
        runner.stop()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if failures:
        raise failures[0]
    return results


# ---------------------------------------------------------------------------------------------
# stopping: no notebook process outlives the run

class _StopState:
    """What the stop-signal handler knows: whether it fired, and whether a publish is under way."""

    fired = False
    publishing = 0
    pending: int | None = None


_STOP = _StopState()


def _on_stop_signal(signum, frame) -> None:
    if _STOP.fired:
        return  # stopping already: a second Ctrl+C must not cut the clean-up short
    if _STOP.publishing:
        _STOP.pending = signum  # the swap is a few renames: finish it, then stop
        return
    _STOP.fired = True
    for stop in STOP_SIGNALS:  # ignored in the kernel's sense, so that it holds through interpreter exit too
        signal.signal(stop, signal.SIG_IGN)
    raise Interrupted(signum)


@contextlib.contextmanager
def stop_on_signals():
    """Turns Ctrl+C, SIGTERM and SIGHUP into Interrupted (once) while a command runs, so that it stops
    its notebooks, removes its work folder and exits 128 + the signal, instead of dying with them running."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _on_stop_signal) for s in STOP_SIGNALS}
    _STOP.fired, _STOP.pending = False, None
    try:
        yield
    finally:
        if not _STOP.fired:  # once stopping, the process is on its way out: further signals stay ignored
            for s, handler in previous.items():
                signal.signal(s, handler)
        _STOP.pending = None


@contextlib.contextmanager
def _publishing(shown: Path):
    """Defers a stop signal while the pack is swapped in; raises it afterwards, saying it was published."""
    _STOP.publishing += 1
    try:
        yield
    finally:
        _STOP.publishing -= 1
    if _STOP.pending is not None and not _STOP.publishing:
        signum, _STOP.pending, _STOP.fired = _STOP.pending, None, True
        for stop in STOP_SIGNALS:
            signal.signal(stop, signal.SIG_IGN)
        raise Interrupted(signum, f"{shown} was published before stopping")


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that has Linux SIGKILL the child when this process dies (even by SIGKILL), so a
    killed run leaves no notebook process behind; its kernel follows (ipykernel's parent poller,
    JPY_PARENT_PID, ends a kernel within a second of its parent). None where prctl is missing."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, not in the child
    except (OSError, AttributeError):
        return None
    parent, kill = os.getpid(), int(signal.SIGKILL)

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, kill, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
    return preexec


# The child process that runs one notebook with papermill. Each notebook gets its own process (its
# own kernel client, ZeroMQ context and event loop), which a timeout can stop for sure, and which
# keeps the kernel's log out of the terminal. It writes its outcome as JSON to the result file.
#
# It also works around a missed wake-up seen here (pyzmq 27, jupyter_client 8.10, nbclient 0.11):
# now and then a cell's reply sits in the socket while the client waits for it until the cell
# timeout (600 s), and is read only then (papermill reports success after 10 minutes). Waiting in
# half-second slices, each ending with a fresh poll, bounds that delay to half a second; a message
# is never lost, so the outcome is the same.
_CHILD = """
import json, sys, time
from queue import Empty
args = json.loads(sys.argv[1])
result = {"ok": True}
try:
    from jupyter_client.channels import AsyncZMQSocketChannel
    _get_msg = AsyncZMQSocketChannel.get_msg

    async def get_msg(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            step = 0.5 if deadline is None else max(0.0, min(0.5, deadline - time.monotonic()))
            try:
                return await _get_msg(self, timeout=step)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    AsyncZMQSocketChannel.get_msg = get_msg
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError
    try:
        pm.execute_notebook(args["input"], args["output"], parameters=args["parameters"],
                            kernel_name=args["kernel"], progress_bar=False, log_output=False,
                            request_save_on_cell_execute=False, execution_timeout=args["timeout"],
                            start_timeout=120, record_timing=False)
    except PapermillExecutionError as exc:
        result = {"ok": False, "kind": "cell", "cell_index": exc.cell_index, "exec_count": exc.exec_count,
                  "ename": exc.ename, "evalue": exc.evalue}
except BaseException as exc:
    result = {"ok": False, "kind": "run", "ename": type(exc).__name__, "evalue": str(exc)}
with open(args["result"], "w", encoding="utf-8") as fh:
    json.dump(result, fh)
"""


class _Runner:
    """Runs report notebooks in child processes and turns their outcome into results or ReportFailed."""

    def __init__(self, as_of: dt.date, database: Path, staging: Path, final: Path):
        self.as_of, self.database, self.staging, self.final = as_of, database, staging, final
        self.env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # inline backend draws
        self.env["PMO_DB"] = str(database)
        self.procs: set[subprocess.Popen] = set()
        self.lock = threading.Lock()
        self.stopped = False
        self.preexec = _die_with_parent()

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            for proc in self.procs:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

    def run(self, book: Path):
        import nbformat

        executed = self.staging / f"{book.stem}.ipynb"
        work = Path(tempfile.mkdtemp(prefix=f".{book.stem}-", dir=self.staging))
        args = {"input": str(book), "output": str(executed), "kernel": KERNEL, "timeout": CELL_TIMEOUT.value(),
                "parameters": {"month": f"{self.as_of:%Y-%m}", "db": str(self.database)},
                "result": str(work / "result.json")}
        try:
            with open(work / "log.txt", "w+b") as log:
                with self.lock:
                    if self.stopped:
                        raise ReportFailed("stopped")
                    # Run in notebooks/ (so relative paths in notebooks work as in JupyterLab), in a new
                    # session so that stopping it stops its children; the kernel's log goes to `log`.
                    # Linux kills it if this process dies (PR_SET_PDEATHSIG, tied to this thread,
                    # which waits for it below).
                    proc = subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps(args)], cwd=NOTEBOOKS,
                                            env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True,
                                            preexec_fn=self.preexec)
                    self.procs.add(proc)
                try:
                    proc.wait(timeout=NOTEBOOK_TIMEOUT.value())
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    raise self._failed(book, f"did not finish within {NOTEBOOK_TIMEOUT.value()} s", "Timeout") from None
                finally:
                    with self.lock:
                        self.procs.discard(proc)
                result_file = work / "result.json"
                if not result_file.is_file():
                    log.seek(0)
                    tail = [line for line in log.read().decode("utf-8", "replace").splitlines() if line.strip()]
                    detail = tail[-1].strip()[:200] if tail else f"exit code {proc.returncode}"
                    raise self._failed(book, f"stopped: {detail}", "ProcessError")
            result = json.loads(result_file.read_text(encoding="utf-8"))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if not result["ok"] and result["kind"] == "cell":
            raise self._cell_failed(book, result, executed)
        if not result["ok"]:
            raise self._failed(book, f"did not run: {result['ename']}: {_first_line(result['evalue'])}",
                               result["ename"], _first_line(result["evalue"]))
        nb = _normalise(nbformat.read(str(executed), as_version=4), self.final / executed.name)
        nbformat.write(nb, str(executed))
        return nb

    def _failed(self, book: Path, what: str, ename: str, evalue: str | None = None) -> ReportFailed:
        return ReportFailed(f"report {self.as_of:%Y-%m}: notebook {book.name} {what}; nothing was published",
                            notebook=book.stem, ename=ename, evalue=evalue)

    def _cell_failed(self, book: Path, result: dict, executed: Path) -> ReportFailed:
        """The notebook, its cell (counted from 1 as in the notebook file: papermill's cell_index
        counts the parameters cell it injects) and the error, on one line. The executed notebook with
        the traceback is kept in reports/.failed-YYYY-MM/ for the analyst."""
        import nbformat

        index = result["cell_index"]
        cell = index + 1
        injected_at = _injected_index(nbformat.read(str(book), as_version=4))
        if injected_at is not None and index > injected_at:
            cell -= 1
        evalue = _first_line(result["evalue"])
        error = f"{result['ename']}: {evalue}" if evalue else str(result["ename"])
        prompt = f" (In [{result['exec_count']}])" if result.get("exec_count") else ""
        kept = _keep_failed(executed, self.final)
        where = f"; the executed notebook is in {kept}" if kept else ""
        return ReportFailed(f"report {self.as_of:%Y-%m}: notebook {book.name} failed in cell {cell}{prompt}: "
                            f"{error}; nothing was published{where}",
                            notebook=book.stem, cell=cell, ename=result["ename"], evalue=evalue, executed=kept)


def _first_line(text, limit: int = 200) -> str:
    line = (str(text or "").strip().splitlines() or [""])[0]
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _injected_index(nb) -> int:
    """Where papermill puts the injected parameters cell: after the `parameters` cell, else first."""
    for i, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return i + 1
    return 0


def _normalise(nb, final_path: Path):
    """The executed notebook as it is published: stable cell ids, no frozen widgets (their model ids
    are random and they only work with a live kernel), papermill's output path the published one."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    if "papermill" in nb.metadata:
        nb.metadata.papermill["output_path"] = str(final_path)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if WIDGET_MIME not in o.get("data", {})]
    return nb


def _title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _to_html(nb, title: str) -> str:
    """The notebook as a director reads it: no code, no prompts, no widgets, no warnings; figures
    embedded as PNG and tables as HTML, so it shows everything without a kernel."""
    from nbconvert import HTMLExporter

    view = copy.deepcopy(nb)
    view.metadata.pop("widgets", None)
    cells, heading, figure = [], title, 0
    for cell in view.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & HIDDEN_TAGS:
            continue
        if cell.cell_type == "markdown":
            heading = next((line.lstrip("#").strip() for line in cell.source.splitlines()
                            if line.startswith("#")), heading)
        if cell.cell_type == "code":
            kept = [o for o in cell.outputs if not _interactive_or_noise(o)]
            if cell.outputs and not kept:
                # An interactive cell: left out, with the markdown that introduces it.
                if cells and cells[-1].cell_type == "markdown":
                    cells.pop()
                continue
            for output in kept:
                if "image/png" in output.get("data", {}):
                    figure += 1  # alt text: the section the figure illustrates
                    output.setdefault("metadata", {})["pmo_alt"] = f"Figure {figure}: {heading}"
            cell.outputs = kept
        cells.append(cell)
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
        cell.metadata = {}
    view.cells = cells
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, extra_loaders=[_report_template()],
                            template_file="pmo_report.html.j2")
    body, _ = exporter.from_notebook_node(view, resources={"metadata": {"name": title}})
    return body


def _report_template():
    """JupyterLab's HTML template without the scripts it fetches from CDNs (require.js, MathJax,
    Mermaid): a report shows only PNG figures and HTML tables, and opens offline."""
    import jinja2

    return jinja2.DictLoader({"pmo_report.html.j2": (
        "{%- extends 'lab/index.html.j2' -%}\n"
        "{%- block html_head_js -%}{%- endblock html_head_js -%}\n"
        "{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}\n"
        "{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}\n"
        "{%- block data_png scoped -%}\n"
        "<div class=\"jp-RenderedImage jp-OutputArea-output {{ extra_class }}\">\n"
        "<img src=\"data:image/png;base64,{{ output.data['image/png'] | escape_html }}\" "
        "alt=\"{{ output.metadata.get('pmo_alt', 'Figure') | escape_html }}\">\n"
        "</div>\n"
        "{%- endblock data_png -%}\n")})


def _interactive_or_noise(output) -> bool:
    if WIDGET_MIME in output.get("data", {}):
        return True
    return output.get("output_type") == "stream" and output.get("name") == "stderr"


# ---------------------------------------------------------------------------------------------
# index.html

HEADLINE = (  # key, label, kind
    ("budget", "Total budget", "money"),
    ("forecast", "Forecast", "money"),
    ("variance", "Variance (forecast - budget)", "money"),
    ("consumed", "Consumed (actuals)", "money"),
    ("committed", "Committed (open orders)", "money"),
    ("over_budget", "Projects over budget", "count"),
    ("risk_emv", "Active risks' exposure (EMV)", "money"),
    ("active_risks", "Active risks", "count"),
    ("over_allocated_people", "Over-allocated people", "count"),
    ("milestones_slipping", "Milestones missed or likely to miss", "count"),
    ("milestones_slipped", "Milestones slipped since last month", "count"),
    ("quality_score", "Data-quality score", "score"),
)

# Tiles with a colour: orange when above zero (overspend, overload, slipping), green at zero or below.
JUDGED = frozenset({"variance", "over_budget", "over_allocated_people", "milestones_slipping", "milestones_slipped"})


def _headline(database: Path, as_of: dt.date, load_row: dict) -> dict:
    """The numbers on index.html, each from the metric that owns it (as the overview dashboard)."""
    from pmo_analytics.metrics.changes import slipped_milestones
    from pmo_analytics.metrics.portfolio import headline

    with _db.connect(database) as con:
        frame = headline(con, as_of=as_of)
        slipped = slipped_milestones(con, as_of=as_of)
    row = frame.iloc[0].to_dict() if len(frame) else {}
    out = {key: _plain(row.get(key)) for key, _, _ in HEADLINE}
    out["projects"] = _plain(row.get("projects"))
    out["variance_pct"] = _plain(row.get("variance_pct"))
    out["currency"] = row.get("currency")
    out["milestones_slipped"] = len(slipped)
    out["quality_score"] = _plain(load_row.get("quality_score"))
    return out


def _plain(value):
    """numpy / pandas scalars as Python numbers; missing as None."""
    if value is None:
        return None
    try:
        import pandas as pd
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        value = value.item()
    return value


def _format(value, kind: str, currency: str | None) -> str:
    if value is None:
        return "–"
    if kind == "money":
        symbol = {"GBP": "£", "USD": "$", "EUR": "€"}.get(currency or "", "")
        suffix = "" if symbol or not currency else f" {currency}"
        return f"{'-' if value < 0 else ''}{symbol}{abs(value):,.0f}{suffix}"
    if kind == "score":
        return f"{value:.1f}/100"
    return f"{int(value):,}"


INDEX_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:24px auto;max-width:1000px;
color:#212529;padding:0 16px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:18px;margin:24px 0 8px}
.meta{color:#495057;font-size:14px;margin:0 0 16px}
.tiles{display:flex;flex-wrap:wrap;gap:10px}
.tile{flex:1 1 180px;border-radius:6px;padding:10px 12px;background:#f8f9fa;border-left:5px solid #adb5bd}
.tile .label{font-size:12px;color:#495057}.tile .value{font-size:22px;font-weight:600}
.tile.worse{border-left-color:#e8590c}.tile.ok{border-left-color:#2f9e44}
table{border-collapse:collapse;font-size:14px}td,th{padding:4px 10px;border-bottom:1px solid #dee2e6;text-align:left}
th{background:#f1f3f5}td.n{text-align:right}
.note{color:#868e96;font-size:13px}
"""


def _index_html(as_of: dt.date, result: MonthReport, titles: dict, tables: dict, load_row: dict,
                loaded: list[dt.date]) -> str:
    e = html.escape
    h = result.headline
    cur = h.get("currency")
    earlier = [d for d in loaded if d < as_of]
    tiles = []
    for key, label, kind in HEADLINE:
        value = h.get(key)
        css = ""
        if key in JUDGED and value is not None:
            css = "worse" if value > 0 else "ok"
        data = "" if value is None else f" data-value='{e(repr(value))}'"
        tiles.append(f"<div class='tile {css}' data-key='{e(key)}'{data}><div class='label'>{e(label)}</div>"
                     f"<div class='value'>{e(_format(value, kind, cur))}</div></div>")
    rows = []
    for stem in result.notebooks:
        rows.append(f"<tr><td><a href='{e(stem)}.html'>{e(titles[stem])}</a></td>"
                    f"<td class='n'>{result.figures[stem]}</td><td class='n'>{tables[stem]}</td>"
                    f"<td><a href='{e(stem)}.ipynb'>{e(stem)}.ipynb</a></td></tr>")
    for stem, why in result.skipped.items():
        rows.append(f"<tr><td>{e(stem)}</td><td colspan='3' class='note'>not produced: {e(why)}</td></tr>")
    files = json.loads(load_row.get("files") or "{}")
    quality = "".join(
        f"<tr><td>{e(t)}</td><td>{e(Path(str(f.get('file', ''))).name)}</td><td class='n'>{f.get('rows', 0):,}</td>"
        f"<td class='n'>{f.get('warnings', 0):,}</td><td class='n'>{f.get('quality', 0):.1f}</td></tr>"
        for t, f in files.items())
    generated = dt.datetime.now().astimezone().replace(microsecond=0)
    loaded_at = load_row.get("loaded_at")
    loaded_text = (f"<time datetime='{loaded_at:%Y-%m-%dT%H:%M:%S}'>{loaded_at:%Y-%m-%d %H:%M}</time>"
                   if loaded_at is not None and hasattr(loaded_at, "strftime") else "–")
    compared = f"compared with {earlier[-1]:%B %Y}" if earlier else "first snapshot loaded: nothing to compare with"
    variance_pct = h.get("variance_pct")
    pct = f" ({variance_pct:+.1f}% of budget)" if variance_pct is not None else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PMO monthly report: {as_of:%B %Y}</title>
<style>{INDEX_STYLE}</style>
</head>
<body>
<h1>PMO monthly report: {as_of:%B %Y}</h1>
<p class="meta">Snapshot {as_of:%Y-%m-%d} ({e(compared)}) &middot; {h.get('projects') or 0} projects &middot;
data quality {e(_format(h.get('quality_score'), 'score', None))} &middot; loaded {loaded_text} &middot;
generated <time datetime="{generated.isoformat()}">{generated:%Y-%m-%d %H:%M %Z}</time></p>
<h2>Headline</h2>
<div class="tiles">
{chr(10).join(tiles)}
</div>
<p class="note">Variance{e(pct)}: forecast minus approved budget, positive is overspend. Exposure: probability
x impact cost of the open and mitigating risks. Over-allocated: planned above weekly capacity in some week.</p>
<h2>Reports</h2>
<table>
<tr><th>report</th><th>figures</th><th>tables</th><th>executed notebook</th></tr>
{chr(10).join(rows)}
</table>
<h2>Data quality of the snapshot</h2>
<table>
<tr><th>table</th><th>file</th><th>rows</th><th>warnings</th><th>quality %</th></tr>
{quality}
</table>
</body>
</html>
"""


# ---------------------------------------------------------------------------------------------
# publishing the folder

@contextlib.contextmanager
def _locked(out: Path):
    """One publisher at a time per reports folder."""
    with open(out / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_json(path: Path) -> dict | None:
    """A marker file the workbench wrote (a JSON object naming GENERATOR), else None."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("generator") == GENERATOR else None


def _write_json(path: Path, data: dict) -> None:
    """Writes a marker file whole or not at all (a temporary file renamed over it)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _manifest_block(manifest: dict | None) -> bytes:
    text = "" if manifest is None else json.dumps(manifest, sort_keys=True).replace("</", "<\\/")
    return f'<script type="application/json" id="{MANIFEST_ID}">{text}</script>'.encode()


def _unsealed(page: bytes) -> bytes:
    """index.html with its manifest block emptied: what the manifest's own digest of index.html covers."""
    return _MANIFEST.sub(lambda m: _manifest_block(None), page, count=1)


def _seal(staging: Path, page: str, name: str) -> bytes:
    """index.html with the pack's manifest filled in: the month, generator, version and every file
    written with its SHA-256, so a later run can tell this folder is the workbench's to replace."""
    files = {p.name: _sha256(p) for p in sorted(staging.iterdir())
             if p.name not in (INDEX, WORK_MARKER) and p.is_file() and not p.is_symlink()}
    body = page.replace("</body>", f"{_manifest_block(None).decode()}\n</body>", 1).encode("utf-8")
    files[INDEX] = hashlib.sha256(_unsealed(body)).hexdigest()
    manifest = {"generator": GENERATOR, "version": __version__, "month": name, "files": files}
    return _MANIFEST.sub(lambda m: _manifest_block(manifest), body, count=1)


def _manifest(folder: Path) -> dict | None:
    """The manifest in folder/index.html, or None when there is none (or it is not the workbench's)."""
    index = folder / INDEX
    try:
        if index.is_symlink() or not index.is_file():
            return None
        found = _MANIFEST.search(index.read_bytes())
        data = json.loads(found.group(1)) if found else None
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("generator") != GENERATOR or not isinstance(data.get("files"), dict):
        return None
    return data


def _pack_problem(folder: Path, name: str) -> tuple[str | None, list[str]]:
    """Why `folder` is not a pack the workbench wrote for month `name` (None when it is, or is absent),
    and the files its manifest lists that are present (what replacing it deletes)."""
    if folder.is_symlink():
        return f"is a symbolic link (to {os.readlink(folder)}), not a folder pmo wrote", []
    if not folder.exists():
        return None, []
    if not folder.is_dir():
        return "exists and is a file, not a folder pmo wrote", []
    manifest = _manifest(folder)
    if manifest is None:
        return f"exists and was not written by pmo (no pmo manifest in its {INDEX})", []
    if manifest.get("month") != name:
        return f"holds the {manifest.get('month')} pack, not {name}'s", []
    files = manifest["files"]
    entries = sorted(folder.iterdir())
    foreign = [p.name for p in entries if p.name not in files or p.is_symlink() or not p.is_file()]
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        return f"holds {foreign[0]}{more}, which pmo did not write", []
    for path in entries:
        digest = (hashlib.sha256(_unsealed(path.read_bytes())).hexdigest() if path.name == INDEX
                  else _sha256(path))
        if digest != files[path.name]:
            return f"holds {path.name}, which was changed since pmo wrote it", []
    return None, [p.name for p in entries]


def _refuse_pack(folder: Path, shown: Path, name: str) -> list[str]:
    """Raises PackRefused unless `folder` is absent or a pack the workbench wrote for `name`, unchanged
    since; returns the files replacing it deletes."""
    try:
        problem, files = _pack_problem(folder, name)
    except OSError as exc:
        raise PackRefused(f"cannot read {shown}: {exc.strerror or exc}; move it or choose another --out") from None
    if problem:
        raise PackRefused(f"{shown} {problem}; move it or choose another --out")
    return files


_WORK = re.compile(r"^\.(\d{4}-\d{2})\.(?:building|old)-(\d+)-")


def _process_started(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, /proc/PID/stat), to tell a reused pid."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _new_staging(out: Path, name: str) -> Path:
    """The hidden work folder a pack is rendered in, marked as the workbench's with this process's pid."""
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.building-{os.getpid()}-", dir=out))
    _write_json(staging / WORK_MARKER, {"generator": GENERATOR, "version": __version__, "month": name,
                                        "pid": os.getpid(), "started": _process_started(os.getpid())})
    return staging


def _remove_stale(out: Path) -> None:
    """Removes the work folders of runs that were killed: only those the workbench marked (or an
    unmarked one that is empty), and only when the process named in it is gone."""
    for path in out.iterdir():
        match = _WORK.match(path.name)
        if not match or path.is_symlink() or not path.is_dir():
            continue
        pid = int(match.group(2))
        marker = _read_json(path / WORK_MARKER)
        if marker is not None and marker.get("pid") == pid:
            if not _alive(pid, marker.get("started")):
                shutil.rmtree(path, ignore_errors=True)
        elif not _alive(pid):
            problem, files = _pack_problem(path, match.group(1))  # an old pack, or one sealed but not swapped in
            if problem is None and files:
                _clear(path, files)
            with contextlib.suppress(OSError):
                path.rmdir()  # only when empty: nothing else is ever removed


def _alive(pid: int, started: str | None = None) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return started is None or _process_started(pid) in (None, started)


def _clear(folder: Path, files: Iterable[str] | None = None) -> bool:
    """Deletes `files` (default: the regular files directly in `folder`) and then the folder if that
    left it empty; never anything else, never recursively. True when the folder is gone."""
    names = files if files is not None else [p.name for p in folder.iterdir() if p.is_file() and not p.is_symlink()]
    for name in names:
        path = folder / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
    try:
        folder.rmdir()
    except OSError:
        return False
    return True


def _swap_in(staging: Path, final: Path, files: Iterable[str] | None = None) -> None:
    """Renames the complete pack into place: the old one away first, and once the new one is in,
    the old one's `files` deleted (the caller checked they are the workbench's) and its folder."""
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
    publish.fsync(final.parent)
    if old is not None:
        _clear(old, files)


def _keep_failed(executed_path: Path, final: Path) -> Path | None:
    """Moves the failed notebook as papermill saved it (with the traceback) to reports/.failed-YYYY-MM/,
    a hidden folder that is not a report, listed in its marker; the next complete build removes what it
    lists. A folder of that name the workbench did not write is left alone (the notebook is not kept)."""
    folder = final.parent / f".failed-{final.name}"
    if not executed_path.is_file():
        return None
    with _locked(final.parent):
        marker = _read_json(folder / FAILED_MARKER)
        if folder.is_symlink() or (folder.exists() and marker is None and any(folder.iterdir())):
            return None
        folder.mkdir(exist_ok=True)
        marker = marker or {"generator": GENERATOR, "version": __version__, "month": final.name, "files": {}}
        kept = folder / executed_path.name
        if kept.is_symlink() or (kept.exists() and marker["files"].get(kept.name) != _sha256(kept)):
            return None  # not the copy the workbench kept: the user's now
        os.replace(executed_path, kept)
        marker["files"][kept.name] = _sha256(kept)
        _write_json(folder / FAILED_MARKER, marker)
    return kept


def _remove_failed(out: Path, name: str) -> None:
    """After a complete build: deletes the failed notebooks .failed-YYYY-MM/ kept (those its marker
    lists, unchanged), the marker, and the folder if that emptied it; anything else stays."""
    folder = out / f".failed-{name}"
    if folder.is_symlink() or not folder.is_dir():
        return
    marker = _read_json(folder / FAILED_MARKER)
    if marker is not None:
        files = marker.get("files") or {}
        ours = [n for n, digest in files.items() if (folder / n).is_file() and _sha256(folder / n) == digest]
        _clear(folder, [*ours, FAILED_MARKER])
    with contextlib.suppress(OSError):
        folder.rmdir()  # an empty folder holds nothing to lose


def _warn_later_reports(as_of: dt.date, out: Path, steps: _Steps) -> None:
    """After re-running an earlier month, the next month's "what changed" report compares with data
    that has changed: say so (its report is not rebuilt: other months are not touched)."""
    if not out.is_dir():
        return
    later = sorted(p.name for p in out.iterdir() if re.fullmatch(r"\d{4}-\d{2}", p.name) and p.name > f"{as_of:%Y-%m}")
    if later:
        steps.note(f"note: the report of {later[0]} compares with {as_of:%Y-%m}; rebuild it with "
                   f"`pmo report --month {later[0]}` if {as_of:%Y-%m} changed")
