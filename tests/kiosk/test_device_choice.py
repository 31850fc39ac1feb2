"""Devices are chosen by configuration; the pcsc reader reports a missing pcscd."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_settings
from kiosk.document_camera import build_document_camera
from kiosk.services import build_card_reader
from peripherals.camera.simulator import FRAME_SIZE as SIMULATOR_FRAME_SIZE
from peripherals.camera.simulator import SimulatedDocumentCamera
from peripherals.card import SimulatedCardReader
from peripherals.card.pcsc import PcscCardReader
from peripherals.health import HealthState


def test_simulated_is_the_default() -> None:
    loop = asyncio.new_event_loop()
    try:
        assert isinstance(
            build_card_reader(load_settings(None, environ={}), loop), SimulatedCardReader
        )
    finally:
        loop.close()


def test_pcsc_is_chosen_by_configuration(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        environ={
            "VG_KIOSK__DEVICES__CARD_READER": "pcsc",
            "VG_KIOSK__DEVICES__CARD_READER_NAME": "No Such Reader",
        },
    )

    async def check() -> HealthState:
        reader = build_card_reader(settings, asyncio.get_running_loop())
        assert isinstance(reader, PcscCardReader)
        deadline = time.monotonic() + 5
        # No reader of that name exists (nor, maybe, pcscd): it must say so, not hang.
        # Health is polled, as the maintenance screen does.
        while reader.health().state is HealthState.OK and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        state = reader.health().state
        await reader.close()
        return state

    assert asyncio.run(check()) is not HealthState.OK


def test_the_document_camera_size_is_configurable() -> None:
    default = build_document_camera(load_settings(None, environ={}).devices)
    assert isinstance(default, SimulatedDocumentCamera)
    assert default.desk.frame_size == SIMULATOR_FRAME_SIZE
    settings = load_settings(
        None,
        environ={
            "VG_KIOSK__DEVICES__DOCUMENT_CAMERA_WIDTH": "3840",
            "VG_KIOSK__DEVICES__DOCUMENT_CAMERA_HEIGHT": "2160",
        },
    )
    camera = build_document_camera(settings.devices)
    assert isinstance(camera, SimulatedDocumentCamera)
    assert camera.desk.frame_size == (3840, 2160)


def test_a_document_camera_width_without_a_height_is_refused() -> None:
    with pytest.raises(ConfigError, match="document_camera_width and document_camera_height"):
        load_settings(None, environ={"VG_KIOSK__DEVICES__DOCUMENT_CAMERA_WIDTH": "3840"})
