"""The OpenCV camera adapter over real sources: previews, captures, loss and self-test."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from peripherals import HealthState
from peripherals.camera import (
    CameraLostError,
    CameraUnavailableError,
    CapturePolicy,
    DuplicatePageError,
    Guidance,
    ImageFolderSource,
    NoPageError,
    OpenCvDocumentCamera,
    PageBlurryError,
    PageGlareError,
    VideoFileSource,
    decode_jpeg,
    outlined,
)
from tests.peripherals.camera.fakes import (
    WAIT_S,
    FakeSource,
    preview_once_back,
    preview_until_it_fails,
    preview_with,
)
from tests.peripherals.camera.scenes import FRAME_SIZE, empty_desk, make_scene

# Frames, not seconds, decide steadiness here: the tests do not depend on the clock.
QUICK = CapturePolicy(steady_frames=3, steady_s=0.0)


@pytest.fixture(scope="module")
def sheet() -> np.ndarray:
    return make_scene(7, page_seed=7, rotation_deg=-6, noise=2).image


async def test_a_page_in_a_video_is_captured_once_then_the_file_ends(
    tmp_path: Path, sheet: np.ndarray
) -> None:
    video = tmp_path / "desk.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 15.0, FRAME_SIZE)
    for frame in [empty_desk(7)] * 3 + [sheet] * 12:
        writer.write(frame)
    writer.release()
    camera = OpenCvDocumentCamera(VideoFileSource(video), policy=QUICK, reconnect_interval_s=None)
    await camera.start()

    async with asyncio.timeout(WAIT_S):
        page = await camera.next_page()
    assert page.aspect == pytest.approx(np.sqrt(2), rel=0.01)
    assert decode_jpeg(page.jpeg).shape == (page.height, page.width, 3)

    with pytest.raises(CameraLostError):
        await preview_until_it_fails(camera)
    assert camera.health().state is HealthState.FAULT
    assert camera.health().code == "camera.lost"
    await camera.close()


async def test_frame_work_never_runs_on_the_event_loop(sheet: np.ndarray) -> None:
    source = FakeSource(sheet)
    camera = OpenCvDocumentCamera(source, policy=QUICK)
    await camera.start()
    async with asyncio.timeout(WAIT_S):
        await camera.next_page()
    await camera.close()
    assert threading.current_thread().name not in source.reader_threads
    assert {name.split("_")[0] for name in source.reader_threads} == {"document-camera"}


async def test_the_preview_carries_the_outline_and_the_guidance(sheet: np.ndarray) -> None:
    camera = OpenCvDocumentCamera(FakeSource(sheet), policy=QUICK)
    await camera.start()
    preview = await preview_with(camera, Guidance.HOLD_STILL, Guidance.READY, Guidance.CAPTURED)
    assert preview.image.shape[1] == 640
    assert preview.scale == pytest.approx(2.0)
    assert preview.quad is not None
    assert preview.sharpness > 1.0
    drawn = outlined(preview)
    assert not np.array_equal(drawn, preview.image)
    assert not preview.image.flags.writeable  # the UI cannot scribble on a frame being scanned
    await camera.close()


async def test_manual_capture_refuses_what_the_citizen_can_fix(sheet: np.ndarray) -> None:
    source = FakeSource(empty_desk(0))
    policy = CapturePolicy(steady_frames=10_000)  # no auto-capture in this test
    camera = OpenCvDocumentCamera(source, policy=policy)
    await camera.start()
    for frame, error in [
        (empty_desk(0), NoPageError),
        (make_scene(3, blur_sigma=3.0).image, PageBlurryError),
        (make_scene(4, glare=True).image, PageGlareError),
    ]:
        source.show(frame)
        await camera.next_preview()
        await camera.next_preview()  # the frame now analysed is the new one
        with pytest.raises(error):
            await camera.capture()

    source.show(sheet)
    await camera.next_preview()
    await camera.next_preview()
    page = await camera.capture()
    with pytest.raises(DuplicatePageError):
        await camera.capture()
    # A person asked for this page once more (the agent): it is taken again.
    assert (await camera.capture(again=True)).phash == page.phash
    await camera.new_document()  # the next citizen may scan the same form
    assert (await camera.capture()).phash == page.phash
    await camera.close()


async def test_a_lost_camera_is_a_fault_until_it_comes_back(sheet: np.ndarray) -> None:
    source = FakeSource(sheet)
    camera = OpenCvDocumentCamera(source, policy=QUICK, reconnect_interval_s=0.05)
    await camera.start()
    await camera.next_preview()

    source.unplug()
    with pytest.raises(CameraLostError):
        await preview_until_it_fails(camera)
    assert camera.health().state is HealthState.FAULT
    with pytest.raises(CameraLostError):
        await camera.capture()

    source.plug_in()
    await preview_once_back(camera)
    assert camera.health().state is HealthState.OK
    assert source.opened >= 2
    await camera.close()


async def test_a_camera_that_cannot_open_reports_why(tmp_path: Path) -> None:
    camera = OpenCvDocumentCamera(ImageFolderSource(tmp_path / "missing"))
    with pytest.raises(CameraUnavailableError):
        await camera.start()
    assert camera.health().state is HealthState.FAULT
    assert camera.health().code == "camera.unavailable"
    await camera.close()


async def test_a_stopped_or_closed_camera_serves_nothing(sheet: np.ndarray) -> None:
    camera = OpenCvDocumentCamera(FakeSource(sheet))
    with pytest.raises(CameraUnavailableError, match="not started"):
        await camera.next_preview()
    await camera.start()
    waiting = asyncio.create_task(camera.next_page())
    await camera.next_preview()
    await camera.stop()
    with pytest.raises(CameraUnavailableError):
        await waiting
    await camera.close()
    assert camera.health().state is HealthState.ABSENT
    with pytest.raises(CameraUnavailableError, match="closed"):
        await camera.start()


async def test_self_test_grabs_a_frame_as_jpeg(tmp_path: Path, sheet: np.ndarray) -> None:
    cv2.imwrite(str(tmp_path / "frame.png"), sheet)
    camera = OpenCvDocumentCamera(ImageFolderSource(tmp_path))
    result = await camera.self_test()
    assert result.passed, result
    assert result.code == "selftest.ok"
    assert "page found" in result.detail
    assert result.artifact is not None
    assert decode_jpeg(result.artifact).shape == sheet.shape
    await camera.start()  # while running, the live frame is used
    assert (await camera.self_test()).passed
    await camera.close()


async def test_self_test_spots_a_covered_lens_and_a_missing_camera(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "dark.png"), np.full((480, 640, 3), 3, np.uint8))
    blank = await OpenCvDocumentCamera(ImageFolderSource(tmp_path)).self_test()
    assert (blank.passed, blank.code) == (False, "camera.blank")
    missing = OpenCvDocumentCamera(ImageFolderSource(tmp_path / "missing"))
    result = await missing.self_test()
    assert (result.passed, result.code) == (False, "camera.unavailable")
    assert missing.health().code == "camera.unavailable"
