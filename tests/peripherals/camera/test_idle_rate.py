"""A camera kept ready (during a call) idles at a low rate, and hurries for anyone waiting."""

from __future__ import annotations

import asyncio

import pytest

from peripherals.camera import OpenCvDocumentCamera
from tests.peripherals.camera.fakes import FakeSource
from tests.peripherals.camera.scenes import empty_desk

SOURCE_FPS = 60.0


async def _reads_during(source: FakeSource, seconds: float) -> int:
    before = source.reads
    await asyncio.sleep(seconds)
    return source.reads - before


async def _watch(camera: OpenCvDocumentCamera, seconds: float) -> None:
    """A journey's preview loop."""
    async with asyncio.timeout(seconds + 1.0):
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            await camera.next_preview()


@pytest.fixture
def source() -> FakeSource:
    return FakeSource(empty_desk(7), fps=SOURCE_FPS)


async def test_nobody_watching_means_the_idle_rate(source: FakeSource) -> None:
    camera = OpenCvDocumentCamera(source, reconnect_interval_s=None)
    await camera.start(idle_rate_hz=4.0)
    try:
        await asyncio.sleep(0.2)  # past the first frames
        assert await _reads_during(source, 1.0) <= 8  # 4 a second, not 60
    finally:
        await camera.close()


async def test_a_waiter_gets_a_frame_at_once_not_at_the_next_idle_tick(source: FakeSource) -> None:
    camera = OpenCvDocumentCamera(source, reconnect_interval_s=None)
    await camera.start(idle_rate_hz=0.2)  # one frame in five seconds
    try:
        await asyncio.sleep(0.3)
        async with asyncio.timeout(1.0):
            await camera.next_preview()
    finally:
        await camera.close()


async def test_someone_watching_gets_the_cameras_own_rate(source: FakeSource) -> None:
    camera = OpenCvDocumentCamera(source, reconnect_interval_s=None)
    await camera.start(idle_rate_hz=2.0)
    try:
        before = source.reads
        await _watch(camera, 0.5)
        assert source.reads - before >= 10  # far above the idle rate's one frame
    finally:
        await camera.close()


async def test_a_journey_starting_the_running_camera_lifts_the_idle_rate(
    source: FakeSource,
) -> None:
    camera = OpenCvDocumentCamera(source, reconnect_interval_s=None)
    await camera.start(idle_rate_hz=2.0)
    try:
        await camera.start()
        await asyncio.sleep(0.2)
        assert await _reads_during(source, 0.5) >= 10
    finally:
        await camera.close()


async def test_an_idle_rate_must_be_positive(source: FakeSource) -> None:
    camera = OpenCvDocumentCamera(source, reconnect_interval_s=None)
    with pytest.raises(ValueError, match="positive"):
        await camera.start(idle_rate_hz=0.0)
    await camera.close()
