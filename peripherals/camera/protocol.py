"""The document camera port the kiosk codes against."""

from __future__ import annotations

from typing import Protocol

from peripherals.camera.model import Preview, ScannedPage
from peripherals.health import DeviceHealth, SelfTestResult


class DocumentCamera(Protocol):
    """An overhead camera that finds, flattens and captures document pages.

    Lifecycle: :meth:`start` when a journey needs the camera, :meth:`stop` when
    it is done (the camera does not watch the desk between citizens),
    :meth:`close` at shutdown. While started, every frame is analysed for the
    preview and the auto-capture; heavy work runs off the event loop, so every
    method here returns promptly to the UI.

    Errors: only :class:`~peripherals.camera.errors.CameraError` subclasses escape.
    """

    async def start(self, *, idle_rate_hz: float | None = None) -> None:
        """Open the camera and begin analysing frames; raises ``CameraUnavailableError``.

        With ``idle_rate_hz``, frames are analysed at that rate while nobody
        waits for a preview or a page, and at the camera's own rate while
        someone does: a camera kept ready during a video call then leaves the
        processor to the call. Starting a running camera without it lifts the
        idle rate.
        """
        ...

    async def stop(self) -> None:
        """Stop analysing and release the device (a no-op when stopped)."""
        ...

    async def next_preview(self) -> Preview:
        """The next analysed frame, with the page's outline and the guidance.

        Raises ``CameraLostError`` while the camera is lost and
        ``CameraUnavailableError`` when not started.
        """
        ...

    async def next_page(self) -> ScannedPage:
        """Wait for the next auto-captured page: in view, steady, sharp and new.

        Never returns a page already captured since :meth:`new_document`. Wrap it
        in ``asyncio.timeout`` to give up; raises like :meth:`next_preview`.
        """
        ...

    async def capture(self, *, again: bool = False) -> ScannedPage:
        """Capture the page in view now (the citizen's button, the agent's request).

        Raises ``NoPageError``, ``PageBlurryError``, ``PageGlareError``,
        ``DuplicatePageError`` (unless ``again``: a person asked for this page,
        maybe once more, so it is taken whatever was captured before) and the
        camera errors.
        """
        ...

    async def new_document(self) -> None:
        """Forget the pages captured so far: they may be captured again (next citizen)."""
        ...

    def health(self) -> DeviceHealth:
        """The camera's last known health, without touching the device."""
        ...

    async def self_test(self) -> SelfTestResult:
        """Grab one frame and check it is a picture; the artifact is that frame as JPEG."""
        ...

    async def close(self) -> None:
        """Stop and release for good; later calls raise ``CameraUnavailableError``."""
        ...
