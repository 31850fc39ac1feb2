"""The card reader is chosen by configuration, and the pcsc one reports a missing pcscd."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from kiosk.config import load_settings
from kiosk.services import build_card_reader
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
