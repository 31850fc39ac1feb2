"""What IPP printer and job states mean for a citizen waiting for a receipt.

Pure functions over the values CUPS reports (RFC 8011 ``printer-state``,
``printer-state-reasons``, ``job-state``), kept apart from the IO so that the
rules are read and tested in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from peripherals.health import DeviceHealth
from peripherals.printer.errors import (
    CoverOpenError,
    PaperJamError,
    PaperOutError,
    PrinterError,
    PrinterOfflineError,
)

PAPER_LOW_CODE = "printer.paper_low"
# Reasons arrive as "keyword", "keyword-report", "keyword-warning" or "keyword-error".
# The severity suffix is not trusted: CUPS' SNMP code reports a printer with no
# paper as "media-empty-warning" and an unplugged one as "offline-report".
_SUFFIXES = ("-error", "-warning", "-report")
_FAULTS: dict[str, type[PrinterError]] = {
    "media-empty": PaperOutError,
    "media-needed": PaperOutError,
    "media-jam": PaperJamError,
    "door-open": CoverOpenError,
    "cover-open": CoverOpenError,
    "interlock-open": CoverOpenError,
    "offline": PrinterOfflineError,
    "shutdown": PrinterOfflineError,
    "paused": PrinterOfflineError,  # the queue was disabled (cupsdisable)
    "timed-out": PrinterOfflineError,
}
# Normal for a moment while a network backend connects; a fault when it stays.
CONNECTING_REASON = "connecting-to-device"
_LOW_PAPER = frozenset({"media-low"})


class PrinterState(IntEnum):
    """``printer-state`` (RFC 8011 §5.4.11)."""

    IDLE = 3
    PROCESSING = 4
    STOPPED = 5


class JobState(IntEnum):
    """``job-state`` (RFC 8011 §5.3.7); 7 and above are final."""

    PENDING = 3
    PENDING_HELD = 4
    PROCESSING = 5
    PROCESSING_STOPPED = 6
    CANCELED = 7
    ABORTED = 8
    COMPLETED = 9

    @property
    def final(self) -> bool:
        """Whether the job will not change any more."""
        return self >= JobState.CANCELED


@dataclass(frozen=True)
class QueueStatus:
    """A queue as CUPS describes it at one moment."""

    state: PrinterState
    reasons: frozenset[str]
    message: str = ""
    accepting: bool = True

    @classmethod
    def of(
        cls, state: int, reasons: Iterable[str], message: str = "", accepting: bool = True
    ) -> QueueStatus:
        """Build from raw IPP values; unknown states count as stopped."""
        try:
            known = PrinterState(state)
        except ValueError:
            known = PrinterState.STOPPED
        return cls(known, keywords(reasons), message, accepting)


def keywords(reasons: Iterable[str]) -> frozenset[str]:
    """Reasons without their severity suffix, and without the "none" placeholder."""
    found = set()
    for reason in reasons:
        keyword = reason
        for suffix in _SUFFIXES:
            if reason.endswith(suffix):
                keyword = reason.removesuffix(suffix)
                break
        if keyword and keyword != "none":
            found.add(keyword)
    return frozenset(found)


def fault_of(reasons: Iterable[str]) -> tuple[str, type[PrinterError]] | None:
    """The reason that stops printing and the error it becomes, worst first.

    Paper and jam faults come before "offline" because they say what to do.
    """
    present = keywords(reasons)
    for keyword, error in _FAULTS.items():
        if keyword in present:
            return keyword, error
    return None


def error_for(status: QueueStatus, what: str) -> PrinterError:
    """The error to raise for a job that cannot print on a queue in ``status``."""
    fault = fault_of(status.reasons)
    if fault is not None:
        keyword, error = fault
        return error(f"{what}: the printer reports {keyword}")
    message = f" ({status.message})" if status.message else ""
    if status.state is PrinterState.STOPPED:
        return PrinterOfflineError(f"{what}: the queue is stopped{message}")
    return PrinterOfflineError(f"{what}{message}")


def health_of(status: QueueStatus) -> DeviceHealth:
    """The queue's health for the maintenance screen."""
    fault = fault_of(status.reasons)
    if fault is not None:
        keyword, error = fault
        return DeviceHealth.fault(error.code, keyword)
    if status.state is PrinterState.STOPPED:
        return DeviceHealth.fault(PrinterOfflineError.code, status.message or "queue stopped")
    if not status.accepting:
        return DeviceHealth.fault(PrinterOfflineError.code, "queue rejects jobs")
    if status.reasons & _LOW_PAPER:
        return DeviceHealth.degraded(PAPER_LOW_CODE, "paper low")
    if CONNECTING_REASON in status.reasons:
        # Usable (it may connect in a moment), but worth a technician's look if it stays.
        return DeviceHealth.degraded(PrinterOfflineError.code, CONNECTING_REASON)
    return DeviceHealth.ok(status.message)
