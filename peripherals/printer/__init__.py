"""The printer port: protocol, simulator and errors.

The real adapters live in :mod:`peripherals.printer.cups` (pycups) and
:mod:`peripherals.printer.escpos` (python-escpos); import them where they are
chosen, so that neither library is needed by a kiosk that does not use it.
"""

from peripherals.printer.errors import (
    CoverOpenError,
    PaperJamError,
    PaperOutError,
    PrinterError,
    PrinterOfflineError,
    PrintRejectedError,
    PrintTimeoutError,
)
from peripherals.printer.model import PrintJob
from peripherals.printer.protocol import PRINT_TIMEOUT_S, SELFTEST_OK_CODE, Printer
from peripherals.printer.simulator import PAPER_LOW_SHEETS, SimulatedPrinter

__all__ = [
    "PAPER_LOW_SHEETS",
    "PRINT_TIMEOUT_S",
    "SELFTEST_OK_CODE",
    "CoverOpenError",
    "PaperJamError",
    "PaperOutError",
    "PrintJob",
    "PrintRejectedError",
    "PrintTimeoutError",
    "Printer",
    "PrinterError",
    "PrinterOfflineError",
    "SimulatedPrinter",
]
