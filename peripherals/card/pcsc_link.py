"""PC/SC access for card conversations, through pyscard's low-level ``smartcard.scard``.

Everything here blocks and runs on the adapter's worker thread only: a PC/SC
context belongs to the thread that uses it. Every PC/SC result code is turned
into a :class:`~peripherals.card.errors.CardError` here, so no pyscard detail
travels further up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from smartcard import scard

from peripherals.card.commands import CardChannel
from peripherals.card.errors import (
    CardError,
    CardProtocolError,
    CardReaderUnavailableError,
    CardRemovedError,
    CardTimeoutError,
    CardUnreadableError,
    NoCardError,
)

_log = logging.getLogger(__name__)

T = TypeVar("T")

# pcscd went away (stopped, restarted, crashed): the context is dead, make a new one.
SERVICE_GONE = frozenset(
    {
        scard.SCARD_E_NO_SERVICE,
        scard.SCARD_E_SERVICE_STOPPED,
        scard.SCARD_F_COMM_ERROR,
        scard.SCARD_E_INVALID_HANDLE,
    }
)
READER_GONE = frozenset(
    {
        scard.SCARD_E_UNKNOWN_READER,
        scard.SCARD_E_READER_UNAVAILABLE,
        scard.SCARD_E_NO_READERS_AVAILABLE,
    }
)
_CARD_GONE = frozenset({scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD})
_CARD_UNREADABLE = frozenset(
    {
        scard.SCARD_W_UNRESPONSIVE_CARD,
        scard.SCARD_W_UNPOWERED_CARD,
        scard.SCARD_W_UNSUPPORTED_CARD,
        scard.SCARD_E_PROTO_MISMATCH,
        scard.SCARD_W_RESET_CARD,  # another program reset it: our session state is gone
        scard.SCARD_E_SHARING_VIOLATION,  # another program holds the card exclusively
    }
)


def result_code(value: int) -> int:
    """A PC/SC result as an unsigned 32-bit code (pyscard's sign varies by platform)."""
    return int(value) & 0xFFFFFFFF


def describe(code: int) -> str:
    """A PC/SC result code with pcsc-lite's own wording, for logs."""
    return f"0x{code:08X} ({scard.SCardGetErrorMessage(code)})"


def pick_reader(names: Iterable[str], prefix: str | None) -> str | None:
    """The first reader whose name starts with ``prefix`` (any reader without one)."""
    for name in names:
        if prefix is None or name.startswith(prefix):
            return name
    return None


def error_for(code: int, action: str) -> CardError:
    """The port's error for a failed PC/SC call (``action`` names the call, for logs)."""
    detail = f"{action}: {describe(code)}"
    if code in SERVICE_GONE or code in READER_GONE:
        return CardReaderUnavailableError(detail)
    if code in _CARD_GONE:
        return CardRemovedError(detail)
    if code in _CARD_UNREADABLE:
        return CardUnreadableError(detail)
    if code == scard.SCARD_E_INSUFFICIENT_BUFFER:
        return CardProtocolError(detail)
    if code == scard.SCARD_E_TIMEOUT:
        return CardTimeoutError(detail)
    return CardUnreadableError(detail)


class _PcscChannel:
    """A connected card, as the conversations in ``commands.py`` see it."""

    def __init__(
        self, link: PcscLink, hcard: int, protocol: int, atr: bytes, stop: threading.Event
    ) -> None:
        self._link = link
        self._hcard = hcard
        self._protocol = protocol
        self._atr = atr
        self._stop = stop

    @property
    def atr(self) -> bytes:
        """The ATR pcscd read when it powered the card."""
        return self._atr

    def transmit(self, command: bytes) -> bytes:
        """One APDU exchange through pcscd; every failure becomes a ``CardError``."""
        # The adapter gave up on this operation (timeout, card pulled): stop talking.
        if self._stop.is_set():
            raise CardTimeoutError("operation abandoned")
        outcome = scard.SCardTransmit(self._hcard, self._protocol, list(command))
        code = result_code(outcome[0])
        if code == scard.SCARD_E_NOT_TRANSACTED:
            raise self._link.removed_or(CardUnreadableError(f"transmit: {describe(code)}"))
        if code != scard.SCARD_S_SUCCESS:
            raise self._link.fail(code, "transmit")
        answer = bytes(outcome[1])
        if not answer:
            # A card never answers nothing (there is always a status word); pcscd and
            # vpcd hand back an empty answer when the card vanished mid-command.
            raise self._link.removed_or(CardProtocolError("empty answer"))
        return answer


class PcscLink:
    """One PC/SC context and the reader it talks to, used from a single worker thread."""

    def __init__(self, reader_name_prefix: str | None, *, removal_grace_s: float) -> None:
        self._prefix = reader_name_prefix
        self._removal_grace_s = removal_grace_s
        self._context: int | None = None
        self._reader: str | None = None

    def run(self, job: Callable[[CardChannel], T], stop: threading.Event) -> T:
        """Connect to the card, run ``job`` inside a PC/SC transaction, disconnect.

        ``stop`` set by the adapter makes the next transmit give up. Only
        ``CardError`` subclasses leave: anything else from pyscard is a bug in
        our use of it, logged and reported as an unreadable card.
        """
        if stop.is_set():
            raise CardTimeoutError("operation abandoned before it started")
        try:
            return self._run(job, stop)
        except CardError:
            raise
        except Exception as err:
            _log.exception("unexpected failure talking to the card")
            raise CardUnreadableError(f"unexpected {type(err).__name__}") from err

    def close(self) -> None:
        """Release the context (on the worker thread, when the adapter closes)."""
        self._drop_context()

    def fail(self, code: int, action: str) -> CardError:
        """The error for ``code``, forgetting the context if pcscd is gone."""
        if code in SERVICE_GONE:
            self._drop_context()
        return error_for(code, action)

    def removed_or(self, fallback: CardError) -> CardError:
        """CardRemovedError if pcscd sees the card gone within the grace period, else ``fallback``.

        pcscd polls virtual and some USB readers every 400 ms, so a removal can
        show up a little after the transmit that it broke.
        """
        if self._context is None or self._reader is None:
            return fallback
        deadline = time.monotonic() + self._removal_grace_s
        state = scard.SCARD_STATE_UNAWARE
        while True:
            timeout_ms = 0 if state == scard.SCARD_STATE_UNAWARE else self._ms_left(deadline)
            code, states = scard.SCardGetStatusChange(
                self._context, timeout_ms, [(self._reader, state)]
            )
            code = result_code(code)
            if code == scard.SCARD_E_TIMEOUT:
                return fallback
            if code != scard.SCARD_S_SUCCESS:
                return self.fail(code, "status")
            event = int(states[0][1])
            if not event & scard.SCARD_STATE_PRESENT:
                return CardRemovedError(f"card gone after: {fallback.detail}")
            if state != scard.SCARD_STATE_UNAWARE and event >> 16 != state >> 16:
                return CardRemovedError(f"card swapped after: {fallback.detail}")
            if self._ms_left(deadline) == 0:
                return fallback
            state = event & ~scard.SCARD_STATE_CHANGED

    # -- internals --------------------------------------------------------

    @staticmethod
    def _ms_left(deadline: float) -> int:
        return max(0, int((deadline - time.monotonic()) * 1000))

    def _run(self, job: Callable[[CardChannel], T], stop: threading.Event) -> T:
        context = self._ensure_context()
        self._reader = self._find_reader(context)
        outcome = scard.SCardConnect(
            context,
            self._reader,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        code = result_code(outcome[0])
        if code in _CARD_GONE:
            raise NoCardError(f"connect: {describe(code)}")
        if code != scard.SCARD_S_SUCCESS:
            raise self.fail(code, "connect")
        hcard, protocol = outcome[1], int(outcome[2])
        try:
            # A transaction keeps other programs from interleaving APDUs with ours.
            code = result_code(scard.SCardBeginTransaction(hcard))
            if code != scard.SCARD_S_SUCCESS:
                raise self.fail(code, "begin transaction")
            try:
                status = scard.SCardStatus(hcard)
                code = result_code(status[0])
                if code != scard.SCARD_S_SUCCESS:
                    raise self.fail(code, "status")
                channel = _PcscChannel(self, hcard, protocol, bytes(status[4]), stop)
                return job(channel)
            finally:
                scard.SCardEndTransaction(hcard, scard.SCARD_LEAVE_CARD)
        finally:
            # LEAVE_CARD: no reset, so the next citizen's read finds the card powered.
            scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)

    def _ensure_context(self) -> int:
        if self._context is None:
            code, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            code = result_code(code)
            if code != scard.SCARD_S_SUCCESS:
                raise CardReaderUnavailableError(f"establish context: {describe(code)}")
            self._context = int(context)
        return self._context

    def _find_reader(self, context: int) -> str:
        code, names = scard.SCardListReaders(context, [])
        code = result_code(code)
        if code != scard.SCARD_S_SUCCESS:
            raise self.fail(code, "list readers")
        reader = pick_reader(names, self._prefix)
        if reader is None:
            raise CardReaderUnavailableError(f"no reader named {self._prefix!r}")
        return reader

    def _drop_context(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            scard.SCardReleaseContext(context)
