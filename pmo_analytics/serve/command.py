"""Serving the directors' dashboards with Voila, read-only and on 127.0.0.1 unless told otherwise.

Voila's settings live in serve/voila.json (sources stripped, tracebacks hidden, no files served but
notebooks, idle kernels culled, the `pmo` template from serve/jupyter: lab without links to a CDN),
shipped inside the package; this module checks the port and runs Voila from that folder so the file
is read. Only notebooks/dashboards/ is served: anything under the served folder can be executed by
URL. Voila runs as `pmo_analytics.serve.voila_app`, which refuses foreign Host headers (DNS
rebinding) and requests from other sites' pages, and bounds the kernels live at once (each is about
240 MB).
"""
from __future__ import annotations

import argparse
import errno
import os
import socket
import sys

from pmo_analytics import packaged
from pmo_analytics.exceptions import PMOError, UsageError
from pmo_analytics.settings import SERVE_CULL_TIMEOUT, SERVE_HOST, SERVE_MAX_KERNELS, SERVE_PORT, db_path

DASHBOARDS = packaged.DASHBOARDS


class PortUnavailable(PMOError):
    """The port cannot be listened on (in use, privileged, not an address of this machine)."""


def _whole(value, low: int, high: int | None, what: str) -> int:
    text = str(value).strip()
    try:
        number = int(text, 10) if text.isascii() else None
    except ValueError:
        number = None
    if number is None or number < low or (high is not None and number > high):
        span = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ValueError(f"{what} must be a whole number {span}, not {text!r}")
    return number


def port_number(value) -> int:
    """argparse type of --port: 1-65535."""
    try:
        return _whole(value, 1, 65535, "the port")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def kernel_count(value) -> int:
    """argparse type of --max-kernels: at least 1."""
    try:
        return _whole(value, 1, None, "the number of kernels")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _setting(setting, low: int, high: int | None = None) -> int:
    try:
        return _whole(setting.value(), low, high, f"{setting.env or setting.name}")
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def check_port(host: str, port: int) -> None:
    """Binds every address Voila will bind (as tornado does: SO_REUSEADDR, IPv6 only on IPv6) and
    closes them again, so a taken port is a one-line error before any URL is printed. Another program
    can still take the port between this check and Voila's bind; Voila then exits with its own error
    instead of moving to another port (port_retries=0)."""
    try:
        addresses = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise PortUnavailable(f"cannot listen on {host!r}: not an address or name of this machine") from None
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    message = (f"port {port} on {host} is in use (another pmo serve?); "
                               "choose another with --port")
                elif exc.errno == errno.EACCES:
                    message = f"port {port} on {host} needs administrator rights; choose one above 1023 with --port"
                elif exc.errno == errno.EADDRNOTAVAIL:
                    message = f"cannot listen on {host}: not an address of this machine"
                else:
                    message = f"cannot listen on port {port} on {host}: {exc.strerror}"
                raise PortUnavailable(message) from None


def command(port: int, host: str, token: str | None, preheat: bool, max_kernels: int = 12,
            cull_timeout: int = 60) -> list[str]:
    """The Voila command line for the dashboards folder."""
    # Kernels with no browser connected are shut down once idle for cull_timeout seconds, checked
    # every cull_interval: gone within cull_timeout + cull_interval (60 + 15 s by default).
    cull_interval = max(1, min(15, cull_timeout // 4))
    args = [sys.executable, "-m", "pmo_analytics.serve.voila_app", str(DASHBOARDS), f"--port={port}",
            f"--Voila.ip={host}", "--Voila.port_retries=0", "--no-browser", "--show_tracebacks=False",
            "--strip_sources=True", f"--PmoVoila.max_kernels={max_kernels}",
            f"--MappingKernelManager.cull_idle_timeout={cull_timeout}",
            f"--MappingKernelManager.cull_interval={cull_interval}",
            "--MappingKernelManager.cull_connected=False"]
    args.append(f"--token={token}" if token else "--Voila.token=")
    if preheat:
        args += ["--preheat_kernel=True", "--pool_size=2"]
    return args


def serve(port: int | None = None, host: str | None = None, token: str | None = None,
          preheat: bool = False, database=None, max_kernels: int | None = None) -> int:
    """Replaces this process with Voila serving the dashboards; prints the URL first."""
    if not DASHBOARDS.is_dir():
        raise UsageError(f"{DASHBOARDS}: no dashboards folder (is the package installed from a checkout?)")
    database = db_path(database).resolve()
    if not database.exists():
        raise UsageError(f"{database}: no database yet; run `pmo demo` or `pmo load` first")
    port = port or _setting(SERVE_PORT, 1, 65535)
    host = host or str(SERVE_HOST.value())
    max_kernels = max_kernels or _setting(SERVE_MAX_KERNELS, 1)
    cull_timeout = _setting(SERVE_CULL_TIMEOUT, 1)
    check_port(host, port)
    url = f"http://{url_host(host)}:{port}/" + (f"?token={token}" if token else "")
    print(f"serving the dashboards of {database} at {url}  (Ctrl+C stops; at most {max_kernels} "
          "open at once)", flush=True)
    # share/jupyter holds the `pmo` Voila template (voila.json): lab without links to a CDN.
    templates = [str(packaged.JUPYTER_PATH), *filter(None, [os.environ.get("JUPYTER_PATH")])]
    env = {**os.environ, "PMO_DB": str(database), "JUPYTER_PATH": os.pathsep.join(templates),
           # Each Voila kernel has one page: the kernel need not echo every widget change back to it
           # (a burst of 2,000 changes costs half the CPU without the echo).
           "JUPYTER_WIDGETS_ECHO": "0"}
    # Voila takes over this process, so a stop signal (Ctrl+C, a service manager) reaches it and it
    # shuts its kernels down; a child process would be orphaned with its kernels instead.
    os.chdir(packaged.SERVE)  # Voila reads voila.json from its working directory
    args = command(port, host, token, preheat, max_kernels, cull_timeout)
    os.execve(args[0], args, env)
