"""Errors of the card reader port; ``code`` is the translation key the UI shows.

Every failure a card or a reader can produce ends up as one of these, so the UI
needs a single ``except CardError``. Subclasses that share a citizen message
(a malformed answer and a dirty chip both mean "type your number instead") keep
their parent's ``code`` and differ only in type and detail, for logs and tests.
"""

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


class CardTimeoutError(CardUnreadableError):
    """The card or the reader stopped answering; the operation was abandoned."""

    code = "card.timeout"


class UnsupportedCardError(CardUnreadableError):
    """A working card of a kind the kiosk does not know (a bank card, a foreign ID)."""

    code = "card.unsupported"


class CardProtocolError(CardUnreadableError):
    """The card answered something the protocol does not allow.

    Wrong lengths, a truncated answer, an endless 61xx chain, a holder file that
    does not parse: the citizen is told the card cannot be read, the log says why.
    """


class UnexpectedStatusError(CardProtocolError):
    """The card answered a status word the conversation did not expect."""

    def __init__(self, sw: int, detail: str = "") -> None:
        self.sw = sw
        super().__init__(f"status word {sw:04X}" + (f" ({detail})" if detail else ""))


class WrongPinError(CardError):
    """The PIN was refused; ``tries_left`` more attempts remain before the card blocks."""

    code = "card.wrong_pin"

    def __init__(self, tries_left: int, detail: str = "") -> None:
        self.tries_left = tries_left
        super().__init__(detail or f"{tries_left} tries left")


class CardBlockedError(CardError):
    """The PIN is blocked (no tries left): only the issuing office can unblock it."""

    code = "card.blocked"


class PinFormatError(CardError):
    """The PIN typed is not 4 to 8 digits; nothing was sent to the card."""

    code = "card.pin_format"
