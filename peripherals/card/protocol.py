"""The card reader port the kiosk codes against."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from peripherals.card.model import CardEvent, CardEventKind, CardHolder, CardIdentity
from peripherals.health import DeviceHealth, SelfTestResult

CardListener = Callable[[CardEvent], None]
_log = logging.getLogger(__name__)


def notify_listeners(listeners: list[CardListener], kind: CardEventKind) -> None:
    """Tell every listener about ``kind``; one broken listener never silences the others."""
    event = CardEvent(kind)
    for listener in list(listeners):
        try:
            listener(event)
        except Exception:
            _log.exception("card listener failed on %s", kind)


class CardReader(Protocol):
    """A smart-card reader that reports insertions and reads the holder's identity.

    Threading contract: listeners are always invoked on the asyncio event-loop
    thread (the Qt thread, since both share one loop). A real adapter whose
    library reports events from its own thread (the PC/SC monitor thread) must
    marshal them with ``loop.call_soon_threadsafe`` before calling listeners, so
    that view models never run on a foreign thread. Card I/O never blocks the
    loop, and every operation ends within the adapter's timeout.

    Errors: only :class:`~peripherals.card.errors.CardError` subclasses escape.
    """

    def add_listener(self, callback: CardListener) -> None:
        """Call ``callback`` with every future :class:`CardEvent`."""
        ...

    async def read_holder(self) -> CardHolder:
        """Read the identity on the inserted card.

        Raises ``NoCardError`` without a card, ``CardRemovedError`` if the card is
        pulled mid-read, ``CardUnreadableError`` and ``CardReaderUnavailableError``.
        """
        ...

    async def identify(self) -> CardIdentity:
        """The inserted card's ATR, UID and profile (no holder data).

        Raises like :meth:`read_holder`, and ``UnsupportedCardError`` for a card
        of a kind the kiosk does not know.
        """
        ...

    async def verify_pin(self, pin: str) -> None:
        """Check the holder's PIN with the card.

        Raises ``PinFormatError`` (not 4 to 8 digits; the card is not asked),
        ``WrongPinError`` carrying ``tries_left``, ``CardBlockedError`` once no
        try is left, and the errors of :meth:`read_holder`.
        """
        ...

    async def self_test(self) -> SelfTestResult:
        """The maintenance self-test: read the inserted (test) card end to end.

        Never raises for device faults: a failure is a result with the error's code.
        """
        ...

    def health(self) -> DeviceHealth:
        """The reader's current health, without touching the hardware."""
        ...

    @property
    def card_present(self) -> bool:
        """Whether a card is in the slot of a reachable reader."""
        ...

    async def close(self) -> None:
        """Release the reader; later reads raise ``CardReaderUnavailableError``."""
        ...
