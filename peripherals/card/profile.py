"""The citizen card the kiosk reads: how to recognise it, where its data is, what it looks like.

A card profile ties together what identifies a card family (its ATRs) and where
its data lives (the application AID, the holder file's short EF identifier, the
PIN reference). The holder file is a small BER-TLV structure::

    E1 L                      holder template (private class, constructed)
       80 01 01               format version 1
       81 0A <10 digits>      file number, ASCII, Luhn-checked (file_number.py)
       82 L  <UTF-8>          given name, 1..96 bytes
       83 L  <UTF-8>          family name, 1..96 bytes
       84 08 <YYYYMMDD>       birth date, ASCII (optional)

Lengths use the short form or ``81 xx``/``82 xx xx``; unknown single-byte tags
are skipped so that later versions can add fields; anything else that does not
fit raises :class:`~peripherals.card.errors.CardProtocolError`. Names are
checked too, because they go straight onto the screen: no control, format or
line-separator characters, no blank names.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from peripherals.card.errors import CardProtocolError, PinFormatError, UnsupportedCardError
from peripherals.card.file_number import (
    FILE_NUMBER_DIGITS,
    InvalidFileNumberError,
    normalize_file_number,
)
from peripherals.card.model import CardHolder

HOLDER_TEMPLATE_TAG = 0xE1
TAG_VERSION = 0x80
TAG_FILE_NUMBER = 0x81
TAG_GIVEN_NAME = 0x82
TAG_FAMILY_NAME = 0x83
TAG_BIRTH_DATE = 0x84
HOLDER_FORMAT_VERSION = 1
HOLDER_FILE_MAX_BYTES = 1024  # a whole holder file; a card claiming more is lying
MAX_NAME_BYTES = 96
_MULTI_BYTE_TAG = 0x1F
_FORBIDDEN_CATEGORIES = ("C", "Zl", "Zp")  # controls, format, unassigned; line breaks

PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 8
PIN_BLOCK_BYTES = 8
PIN_PADDING = 0xFF


@dataclass(frozen=True)
class AtrPattern:
    """An ATR with a mask: a card matches if its ATR has the same length and masked bytes."""

    value: bytes
    mask: bytes

    def __post_init__(self) -> None:
        if len(self.value) != len(self.mask):
            raise ValueError("an ATR pattern needs one mask byte per ATR byte")

    @classmethod
    def exact(cls, atr: bytes) -> AtrPattern:
        """A pattern matching ``atr`` only."""
        return cls(atr, b"\xff" * len(atr))

    def matches(self, atr: bytes) -> bool:
        """Whether ``atr`` fits this pattern."""
        return len(atr) == len(self.value) and all(
            a & m == v & m for a, v, m in zip(atr, self.value, self.mask, strict=True)
        )


@dataclass(frozen=True)
class CardProfile:
    """A family of cards the kiosk knows: how to recognise them and where their data is."""

    name: str
    atrs: tuple[AtrPattern, ...]
    aid: bytes
    holder_sfi: int  # short EF identifier of the holder file, read without a SELECT EF
    pin_reference: int  # P2 of VERIFY

    def matches(self, atr: bytes) -> bool:
        """Whether a card with this ATR belongs to the family."""
        return any(pattern.matches(atr) for pattern in self.atrs)


def atr_with_tck(body: bytes) -> bytes:
    """An ATR with its check byte: the XOR of every byte after TS (ISO/IEC 7816-3)."""
    check = 0
    for byte in body[1:]:
        check ^= byte
    return body + bytes((check,))


# TS=3B (direct convention), T0=8A (TD1 follows, 10 historical bytes), TD1=01 (T=1),
# historical bytes "VGCITIZEN1", then TCK, required when T=1 is offered.
CITIZEN_V1_ATR = atr_with_tck(bytes.fromhex("3B8A8001") + b"VGCITIZEN1")
# A proprietary AID (RID category F: not registered), "VGCIT" + version.
CITIZEN_AID = bytes.fromhex("F0") + b"VGCIT" + bytes.fromhex("0001")

CITIZEN_V1 = CardProfile(
    name="citizen-v1",
    atrs=(AtrPattern.exact(CITIZEN_V1_ATR),),
    aid=CITIZEN_AID,
    holder_sfi=0x01,
    pin_reference=0x81,
)
KNOWN_PROFILES: tuple[CardProfile, ...] = (CITIZEN_V1,)


def profile_for_atr(atr: bytes, profiles: tuple[CardProfile, ...] = KNOWN_PROFILES) -> CardProfile:
    """The profile of a card; :class:`UnsupportedCardError` for a card we do not know.

    The kiosk sends nothing to an unknown card: a bank card gets no SELECT from us.
    """
    for profile in profiles:
        if profile.matches(atr):
            return profile
    raise UnsupportedCardError(f"unknown ATR {atr.hex(' ')}")


def encode_pin(pin: str) -> bytes:
    """The PIN block VERIFY carries: ASCII digits padded with FF to 8 bytes.

    Raises :class:`PinFormatError` unless the PIN is 4 to 8 ASCII digits.
    """
    if not (pin.isascii() and pin.isdigit() and PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS):
        raise PinFormatError(f"a PIN is {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits")
    return pin.encode("ascii").ljust(PIN_BLOCK_BYTES, bytes((PIN_PADDING,)))


# -- the holder file -----------------------------------------------------------


def _encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes((length,))
    if length <= 0xFF:
        return bytes((0x81, length))
    return bytes((0x82,)) + length.to_bytes(2, "big")


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes((tag,)) + _encode_length(len(value)) + value


def encode_holder(holder: CardHolder) -> bytes:
    """The holder file for ``holder`` (to personalise test cards); ``ValueError`` if it cannot."""
    number = normalize_file_number(holder.file_number)
    fields = [
        _tlv(TAG_VERSION, bytes((HOLDER_FORMAT_VERSION,))),
        _tlv(TAG_FILE_NUMBER, number.encode("ascii")),
        _tlv(TAG_GIVEN_NAME, holder.given_name.encode("utf-8")),
        _tlv(TAG_FAMILY_NAME, holder.family_name.encode("utf-8")),
    ]
    if holder.birth_date is not None:
        fields.append(_tlv(TAG_BIRTH_DATE, holder.birth_date.strftime("%Y%m%d").encode("ascii")))
    encoded = _tlv(HOLDER_TEMPLATE_TAG, b"".join(fields))
    if len(encoded) > HOLDER_FILE_MAX_BYTES:
        raise ValueError("the holder does not fit in a holder file")
    return encoded


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    """A BER length at ``pos``: (length, position after it)."""
    if pos >= len(data):
        raise CardProtocolError("holder file: length missing")
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    size = first & 0x7F
    if size not in (1, 2):
        raise CardProtocolError(f"holder file: unsupported length form {first:02X}")
    if pos + 1 + size > len(data):
        raise CardProtocolError("holder file: length truncated")
    return int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), pos + 1 + size


def holder_file_length(head: bytes) -> int:
    """The size of the holder file, read from its first bytes (the template's header)."""
    if not head or head[0] != HOLDER_TEMPLATE_TAG:
        raise CardProtocolError("holder file: no holder template")
    length, start = _read_length(head, 1)
    total = start + length
    if total > HOLDER_FILE_MAX_BYTES:
        raise CardProtocolError(f"holder file claims {total} bytes")
    return total


def _fields(data: bytes, start: int, end: int) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    pos = start
    while pos < end:
        tag = data[pos]
        if tag & _MULTI_BYTE_TAG == _MULTI_BYTE_TAG:
            raise CardProtocolError(f"holder file: multi-byte tag {tag:02X}")
        length, pos = _read_length(data[:end], pos + 1)
        if pos + length > end:
            raise CardProtocolError(f"holder file: field {tag:02X} overruns the template")
        if tag in found:
            raise CardProtocolError(f"holder file: field {tag:02X} twice")
        found[tag] = data[pos : pos + length]
        pos += length
    return found


def _name(fields: dict[int, bytes], tag: int) -> str:
    raw = _required(fields, tag)
    if not 1 <= len(raw) <= MAX_NAME_BYTES:
        raise CardProtocolError(f"holder file: name {tag:02X} of {len(raw)} bytes")
    try:
        text = unicodedata.normalize("NFC", raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise CardProtocolError(f"holder file: name {tag:02X} is not UTF-8") from err
    if any(unicodedata.category(char).startswith(_FORBIDDEN_CATEGORIES) for char in text):
        raise CardProtocolError(f"holder file: name {tag:02X} has control characters")
    if not text.strip() or text != text.strip():
        raise CardProtocolError(f"holder file: name {tag:02X} is blank or padded")
    return text


def _file_number(fields: dict[int, bytes]) -> str:
    raw = _required(fields, TAG_FILE_NUMBER)
    if len(raw) != FILE_NUMBER_DIGITS or not all(0x30 <= byte <= 0x39 for byte in raw):
        raise CardProtocolError("holder file: the file number is not 10 digits")
    try:
        return normalize_file_number(raw.decode("ascii"))
    except InvalidFileNumberError as err:
        raise CardProtocolError(f"holder file: {err.code}") from err


def _birth_date(fields: dict[int, bytes]) -> date | None:
    raw = fields.get(TAG_BIRTH_DATE)
    if raw is None:
        return None
    if len(raw) != 8 or not all(0x30 <= byte <= 0x39 for byte in raw):
        raise CardProtocolError("holder file: the birth date is not YYYYMMDD")
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError as err:
        raise CardProtocolError("holder file: the birth date does not exist") from err


def _required(fields: dict[int, bytes], tag: int) -> bytes:
    try:
        return fields[tag]
    except KeyError:
        raise CardProtocolError(f"holder file: field {tag:02X} missing") from None


def decode_holder(data: bytes) -> CardHolder:
    """The holder in a holder file; :class:`CardProtocolError` for anything else.

    Bytes after the template are ignored: cards pad fixed-size files.
    """
    total = holder_file_length(data)
    if len(data) < total:
        raise CardProtocolError(f"holder file: {len(data)} of {total} bytes")
    _, start = _read_length(data, 1)
    fields = _fields(data, start, total)
    if _required(fields, TAG_VERSION) != bytes((HOLDER_FORMAT_VERSION,)):
        raise CardProtocolError("holder file: unknown format version")
    return CardHolder(
        file_number=_file_number(fields),
        given_name=_name(fields, TAG_GIVEN_NAME),
        family_name=_name(fields, TAG_FAMILY_NAME),
        birth_date=_birth_date(fields),
    )
