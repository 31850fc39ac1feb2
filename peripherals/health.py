"""How a device is doing, in a form the maintenance screen and the fleet view share."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from peripherals.errors import DeviceError

OK_CODE = "device.ok"
ABSENT_CODE = "device.absent"


class HealthState(StrEnum):
    """Coarse health, ordered from best to worst for the citizen journey."""

    OK = "ok"
    DEGRADED = "degraded"  # works, but a technician should look (paper low, slow reads)
    FAULT = "fault"  # plugged in but cannot serve (paper out, reader lost)
    ABSENT = "absent"  # not configured or closed: journeys needing it are hidden


@dataclass(frozen=True)
class DeviceHealth:
    """A health report: the state, a translation key saying why, and a detail for logs.

    ``code`` is shown to technicians through the same translation table as the
    errors; ``detail`` is free text for logs and is never shown to citizens.
    """

    state: HealthState
    code: str
    detail: str = ""

    @property
    def usable(self) -> bool:
        """Whether a citizen journey may rely on the device right now."""
        return self.state in (HealthState.OK, HealthState.DEGRADED)

    @classmethod
    def ok(cls, detail: str = "") -> DeviceHealth:
        """The device works normally."""
        return cls(HealthState.OK, OK_CODE, detail)

    @classmethod
    def degraded(cls, code: str, detail: str = "") -> DeviceHealth:
        """The device works but needs attention soon."""
        return cls(HealthState.DEGRADED, code, detail)

    @classmethod
    def fault(cls, code: str, detail: str = "") -> DeviceHealth:
        """The device is present but cannot serve."""
        return cls(HealthState.FAULT, code, detail)

    @classmethod
    def absent(cls, code: str = ABSENT_CODE, detail: str = "") -> DeviceHealth:
        """The device is not there (not configured, unplugged for good, or closed)."""
        return cls(HealthState.ABSENT, code, detail)

    @classmethod
    def from_error(cls, error: DeviceError) -> DeviceHealth:
        """A fault report carrying the code of the error that revealed it."""
        return cls.fault(error.code, error.detail)


@dataclass(frozen=True)
class SelfTestResult:
    """What a technician's self-test found: passed or not, why, and what it produced.

    ``code`` is a translation key (``selftest.ok``, ``printer.paper_out``...);
    ``artifact`` carries what the test made, for the technician to look at (a
    captured frame as JPEG, the printed test page as PDF), never personal data.
    """

    passed: bool
    code: str
    detail: str = ""
    duration_ms: float = 0.0
    artifact: bytes | None = None


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` reading), for self-tests."""
    return (time.perf_counter() - started) * 1000
