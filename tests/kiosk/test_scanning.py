"""Scanning a page for a form, on the simulated document camera and its failure knobs."""

from __future__ import annotations

import pytest

from kiosk.scanning import ScanError, scan_page
from peripherals.camera.errors import CameraUnavailableError
from peripherals.camera.simulator import SimulatedDocumentCamera


def camera_with(page: int | None) -> SimulatedDocumentCamera:
    camera = SimulatedDocumentCamera(frame_size=(1280, 720))
    if page is not None:
        camera.lay_document(page)
    return camera


async def test_the_same_sheet_can_be_scanned_again_and_the_camera_rests_after() -> None:
    camera = camera_with(page=1)
    try:
        first = await scan_page(camera, timeout_s=10)
        again = await scan_page(camera, timeout_s=10)  # asked twice: taken twice
        assert first.startswith(b"\xff\xd8")
        assert again.startswith(b"\xff\xd8")
        with pytest.raises(CameraUnavailableError):  # stopped: it no longer watches the desk
            await camera.next_preview()
    finally:
        await camera.close()


async def test_no_page_in_view_is_told_not_waited_for_forever() -> None:
    camera = camera_with(page=None)
    try:
        with pytest.raises(ScanError) as refused:
            await scan_page(camera, timeout_s=0.5)
        assert refused.value.key == "error.camera.no_page"
    finally:
        await camera.close()


async def test_a_lost_camera_is_told_in_its_own_words() -> None:
    camera = camera_with(page=1)
    camera.lose_camera()
    try:
        with pytest.raises(ScanError) as refused:
            await scan_page(camera, timeout_s=5)
        assert refused.value.key.startswith("error.camera.")
        assert refused.value.key != "error.camera.no_page"
    finally:
        await camera.close()
