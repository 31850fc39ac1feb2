"""The kiosk's one event loop: qasync's, with two changes for a process that runs for weeks.

qasync (DESIGN rule 2) joins asyncio to Qt's event loop. Two of its defaults
suit a desktop tool that runs for an hour, not a kiosk that serves citizens all
day, and both showed as memory growing a little with every citizen (``python
bench/ui.py``, ``docs/BENCHMARKS.md``):

- **Worker threads are started as needed, not ten at once.** qasync's
  executor starts ten QThreads and hands jobs to them in turn. Each thread that
  renders a receipt keeps glibc's per-thread cache of freed blocks (tcache) and
  may take a malloc arena of its own; with ten threads taking turns, those
  caches filled a little more with each receipt. Python's
  ``ThreadPoolExecutor`` reuses an idle thread before it starts another, so a
  kiosk between calls renders every receipt on one; a call, whose audio and
  video aiortc encodes there, adds a thread per stream. The cap stays qasync's
  ten: a slow job (a DNS lookup for the TURN server, a printer that hangs) must
  not leave a receipt or a call's encoder waiting.
- **A cancelled timer is gone at once.** qasync keeps a cancelled ``call_later``
  handle, with its Qt timer, until the time it would have fired: up to five
  minutes for the offline sync's backoff wait, 30 s for a print or a request
  deadline (``asyncio.wait_for``, httpx's timeouts), most of which are cancelled
  because the work finished first. Here cancelling a handle stops its Qt timer
  and drops the handle, as asyncio's own loops drop cancelled timers from their
  queue.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import qasync
from PySide6.QtCore import QCoreApplication, QObject, QTimerEvent

WORKERS = 10  # at most, as qasync's; started one by one when none is idle
WORKER_NAME = "kiosk-worker"


class QtTimers(QObject):
    """Callbacks due after a delay, each on a one-shot Qt timer of this object's thread.

    Stands in for qasync's ``_SimpleTimer`` (same methods), plus ``forget``.
    """

    def __init__(self) -> None:
        super().__init__()
        self._due: dict[int, asyncio.Handle] = {}
        self._stopped = False

    def add_callback(self, handle: asyncio.Handle, delay: float = 0) -> int:
        """Run ``handle`` after ``delay`` seconds; returns the Qt timer's id."""
        timer_id = self.startTimer(max(0, int(delay * 1000)))
        self._due[timer_id] = handle
        return timer_id

    def forget(self, timer_id: int, handle: asyncio.Handle) -> None:
        """``handle`` was cancelled: stop its timer, let it go.

        Only if ``timer_id`` is still its timer: Qt may hand a fired timer's id out again.
        """
        if self._due.get(timer_id) is handle:
            del self._due[timer_id]
            self.killTimer(timer_id)

    def pending(self) -> int:
        """How many callbacks are waiting for their time."""
        return len(self._due)

    def timerEvent(self, event: QTimerEvent) -> None:  # noqa: N802 (Qt's name)
        timer_id = event.timerId()
        self.killTimer(timer_id)  # Qt timers repeat; each of these fires once
        handle = self._due.pop(timer_id, None)
        if handle is None or handle.cancelled() or self._stopped:
            return
        handle._run()  # as asyncio's own loops run a due handle

    def stop(self) -> None:
        """The loop is closing: no callback runs after this, and no timer is left running."""
        self._stopped = True
        for timer_id in self._due:
            self.killTimer(timer_id)
        self._due.clear()

    def set_debug(self, enabled: bool) -> None:
        """qasync passes the loop's debug flag on; these timers log nothing either way."""


class QtTimerHandle(asyncio.TimerHandle):
    """A callback due at ``when``; cancelling it stops its Qt timer at once."""

    __slots__ = ("_forget",)

    def __init__(
        self,
        when: float,
        callback: Callable[..., object],
        args: tuple[Any, ...],
        loop: asyncio.AbstractEventLoop,
        context: contextvars.Context | None,
    ) -> None:
        super().__init__(when, callback, args, loop, context=context)
        self._forget: Callable[[asyncio.Handle], None] | None = None

    def cancel(self) -> None:
        if not self.cancelled() and self._forget is not None:
            self._forget(self)
        self._forget = None
        super().cancel()


class KioskEventLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync has no type hints
    """qasync's loop, with worker threads started as needed and timers that go when cancelled."""

    _timer: QObject  # qasync's name for the object its loop schedules callbacks on

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        qasync_timers = self._timer
        self._timer = self._timers = QtTimers()
        qasync_timers.deleteLater()
        self.set_default_executor(
            ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix=WORKER_NAME)
        )

    def call_later(
        self,
        delay: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> QtTimerHandle:
        if asyncio.iscoroutinefunction(callback):
            raise TypeError("coroutines cannot be used with call_later")
        if not callable(callback):
            raise TypeError(f"callback must be callable: {type(callback).__name__}")
        handle = QtTimerHandle(self.time() + delay, callback, args, self, context)
        timer_id = self._timers.add_callback(handle, delay)
        # The timer's id, not the handle: a handle holding itself would wait for the collector.
        handle._forget = functools.partial(self._timers.forget, timer_id)
        return handle

    def call_soon(
        self,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        # Due at once, so never left waiting: a plain handle, as qasync makes, is cheaper,
        # and aiortc asks for one for every packet.
        if not callable(callback):
            raise TypeError(f"callback must be callable: {type(callback).__name__}")
        handle = asyncio.Handle(callback, args, self, context=context)
        self._timers.add_callback(handle)
        return handle

    def pending_timers(self) -> int:
        """Callbacks waiting for their time (cancelled ones are not kept)."""
        return self._timers.pending()
