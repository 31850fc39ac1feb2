"""Full-resolution stills for the agent, taken through the document camera port."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Protocol

from peripherals.camera.errors import (
    CameraError,
    CameraLostError,
    CameraUnavailableError,
    DuplicatePageError,
    NoPageError,
    PageBlurryError,
    PageGlareError,
)
from peripherals.camera.protocol import DocumentCamera


@dataclass(frozen=True)
class Still:
    """An encoded still and its size in pixels."""

    jpeg: bytes
    width: int
    height: int


class StillError(Exception):
    """No still could be taken; ``code`` is the ``file_error`` code for the agent."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class StillSource(Protocol):
    """Anything that can take a still on request."""

    async def take_still(self) -> Still:
        """Take one still now; raises :class:`StillError`."""
        ...


# Camera errors -> the codes the console translates (docs/VIDEO.md: capture.*).
_CODES: tuple[tuple[type[CameraError], str], ...] = (
    (CameraUnavailableError, "capture.no_camera"),
    (CameraLostError, "capture.no_camera"),
    (NoPageError, "capture.no_page"),
    (PageBlurryError, "capture.blurry"),
    (PageGlareError, "capture.glare"),
    (DuplicatePageError, "capture.duplicate"),
)


class DocumentCameraStills:
    """A :class:`StillSource` over a :class:`DocumentCamera`.

    The camera may be idle during a call (it watches the desk only while a
    journey needs it): then it is started for the capture, one analysed frame
    is awaited so the capture sees the desk as it is now, and it is stopped
    again afterwards. The page is flattened at the resolution it has in the
    full-resolution frame (the pipeline's ``scan``), which is what the agent
    needs to read small print.
    """

    def __init__(self, camera: DocumentCamera) -> None:
        self._camera = camera

    async def take_still(self) -> Still:
        """Capture the page in view; camera errors become :class:`StillError`."""
        started_here = False
        try:
            try:
                await self._camera.next_preview()
            except CameraUnavailableError:
                await self._camera.start()
                started_here = True
                await self._camera.next_preview()
            page = await self._camera.capture()
        except CameraError as err:
            raise StillError(_code_for(err), str(err)) from None
        finally:
            if started_here:
                with contextlib.suppress(CameraError):
                    await self._camera.stop()
        return Still(page.jpeg, page.width, page.height)


def _code_for(error: CameraError) -> str:
    for kind, code in _CODES:
        if isinstance(error, kind):
            return code
    return "capture.failed"
