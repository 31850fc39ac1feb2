"""The smart-card reader port: protocol, simulator, errors and file numbers.

The real adapter, :class:`peripherals.card.pcsc.PcscCardReader`, is imported from
its module only: it loads pyscard, which a kiosk running the simulator does not need.
"""

from peripherals.card.errors import (
    CardBlockedError,
    CardError,
    CardProtocolError,
    CardReaderUnavailableError,
    CardRemovedError,
    CardTimeoutError,
    CardUnreadableError,
    NoCardError,
    PinFormatError,
    UnexpectedStatusError,
    UnsupportedCardError,
    WrongPinError,
)
from peripherals.card.file_number import (
    InvalidFileNumberError,
    format_file_number,
    is_valid_file_number,
    normalize_file_number,
)
from peripherals.card.model import CardEvent, CardEventKind, CardHolder, CardIdentity
from peripherals.card.protocol import CardListener, CardReader
from peripherals.card.simulator import SAMPLE_HOLDER, SimulatedCardReader

__all__ = [
    "SAMPLE_HOLDER",
    "CardBlockedError",
    "CardError",
    "CardEvent",
    "CardEventKind",
    "CardHolder",
    "CardIdentity",
    "CardListener",
    "CardProtocolError",
    "CardReader",
    "CardReaderUnavailableError",
    "CardRemovedError",
    "CardTimeoutError",
    "CardUnreadableError",
    "InvalidFileNumberError",
    "NoCardError",
    "PinFormatError",
    "SimulatedCardReader",
    "UnexpectedStatusError",
    "UnsupportedCardError",
    "WrongPinError",
    "format_file_number",
    "is_valid_file_number",
    "normalize_file_number",
]
