"""Stopping a run cleanly: Ctrl+C, SIGTERM and SIGHUP become one Interrupted.

Under `stop_on_signals` the first stop signal raises Interrupted in the main thread, so the run stops
its notebooks and removes its work folder instead of dying with them running; later signals are
ignored, so that a burst of Ctrl+C cannot cut the clean-up short. While a pack is swapped in
(`deferred`) the signal waits for those few renames and is raised afterwards, saying so.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """A stop signal (Ctrl+C, SIGTERM, SIGHUP) ended the run; its notebooks were stopped. `detail`
    says what was published."""

    def __init__(self, signum: int, detail: str = "nothing was published"):
        super().__init__(signum)
        self.signum, self.detail = signum, detail

    def __str__(self) -> str:
        return f"interrupted; {self.detail}"


class _StopState:
    """What the stop-signal handler knows: whether it fired, and whether a publish is under way."""

    fired = False
    publishing = 0
    pending: int | None = None


_STOP = _StopState()


def _ignore_stop_signals() -> None:
    """Ignored in the kernel's sense, so that it holds through interpreter exit too."""
    for stop in STOP_SIGNALS:
        signal.signal(stop, signal.SIG_IGN)


def _on_stop_signal(signum, frame) -> None:
    if _STOP.fired:
        return  # stopping already: a second Ctrl+C must not cut the clean-up short
    if _STOP.publishing:
        _STOP.pending = signum  # the swap is a few renames: finish it, then stop
        return
    _STOP.fired = True
    _ignore_stop_signals()
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
def deferred(shown: Path):
    """Defers a stop signal while the pack is swapped in; raises it afterwards, saying it was published."""
    _STOP.publishing += 1
    try:
        yield
    finally:
        _STOP.publishing -= 1
    if _STOP.pending is not None and not _STOP.publishing:
        signum, _STOP.pending, _STOP.fired = _STOP.pending, None, True
        _ignore_stop_signals()
        raise Interrupted(signum, f"{shown} was published before stopping")
