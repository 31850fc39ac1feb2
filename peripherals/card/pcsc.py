"""The real card reader: pcscd through pyscard, behind the :class:`CardReader` port.

Three threads of control, one rule each:

* the **monitor** thread (``pcsc_monitor.py``) watches the reader and survives
  pcscd restarts; its observations reach the event loop through
  ``loop.call_soon_threadsafe`` and become :class:`CardEvent`\\ s there;
* the **worker** thread (``worker.py``) runs every blocking card conversation
  (``commands.py`` over ``pcsc_link.py``), one at a time;
* the **event loop** never blocks: it waits for the worker with a deadline,
  and gives up at once when the monitor sees the card or the reader go.

A card that stops answering costs the citizen ``operation_timeout_s`` and a
:class:`CardTimeoutError`, never a frozen screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from peripherals.card import commands
from peripherals.card.commands import CardChannel
from peripherals.card.errors import (
    CardError,
    CardReaderUnavailableError,
    CardRemovedError,
    CardTimeoutError,
    CardUnreadableError,
    NoCardError,
)
from peripherals.card.model import CardEventKind, CardHolder, CardIdentity
from peripherals.card.pcsc_link import PcscLink
from peripherals.card.pcsc_monitor import ReaderMonitor, ReaderObservation
from peripherals.card.profile import encode_pin
from peripherals.card.protocol import CardListener, notify_listeners
from peripherals.card.worker import CardWorker
from peripherals.health import DeviceHealth, SelfTestResult, elapsed_ms

T = TypeVar("T")

DEFAULT_POLL_INTERVAL_S = 0.25  # retry cadence while pcscd is away: recovery well under 3 s
DEFAULT_OPERATION_TIMEOUT_S = 3.0  # a whole read takes ~10 ms; a slow real card < 1 s
DEFAULT_REMOVAL_GRACE_S = 0.6  # pcscd polls vpcd and many USB readers every 400 ms
CLOSE_JOIN_TIMEOUT_S = 1.0
SELF_TEST_OK = "selftest.ok"


class PcscCardReader:
    """A :class:`~peripherals.card.protocol.CardReader` on a PC/SC reader served by pcscd.

    ``reader_name_prefix`` picks the reader (``"Virtual PCD 00 00"``, ``"ACS ACR39U"``);
    ``None`` takes the first one. Monitoring starts at construction, so build it
    where ``loop`` (by default the running loop) will run; events queued before
    the loop runs are delivered once it does. Use ``async with`` or :meth:`close`.
    """

    def __init__(
        self,
        reader_name_prefix: str | None = None,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        poll_interval_s: float = DEFAULT_POLL_INTERVAL_S,
        operation_timeout_s: float = DEFAULT_OPERATION_TIMEOUT_S,
        removal_grace_s: float = DEFAULT_REMOVAL_GRACE_S,
    ) -> None:
        self._loop = loop if loop is not None else asyncio.get_running_loop()
        self._timeout_s = operation_timeout_s
        self._listeners: list[CardListener] = []
        self._seen: ReaderObservation | None = None  # None: the monitor has not reported yet
        self._stalled = ""  # why the last operation timed out, until one succeeds
        self._closed = False
        self._lock = asyncio.Lock()
        self._interrupt: asyncio.Future[CardError] | None = None
        self._link = PcscLink(reader_name_prefix, removal_grace_s=removal_grace_s)
        self._worker = CardWorker()
        self._monitor = ReaderMonitor(
            reader_name_prefix, self._observed, poll_interval_s=poll_interval_s
        )
        self._monitor.start()

    async def __aenter__(self) -> PcscCardReader:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # -- the port ---------------------------------------------------------

    def add_listener(self, callback: CardListener) -> None:
        """Call ``callback`` on the event-loop thread with every future event."""
        self._listeners.append(callback)

    async def read_holder(self) -> CardHolder:
        """Read the holder file of the inserted citizen card."""
        return await self._run(commands.read_holder, "read holder")

    async def identify(self) -> CardIdentity:
        """The inserted card's ATR, UID and profile."""
        return await self._run(commands.identify, "identify")

    async def verify_pin(self, pin: str) -> None:
        """Check ``pin`` with the card; ``WrongPinError``/``CardBlockedError`` when refused."""
        encode_pin(pin)  # a malformed PIN fails before the card is even touched
        await self._run(functools.partial(commands.verify_pin, pin=pin), "verify PIN")

    async def self_test(self) -> SelfTestResult:
        """Read the inserted (test) card end to end; the result carries no personal data."""
        started = time.perf_counter()
        try:
            summary = await self._run(commands.self_test, "self-test")
        except CardError as err:
            return SelfTestResult(False, err.code, err.detail, elapsed_ms(started))
        return SelfTestResult(True, SELF_TEST_OK, summary, elapsed_ms(started))

    def health(self) -> DeviceHealth:
        """ABSENT once closed, FAULT while the reader is lost, DEGRADED after a timeout."""
        if self._closed:
            return DeviceHealth.absent(CardReaderUnavailableError.code, "closed")
        seen = self._seen
        if seen is not None and seen.reader is None:
            return DeviceHealth.fault(CardReaderUnavailableError.code, seen.reason)
        if self._stalled:
            return DeviceHealth.degraded(CardTimeoutError.code, self._stalled)
        return DeviceHealth.ok("starting" if seen is None else (seen.reader or ""))

    @property
    def card_present(self) -> bool:
        """Whether the monitor last saw a card in a reachable reader."""
        seen = self._seen
        return (
            not self._closed
            and seen is not None
            and seen.reader is not None
            and (seen.card_present)
        )

    async def close(self) -> None:
        """Stop monitoring, fail an ongoing operation, release PC/SC."""
        if self._closed:
            return
        self._closed = True
        self._listeners.clear()
        self._interrupt_with(CardReaderUnavailableError("reader closed"))
        self._monitor.stop()
        self._worker.stop(last=self._link.close)
        await asyncio.to_thread(self._monitor.join, CLOSE_JOIN_TIMEOUT_S)

    # -- operations -------------------------------------------------------

    def _check_ready(self) -> None:
        if self._closed:
            raise CardReaderUnavailableError("reader closed")
        seen = self._seen
        if seen is not None and seen.reader is None:
            raise CardReaderUnavailableError(seen.reason)
        if not self.card_present:
            raise NoCardError("no card in the reader")

    async def _run(self, job: Callable[[CardChannel], T], what: str) -> T:
        """Run ``job`` on the worker, bounded by the timeout and by card/reader loss."""
        self._check_ready()
        async with self._lock:
            self._check_ready()
            stop = threading.Event()
            call = functools.partial(self._link.run, job, stop)
            pending = asyncio.wrap_future(self._worker.submit(call), loop=self._loop)
            interrupted: asyncio.Future[CardError] = self._loop.create_future()
            self._interrupt = interrupted
            try:
                await asyncio.wait(
                    (pending, interrupted),
                    timeout=self._timeout_s,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                self._interrupt = None
                if not pending.done():
                    # The worker may be stuck in pcscd: tell it to stop at its next
                    # transmit, and drop our interest (its late result is discarded).
                    stop.set()
                    pending.cancel()
                interrupted.cancel()
        if pending.done() and not pending.cancelled():
            error = pending.exception()
            if error is None:
                self._stalled = ""
                return pending.result()
            if interrupted.done() and not interrupted.cancelled():
                raise interrupted.result()  # the real cause of a failed transmit
            if not isinstance(error, CardTimeoutError):
                self._stalled = ""  # the reader answered, even if with an error
            if isinstance(error, CardError):
                raise error
            raise CardUnreadableError(f"unexpected {type(error).__name__}") from error
        if interrupted.done() and not interrupted.cancelled():
            raise interrupted.result()
        self._stalled = f"{what}: no answer within {self._timeout_s:g} s"
        raise CardTimeoutError(self._stalled)

    def _interrupt_with(self, error: CardError) -> None:
        if self._interrupt is not None and not self._interrupt.done():
            self._interrupt.set_result(error)

    # -- events -----------------------------------------------------------

    def _observed(self, observation: ReaderObservation) -> None:
        """Monitor thread: hand the observation to the event loop."""
        # A closed loop means the kiosk is shutting down: nobody is listening any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._apply, observation)

    def _apply(self, seen: ReaderObservation) -> None:
        """Event loop: turn a new observation into events, and stop reads it invalidates."""
        if self._closed:
            return
        before = self._seen
        self._seen = seen
        had_reader = before is None or before.reader is not None  # assumed there at start
        had_card = before is not None and before.reader is not None and before.card_present
        has_card = seen.reader is not None and seen.card_present
        same_card = (
            had_card and has_card and before is not None and (before.insertion == seen.insertion)
        )
        if had_reader and seen.reader is None:
            self._interrupt_with(CardReaderUnavailableError(f"reader lost: {seen.reason}"))
            self._emit(CardEventKind.READER_LOST)
        elif not had_reader and seen.reader is not None:
            self._emit(CardEventKind.READER_BACK)
        if had_card and not same_card and seen.reader is not None:
            self._interrupt_with(CardRemovedError("card removed during the operation"))
            self._emit(CardEventKind.REMOVED)
        if has_card and not same_card:
            self._emit(CardEventKind.INSERTED)

    def _emit(self, kind: CardEventKind) -> None:
        notify_listeners(self._listeners, kind)
