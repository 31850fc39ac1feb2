"""Hostile and odd cards on the real stack: typed errors, and the reader keeps working."""

from __future__ import annotations

import asyncio

import pytest

from peripherals.card import (
    SAMPLE_HOLDER,
    CardError,
    CardEventKind,
    CardProtocolError,
    UnexpectedStatusError,
)
from peripherals.card.pcsc import PcscCardReader
from tests.fixtures.pcscd import CardFactory
from tests.peripherals.card.conftest import EventLog
from tests.peripherals.card.virtual_card import CitizenChip, sw

ENDLESS_CHAIN = [sw(0x6110)] * 20
HOSTILE_ANSWERS: dict[str, tuple[list[bytes], type[CardError]]] = {
    "no status word": ([b"\x90"], CardProtocolError),
    "300 bytes of data": ([bytes(300) + sw(0x9000)], CardProtocolError),
    "data nobody asked for": ([b"\x01\x02" + sw(0x9000)], CardProtocolError),
    "unknown status word": ([sw(0x6F00)], UnexpectedStatusError),
    "length correction without Le": ([sw(0x6C10)], CardProtocolError),
    "endless 61xx chain": (ENDLESS_CHAIN, CardProtocolError),
}


async def insert_chip(virtual_card: CardFactory, events: EventLog, chip: CitizenChip) -> None:
    await asyncio.to_thread(virtual_card(chip).insert)
    await events.wait_for(CardEventKind.INSERTED)


@pytest.mark.parametrize("case", list(HOSTILE_ANSWERS))
async def test_a_hostile_answer_gives_a_typed_error_and_the_next_read_works(
    pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory, case: str
) -> None:
    answers, error = HOSTILE_ANSWERS[case]
    chip = CitizenChip()
    chip.answer_next(*answers)
    await insert_chip(virtual_card, events, chip)
    with pytest.raises(error) as caught:
        await pcsc_reader.read_holder()
    assert caught.value.code == "card.unreadable"
    chip.answer_normally()
    chip.power_off()  # and forgets the state the hostile exchange left
    assert await pcsc_reader.read_holder() == SAMPLE_HOLDER


@pytest.mark.parametrize(
    "holder_file",
    [
        pytest.param(b"\xe1\x64" + bytes(50), id="claims more than it holds"),
        pytest.param(b"\xe1\x82\x07\xd0" + bytes(300), id="claims 2000 bytes"),
        pytest.param(b"\x00" * 64, id="no template"),
        pytest.param(b"\xe1\x03\x81\x01\x41", id="fields missing"),
    ],
)
async def test_a_malformed_holder_file_is_a_protocol_error(
    pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory, holder_file: bytes
) -> None:
    await insert_chip(virtual_card, events, CitizenChip(holder_file=holder_file))
    with pytest.raises(CardProtocolError):
        await pcsc_reader.read_holder()


async def test_chained_answers_and_length_corrections_are_followed(
    pcsc_reader: PcscCardReader, events: EventLog, virtual_card: CardFactory
) -> None:
    chip = CitizenChip()
    chip.exact_le = True  # 6Cxx first: resend with the exact length
    chip.chain_size = 16  # then 61xx: collect the data 16 bytes at a time
    await insert_chip(virtual_card, events, chip)
    assert await pcsc_reader.read_holder() == SAMPLE_HOLDER
    instructions = [apdu[1] for apdu in chip.received]
    assert instructions.count(0xC0) >= 3  # GET RESPONSE
    assert any(apdu[1] == 0xB0 and apdu[-1] != 0 for apdu in chip.received)  # Le corrected
