"""ESC/POS status bytes and what they mean (Epson's real-time ``DLE EOT`` and ``GS r``).

Real-time commands (``DLE EOT n``, ``DLE DC4``) are answered at once, even when
the printer is stuck; ``GS r`` is answered only once everything sent before it
was processed, which makes it the end-of-job marker ESC/POS otherwise lacks.
The two kinds of answer never look alike: bit 4 is 1 in every ``DLE EOT``
answer and 0 in a ``GS r`` answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from peripherals.health import DeviceHealth
from peripherals.printer.errors import (
    CoverOpenError,
    PaperJamError,
    PaperOutError,
    PrinterError,
    PrinterOfflineError,
)

PAPER_LOW_CODE = "printer.paper_low"

DLE_EOT = b"\x10\x04"
PRINTER_STATUS = 1  # DLE EOT 1: bit 3 offline
OFFLINE_CAUSE = 2  # DLE EOT 2: bit 2 cover open, bit 5 stopped on paper end, bit 6 error
ERROR_CAUSE = 3  # DLE EOT 3: bit 3 autocutter error, bit 5 unrecoverable error
PAPER_SENSOR = 4  # DLE EOT 4: bits 2-3 paper near end, bits 5-6 paper end
STATUS_QUERIES = (PRINTER_STATUS, OFFLINE_CAUSE, ERROR_CAUSE, PAPER_SENSOR)
# GS r 1: paper sensor status, sent after the job: its answer means "all printed".
PROCESSED_QUERY = b"\x1dr\x01"
# DLE DC4 fn=8 (clear buffers): a failed receipt must not print once paper is back.
CLEAR_BUFFERS = b"\x10\x14\x08\x01\x03\x14\x01\x06\x02\x08"

_RT_FIXED_MASK, _RT_FIXED_BITS = 0x93, 0x12  # bits 1 and 4 set, bits 0 and 7 clear
_GS_R_FIXED_MASK = 0x90  # bits 4 and 7 clear


def query(n: int) -> bytes:
    """The real-time status request ``DLE EOT n``."""
    return DLE_EOT + bytes([n])


def is_realtime_answer(byte: int) -> bool:
    """Whether ``byte`` has the fixed bits of a ``DLE EOT`` answer."""
    return byte & _RT_FIXED_MASK == _RT_FIXED_BITS


def is_processed_answer(byte: int) -> bool:
    """Whether ``byte`` can be the answer to ``GS r 1``."""
    return byte & _GS_R_FIXED_MASK == 0


@dataclass(frozen=True)
class EscposStatus:
    """The printer's condition decoded from the four ``DLE EOT`` answers."""

    offline: bool = False
    cover_open: bool = False
    paper_out: bool = False
    paper_low: bool = False
    cutter_error: bool = False
    unrecoverable: bool = False

    @classmethod
    def decode(cls, answers: dict[int, int]) -> EscposStatus:
        """Decode answers keyed by query number (1 to 4)."""
        printer = answers.get(PRINTER_STATUS, 0)
        offline = answers.get(OFFLINE_CAUSE, 0)
        error = answers.get(ERROR_CAUSE, 0)
        paper = answers.get(PAPER_SENSOR, 0)
        return cls(
            offline=bool(printer & 0x08),
            cover_open=bool(offline & 0x04),
            paper_out=bool(paper & 0x60) or bool(offline & 0x20),
            paper_low=bool(paper & 0x0C),
            cutter_error=bool(error & 0x08),
            unrecoverable=bool(error & 0x20),
        )

    def error(self) -> PrinterError | None:
        """The error a job meets on a printer in this state, or ``None`` if it can print."""
        if self.paper_out:
            return PaperOutError("the printer reports paper end")
        if self.cover_open:
            return CoverOpenError("the printer reports its cover open")
        if self.cutter_error:
            return PaperJamError("the printer reports an autocutter error")
        if self.unrecoverable:
            return PrinterOfflineError("the printer reports an unrecoverable error")
        if self.offline:
            return PrinterOfflineError("the printer reports itself offline")
        return None

    def health(self) -> DeviceHealth:
        """Health for the maintenance screen."""
        error = self.error()
        if error is not None:
            return DeviceHealth.from_error(error)
        if self.paper_low:
            return DeviceHealth.degraded(PAPER_LOW_CODE, "paper near end")
        return DeviceHealth.ok()


def processed_answer_paper(byte: int) -> tuple[bool, bool]:
    """(paper out, paper low) from a ``GS r 1`` answer."""
    return bool(byte & 0x0C), bool(byte & 0x03)
