"""One daemon thread for blocking card I/O, and nothing else.

pyscard calls block, sometimes for good (a card that stops answering holds
pcscd's reader lock and our ``SCardTransmit`` with it). They run here, never on
the event loop. The thread is a daemon and is never joined on the way out: a
call stuck in pcscd must not keep the kiosk from shutting down, which is what
``ThreadPoolExecutor``'s exit hook would do.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

_Job = tuple[Callable[[], Any], "Future[Any]"]


class CardWorker:
    """Runs submitted calls one at a time, in order, on its own daemon thread."""

    def __init__(self, name: str = "card-io") -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def submit(self, call: Callable[[], T]) -> Future[T]:
        """Queue ``call``; its future is cancelled if the caller gives up before it starts."""
        future: Future[T] = Future()
        self._jobs.put((call, future))
        return future

    def stop(self, last: Callable[[], object] | None = None) -> None:
        """Let the thread end after the queued calls, running ``last`` on it before ending."""
        if last is not None:
            self._jobs.put((last, Future()))
        self._jobs.put(None)

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            call, future = job
            if not future.set_running_or_notify_cancel():
                continue  # abandoned while queued: do not touch the card for nobody
            try:
                result = call()
            except Exception as err:  # handed to the awaiting side, not lost
                future.set_exception(err)
            else:
                future.set_result(result)
