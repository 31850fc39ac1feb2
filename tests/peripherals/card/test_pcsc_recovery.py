"""The PC/SC adapter survives pcscd going away and the reader being unplugged."""

from __future__ import annotations

import asyncio
import time

import pytest

from peripherals import HealthState
from peripherals.card import (
    SAMPLE_HOLDER,
    CardEventKind,
    CardReaderUnavailableError,
    CardTimeoutError,
)
from peripherals.card.pcsc import PcscCardReader
from tests.fixtures.pcscd import CardFactory
from tests.peripherals.card.conftest import (
    TEST_OPERATION_TIMEOUT_S,
    TEST_POLL_INTERVAL_S,
    EventLog,
)
from tests.peripherals.card.pcscd_stack import VIRTUAL_READER, Pcscd

RECOVERY_BOUND_S = 3.0  # the bound, from pcscd back to READER_BACK
LOSS_BOUND_S = 1.0


async def test_a_pcscd_restart_is_reported_lost_then_back_within_3_s(
    pcscd: Pcscd, pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory
) -> None:
    card = virtual_card(stays_in_reader=True)
    await asyncio.to_thread(card.insert)
    await events.wait_for(CardEventKind.INSERTED)

    await asyncio.to_thread(pcscd.stop)
    await events.wait_for(CardEventKind.READER_LOST, LOSS_BOUND_S)
    health = pcsc_reader.health()
    assert (health.state, health.code) == (HealthState.FAULT, "card.reader_unavailable")
    assert not pcsc_reader.card_present
    with pytest.raises(CardReaderUnavailableError):
        await pcsc_reader.read_holder()

    await asyncio.to_thread(pcscd.start)
    back_from = time.monotonic()
    await events.wait_for(CardEventKind.READER_BACK, RECOVERY_BOUND_S)
    assert time.monotonic() - back_from < RECOVERY_BOUND_S
    assert pcsc_reader.health().state is HealthState.OK
    # The card stayed in the reader: it is a fresh insertion for the new pcscd.
    await events.wait_for(CardEventKind.INSERTED, RECOVERY_BOUND_S, count=2)
    assert events.kinds == [
        CardEventKind.INSERTED,
        CardEventKind.READER_LOST,
        CardEventKind.READER_BACK,
        CardEventKind.INSERTED,
    ]
    assert await pcsc_reader.read_holder() == SAMPLE_HOLDER


async def test_an_unplugged_reader_is_lost_until_plugged_back(
    pcscd: Pcscd, pcsc_reader: PcscCardReader, events: EventLog
) -> None:
    await asyncio.sleep(TEST_POLL_INTERVAL_S)
    # pcscd stays up but no longer lists the reader: what a USB unplug looks like.
    await asyncio.to_thread(pcscd.stop)
    await asyncio.to_thread(pcscd.start, with_reader=False)
    await events.wait_for(CardEventKind.READER_LOST, LOSS_BOUND_S)
    await asyncio.sleep(3 * TEST_POLL_INTERVAL_S)
    health = pcsc_reader.health()
    assert health.state is HealthState.FAULT
    assert VIRTUAL_READER in health.detail  # "no reader named 'Virtual PCD 00 00'"

    await asyncio.to_thread(pcscd.stop)
    await asyncio.to_thread(pcscd.start)
    await events.wait_for(CardEventKind.READER_BACK, RECOVERY_BOUND_S)
    assert events.kinds == [CardEventKind.READER_LOST, CardEventKind.READER_BACK]


async def test_a_reader_built_while_pcscd_is_down_comes_up_with_it(pcscd: Pcscd) -> None:
    await asyncio.to_thread(pcscd.stop)
    events = EventLog()
    async with PcscCardReader(VIRTUAL_READER, poll_interval_s=TEST_POLL_INTERVAL_S) as reader:
        reader.add_listener(events)
        await events.wait_for(CardEventKind.READER_LOST, LOSS_BOUND_S)
        assert reader.health().detail == "pcscd is not running"
        await asyncio.to_thread(pcscd.start)
        await events.wait_for(CardEventKind.READER_BACK, RECOVERY_BOUND_S)
        assert reader.health().state is HealthState.OK


async def test_a_frozen_pcscd_costs_a_timeout_not_a_frozen_screen(
    pcscd: Pcscd, pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory
) -> None:
    await asyncio.to_thread(virtual_card().insert)
    await events.wait_for(CardEventKind.INSERTED)
    pcscd.freeze()
    try:
        started = time.monotonic()
        with pytest.raises(CardTimeoutError):
            await pcsc_reader.read_holder()
        assert time.monotonic() - started < TEST_OPERATION_TIMEOUT_S + 0.5
        assert pcsc_reader.health().state is HealthState.DEGRADED
    finally:
        pcscd.thaw()
    assert await pcsc_reader.read_holder() == SAMPLE_HOLDER
    assert pcsc_reader.health().state is HealthState.OK
