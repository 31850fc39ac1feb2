"""The printer port: protocol, simulator and errors."""

from peripherals.printer.errors import (
    PaperOutError,
    PrinterError,
    PrinterOfflineError,
    PrintRejectedError,
    PrintTimeoutError,
)
from peripherals.printer.model import PrintJob
from peripherals.printer.protocol import PRINT_TIMEOUT_S, Printer
from peripherals.printer.simulator import PAPER_LOW_SHEETS, SimulatedPrinter

__all__ = [
    "PAPER_LOW_SHEETS",
    "PRINT_TIMEOUT_S",
    "PaperOutError",
    "PrintJob",
    "PrintRejectedError",
    "PrintTimeoutError",
    "Printer",
    "PrinterError",
    "PrinterOfflineError",
    "SimulatedPrinter",
]
