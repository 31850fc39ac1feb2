"""The citizen card profile: ATR matching, PIN blocks, and the holder file format."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peripherals.card import (
    SAMPLE_HOLDER,
    CardError,
    CardHolder,
    CardProtocolError,
    PinFormatError,
    UnsupportedCardError,
)
from peripherals.card.file_number import luhn_check_digit
from peripherals.card.profile import (
    CITIZEN_V1,
    CITIZEN_V1_ATR,
    HOLDER_FILE_MAX_BYTES,
    AtrPattern,
    decode_holder,
    encode_holder,
    encode_pin,
    holder_file_length,
    profile_for_atr,
)


def test_the_citizen_atr_carries_a_valid_check_byte() -> None:
    check = 0
    for byte in CITIZEN_V1_ATR[1:]:
        check ^= byte
    assert check == 0  # TCK makes the XOR of T0..TCK zero
    assert b"VGCITIZEN1" in CITIZEN_V1_ATR


def test_cards_are_recognised_by_atr_and_strangers_refused() -> None:
    assert profile_for_atr(CITIZEN_V1_ATR) is CITIZEN_V1
    for stranger in (b"", CITIZEN_V1_ATR[:-1], bytes.fromhex("3B021450")):
        with pytest.raises(UnsupportedCardError):
            profile_for_atr(stranger)


def test_an_atr_pattern_ignores_masked_bytes() -> None:
    pattern = AtrPattern(bytes.fromhex("3B8000"), bytes.fromhex("FFF000"))
    assert pattern.matches(bytes.fromhex("3B8F42"))
    assert not pattern.matches(bytes.fromhex("3B9F42"))
    assert not pattern.matches(bytes.fromhex("3B80"))
    with pytest.raises(ValueError, match="one mask byte per ATR byte"):
        AtrPattern(b"\x3b", b"")


def test_a_pin_block_is_ascii_padded_with_ff() -> None:
    assert encode_pin("1234") == b"1234\xff\xff\xff\xff"
    assert encode_pin("12345678") == b"12345678"


@pytest.mark.parametrize("pin", ["", "123", "123456789", "12a4", "１２３４", "12 34"])
def test_a_pin_must_be_4_to_8_ascii_digits(pin: str) -> None:
    with pytest.raises(PinFormatError) as caught:
        encode_pin(pin)
    assert caught.value.code == "card.pin_format"


def test_the_sample_holder_round_trips() -> None:
    data = encode_holder(SAMPLE_HOLDER)
    assert data[0] == 0xE1
    assert holder_file_length(data) == len(data)
    assert decode_holder(data) == SAMPLE_HOLDER
    assert decode_holder(data + b"\xff" * 40) == SAMPLE_HOLDER  # padding after the template


def test_a_holder_without_birth_date_round_trips() -> None:
    holder = CardHolder("2047183658", "Jean-Éric", "N'Diaye Gagnon", None)
    assert decode_holder(encode_holder(holder)) == holder


def field(tag: int, value: bytes) -> bytes:
    return bytes((tag, len(value))) + value


def template(*fields: bytes) -> bytes:
    body = b"".join(fields)
    length = bytes((len(body),)) if len(body) < 0x80 else bytes((0x81, len(body)))
    return b"\xe1" + length + body


GOOD = {
    0x80: b"\x01",
    0x81: b"5831029474",
    0x82: b"Camille",
    0x83: b"Tremblay",
    0x84: b"19870314",
}


def holder_file(**changes: bytes | None) -> bytes:
    values = dict(GOOD)
    for name, value in changes.items():
        tag = int(name.removeprefix("t"), 16)
        if value is None:
            del values[tag]
        else:
            values[tag] = value
    return template(*(field(tag, value) for tag, value in values.items()))


def test_the_hand_built_file_is_the_encoder_output() -> None:
    assert holder_file() == encode_holder(SAMPLE_HOLDER)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "no holder template"),
        (b"\x70\x00", "no holder template"),
        (b"\xe1", "length missing"),
        (b"\xe1\x83\x00\x00\x01", "unsupported length form"),
        (b"\xe1\x82\x04", "length truncated"),
        (b"\xe1\x82\x08\x00", "claims 2052 bytes"),
        (holder_file()[:-3], r"\d+ of \d+ bytes"),
        (holder_file(t80=b"\x02"), "unknown format version"),
        (holder_file(t80=None), "field 80 missing"),
        (holder_file(t81=b"5831029475"), "file_number.check_digit"),
        (holder_file(t81=b"58310294"), "not 10 digits"),
        (holder_file(t81="٥٨٣١٠٢٩٤٧٤".encode()), "not 10 digits"),
        (holder_file(t82=b"\xff\xfe"), "not UTF-8"),
        (holder_file(t82=b"Cam\x00ille"), "control characters"),
        (holder_file(t83="Trem\u202eblay".encode()), "control characters"),
        (holder_file(t83="Trem\u2028blay".encode()), "control characters"),
        (holder_file(t82=b"   "), "blank or padded"),
        (holder_file(t82=b" Camille"), "blank or padded"),
        (holder_file(t82=b""), "of 0 bytes"),
        (holder_file(t83=b"x" * 97), "of 97 bytes"),
        (holder_file(t84=b"19870230"), "does not exist"),
        (holder_file(t84=b"1987-3-1"), "not YYYYMMDD"),
        (template(field(0x80, b"\x01"), field(0x80, b"\x01")), "twice"),
        (template(b"\x9f\x01\x01\x00"), "multi-byte tag"),
        (template(b"\x82\x10abc"), "overruns"),
    ],
)
def test_a_malformed_holder_file_is_a_protocol_error(data: bytes, why: str) -> None:
    with pytest.raises(CardProtocolError, match=why):
        decode_holder(data)


def test_unknown_fields_are_skipped_for_later_versions() -> None:
    data = template(*(field(tag, value) for tag, value in GOOD.items()), field(0x85, b"new"))
    assert decode_holder(data) == SAMPLE_HOLDER


def test_long_form_lengths_are_read() -> None:
    name = "É" * 40  # 80 bytes of UTF-8
    holder = CardHolder("5831029474", name, name, date(2000, 1, 1))
    data = encode_holder(holder)
    assert data[1] == 0x81  # the template needs the long form
    assert decode_holder(data) == holder


def test_a_holder_too_big_for_a_card_cannot_be_encoded() -> None:
    # Names are not checked on encoding (that is the card's issuer's job); size is.
    big = CardHolder("5831029474", "x" * 600, "y" * 600, None)
    with pytest.raises(ValueError, match="does not fit"):
        encode_holder(big)
    assert HOLDER_FILE_MAX_BYTES < 1300


names = (
    st.text(st.characters(exclude_categories=("C", "Zl", "Zp", "Zs")), min_size=1, max_size=30)
    .map(lambda text: unicodedata.normalize("NFC", text))
    .filter(lambda text: len(text.encode()) <= 96)
)


@st.composite
def holders(draw: st.DrawFn) -> CardHolder:
    payload = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=9, max_size=9)))
    return CardHolder(
        file_number=payload + luhn_check_digit(payload),
        given_name=draw(names),
        family_name=draw(names),
        birth_date=draw(st.none() | st.dates(date(1900, 1, 1), date(2100, 12, 31))),
    )


@given(holders())
def test_every_holder_round_trips(holder: CardHolder) -> None:
    assert decode_holder(encode_holder(holder)) == holder


@given(st.binary(max_size=400))
def test_any_bytes_decode_to_a_holder_or_a_protocol_error(data: bytes) -> None:
    try:
        holder = decode_holder(data)
    except CardProtocolError:
        return
    assert len(holder.file_number) == 10


@given(holders(), st.data())
def test_a_corrupted_holder_file_decodes_or_fails_typed(
    holder: CardHolder, data: st.DataObject
) -> None:
    raw = bytearray(encode_holder(holder))
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    try:
        decode_holder(bytes(raw))
    except CardError as err:
        failure: CardError | None = err
    else:
        failure = None
    assert failure is None or isinstance(failure, CardProtocolError)
