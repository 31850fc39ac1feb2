"""The printer port the kiosk codes against."""

from __future__ import annotations

from typing import Protocol

from peripherals.health import DeviceHealth, SelfTestResult
from peripherals.printer.model import PrintJob

# A receipt is a few hundred milliseconds of printing; past this the citizen is told.
PRINT_TIMEOUT_S = 30.0
SELFTEST_OK_CODE = "selftest.ok"


class Printer(Protocol):
    """A printer that takes PDF documents (receipts, forms, copies of records).

    Errors: only :class:`~peripherals.printer.errors.PrinterError` subclasses escape.
    """

    async def print_pdf(self, pdf: bytes, *, title: str) -> PrintJob:
        """Print ``pdf`` and return once the printer has the job.

        "Has the job" means the printer finished it: adapters follow the job to
        completion. Raises ``PrintRejectedError`` (not a PDF), ``PrinterOfflineError``,
        ``PaperOutError``, ``PaperJamError``, ``CoverOpenError`` and
        ``PrintTimeoutError``; a job that fails is cancelled, so that a receipt
        never comes out later for nobody to take.
        """
        ...

    def health(self) -> DeviceHealth:
        """The printer's last known health, without blocking on the device."""
        ...

    async def self_test(self) -> SelfTestResult:
        """Print a test page for a technician; never raises a ``PrinterError``.

        ``passed`` tells whether the page came out; ``code`` is ``selftest.ok`` or
        the error code; ``artifact`` is the test page as PDF (what the printer
        produced where the adapter can read it back, else what was sent).
        """
        ...

    async def close(self) -> None:
        """Release the printer; later jobs raise ``PrinterOfflineError``."""
        ...
