"""Errors of the card reader port; ``code`` is the translation key the UI shows."""

from __future__ import annotations

from peripherals.errors import DeviceError


class CardError(DeviceError):
    """Any card reader failure."""

    code = "card.error"


class NoCardError(CardError):
    """A read was asked for while no card is in the reader."""

    code = "card.absent"


class CardRemovedError(CardError):
    """The card was pulled out while it was being read."""

    code = "card.removed"


class CardUnreadableError(CardError):
    """A card is inserted but cannot be read (wrong way round, dirty chip, foreign card)."""

    code = "card.unreadable"


class CardReaderUnavailableError(CardError):
    """The reader itself is gone (unplugged, pcscd down) or was closed."""

    code = "card.reader_unavailable"
