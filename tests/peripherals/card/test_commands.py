"""The card conversations, against the virtual card's chip in process (no pcscd)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peripherals.card import (
    SAMPLE_HOLDER,
    CardBlockedError,
    CardError,
    CardHolder,
    CardProtocolError,
    UnexpectedStatusError,
    UnsupportedCardError,
    WrongPinError,
    commands,
)
from peripherals.card.profile import CITIZEN_V1_ATR, encode_holder
from peripherals.card.simulator import SAMPLE_UID
from tests.peripherals.card.virtual_card import CitizenChip, sw

BIG_HOLDER = CardHolder(
    "2047183658",
    "Marie-Élisabeth Geneviève Antoinette",
    "de la Tour d'Auvergne-Bouchard Saint-Exupéry Lévesque",
    None,
)


def test_the_holder_is_read_with_select_then_read_binary_by_sfi() -> None:
    chip = CitizenChip()
    assert commands.read_holder(chip) == SAMPLE_HOLDER
    assert [apdu[:4].hex() for apdu in chip.received] == ["00a4040c", "00b08100"]


def test_a_file_longer_than_one_answer_is_read_in_pieces() -> None:
    padding = bytes(range(256)) * 2  # unknown tag 0x85 with 300 bytes: a later format version
    data = encode_holder(BIG_HOLDER)
    header = 3 if data[1] == 0x81 else 2
    body = data[header:] + b"\x85\x82\x01\x2c" + padding[:300]
    big_file = b"\xe1\x82" + len(body).to_bytes(2, "big") + body
    chip = CitizenChip(holder_file=big_file)
    assert commands.read_holder(chip) == BIG_HOLDER
    offsets = [apdu[2:4] for apdu in chip.received if apdu[1] == 0xB0]
    assert offsets == [b"\x81\x00", b"\x01\x00"]  # by SFI at 0, then at offset 256


@pytest.mark.parametrize("knob", ["chain_size", "exact_le", "eof_warning", "all"])
def test_odd_but_legal_card_behaviour_still_reads(knob: str) -> None:
    chip = CitizenChip()
    if knob in ("chain_size", "all"):
        chip.chain_size = 7
    if knob in ("exact_le", "all"):
        chip.exact_le = True
    if knob in ("eof_warning", "all"):
        chip.eof_warning = True
    assert commands.read_holder(chip) == SAMPLE_HOLDER


def test_the_uid_comes_from_the_pc_sc_get_data() -> None:
    chip = CitizenChip()
    identity = commands.identify(chip)
    assert (identity.atr, identity.uid, identity.profile) == (
        CITIZEN_V1_ATR,
        SAMPLE_UID,
        "citizen-v1",
    )
    assert "04a2241b" not in repr(identity)


@pytest.mark.parametrize("uid", [b"", b"\x01\x02\x03", bytes(11)])
def test_a_uid_of_an_impossible_size_is_refused(uid: bytes) -> None:
    with pytest.raises(CardProtocolError):
        commands.identify(CitizenChip(uid=uid))


def test_a_card_without_the_application_is_unsupported() -> None:
    chip = CitizenChip()
    chip.answer_next(sw(0x6A82))
    with pytest.raises(UnsupportedCardError):
        commands.read_holder(chip)


def test_an_unknown_card_gets_no_apdu_at_all() -> None:
    chip = CitizenChip(atr=bytes.fromhex("3B8F8001804F0CA000000306030001000000006A"))
    with pytest.raises(UnsupportedCardError):
        commands.read_holder(chip)
    assert chip.received == []


def test_a_read_binary_refusal_names_the_status_word() -> None:
    chip = CitizenChip()
    chip.answer_next(sw(0x9000), sw(0x6581))  # SELECT fine, then a memory failure
    with pytest.raises(UnexpectedStatusError) as caught:
        commands.read_holder(chip)
    assert caught.value.sw == 0x6581


def test_a_card_that_stops_giving_data_mid_file_is_refused() -> None:
    chip = CitizenChip()
    head = encode_holder(SAMPLE_HOLDER)[:10]
    chip.answer_next(sw(0x9000), head + sw(0x6282), sw(0x6282))
    with pytest.raises(CardProtocolError, match="no data at offset 10"):
        commands.read_holder(chip)


def test_pin_verification_counts_down_then_blocks() -> None:
    chip = CitizenChip(pin="4321", pin_tries=2)
    with pytest.raises(WrongPinError) as wrong:
        commands.verify_pin(chip, "1234")
    assert (wrong.value.tries_left, wrong.value.code) == (1, "card.wrong_pin")
    with pytest.raises(CardBlockedError):
        commands.verify_pin(chip, "1234")
    with pytest.raises(CardBlockedError):
        commands.verify_pin(chip, "4321")


def test_the_right_pin_passes_and_resets_the_counter() -> None:
    chip = CitizenChip()
    with pytest.raises(WrongPinError):
        commands.verify_pin(chip, "0000")
    commands.verify_pin(chip, "1234")
    assert chip.tries_left == 3
    assert chip.received[-1] == bytes.fromhex("0020008108") + b"1234\xff\xff\xff\xff"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (0x6983, CardBlockedError),
        (0x6984, CardBlockedError),
        (0x63C0, CardBlockedError),
        (0x6300, UnexpectedStatusError),  # 63xx without the counter nibble
        (0x6A88, UnexpectedStatusError),
    ],
)
def test_verify_answers_map_to_typed_errors(status: int, error: type[CardError]) -> None:
    chip = CitizenChip()
    chip.answer_next(sw(0x9000), sw(status))
    with pytest.raises(error):
        commands.verify_pin(chip, "1234")


def test_the_self_test_summary_has_no_personal_data() -> None:
    summary = commands.self_test(CitizenChip())
    assert summary.startswith("citizen-v1 card, ATR 3b 8a 80 01")
    assert summary.endswith("PIN 3 tries left")
    for personal in ("Camille", "Tremblay", "5831029474", "1987", SAMPLE_UID.hex()):
        assert personal not in summary


def test_the_self_test_reports_a_blocked_pin_without_failing() -> None:
    chip = CitizenChip(pin_tries=0)
    assert commands.self_test(chip).endswith("PIN blocked")


@settings(max_examples=60)
@given(st.binary(max_size=600))
def test_any_holder_file_reads_or_fails_typed(holder_file: bytes) -> None:
    try:
        commands.read_holder(CitizenChip(holder_file=holder_file))
    except CardError as err:
        outcome = err.code
    else:
        outcome = "read"
    assert outcome in ("read", "card.unreadable")


@settings(max_examples=60)
@given(st.lists(st.binary(max_size=270), max_size=10))
def test_any_scripted_answers_end_in_a_holder_or_a_card_error(answers: list[bytes]) -> None:
    chip = CitizenChip()
    chip.answer_next(*answers)
    try:
        holder = commands.read_holder(chip)
    except CardError:
        return
    assert isinstance(holder, CardHolder)
