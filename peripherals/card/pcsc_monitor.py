"""Watches one PC/SC reader from its own thread, through pcscd restarts and unplugs.

pyscard's ``CardMonitor`` stops for good when pcscd goes away, which on a kiosk
happens (package upgrades, a crash, a USB reset). This monitor loops on
``SCardGetStatusChange`` with a timeout and, whenever the context dies, reports
the reader lost, then tries a fresh context every ``poll_interval_s`` until
pcscd answers again. It reports :class:`ReaderObservation` snapshots, only when
they change, through a callback that runs on the monitor thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from smartcard import scard

from peripherals.card.pcsc_link import READER_GONE, describe, pick_reader, result_code

_log = logging.getLogger(__name__)

# A reader entry in one of these states is not a reader we can use (unplugged, being removed).
_READER_NOT_USABLE = (
    scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE | scard.SCARD_STATE_IGNORE
)
_EVENT_COUNT_SHIFT = 16  # pcsc-lite counts card insertions and removals in the high word


@dataclass(frozen=True)
class ReaderObservation:
    """What the monitor sees: the reader (None if lost, with ``reason``) and its card.

    ``insertion`` grows with every card seen arriving, including a card swapped
    faster than one look, so that "same card still there" can be told apart
    from "another card".
    """

    reader: str | None
    card_present: bool = False
    insertion: int = 0
    reason: str = ""


class ReaderMonitor:
    """A daemon thread that follows the first reader whose name starts with a prefix."""

    def __init__(
        self,
        reader_name_prefix: str | None,
        report: Callable[[ReaderObservation], None],
        *,
        poll_interval_s: float,
    ) -> None:
        self._prefix = reader_name_prefix
        self._report_to = report
        self._poll_ms = max(1, int(poll_interval_s * 1000))
        self._poll_s = poll_interval_s
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # guards _context between the thread and stop()
        self._context: int | None = None
        self._last: ReaderObservation | None = None
        self._insertion = 0
        self._thread = threading.Thread(target=self._run, name="card-monitor", daemon=True)

    def start(self) -> None:
        """Start watching."""
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end; wakes a pending ``SCardGetStatusChange`` at once."""
        self._stopping.set()
        with self._lock:
            if self._context is not None:
                scard.SCardCancel(self._context)

    def join(self, timeout_s: float) -> None:
        """Wait for the thread to end, at most ``timeout_s``."""
        self._thread.join(timeout_s)

    # -- the thread -------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            context = self._establish()
            if context is None:
                self._report(ReaderObservation(None, reason="pcscd is not running"))
                self._stopping.wait(self._poll_s)
                continue
            try:
                self._watch(context)
            except Exception:
                # Whatever went wrong, a fresh context is the way back; never let the thread die.
                _log.exception("card monitor failed; starting over")
                self._report(ReaderObservation(None, reason="monitor error"))
                self._stopping.wait(self._poll_s)
            finally:
                self._release(context)

    def _establish(self) -> int | None:
        code, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if result_code(code) != scard.SCARD_S_SUCCESS:
            return None
        with self._lock:
            self._context = int(context)
            if self._stopping.is_set():  # stop() came before we had a context to cancel
                scard.SCardCancel(self._context)
        return int(context)

    def _release(self, context: int) -> None:
        with self._lock:
            self._context = None
        scard.SCardReleaseContext(context)

    def _watch(self, context: int) -> None:
        """Follow readers on ``context`` until it dies (pcscd gone) or the monitor stops."""
        while not self._stopping.is_set():
            code, names = scard.SCardListReaders(context, [])
            code = result_code(code)
            if code == scard.SCARD_E_NO_READERS_AVAILABLE:
                names = []
            elif code != scard.SCARD_S_SUCCESS:
                self._report(ReaderObservation(None, reason=f"pcscd: {describe(code)}"))
                return
            reader = pick_reader(names, self._prefix)
            if reader is None:
                self._report(ReaderObservation(None, reason=f"no reader named {self._prefix!r}"))
                self._stopping.wait(self._poll_s)
                continue
            if not self._follow(context, reader):
                return

    def _follow(self, context: int, reader: str) -> bool:
        """Report ``reader``'s card until the reader goes (True) or the context dies (False)."""
        state = scard.SCARD_STATE_UNAWARE
        previous: tuple[bool, int] | None = None  # (card present, pcsc-lite event count)
        while not self._stopping.is_set():
            code, states = scard.SCardGetStatusChange(context, self._poll_ms, [(reader, state)])
            code = result_code(code)
            if code in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED):
                continue
            if code in READER_GONE:
                return True
            if code != scard.SCARD_S_SUCCESS:
                self._report(ReaderObservation(None, reason=f"pcscd: {describe(code)}"))
                return False
            event = int(states[0][1])
            if event & _READER_NOT_USABLE:
                return True
            # A mute card (SCARD_STATE_MUTE) is still a card: the citizen should hear
            # that it cannot be read, not that there is none.
            present = bool(event & scard.SCARD_STATE_PRESENT)
            count = event >> _EVENT_COUNT_SHIFT
            if present and (previous is None or not previous[0] or previous[1] != count):
                self._insertion += 1
            previous = (present, count)
            self._report(ReaderObservation(reader, present, self._insertion))
            state = event & ~scard.SCARD_STATE_CHANGED
        return False

    def _report(self, observation: ReaderObservation) -> None:
        if observation == self._last or self._stopping.is_set():
            return
        self._last = observation
        try:
            self._report_to(observation)
        except Exception:
            _log.exception("card monitor listener failed")
