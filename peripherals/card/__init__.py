"""The smart-card reader port: protocol, simulator, errors and file numbers."""

from peripherals.card.errors import (
    CardError,
    CardReaderUnavailableError,
    CardRemovedError,
    CardUnreadableError,
    NoCardError,
)
from peripherals.card.file_number import (
    InvalidFileNumberError,
    format_file_number,
    is_valid_file_number,
    normalize_file_number,
)
from peripherals.card.model import CardEvent, CardEventKind, CardHolder
from peripherals.card.protocol import CardListener, CardReader
from peripherals.card.simulator import SAMPLE_HOLDER, SimulatedCardReader

__all__ = [
    "SAMPLE_HOLDER",
    "CardError",
    "CardEvent",
    "CardEventKind",
    "CardHolder",
    "CardListener",
    "CardReader",
    "CardReaderUnavailableError",
    "CardRemovedError",
    "CardUnreadableError",
    "InvalidFileNumberError",
    "NoCardError",
    "SimulatedCardReader",
    "format_file_number",
    "is_valid_file_number",
    "normalize_file_number",
]
