"""What the kiosk says to a citizen card: identify it, read the holder, verify the PIN.

Each conversation is a plain blocking function over a :class:`CardChannel` (one
connected card), so the PC/SC adapter runs it on its worker thread and tests run
it against an in-process card. Conversations first match the ATR to a profile
and send nothing to a card they do not know.
"""

from __future__ import annotations

from typing import Protocol

from peripherals.card.apdu import (
    MAX_SHORT_NE,
    SW1_COUNTER,
    SW_AUTH_BLOCKED,
    SW_END_OF_FILE,
    SW_FILE_NOT_FOUND,
    SW_OK,
    SW_REFERENCE_NOT_USABLE,
    CommandApdu,
    exchange,
    require_status,
)
from peripherals.card.errors import (
    CardBlockedError,
    CardProtocolError,
    UnexpectedStatusError,
    UnsupportedCardError,
    WrongPinError,
)
from peripherals.card.model import CardHolder, CardIdentity
from peripherals.card.profile import (
    CardProfile,
    decode_holder,
    encode_pin,
    holder_file_length,
    profile_for_atr,
)

UID_MIN_BYTES = 4  # single-size ISO 14443 UID
UID_MAX_BYTES = 10  # triple-size UID
_SFI_FLAG = 0x80  # READ BINARY P1 bit 8: P1 carries a short EF identifier


class CardChannel(Protocol):
    """One connected card: its ATR and a blocking exchange of raw APDUs."""

    @property
    def atr(self) -> bytes:
        """The card's answer to reset."""
        ...

    def transmit(self, command: bytes) -> bytes:
        """Send one command APDU, return the raw answer; raises ``CardError`` subclasses."""
        ...


def read_uid(channel: CardChannel) -> bytes:
    """The card's UID, through the PC/SC pseudo-APDU GET DATA (FF CA 00 00 00)."""
    answer = exchange(channel.transmit, CommandApdu(0xFF, 0xCA, 0x00, 0x00, ne=MAX_SHORT_NE))
    uid = require_status(answer, "GET DATA UID")
    if not UID_MIN_BYTES <= len(uid) <= UID_MAX_BYTES:
        raise CardProtocolError(f"a UID of {len(uid)} bytes")
    return uid


def identify(channel: CardChannel) -> CardIdentity:
    """Which card this is: the profile its ATR matches, and its UID."""
    profile = profile_for_atr(channel.atr)
    return CardIdentity(atr=channel.atr, uid=read_uid(channel), profile=profile.name)


def select_application(channel: CardChannel, profile: CardProfile) -> None:
    """SELECT the profile's application by AID (no FCI asked for)."""
    answer = exchange(channel.transmit, CommandApdu(0x00, 0xA4, 0x04, 0x0C, profile.aid))
    if answer.sw == SW_FILE_NOT_FOUND:
        raise UnsupportedCardError("the citizen application is not on this card")
    require_status(answer, "SELECT application")


def _read_binary(channel: CardChannel, p1: int, p2: int, ne: int) -> bytes:
    answer = exchange(channel.transmit, CommandApdu(0x00, 0xB0, p1, p2, ne=ne))
    # 6282 means "fewer bytes than asked": the data is the end of the file, and valid.
    return require_status(answer, "READ BINARY", SW_OK, SW_END_OF_FILE)


def read_holder_file(channel: CardChannel, profile: CardProfile) -> bytes:
    """The raw holder file: the first READ BINARY (by SFI) tells how much more to read."""
    data = _read_binary(channel, _SFI_FLAG | profile.holder_sfi, 0, MAX_SHORT_NE)
    total = holder_file_length(data)
    while len(data) < total:
        offset = len(data)  # < HOLDER_FILE_MAX_BYTES, so P1 bit 8 stays clear
        chunk = _read_binary(channel, offset >> 8, offset & 0xFF, min(MAX_SHORT_NE, total - offset))
        if not chunk:
            raise CardProtocolError(f"holder file: no data at offset {offset}")
        data += chunk
    return data[:total]


def read_holder(channel: CardChannel) -> CardHolder:
    """The holder's identity, to prefill forms."""
    profile = profile_for_atr(channel.atr)
    select_application(channel, profile)
    return decode_holder(read_holder_file(channel, profile))


def _judge_verify(sw: int) -> None:
    if sw == SW_OK:
        return
    if sw >> 8 == SW1_COUNTER and sw & 0xF0 == 0xC0:
        tries_left = sw & 0x0F
        if tries_left == 0:
            raise CardBlockedError("no PIN tries left")
        raise WrongPinError(tries_left)
    if sw in (SW_AUTH_BLOCKED, SW_REFERENCE_NOT_USABLE):
        raise CardBlockedError(f"status word {sw:04X}")
    raise UnexpectedStatusError(sw, "VERIFY")


def verify_pin(channel: CardChannel, pin: str) -> None:
    """VERIFY the PIN; :class:`WrongPinError` (with tries left) or :class:`CardBlockedError`."""
    block = encode_pin(pin)  # before any I/O: a malformed PIN costs the citizen no try
    profile = profile_for_atr(channel.atr)
    select_application(channel, profile)
    answer = exchange(channel.transmit, CommandApdu(0x00, 0x20, 0x00, profile.pin_reference, block))
    _judge_verify(answer.sw)


def pin_tries_left(channel: CardChannel, profile: CardProfile) -> int | None:
    """The PIN counter, asked with an empty VERIFY (no try used); None once verified."""
    answer = exchange(channel.transmit, CommandApdu(0x00, 0x20, 0x00, profile.pin_reference))
    try:
        _judge_verify(answer.sw)
    except WrongPinError as err:
        return err.tries_left
    return None


def self_test(channel: CardChannel) -> str:
    """Read a card end to end for the maintenance screen; a summary without personal data."""
    identity = identify(channel)
    profile = profile_for_atr(channel.atr)
    select_application(channel, profile)
    data = read_holder_file(channel, profile)
    decode_holder(data)  # parsed to prove it, never shown: it is personal data
    try:
        tries = pin_tries_left(channel, profile)
    except CardBlockedError:
        pin = "blocked"
    else:
        pin = "verified" if tries is None else f"{tries} tries left"
    return (
        f"{identity.profile} card, ATR {identity.atr.hex(' ')}, UID of {len(identity.uid)} "
        f"bytes, holder file of {len(data)} bytes, PIN {pin}"
    )
