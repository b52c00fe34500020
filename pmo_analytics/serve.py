"""Serving the directors' dashboards with Voila, read-only and on 127.0.0.1 unless told otherwise.

Voila's settings live in voila.json at the project root (sources stripped, tracebacks hidden, no
files served but notebooks, idle kernels culled, the `pmo` template from share/jupyter: lab without
links to a CDN); this module only finds the folder and runs Voila from the root so that file is read.
Only notebooks/dashboards/ is served: anything under the served folder can be executed by URL.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from .exceptions import UsageError
from .settings import SERVE_HOST, SERVE_PORT, db_path

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = ROOT / "notebooks" / "dashboards"


def command(port: int, host: str, token: str | None, preheat: bool) -> list[str]:
    """The Voila command line for the dashboards folder."""
    args = [sys.executable, "-m", "voila", str(DASHBOARDS), f"--port={port}", f"--Voila.ip={host}",
            "--no-browser", "--show_tracebacks=False", "--strip_sources=True"]
    args.append(f"--token={token}" if token else "--Voila.token=")
    if preheat:
        args += ["--preheat_kernel=True", "--pool_size=2"]
    return args


def serve(port: int | None = None, host: str | None = None, token: str | None = None,
          preheat: bool = False, database=None) -> int:
    """Replaces this process with Voila serving the dashboards; prints the URL first."""
    if not DASHBOARDS.is_dir():
        raise UsageError(f"{DASHBOARDS}: no dashboards folder (is the package installed from a checkout?)")
    database = db_path(database).resolve()
    if not database.exists():
        raise UsageError(f"{database}: no database yet; run `pmo demo` or `pmo load` first")
    port = int(port or SERVE_PORT.value())
    host = host or str(SERVE_HOST.value())
    url = f"http://{host}:{port}/" + (f"?token={token}" if token else "")
    print(f"serving the dashboards of {database} at {url}  (Ctrl+C stops)", flush=True)
    # share/jupyter holds the `pmo` Voila template (voila.json): lab without links to a CDN.
    templates = [str(ROOT / "share" / "jupyter"), *filter(None, [os.environ.get("JUPYTER_PATH")])]
    env = {**os.environ, "PMO_DB": str(database), "JUPYTER_PATH": os.pathsep.join(templates)}
    # Voila takes over this process, so a stop signal (Ctrl+C, a service manager) reaches it and it
    # shuts its kernels down; a child process would be orphaned with its kernels instead.
    os.chdir(ROOT)
    args = command(port, host, token, preheat)
    os.execve(args[0], args, env)
