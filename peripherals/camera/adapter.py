"""The real document camera: a frame source, the pipeline and the auto-capture.

All frame work (reading the device, detection, flattening, JPEG) runs on one
dedicated worker thread; the event loop only awaits it and hands results to
waiters. One thread, not the default pool: the source and the auto-capture are
then used from a single thread, with no locks, and a slow capture can never
run beside a preview read of the same device.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

import cv2

from peripherals.camera.autocapture import AutoCapture, CapturePolicy, Clock, Observation
from peripherals.camera.detect import ANALYSIS_WIDTH_PX
from peripherals.camera.document import JPEG_QUALITY
from peripherals.camera.errors import (
    CameraBlankError,
    CameraError,
    CameraLostError,
    CameraUnavailableError,
    DuplicatePageError,
    NoPageError,
    PageBlurryError,
    PageGlareError,
    PageRefusedError,
)
from peripherals.camera.model import Guidance, Image, Preview, ScannedPage
from peripherals.camera.overlay import self_test_picture
from peripherals.camera.pipeline import FrameReport, inspect, scan
from peripherals.camera.quality import Calibration
from peripherals.camera.sources import FrameSource
from peripherals.health import DeviceHealth, SelfTestResult

_log = logging.getLogger(__name__)
_P = ParamSpec("_P")
_T = TypeVar("_T")

RECONNECT_INTERVAL_S = 1.0  # a re-plugged USB camera is back within a second or two
STOP_TIMEOUT_S = 2.0  # a hung driver must not hang the kiosk's shutdown
_REFUSAL_GUIDANCE: dict[type[PageRefusedError], Guidance] = {
    PageBlurryError: Guidance.TOO_BLURRY,
    PageGlareError: Guidance.GLARE,
    NoPageError: Guidance.NO_PAGE,
}


class OpenCvDocumentCamera:
    """A :class:`~peripherals.camera.protocol.DocumentCamera` over any :class:`FrameSource`.

    When the source loses its frames, waiters get ``CameraLostError``, health
    turns FAULT, and the camera tries to reopen the source every
    ``reconnect_interval_s`` (``None``: never) until it comes back.
    """

    def __init__(
        self,
        source: FrameSource,
        calibration: Calibration | None = None,
        *,
        policy: CapturePolicy | None = None,
        analysis_width: int = ANALYSIS_WIDTH_PX,
        jpeg_quality: int = JPEG_QUALITY,
        reconnect_interval_s: float | None = RECONNECT_INTERVAL_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self._source = source
        self._calibration = calibration or Calibration()
        self._analysis_width = analysis_width
        self._jpeg_quality = jpeg_quality
        self._reconnect_interval_s = reconnect_interval_s
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="document-camera")
        # Owned by the worker thread:
        self._auto = AutoCapture(self._calibration, policy, clock)
        self._latest: tuple[Image, FrameReport] | None = None
        self._frames = 0
        # Owned by the event loop:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: asyncio.Task[None] | None = None
        self._tick: asyncio.Future[None] | None = None  # resolved at every change, then replaced
        self._idle_period_s: float | None = None
        self._waiters = 0  # coroutines in _wait_until: while any, no idle pause
        self._hurry = asyncio.Event()  # a waiter arrived: end the idle pause now
        self._preview: Preview | None = None
        self._pages: deque[ScannedPage] = deque()
        self._fault: CameraError | None = None
        self._closed = False

    # -- the port ---------------------------------------------------------

    async def start(self, *, idle_rate_hz: float | None = None) -> None:
        """Open the source and start analysing frames (see the protocol for the idle rate)."""
        self._check_open()
        if idle_rate_hz is not None and idle_rate_hz <= 0:
            raise ValueError("idle_rate_hz must be positive")
        if self._runner is not None and not self._runner.done():
            if idle_rate_hz is None:
                self._idle_period_s = None
                self._hurry.set()
            return
        self._idle_period_s = None if idle_rate_hz is None else 1.0 / idle_rate_hz
        try:
            await self._in_worker(self._open_source)
        except CameraUnavailableError as err:
            self._fault = err
            raise
        self._fault = None
        self._preview = None
        # Pages captured before a stop and not yet collected stay: they were
        # remembered as captured, so they could not be captured again.
        self._loop = asyncio.get_running_loop()
        self._runner = self._loop.create_task(self._run(), name="document-camera")

    async def stop(self) -> None:
        """Stop analysing and release the source; pending waiters get ``CameraUnavailableError``."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        self._signal()
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                await self._in_worker(self._source.close)
        except TimeoutError:
            _log.warning("the camera source did not close within %s s", STOP_TIMEOUT_S)

    async def next_preview(self) -> Preview:
        """The next analysed frame (see the protocol)."""
        self._check_running()
        last = self._preview
        await self._wait_until(lambda: self._preview is not last)
        if self._preview is None:  # not reached: _wait_until raises on interruptions
            raise CameraUnavailableError("no frame")
        return self._preview

    async def next_page(self) -> ScannedPage:
        """The next auto-captured page (see the protocol).

        Pages captured before the camera was lost are still handed out first.
        """
        if not self._pages:
            self._check_running()
            await self._wait_until(lambda: bool(self._pages))
        return self._pages.popleft()

    async def capture(self, *, again: bool = False) -> ScannedPage:
        """Capture the page of the latest analysed frame now (see the protocol)."""
        self._check_running()
        return await self._in_worker(self._capture_latest, again=again)

    async def new_document(self) -> None:
        """Forget captured pages, and drop auto-captured ones nobody collected.

        Call it when a session ends: nothing of one citizen's papers is left for
        the next one, not even their hashes.
        """
        await self._in_worker(self._auto.reset)
        # After the reset: a page the worker captured just before it was handed
        # to the loop before the reset finished (call_soon_threadsafe keeps order).
        self._pages.clear()

    def health(self) -> DeviceHealth:
        """ABSENT once closed; FAULT while lost or unopenable; OK otherwise."""
        if self._closed:
            return DeviceHealth.absent(CameraUnavailableError.code, "closed")
        if self._fault is not None:
            return DeviceHealth.from_error(self._fault)
        return DeviceHealth.ok(self._source.name)

    async def self_test(self) -> SelfTestResult:
        """Grab a frame (the live one if running), check it, return it as a JPEG.

        Run it with the desk clear: the frame is kept as the test's artifact.
        """
        started = time.perf_counter()
        running = self._runner is not None and not self._runner.done()
        try:
            self._check_open()
            if running:
                self._check_running()
            frame = await self._in_worker(self._grab_latest if running else self._grab_once)
            artifact, found_page = await self._in_worker(
                self_test_picture, frame, self._calibration, self._analysis_width
            )
        except CameraError as err:
            if not isinstance(err, CameraBlankError):
                self._fault = err
            return SelfTestResult(
                passed=False, code=err.code, detail=err.detail, duration_ms=_ms_since(started)
            )
        if not running:
            self._fault = None
        detail = f"{frame.shape[1]}x{frame.shape[0]} from {self._source.name}"
        detail += ", page found" if found_page else ", desk clear"
        return SelfTestResult(
            passed=True,
            code="selftest.ok",
            detail=detail,
            duration_ms=_ms_since(started),
            artifact=artifact,
        )

    async def close(self) -> None:
        """Stop for good and release the worker thread."""
        if self._closed:
            return
        await self.stop()
        self._closed = True
        self._worker.shutdown(wait=False, cancel_futures=True)

    # -- the event-loop side ----------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                preview = await self._in_worker(self._step)
            except CameraError as err:
                _log.warning("document camera lost: %s", err)
                self._fault = err if isinstance(err, CameraLostError) else CameraLostError(str(err))
            except Exception as err:  # a bug must not leave waiters hanging on a dead loop
                _log.exception("document camera worker failed")
                self._fault = CameraLostError(f"worker failed: {err!r}")
            else:
                self._fault = None
                self._preview = preview
                self._signal()
                await self._idle_pause()
                continue
            self._signal()
            if self._reconnect_interval_s is None:
                return
            await self._reconnect(self._reconnect_interval_s)

    async def _reconnect(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self._in_worker(self._reopen_source)
            except CameraError as err:
                self._fault = CameraLostError(f"still lost: {err.detail}")
                continue
            _log.info("document camera back: %s", self._source.name)
            return

    async def _idle_pause(self) -> None:
        """Between frames at the idle rate, unless someone waits for one."""
        period = self._idle_period_s
        if period is None or self._waiters:
            return
        self._hurry.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(period):
                await self._hurry.wait()

    def _signal(self) -> None:
        """Wake everything waiting for a change (a preview, a page, a fault, a stop)."""
        tick, self._tick = self._tick, None
        if tick is not None and not tick.done():
            tick.set_result(None)

    async def _wait_until(self, ready: Callable[[], bool]) -> None:
        """Wait until ``ready()``; raise as soon as the camera cannot serve."""
        self._waiters += 1
        self._hurry.set()
        try:
            while not ready():
                self._check_running()
                if self._tick is None:
                    self._tick = asyncio.get_running_loop().create_future()
                # Shielded: one waiter giving up must not cancel the tick for the others.
                await asyncio.shield(self._tick)
        finally:
            self._waiters -= 1

    def _deliver(self, page: ScannedPage) -> None:
        """Hand an auto-captured page to the loop (called there by the worker)."""
        self._pages.append(page)
        self._signal()

    async def _in_worker(
        self, function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
    ) -> _T:
        """Run ``function`` on the camera's thread; OpenCV errors become camera errors."""
        call = functools.partial(function, *args, **kwargs)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._worker, call)
        except cv2.error as err:
            raise CameraError(f"OpenCV failed: {err}") from err
        except RuntimeError as err:  # the executor was shut down by close()
            if self._closed:
                raise CameraUnavailableError("the camera was closed") from err
            raise

    def _unusable(self) -> CameraError | None:
        """Why the camera cannot serve a preview or a page right now, if it cannot."""
        if self._closed:
            return CameraUnavailableError("the camera was closed")
        if self._runner is None:
            return CameraUnavailableError("the camera is not started")
        if self._fault is not None:
            return type(self._fault)(self._fault.detail)
        return None

    def _check_open(self) -> None:
        if self._closed:
            raise CameraUnavailableError("the camera was closed")

    def _check_running(self) -> None:
        error = self._unusable()
        if error is not None:
            raise error

    # -- the worker side --------------------------------------------------

    def _open_source(self) -> None:
        self._source.open()
        self._latest = None

    def _reopen_source(self) -> None:
        self._source.close()
        self._open_source()

    def _step(self) -> Preview:
        """Read and analyse one frame; capture it if the auto-capture says so.

        A captured page goes to the loop at once, not with the preview: if the
        camera is stopped while this runs, the preview is dropped but the page,
        already remembered as captured, must not be.
        """
        frame = self._source.read()
        try:
            report = inspect(frame, self._calibration, self._analysis_width)
        except cv2.error as err:  # a frame OpenCV cannot work with is a broken camera
            raise CameraLostError(f"unusable frame: {err}") from err
        self._latest = (frame, report)
        self._frames += 1
        analysis = report.analysis
        small_height, small_width = analysis.small.shape[:2]
        decision = self._auto.observe(
            Observation(
                analysis.quad,
                (small_width, small_height),
                report.sharpness,
                report.glare,
                report.page_hash,
            )
        )
        guidance = decision.guidance
        if decision.fire:
            page = self._auto_capture(frame, report)
            if page is not None:
                guidance = Guidance.CAPTURED
                self._hand_over(page)
        image = analysis.small
        image.flags.writeable = False  # shared with the UI: a drawing would corrupt the scan
        preview = Preview(
            image=image,
            quad=analysis.quad,
            guidance=guidance,
            sharpness=report.sharpness / self._calibration.preview_sharpness_min,
            glare=report.glare,
            steady=decision.steady,
            frame_size=analysis.frame_size,
            index=self._frames,
        )
        return preview

    def _hand_over(self, page: ScannedPage) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(self._deliver, page)
        except RuntimeError:  # the loop is closed: the kiosk is shutting down
            _log.warning("an auto-captured page was dropped at shutdown")

    def _auto_capture(self, frame: Image, report: FrameReport) -> ScannedPage | None:
        try:
            page = scan(frame, self._calibration, report.analysis, jpeg_quality=self._jpeg_quality)
        except PageRefusedError as err:
            self._auto.refused(_REFUSAL_GUIDANCE.get(type(err), Guidance.HOLD_STILL))
            return None
        # The full-resolution hash may know the page where the preview's did not.
        known = self._auto.is_known(page.phash)
        self._auto.remember(page.phash)
        return None if known else page

    def _capture_latest(self, *, again: bool) -> ScannedPage:
        if self._latest is None:
            raise NoPageError("no frame analysed yet")
        frame, report = self._latest
        page = scan(frame, self._calibration, report.analysis, jpeg_quality=self._jpeg_quality)
        if self._auto.is_known(page.phash) and not again:
            raise DuplicatePageError("this page was already captured")
        self._auto.remember(page.phash)
        return page

    def _grab_latest(self) -> Image:
        if self._latest is None:
            return self._source.read()
        return self._latest[0]

    def _grab_once(self) -> Image:
        self._source.open()
        try:
            return self._source.read()
        finally:
            self._source.close()


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
