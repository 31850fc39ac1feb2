"""A card reader in software, for the demo and the tests, with failure knobs."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date

from peripherals.card.errors import (
    CardBlockedError,
    CardError,
    CardReaderUnavailableError,
    CardRemovedError,
    NoCardError,
    WrongPinError,
)
from peripherals.card.model import CardEventKind, CardHolder, CardIdentity
from peripherals.card.profile import CITIZEN_V1, CITIZEN_V1_ATR, encode_pin
from peripherals.card.protocol import CardListener, notify_listeners
from peripherals.health import DeviceHealth, SelfTestResult, elapsed_ms

# A made-up citizen; the file number passes the Luhn check of file_number.py.
SAMPLE_HOLDER = CardHolder(
    file_number="5831029474",
    given_name="Camille",
    family_name="Tremblay",
    birth_date=date(1987, 3, 14),
)
SAMPLE_UID = bytes.fromhex("04a2241b5c3f80")  # 7-byte UID, as ISO 14443 double-size UIDs
SAMPLE_PIN = "1234"
PIN_TRIES = 3


@dataclass
class _Slot:
    """One insertion of a card: interrupted when the card or the reader goes away."""

    holder: CardHolder
    interrupted: asyncio.Event = field(default_factory=asyncio.Event)
    interruption: type[CardError] = CardRemovedError


class SimulatedCardReader:
    """A :class:`~peripherals.card.protocol.CardReader` driven by code.

    Knobs: :meth:`insert`, :meth:`remove`, :meth:`fail_next_read`, :meth:`unplug`,
    :meth:`plug_in` and :meth:`block_pin`. With ``read_delay_s`` > 0 a read takes
    that long, and a removal (or unplug) during it makes it fail at once, as a
    real chip read does. The PIN (``pin``, ``pin_tries``) belongs to the card and
    survives removal, like a real card's counter. Call the knobs from the
    event-loop thread: listeners run synchronously inside them.
    """

    def __init__(
        self,
        read_delay_s: float = 0.0,
        *,
        pin: str = SAMPLE_PIN,
        pin_tries: int = PIN_TRIES,
        uid: bytes = SAMPLE_UID,
    ) -> None:
        self._read_delay_s = read_delay_s
        self._listeners: list[CardListener] = []
        self._slot: _Slot | None = None
        self._plugged = True
        self._closed = False
        self._failures: deque[CardError] = deque()
        self._pin = pin
        self._pin_tries = pin_tries
        self._tries_left = pin_tries
        self._uid = uid

    # -- the port ---------------------------------------------------------

    def add_listener(self, callback: CardListener) -> None:
        """Call ``callback`` with every future event."""
        self._listeners.append(callback)

    async def read_holder(self) -> CardHolder:
        """Read the inserted card, honouring the delay and the failure knobs."""
        return (await self._talk()).holder

    async def identify(self) -> CardIdentity:
        """The simulated card's identity: a citizen-v1 ATR and the ``uid`` knob."""
        await self._talk()
        return CardIdentity(atr=CITIZEN_V1_ATR, uid=self._uid, profile=CITIZEN_V1.name)

    async def verify_pin(self, pin: str) -> None:
        """Check ``pin`` like a card: a wrong one costs a try, the last one blocks."""
        encode_pin(pin)
        await self._talk()
        if self._tries_left == 0:
            raise CardBlockedError("no PIN tries left")
        if pin == self._pin:
            self._tries_left = self._pin_tries
            return
        self._tries_left -= 1
        if self._tries_left == 0:
            raise CardBlockedError("no PIN tries left")
        raise WrongPinError(self._tries_left)

    async def self_test(self) -> SelfTestResult:
        """Read the simulated card; a failure knob or no card makes the test fail."""
        started = time.perf_counter()
        try:
            identity = await self.identify()
            await self.read_holder()
        except CardError as err:
            return SelfTestResult(False, err.code, err.detail, elapsed_ms(started))
        summary = f"{identity.profile} card (simulated), PIN {self._tries_left} tries left"
        return SelfTestResult(True, "selftest.ok", summary, elapsed_ms(started))

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
        """Make the next card operation that finds a card raise ``error`` (calls queue up)."""
        self._failures.append(error)

    def block_pin(self) -> None:
        """Use up every PIN try: the next VERIFY says the card is blocked."""
        self._tries_left = 0

    @property
    def pin_tries_left(self) -> int:
        """The card's PIN counter, for tests."""
        return self._tries_left

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

    async def _talk(self) -> _Slot:
        """One exchange with the card: the delay, a removal during it, the failure knobs."""
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
        return slot

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
        notify_listeners(self._listeners, kind)
