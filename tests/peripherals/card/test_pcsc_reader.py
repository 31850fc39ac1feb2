"""The PC/SC adapter on the real stack: pcscd, vpcd's reader, a virtual card on its socket."""

from __future__ import annotations

import asyncio
import time

import pytest

from peripherals import HealthState
from peripherals.card import (
    SAMPLE_HOLDER,
    CardBlockedError,
    CardEventKind,
    CardReader,
    CardReaderUnavailableError,
    CardRemovedError,
    CardTimeoutError,
    NoCardError,
    PinFormatError,
    UnsupportedCardError,
    WrongPinError,
)
from peripherals.card.pcsc import PcscCardReader
from peripherals.card.profile import CITIZEN_V1_ATR
from peripherals.card.simulator import SAMPLE_UID
from tests.fixtures.pcscd import CardFactory
from tests.peripherals.card.conftest import TEST_OPERATION_TIMEOUT_S, EventLog
from tests.peripherals.card.pcscd_stack import VIRTUAL_READER, Pcscd
from tests.peripherals.card.virtual_card import CitizenChip, VirtualCard

INS_READ_BINARY = 0xB0
TIMEOUT_SLACK_S = 0.5


async def insert(card: VirtualCard, events: EventLog, times: int = 1) -> None:
    """Insert ``card`` and wait until the adapter has heard it (pcscd polls every 400 ms)."""
    await asyncio.to_thread(card.insert)
    await events.wait_for(CardEventKind.INSERTED, count=times)


def test_the_adapter_is_a_card_reader(pcsc_reader: PcscCardReader) -> None:
    port: CardReader = pcsc_reader  # checked by mypy through the Protocol
    assert port.health().state is HealthState.OK


async def test_an_inserted_card_is_heard_and_its_holder_read(
    pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory
) -> None:
    assert not pcsc_reader.card_present
    await insert(virtual_card(), events)
    assert pcsc_reader.card_present
    assert await pcsc_reader.read_holder() == SAMPLE_HOLDER
    assert pcsc_reader.health() == pcsc_reader.health().ok("Virtual PCD 00 00")


async def test_a_card_already_in_the_reader_at_start_is_reported(
    pcscd: Pcscd, virtual_card: CardFactory
) -> None:
    card = virtual_card()
    await asyncio.to_thread(card.insert)
    await asyncio.sleep(0.5)  # pcscd has seen it before the kiosk starts
    events = EventLog()
    async with PcscCardReader(VIRTUAL_READER) as reader:
        reader.add_listener(events)
        await events.wait_for(CardEventKind.INSERTED)
        assert reader.card_present
        assert await reader.read_holder() == SAMPLE_HOLDER


async def test_identify_reads_the_atr_and_the_uid_through_ff_ca(
    pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory
) -> None:
    card = virtual_card()
    await insert(card, events)
    identity = await pcsc_reader.identify()
    assert (identity.atr, identity.uid, identity.profile) == (
        CITIZEN_V1_ATR,
        SAMPLE_UID,
        "citizen-v1",
    )
    assert bytes.fromhex("FFCA000000") in card.chip.received


async def test_removing_the_card_is_heard(
    pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory
) -> None:
    card = virtual_card()
    await insert(card, events)
    await asyncio.to_thread(card.remove)
    await events.wait_for(CardEventKind.REMOVED)
    assert events.kinds == [CardEventKind.INSERTED, CardEventKind.REMOVED]
    assert not pcsc_reader.card_present
    with pytest.raises(NoCardError):
        await pcsc_reader.read_holder()


async def test_a_card_pulled_mid_read_fails_that_read_as_removed(
    pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory
) -> None:
    card = virtual_card()
    card.pull_on(INS_READ_BINARY)
    await insert(card, events)
    with pytest.raises(CardRemovedError):
        await pcsc_reader.read_holder()
    await events.wait_for(CardEventKind.REMOVED)


