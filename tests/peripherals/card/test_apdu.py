"""APDUs: commands encode as ISO 7816-4 says, and no answer from a card escapes typing."""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peripherals.card import CardError, CardProtocolError, UnexpectedStatusError
from peripherals.card.apdu import (
    MAX_EXCHANGES,
    CommandApdu,
    ResponseApdu,
    exchange,
    require_status,
)


class ScriptedCard:
    """A transmit that answers from a script and records what it was sent."""

    def __init__(self, *answers: bytes) -> None:
        self.answers = deque(answers)
        self.sent: list[bytes] = []

    def __call__(self, command: bytes) -> bytes:
        self.sent.append(command)
        return self.answers.popleft() if self.answers else bytes.fromhex("6F00")


READ = CommandApdu(0x00, 0xB0, 0x81, 0x00, ne=256)


@pytest.mark.parametrize(
    ("command", "wire"),
    [
        (CommandApdu(0x00, 0xA4, 0x04, 0x0C, b"\xa0\x01"), "00A4040C02A001"),
        (CommandApdu(0xFF, 0xCA, 0x00, 0x00, ne=256), "FFCA000000"),
        (CommandApdu(0x00, 0xB0, 0x00, 0x10, ne=32), "00B0001020"),
        (CommandApdu(0x00, 0x20, 0x00, 0x81), "00200081"),
        (CommandApdu(0x00, 0x88, 0x00, 0x00, b"\x01", ne=8), "00880000010108"),
    ],
)
def test_commands_encode_the_four_iso_cases(command: CommandApdu, wire: str) -> None:
    assert command.encode() == bytes.fromhex(wire)


@pytest.mark.parametrize(
    "fields",
    [
        {"cla": 256},
        {"ins": -1},
        {"data": bytes(256)},
        {"ne": 257},
    ],
)
def test_a_command_that_cannot_exist_is_a_programming_error(fields: dict[str, object]) -> None:
    values: dict[str, object] = {"cla": 0, "ins": 0xB0, "p1": 0, "p2": 0, **fields}
    with pytest.raises(ValueError, match=r"must|at most"):
        CommandApdu(**values)  # type: ignore[arg-type]


def test_reprs_hide_pins_and_personal_data() -> None:
    verify = CommandApdu(0x00, 0x20, 0x00, 0x81, b"1234\xff\xff\xff\xff")
    assert "1234" not in repr(verify)
    assert "31323334" not in repr(verify)
    answer = ResponseApdu(b"Camille", 0x9000)
    assert "Camille" not in repr(answer)
    assert repr(answer) == "ResponseApdu(7 bytes, sw=9000)"


def test_a_plain_answer_passes_through() -> None:
    card = ScriptedCard(b"hello\x90\x00")
    assert exchange(card, READ) == ResponseApdu(b"hello", 0x9000)


def test_61xx_chains_are_followed_with_get_response_and_joined() -> None:
    card = ScriptedCard(b"\x61\x05", b"hel\x61\x02", b"lo\x90\x00")
    assert exchange(card, READ) == ResponseApdu(b"hello", 0x9000)
    assert card.sent[1:] == [bytes.fromhex("00C0000005"), bytes.fromhex("00C0000002")]


def test_6cxx_resends_the_command_with_the_exact_length() -> None:
    card = ScriptedCard(b"\x6c\x05", b"hello\x90\x00")
    assert exchange(card, READ).data == b"hello"
    assert card.sent[1] == bytes.fromhex("00B0810005")


def test_6c00_means_256_bytes() -> None:
    card = ScriptedCard(b"\x6c\x00", bytes(256) + b"\x90\x00")
    assert len(exchange(card, CommandApdu(0x00, 0xB0, 0, 0, ne=16)).data) == 256


@pytest.mark.parametrize(
    ("answers", "why"),
    [
        ([b""], "no status word"),
        ([b"\x90"], "no status word"),
        ([bytes(257) + b"\x90\x00"], "at most 256"),
        ([b"\x6c\x05", b"\x6c\x04"], "length correction"),
        ([b"\x6c\x05", b"toolong\x90\x00"], "at most 5 expected"),
        ([b"\x61\x02", b"abc\x90\x00"], "at most 2 expected"),
        ([b"\x61\x10"] * (MAX_EXCHANGES + 1), "exchanges"),
    ],
)
def test_answers_that_break_the_rules_are_protocol_errors(answers: list[bytes], why: str) -> None:
    with pytest.raises(CardProtocolError, match=why):
        exchange(ScriptedCard(*answers), READ)


def test_data_on_a_command_that_expects_none_is_refused() -> None:
    select = CommandApdu(0x00, 0xA4, 0x04, 0x0C, b"\xa0\x01")
    with pytest.raises(CardProtocolError):
        exchange(ScriptedCard(b"\x6f\x10\x90\x00"), select)


def test_a_chained_answer_is_bounded_in_size() -> None:
    chunk = bytes(256) + b"\x61\x00"
    with pytest.raises(CardProtocolError):
        exchange(ScriptedCard(*[chunk] * MAX_EXCHANGES), READ)


def test_get_response_keeps_the_logical_channel_of_the_command() -> None:
    card = ScriptedCard(b"\x61\x01", b"x\x90\x00")
    exchange(card, CommandApdu(0x03, 0xB0, 0, 0, ne=1))
    assert card.sent[1][0] == 0x03


def test_require_status_names_the_unexpected_status_word() -> None:
    with pytest.raises(UnexpectedStatusError) as caught:
        require_status(ResponseApdu(b"", 0x6A82), "SELECT")
    assert caught.value.sw == 0x6A82
    assert caught.value.detail == "status word 6A82 (SELECT)"
    assert require_status(ResponseApdu(b"x", 0x6282), "READ", 0x9000, 0x6282) == b"x"


@given(st.binary(max_size=300))
def test_any_raw_answer_parses_or_is_a_protocol_error(raw: bytes) -> None:
    try:
        answer = ResponseApdu.parse(raw)
    except CardProtocolError:
        assert len(raw) < 2 or len(raw) > 258
    else:
        assert answer.data + answer.sw.to_bytes(2, "big") == raw


@given(
    st.lists(st.binary(max_size=300), min_size=1, max_size=12),
    st.integers(min_value=0, max_value=256),
)
def test_any_card_answers_end_in_a_result_or_a_card_error(answers: list[bytes], ne: int) -> None:
    card = ScriptedCard(*answers)
    try:
        answer = exchange(card, CommandApdu(0x00, 0xB0, 0, 0, ne=ne))
    except CardError:
        pass
    else:
        assert 0 <= answer.sw <= 0xFFFF
        assert answer.sw >> 8 not in (0x61, 0x6C)
    assert len(card.sent) <= MAX_EXCHANGES
