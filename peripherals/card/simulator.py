"""A card reader in software, for the demo and the tests, with failure knobs."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import date

from peripherals.card.errors import (
    CardError,
    CardReaderUnavailableError,
    CardRemovedError,
    NoCardError,
)
from peripherals.card.model import CardEvent, CardEventKind, CardHolder
from peripherals.card.protocol import CardListener
from peripherals.health import DeviceHealth

_log = logging.getLogger(__name__)

# A made-up citizen; the file number passes the Luhn check of file_number.py.
SAMPLE_HOLDER = CardHolder(
    file_number="5831029474",
    given_name="Camille",
    family_name="Tremblay",
    birth_date=date(1987, 3, 14),
)


@dataclass
class _Slot:
    """One insertion of a card: interrupted when the card or the reader goes away."""

    holder: CardHolder
    interrupted: asyncio.Event = field(default_factory=asyncio.Event)
    interruption: type[CardError] = CardRemovedError


class SimulatedCardReader:
    """A :class:`~peripherals.card.protocol.CardReader` driven by code.

    Knobs: :meth:`insert`, :meth:`remove`, :meth:`fail_next_read`, :meth:`unplug`
    and :meth:`plug_in`. With ``read_delay_s`` > 0 a read takes that long, and a
    removal (or unplug) during it makes it fail at once, as a real chip read does.
    Call the knobs from the event-loop thread: listeners run synchronously inside them.
    """

    def __init__(self, read_delay_s: float = 0.0) -> None:
        self._read_delay_s = read_delay_s
        self._listeners: list[CardListener] = []
        self._slot: _Slot | None = None
        self._plugged = True
        self._closed = False
        self._failures: deque[CardError] = deque()

    # -- the port ---------------------------------------------------------

    def add_listener(self, callback: CardListener) -> None:
        """Call ``callback`` with every future event."""
        self._listeners.append(callback)

    async def read_holder(self) -> CardHolder:
        """Read the inserted card, honouring the delay and the failure knobs."""
        slot = self._readable_slot()
        if self._read_delay_s > 0:
            try:
                async with asyncio.timeout(self._read_delay_s):
                    await slot.interrupted.wait()
            except TimeoutError:
                pass  # nobody pulled the card: the read completed
        if slot.interrupted.is_set():
            raise slot.interruption("interrupted during the read")
        if self._failures:
            raise self._failures.popleft()
        return slot.holder

    def health(self) -> DeviceHealth:
        """ABSENT once closed, FAULT while unplugged, OK otherwise."""
        if self._closed:
            return DeviceHealth.absent(CardReaderUnavailableError.code, "closed")
        if not self._plugged:
            return DeviceHealth.fault(CardReaderUnavailableError.code, "reader unplugged")
        return DeviceHealth.ok()

    @property
    def card_present(self) -> bool:
        """Whether a card sits in a reachable reader."""
        return self._slot is not None and self._plugged and not self._closed

    async def close(self) -> None:
        """Stop delivering events and refuse further reads."""
        self._interrupt(CardReaderUnavailableError)
        self._closed = True
        self._listeners.clear()

    # -- knobs ------------------------------------------------------------

    def insert(self, holder: CardHolder = SAMPLE_HOLDER) -> None:
        """Put a card in the slot; listeners hear INSERTED if the reader is plugged in."""
        if self._slot is not None:
            raise RuntimeError("a card is already inserted; remove() it first")
        self._slot = _Slot(holder)
        if self._plugged:
            self._emit(CardEventKind.INSERTED)

    def remove(self) -> None:
        """Take the card out (a no-op without one); an ongoing read fails with card.removed."""
        if self._slot is None:
            return
        self._interrupt(CardRemovedError)
        self._slot = None
        if self._plugged:
            self._emit(CardEventKind.REMOVED)

    def fail_next_read(self, error: CardError) -> None:
        """Make the next read that finds a card raise ``error`` (calls queue up)."""
        self._failures.append(error)

    def unplug(self) -> None:
        """Pull the reader's cable: READER_LOST, health FAULT, an ongoing read fails."""
        if not self._plugged:
            return
        self._interrupt(CardReaderUnavailableError)
        self._plugged = False
        self._emit(CardEventKind.READER_LOST)

    def plug_in(self) -> None:
        """Reconnect the reader: READER_BACK, then INSERTED if a card sits in the slot."""
        if self._plugged:
            return
        self._plugged = True
        self._emit(CardEventKind.READER_BACK)
        if self._slot is not None:
            # The card that stayed in the slot is a fresh insertion for the new session.
            self._slot = _Slot(self._slot.holder)
            self._emit(CardEventKind.INSERTED)

    # -- internals --------------------------------------------------------

    def _readable_slot(self) -> _Slot:
        if self._closed or not self._plugged:
            raise CardReaderUnavailableError("the reader is not available")
        if self._slot is None:
            raise NoCardError("no card in the reader")
        return self._slot

    def _interrupt(self, error: type[CardError]) -> None:
        if self._slot is not None and not self._slot.interrupted.is_set():
            self._slot.interruption = error
            self._slot.interrupted.set()

    def _emit(self, kind: CardEventKind) -> None:
        event = CardEvent(kind)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                # One broken listener must not keep the others from hearing about the card.
                _log.exception("card listener failed on %s", kind)
