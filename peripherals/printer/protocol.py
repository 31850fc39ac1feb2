"""The printer port the kiosk codes against."""

from __future__ import annotations

from typing import Protocol

from peripherals.health import DeviceHealth
from peripherals.printer.model import PrintJob

# A receipt is a few hundred milliseconds of printing; past this the citizen is told.
PRINT_TIMEOUT_S = 30.0


class Printer(Protocol):
    """A printer that takes PDF documents (receipts, forms, copies of records).

    Errors: only :class:`~peripherals.printer.errors.PrinterError` subclasses escape.
    """

    async def print_pdf(self, pdf: bytes, *, title: str) -> PrintJob:
        """Print ``pdf`` and return once the printer has the job.

        Raises ``PrintRejectedError`` (not a PDF), ``PrinterOfflineError``,
        ``PaperOutError`` and ``PrintTimeoutError``.
        """
        ...

    def health(self) -> DeviceHealth:
        """The printer's last known health, without blocking on the device."""
        ...

    async def close(self) -> None:
        """Release the printer; later jobs raise ``PrinterOfflineError``."""
        ...
