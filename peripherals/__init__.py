"""Kiosk devices (card reader, document camera, printer) as ports.

Each device has three faces: a ``typing.Protocol`` the kiosk codes against, the
real adapter (pyscard, OpenCV, CUPS) and a simulator with failure knobs for the
demo and the tests. Every device reports a :class:`~peripherals.health.DeviceHealth`
and raises only its own :class:`~peripherals.errors.DeviceError` subclasses, whose
stable ``code`` the UI maps to a bilingual message in one place.
"""

from peripherals.errors import DeviceError
from peripherals.health import DeviceHealth, HealthState

__all__ = ["DeviceError", "DeviceHealth", "HealthState"]
