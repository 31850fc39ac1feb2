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

# While held for a call, the camera analyses two frames a second: enough to
# know the desk, and a 4K analysis at the camera's 15 fps would take the
# processor the call's encoder needs. A capture request is served at once
# (the camera hurries for anyone waiting), from a frame taken after the ask.
CALL_IDLE_RATE_HZ = 2.0


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

    async def ready(self) -> None:
        """Get ready for requests (a call began); failures wait for :meth:`take_still`."""
        ...

    async def take_still(self) -> Still:
        """Take one still now; raises :class:`StillError`."""
        ...

    async def release(self) -> None:
        """Stop being ready (the call ended)."""
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

    The camera watches the desk only while something needs it. A call needs it
    from :meth:`ready` to :meth:`release`, so the agent's request is answered
    from the frame already analysed instead of waiting for the camera to open
    (a USB camera takes about a second). A camera the journey already runs is
    left to the journey. Outside a call, a capture starts the camera, awaits
    one analysed frame so it sees the desk as it is now, and stops it again.
    The page is flattened at the resolution it has in the full-resolution frame
    (the pipeline's ``scan``), which is what the agent needs to read small print.
    """

    def __init__(self, camera: DocumentCamera) -> None:
        self._camera = camera
        self._held = False  # started by ready(), so stopped by release()

    async def ready(self) -> None:
        """Start watching the desk for the call (a failure is reported at the capture)."""
        if self._held:
            return
        with contextlib.suppress(CameraError):
            self._held = await self._ensure_running(idle_rate_hz=CALL_IDLE_RATE_HZ)

    async def release(self) -> None:
        """Stop the camera if :meth:`ready` started it."""
        if self._held:
            self._held = False
            with contextlib.suppress(CameraError):
                await self._camera.stop()

    async def take_still(self) -> Still:
        """Capture the page in view; camera errors become :class:`StillError`."""
        started_here = False
        try:
            started_here = await self._ensure_running()
            # The agent asked: the page is taken even if it was captured before.
            page = await self._camera.capture(again=True)
        except CameraError as err:
            raise StillError(_code_for(err), str(err)) from None
        finally:
            if started_here:
                with contextlib.suppress(CameraError):
                    await self._camera.stop()
        return Still(page.jpeg, page.width, page.height)

    async def _ensure_running(self, idle_rate_hz: float | None = None) -> bool:
        """Wait for a fresh analysed frame, starting the camera if idle; whether it was."""
        try:
            await self._camera.next_preview()
        except CameraUnavailableError:
            await self._camera.start(idle_rate_hz=idle_rate_hz)
            await self._camera.next_preview()
            return True
        return False


def _code_for(error: CameraError) -> str:
    for kind, code in _CODES:
        if isinstance(error, kind):
            return code
    return "capture.failed"
