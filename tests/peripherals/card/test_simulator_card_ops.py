"""The simulator's identify, PIN and self-test behave like the real card through pcscd."""

from __future__ import annotations

import asyncio

import pytest

from peripherals.card import (
    CardBlockedError,
    CardReaderUnavailableError,
    CardRemovedError,
    CardTimeoutError,
    NoCardError,
    PinFormatError,
    SimulatedCardReader,
    WrongPinError,
)
from peripherals.card.profile import CITIZEN_V1_ATR
from peripherals.card.simulator import SAMPLE_UID


def inserted_reader() -> SimulatedCardReader:
    reader = SimulatedCardReader()
    reader.insert()
    return reader


@pytest.fixture
def reader() -> SimulatedCardReader:
    return inserted_reader()


async def test_identify_gives_the_citizen_profile_and_the_uid_knob() -> None:
    reader = SimulatedCardReader(uid=b"\x01\x02\x03\x04")
    reader.insert()
    identity = await reader.identify()
    assert (identity.atr, identity.uid, identity.profile) == (
        CITIZEN_V1_ATR,
        b"\x01\x02\x03\x04",
        "citizen-v1",
    )
    assert (await inserted_reader().identify()).uid == SAMPLE_UID


async def test_a_wrong_pin_counts_down_and_the_last_try_blocks(reader: SimulatedCardReader) -> None:
    for tries_left in (2, 1):
        with pytest.raises(WrongPinError) as wrong:
            await reader.verify_pin("0000")
        assert wrong.value.tries_left == tries_left
    with pytest.raises(CardBlockedError):
        await reader.verify_pin("0000")
    with pytest.raises(CardBlockedError):
        await reader.verify_pin("1234")
    assert reader.pin_tries_left == 0


async def test_the_right_pin_resets_the_counter(reader: SimulatedCardReader) -> None:
    with pytest.raises(WrongPinError):
        await reader.verify_pin("0000")
    await reader.verify_pin("1234")
    assert reader.pin_tries_left == 3


async def test_the_block_knob_blocks_the_card(reader: SimulatedCardReader) -> None:
    reader.block_pin()
    with pytest.raises(CardBlockedError) as blocked:
        await reader.verify_pin("1234")
    assert blocked.value.code == "card.blocked"


async def test_a_malformed_pin_costs_no_try(reader: SimulatedCardReader) -> None:
    with pytest.raises(PinFormatError):
        await reader.verify_pin("12")
    assert reader.pin_tries_left == 3


async def test_pin_and_identify_need_a_card_and_a_reader() -> None:
    reader = SimulatedCardReader()
    with pytest.raises(NoCardError):
        await reader.verify_pin("1234")
    with pytest.raises(NoCardError):
        await reader.identify()
    reader.unplug()
    with pytest.raises(CardReaderUnavailableError):
        await reader.identify()


async def test_a_card_pulled_during_pin_verification_fails_it() -> None:
    reader = SimulatedCardReader(read_delay_s=5.0)
    reader.insert()
    verify = asyncio.create_task(reader.verify_pin("0000"))
    await asyncio.sleep(0)
    reader.remove()
    with pytest.raises(CardRemovedError):
        await asyncio.wait_for(verify, timeout=1.0)
    assert reader.pin_tries_left == 3  # the card never saw the PIN


async def test_self_test_passes_with_a_card(reader: SimulatedCardReader) -> None:
    result = await reader.self_test()
    assert (result.passed, result.code) == (True, "selftest.ok")
    assert "citizen-v1" in result.detail
    assert "Camille" not in result.detail


async def test_self_test_fails_with_the_reason() -> None:
    empty = SimulatedCardReader()
    assert (await empty.self_test()).code == "card.absent"
    failing = inserted_reader()
    failing.fail_next_read(CardTimeoutError("stuck"))
    result = await failing.self_test()
    assert (result.passed, result.code, result.detail) == (False, "card.timeout", "stuck")
