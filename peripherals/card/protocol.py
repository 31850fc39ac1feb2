"""The card reader port the kiosk codes against."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from peripherals.card.model import CardEvent, CardHolder
from peripherals.health import DeviceHealth

CardListener = Callable[[CardEvent], None]


class CardReader(Protocol):
    """A smart-card reader that reports insertions and reads the holder's identity.

    Threading contract: listeners are always invoked on the asyncio event-loop
    thread (the Qt thread, since both share one loop). A real adapter whose
    library reports events from its own thread (pyscard's ``CardMonitor``) must
    marshal them with ``loop.call_soon_threadsafe`` before calling listeners, so
    that view models never run on a foreign thread.

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
