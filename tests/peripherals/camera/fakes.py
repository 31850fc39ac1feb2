"""A frame source driven by the test, with the failure knobs of a USB camera."""

from __future__ import annotations

import asyncio
import threading

from peripherals.camera import CameraLostError, CameraUnavailableError, Guidance, Preview
from peripherals.camera.model import Image
from peripherals.camera.protocol import DocumentCamera
from peripherals.camera.sources import FramePacer

WAIT_S = 10.0  # generous: the machine running the tests may be busy


class FakeSource:
    """Shows whatever frame the test puts in front of it, at ``fps``.

    Knobs: :meth:`show`, :meth:`unplug`, :meth:`plug_in`. It records which
    threads read from it, to check that no frame work happens on the event loop.
    """

    name = "fake camera"

    def __init__(self, frame: Image, *, fps: float = 60.0) -> None:
        self._frame = frame
        self._plugged = True
        self._open = False
        self._pacer = FramePacer(fps)
        self.reader_threads: set[str] = set()
        self.opened = 0
        self.reads = 0

    def show(self, frame: Image) -> None:
        self._frame = frame

    def unplug(self) -> None:
        self._plugged = False

    def plug_in(self) -> None:
        self._plugged = True

    def open(self) -> None:
        if not self._plugged:
            raise CameraUnavailableError("fake camera unplugged")
        self._open = True
        self.opened += 1

    def read(self) -> Image:
        self._pacer.wait()
        self.reads += 1
        self.reader_threads.add(threading.current_thread().name)
        if not self._plugged:
            raise CameraLostError("fake camera unplugged")
        if not self._open:
            raise CameraLostError("fake camera not open")
        return self._frame

    def close(self) -> None:
        self._open = False


async def preview_with(camera: DocumentCamera, *guidance: Guidance, frames: int = 200) -> Preview:
    """The first preview showing one of ``guidance`` (fails after ``frames`` previews)."""
    async with asyncio.timeout(WAIT_S):
        for _ in range(frames):
            preview = await camera.next_preview()
            if preview.guidance in guidance:
                return preview
    raise AssertionError(f"no preview with {guidance} in {frames} frames")


async def preview_until_it_fails(camera: DocumentCamera) -> None:
    """Take previews until the camera raises (fails the test after ``WAIT_S``)."""
    async with asyncio.timeout(WAIT_S):
        while True:
            await camera.next_preview()


async def preview_once_back(camera: DocumentCamera) -> Preview:
    """The first preview after a lost camera comes back."""
    async with asyncio.timeout(WAIT_S):
        while True:
            try:
                return await camera.next_preview()
            except CameraLostError:
                await asyncio.sleep(0.02)
