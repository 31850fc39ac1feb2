"""The kiosk's document camera, built on first use.

Forms scan pages with it and the video counter shows pages to agents through
it. OpenCV and NumPy, which it needs, cost a kiosk about 30 MB: a kiosk whose
citizens neither scan nor call does not load them.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from kiosk.config import DevicesSection
from peripherals.camera.errors import CameraError

if TYPE_CHECKING:
    from peripherals.camera.protocol import DocumentCamera


def build_document_camera(devices: DevicesSection) -> DocumentCamera:
    """The document camera the configuration names (the simulator shows a sample page)."""
    from peripherals.camera.adapter import OpenCvDocumentCamera
    from peripherals.camera.simulator import SimulatedDocumentCamera
    from peripherals.camera.sources import V4l2Source

    size = devices.document_camera_size
    if devices.document_camera == "v4l2":
        if size is None:
            return OpenCvDocumentCamera(V4l2Source(devices.document_camera_index))
        width, height = size
        source = V4l2Source(devices.document_camera_index, width=width, height=height)
        return OpenCvDocumentCamera(source)
    camera = SimulatedDocumentCamera() if size is None else SimulatedDocumentCamera(frame_size=size)
    camera.lay_document(page=1)
    return camera


class DocumentCameraSlot:
    """Holds the kiosk's one document camera, building it the first time it is asked for."""

    def __init__(self, devices: DevicesSection) -> None:
        self._devices = devices
        self._camera: DocumentCamera | None = None

    def get(self) -> DocumentCamera:
        """The camera (built now if it was not yet)."""
        if self._camera is None:
            self._camera = build_document_camera(self._devices)
        return self._camera

    @property
    def built(self) -> DocumentCamera | None:
        """The camera if something used it, else None."""
        return self._camera

    async def close(self) -> None:
        """Release the camera for good, if it was ever built."""
        if self._camera is not None:
            with contextlib.suppress(CameraError):
                await self._camera.close()