async def test_a_card_that_hangs_times_out_without_freezing_the_loop(
    pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory
) -> None:
    card = virtual_card()
    card.hang_on(INS_READ_BINARY)
    await insert(card, events)
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    started = time.monotonic()
    with pytest.raises(CardTimeoutError):
        await pcsc_reader.read_holder()
    elapsed = time.monotonic() - started
    ticking.cancel()
    assert TEST_OPERATION_TIMEOUT_S <= elapsed < TEST_OPERATION_TIMEOUT_S + TIMEOUT_SLACK_S
    assert max(gaps) < 0.2, "the event loop was blocked during the hung read"
    assert pcsc_reader.health().state is HealthState.DEGRADED
    assert pcsc_reader.health().code == "card.timeout"

    # Pulling the hung card frees the reader; the next card reads normally.
    await asyncio.to_thread(card.remove)
    await events.wait_for(CardEventKind.REMOVED)
    await insert(virtual_card(), events, times=2)
    assert await pcsc_reader.read_holder() == SAMPLE_HOLDER
    assert pcsc_reader.health().state is HealthState.OK


async def test_a_wrong_pin_tells_the_tries_left_and_the_last_one_blocks(
    pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory
) -> None:
    await insert(virtual_card(), events)
    with pytest.raises(WrongPinError) as wrong:
        await pcsc_reader.verify_pin("0000")
    assert wrong.value.tries_left == 2
    await pcsc_reader.verify_pin("1234")  # the right PIN resets the counter
    for tries_left in (2, 1):
        with pytest.raises(WrongPinError) as wrong:
            await pcsc_reader.verify_pin("9999")
        assert wrong.value.tries_left == tries_left
    with pytest.raises(CardBlockedError) as blocked:
        await pcsc_reader.verify_pin("9999")
    assert blocked.value.code == "card.blocked"
    with pytest.raises(CardBlockedError):
        await pcsc_reader.verify_pin("1234")  # even the right PIN: the card is blocked


async def test_a_malformed_pin_is_refused_before_the_card_is_asked(
    pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory
) -> None:
    card = virtual_card()
    await insert(card, events)
    with pytest.raises(PinFormatError):
        await pcsc_reader.verify_pin("12a4")
    assert card.chip.tries_left == 3
    assert card.chip.received == []


async def test_a_foreign_card_is_refused_without_talking_to_it(
    pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory
) -> None:
    card = virtual_card(CitizenChip(atr=bytes.fromhex("3B 02 14 50")))
    await insert(card, events)
    with pytest.raises(UnsupportedCardError) as caught:
        await pcsc_reader.read_holder()
    assert caught.value.code == "card.unsupported"
    assert card.chip.received == []


async def test_self_test_reads_a_card_and_reports_no_personal_data(
    pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory
) -> None:
    await insert(virtual_card(), events)
    result = await pcsc_reader.self_test()
    assert result.passed, result
    assert result.code == "selftest.ok"
    assert "citizen-v1" in result.detail
    assert "3 tries left" in result.detail
    for personal in ("Camille", "Tremblay", "5831029474", SAMPLE_UID.hex()):
        assert personal not in result.detail
    assert result.duration_ms > 0


async def test_self_test_without_a_card_fails_with_a_reason(pcsc_reader: PcscCardReader) -> None:
    result = await pcsc_reader.self_test()
    assert (result.passed, result.code) == (False, "card.absent")


async def test_closing_fails_an_ongoing_read_at_once_and_silences_the_reader(
    pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory
) -> None:
    card = virtual_card()
    card.hang_on(INS_READ_BINARY)
    await insert(card, events)
    read = asyncio.create_task(pcsc_reader.read_holder())
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await pcsc_reader.close()
    with pytest.raises(CardReaderUnavailableError):
        await read
    assert time.monotonic() - started < TEST_OPERATION_TIMEOUT_S
    assert pcsc_reader.health().state is HealthState.ABSENT
    assert not pcsc_reader.card_present
    await asyncio.to_thread(card.remove)
    with pytest.raises(CardReaderUnavailableError):
        await pcsc_reader.read_holder()
