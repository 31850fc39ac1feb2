"""The simulated camera behaves like the real one for the demo and the UI tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from peripherals import HealthState
from peripherals.camera import (
    CameraLostError,
    CapturePolicy,
    DocumentCamera,
    DuplicatePageError,
    Guidance,
    SimulatedDocumentCamera,
)
from tests.peripherals.camera.fakes import (
    WAIT_S,
    preview_once_back,
    preview_until_it_fails,
    preview_with,
)

QUICK = CapturePolicy(steady_frames=3, steady_s=0.05)


@pytest.fixture
async def camera() -> AsyncIterator[SimulatedDocumentCamera]:
    simulated = SimulatedDocumentCamera(fps=60.0, policy=QUICK, reconnect_interval_s=0.05)
    await simulated.start()
    yield simulated
    await simulated.close()


def test_the_simulator_is_a_document_camera() -> None:
    camera: DocumentCamera = SimulatedDocumentCamera()
    assert camera.health().state is HealthState.OK


async def test_a_laid_sheet_settles_then_is_captured_once(
    camera: SimulatedDocumentCamera,
) -> None:
    assert (await camera.next_preview()).guidance is Guidance.NO_PAGE
    camera.lay_document(1)
    await preview_with(camera, Guidance.HOLD_STILL)  # it slides as the hand lets go
    async with asyncio.timeout(WAIT_S):
        page = await camera.next_page()
    assert page.aspect == pytest.approx(2**0.5, rel=0.01)

    for _ in range(10):  # it stays there: shown as captured, never captured again
        assert (await camera.next_preview()).guidance is Guidance.CAPTURED
    with pytest.raises(DuplicatePageError):
        await camera.capture()

    camera.lay_document(2)
    async with asyncio.timeout(WAIT_S):
        second = await camera.next_page()
    assert second.phash != page.phash


async def test_the_desk_cleared_shows_no_page(camera: SimulatedDocumentCamera) -> None:
    camera.lay_document(1)
    await preview_with(camera, Guidance.CAPTURED)
    camera.remove_document()
    await preview_with(camera, Guidance.NO_PAGE, frames=3)


@pytest.mark.parametrize(
    ("knob", "guidance"), [("glare", Guidance.GLARE), ("blur", Guidance.TOO_BLURRY)]
)
async def test_knobs_make_pages_that_are_refused(
    camera: SimulatedDocumentCamera, knob: str, guidance: Guidance
) -> None:
    camera.lay_document(5, **{knob: True})
    await preview_with(camera, guidance)
    for _ in range(10):
        assert (await camera.next_preview()).guidance is not Guidance.CAPTURED


async def test_a_lost_camera_comes_back(camera: SimulatedDocumentCamera) -> None:
    await camera.next_preview()
    camera.lose_camera()
    with pytest.raises(CameraLostError):
        await preview_until_it_fails(camera)
    assert camera.health().code == "camera.lost"
    assert not (await camera.self_test()).passed

    camera.restore_camera()
    await preview_once_back(camera)
    assert camera.health().state is HealthState.OK
