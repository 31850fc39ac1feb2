"""The root of every device error.

Library exceptions (pyscard, CUPS, OpenCV) never leave an adapter: the adapter
turns them into a :class:`DeviceError` subclass. The UI only ever looks at
``code``, a stable translation key, so wording can change without touching
device code and a technician's log and a citizen's screen name the same fault.
"""

from __future__ import annotations


class DeviceError(Exception):
    """A device failed in a way the kiosk knows how to talk about.

    ``code`` is a translation key such as ``"card.removed"``. Subclasses set it
    at class level; an instance may override it (for example to pass on a code
    learnt from a device status) without needing a new subclass.
    """

    code: str = "device.error"

    def __init__(self, detail: str = "", *, code: str | None = None) -> None:
        if code is not None:
            self.code = code
        self.detail = detail
        super().__init__(f"{self.code}: {detail}" if detail else self.code)
