"""Coalesced redraws (latest wins): in a dashboard a widget change only schedules a redraw on the
kernel's event loop, so a burst of changes costs one redraw of the last state, not one per message."""
from __future__ import annotations

import asyncio
import contextlib
import logging

from pmo_analytics.settings import REDRAW_DELAY

log = logging.getLogger(__name__)


def _in_cell() -> bool:
    """True while an IPython kernel runs a cell (its current shell request is an execute_request):
    code in a cell that sets a filter and then reads `view.table` sees the new table at once."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    get_parent = getattr(getattr(get_ipython(), "kernel", None), "get_parent", None)
    if get_parent is None:
        return False
    try:
        parent = get_parent("shell") or {}
    except Exception:  # noqa: BLE001 - another kernel's API: then behave as outside a cell
        return False
    return parent.get("header", {}).get("msg_type") == "execute_request"


def _loop_for_redraws() -> asyncio.AbstractEventLoop | None:
    """The running event loop (a kernel's tornado IOLoop runs on asyncio) when redraws may wait for
    it; None when they must run at once (no loop running, or inside a notebook cell)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return None if _in_cell() else loop


class Redraws:
    """Coalesces redraws: latest wins.

    `request(callback)` runs callback on the running event loop once `delay` seconds have passed
    without another request (the timer restarts with each one), so a stream of widget messages
    (queued in the kernel faster than `delay` apart) costs one redraw when it ends, not one per
    message, and the messages are read at full speed meanwhile. A request after `delay` seconds of
    quiet (no request, no redraw) runs as soon as the loop is free: a lone change does not wait, and a
    stream that begins with it costs one redraw more. Requests for a callback already
    pending are merged into it; callbacks read the widget values when they run, so the last change
    wins. With `first=True` the callback runs before the others (the filter bar narrows its options
    before the views redraw). Callbacks requested while a flush runs run in that flush.

    Without a running loop (plain Python, tests), inside a notebook cell (nbval, papermill reports:
    the notebook must show the final state when the cell ends) or with `delay` 0, a request runs at
    once. `flush()` runs whatever is pending now. `deferred` is True while callbacks run from the
    loop's timer, after the widget message that asked for them was answered (see `View.show`).
    `session`, when given, is a context manager factory each flush runs its callbacks inside (the
    filter bar's one shared read-only connection per redraw).
    """

    def __init__(self, delay: float | None = None, session=None):
        if delay is None:
            try:
                delay = min(max(0.0, float(REDRAW_DELAY.value())), 10.0)  # nan becomes 0
            except (TypeError, ValueError):
                log.warning("%s=%r is not a number of seconds; using %s", REDRAW_DELAY.env,
                            REDRAW_DELAY.value(), REDRAW_DELAY.default)
                delay = REDRAW_DELAY.default
        self.delay = float(delay)
        self.runs = 0  # callbacks run so far
        self.deferred = False
        self._pending: dict = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        self._due = 0.0
        self._quiet_since = float("-inf")  # loop time of the last request or redraw
        self._flushing = False
        self._session = session or contextlib.nullcontext

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def request(self, callback, first: bool = False) -> None:
        if first:
            self._pending.pop(callback, None)
            self._pending = {callback: None, **self._pending}
        else:
            self._pending.setdefault(callback, None)
        if self._flushing:
            return
        loop = _loop_for_redraws() if self.delay > 0 else None
        if loop is None:
            self.flush()
            return
        now = loop.time()
        quiet = self._timer is None and now - self._quiet_since >= self.delay
        self._due, self._quiet_since = (now if quiet else now + self.delay), now
        if self._timer is None or self._timer_loop is not loop:  # none yet, or left on a closed loop
            if self._timer is not None:
                self._timer.cancel()
            self._timer, self._timer_loop = loop.call_at(self._due, self._fire, loop), loop

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        if loop.time() + 0.001 < self._due:  # asked again meanwhile: wait `delay` after the last ask
            self._timer = loop.call_at(self._due, self._fire, loop)
            return
        self.deferred = True
        try:
            self.flush()
        finally:
            self.deferred = False
            self._quiet_since = loop.time()

    def flush(self) -> None:
        """Runs the pending callbacks now, in order; one that fails is logged and the others still run."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flushing:
            return
        self._flushing = True
        failed = None
        try:
            with self._session():
                while self._pending:
                    callback = next(iter(self._pending))
                    del self._pending[callback]
                    self.runs += 1
                    try:
                        callback()
                    except Exception as exc:  # re-raised once the others have run
                        log.exception("redraw %r failed", callback)
                        failed = failed or exc
        finally:
            self._flushing = False
        if failed is not None:
            raise failed


__all__ = ["Redraws"]
