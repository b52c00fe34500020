"""Running report notebooks, each in its own process, and turning their outcome into ReportFailed.

Each notebook runs as `python -c _CHILD` (papermill, kernel `python3`, working directory notebooks/,
parameters `month` and `db`, PMO_DB set), `jobs` at a time, in a new session that a timeout or the
first failure kills whole. Linux kills it when the run dies, even by SIGKILL (PR_SET_PDEATHSIG), and
its kernel follows (ipykernel's parent poller), so no notebook outlives the run. A failure names the
notebook, its cell and the error; the executed copy is kept in `.failed-YYYY-MM/` (pack.keep_failed).
"""
from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pmo_analytics import packaged
from pmo_analytics.exceptions import PMOError
from pmo_analytics.reports import pack, render
from pmo_analytics.settings import CELL_TIMEOUT, NOTEBOOK_TIMEOUT

KERNEL = "python3"
_PR_SET_PDEATHSIG = 1


class ReportFailed(PMOError):
    """A report notebook failed; nothing was published. Names the notebook, cell and error."""

    def __init__(self, message: str, notebook: str | None = None, cell: int | None = None,
                 ename: str | None = None, evalue: str | None = None, executed: Path | None = None):
        self.notebook, self.cell, self.ename, self.evalue, self.executed = notebook, cell, ename, evalue, executed
        super().__init__(message)


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


def run_all(books: list[Path], as_of: dt.date, database: Path, staging: Path, final: Path,
            steps, jobs: int | None) -> dict:
    """Executes the notebooks, `jobs` at a time, each in its own process; returns the executed
    notebooks (also written to `staging`). On the first failure the others are stopped."""
    if not books:
        return {}
    jobs = max(1, min(len(books), jobs or os.cpu_count() or 1))
    runner = Runner(as_of, database, staging, final)
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


def die_with_parent() -> Callable[[], None] | None:
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


class Runner:
    """Runs report notebooks in child processes and turns their outcome into results or ReportFailed."""

    def __init__(self, as_of: dt.date, database: Path, staging: Path, final: Path):
        self.as_of, self.database, self.staging, self.final = as_of, database, staging, final
        self.env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # inline backend draws
        self.env["PMO_DB"] = str(database)
        self.procs: set[subprocess.Popen] = set()
        self.lock = threading.Lock()
        self.stopped = False
        self.preexec = die_with_parent()

    def stop(self) -> None:
        """Kills every notebook process still running (its whole session), and any started later."""
        with self.lock:
            self.stopped = True
            for proc in self.procs:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

    def run(self, book: Path):
        """Executes `book` into the staging folder; returns the executed notebook as published."""
        import nbformat

        executed = self.staging / f"{book.stem}.ipynb"
        work = Path(tempfile.mkdtemp(prefix=f".{book.stem}-", dir=self.staging))
        try:
            result = self._execute(book, executed, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if not result["ok"] and result["kind"] == "cell":
            raise self._cell_failed(book, result, executed)
        if not result["ok"]:
            raise self._failed(book, f"did not run: {result['ename']}: {_first_line(result['evalue'])}",
                               result["ename"], _first_line(result["evalue"]))
        nb = render.normalise(nbformat.read(str(executed), as_version=4), self.final / executed.name)
        nbformat.write(nb, str(executed))
        return nb

    def _execute(self, book: Path, executed: Path, work: Path) -> dict:
        """Runs the child process for `book` and returns the outcome it wrote; ReportFailed when it
        timed out or died without writing one (with the last line of its log)."""
        args = {"input": str(book), "output": str(executed), "kernel": KERNEL, "timeout": CELL_TIMEOUT.value(),
                "parameters": {"month": f"{self.as_of:%Y-%m}", "db": str(self.database)},
                "result": str(work / "result.json")}
        with open(work / "log.txt", "w+b") as log:
            proc = self._start(args, log)
            self._wait(book, proc)
            result_file = work / "result.json"
            if not result_file.is_file():
                log.seek(0)
                tail = [line for line in log.read().decode("utf-8", "replace").splitlines() if line.strip()]
                detail = tail[-1].strip()[:200] if tail else f"exit code {proc.returncode}"
                raise self._failed(book, f"stopped: {detail}", "ProcessError")
        return json.loads(result_file.read_text(encoding="utf-8"))

    def _start(self, args: dict, log) -> subprocess.Popen:
        """Starts the child, unless the run is stopping. It runs in notebooks/ (so relative paths in
        notebooks work as in JupyterLab), in a new session so that stopping it stops its children."""
        with self.lock:
            if self.stopped:
                raise ReportFailed("stopped")
            # Linux kills it if this process dies (PR_SET_PDEATHSIG, tied to this thread, which
            # waits for it in _wait); the kernel's log goes to `log`.
            proc = subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps(args)], cwd=packaged.NOTEBOOKS,
                                    env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    preexec_fn=self.preexec)
            self.procs.add(proc)
        return proc

    def _wait(self, book: Path, proc: subprocess.Popen) -> None:
        """Waits for the child; past NOTEBOOK_TIMEOUT kills its session and raises ReportFailed."""
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
        kept = pack.keep_failed(executed, self.final)
        where = f"; the executed notebook is in {kept}" if kept else ""
        return ReportFailed(f"report {self.as_of:%Y-%m}: notebook {book.name} failed in cell {cell}{prompt}: "
                            f"{error}; nothing was published{where}",
                            notebook=book.stem, cell=cell, ename=result["ename"], evalue=evalue, executed=kept)


def _first_line(text, limit: int = 200) -> str:
    """The first line of `text`, cut to `limit` characters."""
    line = (str(text or "").strip().splitlines() or [""])[0]
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _injected_index(nb) -> int:
    """Where papermill puts the injected parameters cell: after the `parameters` cell, else first."""
    for i, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return i + 1
    return 0
