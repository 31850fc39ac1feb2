"""Errors of the printer port; ``code`` is the translation key the UI shows."""

from __future__ import annotations

from peripherals.errors import DeviceError


class PrinterError(DeviceError):
    """Any printer failure."""

    code = "printer.error"


class PaperOutError(PrinterError):
    """Not enough paper left for the job."""

    code = "printer.paper_out"


class PrinterOfflineError(PrinterError):
    """The printer (or its queue) does not answer, or the port was closed."""

    code = "printer.offline"


class PrintTimeoutError(PrinterError):
    """The job did not complete in time; the citizen should not wait longer."""

    code = "printer.timeout"


class PrintRejectedError(PrinterError):
    """The job itself is refused, for example because the bytes are not a PDF."""

    code = "printer.rejected"


class PaperJamError(PrinterError):
    """Paper is stuck in the mechanism or the cutter; a technician must clear it."""

    code = "printer.jam"


class CoverOpenError(PrinterError):
    """The printer's cover (or paper door) is open, so it stopped."""

    code = "printer.cover_open"
