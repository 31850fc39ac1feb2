"""ISO/IEC 7816-4 short APDUs: build commands, parse answers, follow 61xx and 6Cxx.

Nothing a card says is trusted. An answer must hold a status word and no more
data than was asked for; GET RESPONSE chains (61xx) and length corrections
(6Cxx) are followed a bounded number of times, into a bounded buffer. A hostile
card can therefore make a read fail, with a :class:`CardProtocolError`, but never
make the kiosk loop, allocate without limit or crash.

The conversation runs over a :data:`Transmit` callable (one raw exchange), so the
same code talks to pcscd in the adapter's worker thread and to fakes in tests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from peripherals.card.errors import CardProtocolError, UnexpectedStatusError

Transmit = Callable[[bytes], bytes]
"""Send one command APDU and return the raw answer (data + SW1 SW2), blocking."""

MAX_SHORT_LC = 255  # data bytes in a short command APDU
MAX_SHORT_NE = 256  # expected answer bytes of a short APDU (an Le byte of 00)
# A command, at most one 6Cxx correction per step and GET RESPONSEs: some cards
# chain in small pieces, so allow 32 (a few ms on any reader), and not one more.
MAX_EXCHANGES = 32
MAX_RESPONSE_BYTES = 4096  # a whole chained answer; our largest file is 1 KiB

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282  # "end of file reached before reading Ne bytes": the data is valid
SW_WRONG_LENGTH = 0x6700
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_AUTH_BLOCKED = 0x6983
SW_REFERENCE_NOT_USABLE = 0x6984
SW_FILE_NOT_FOUND = 0x6A82
SW_WRONG_OFFSET = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00

SW1_BYTES_AVAILABLE = 0x61  # 61xx: xx more bytes wait for a GET RESPONSE
SW1_WRONG_LE = 0x6C  # 6Cxx: resend the same command with Le = xx
SW1_COUNTER = 0x63  # 63Cx: verification failed, x tries left

INS_GET_RESPONSE = 0xC0


def _check_byte(name: str, value: int) -> None:
    if not 0 <= value <= 0xFF:
        raise ValueError(f"{name} must be a byte, got {value}")


@dataclass(frozen=True, repr=False)
class CommandApdu:
    """A short command APDU; ``ne`` is the number of answer bytes expected (0 = none).

    Built by the kiosk, never by the card: invalid fields are programming errors
    and raise ``ValueError``. The ``repr`` hides the data, which may be a PIN.
    """

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    ne: int = 0

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            _check_byte(name, getattr(self, name))
        if len(self.data) > MAX_SHORT_LC:
            raise ValueError(f"a short APDU carries at most {MAX_SHORT_LC} data bytes")
        if not 0 <= self.ne <= MAX_SHORT_NE:
            raise ValueError(f"ne must be within 0..{MAX_SHORT_NE}, got {self.ne}")

    def encode(self) -> bytes:
        """The bytes on the wire: header, then Lc and data if any, then Le if any."""
        wire = bytes((self.cla, self.ins, self.p1, self.p2))
        if self.data:
            wire += bytes((len(self.data),)) + self.data
        if self.ne:
            wire += bytes((self.ne % MAX_SHORT_NE,))  # 256 is written 00
        return wire

    def with_ne(self, ne: int) -> CommandApdu:
        """The same command expecting ``ne`` answer bytes."""
        return dataclasses.replace(self, ne=ne)

    def __repr__(self) -> str:
        header = f"{self.cla:02X} {self.ins:02X} {self.p1:02X} {self.p2:02X}"
        return f"CommandApdu({header}, lc={len(self.data)}, ne={self.ne})"


@dataclass(frozen=True, repr=False)
class ResponseApdu:
    """A card's answer: data and the status word. The ``repr`` hides the data (personal)."""

    data: bytes
    sw: int

    @property
    def sw1(self) -> int:
        """The first status byte."""
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        """The second status byte."""
        return self.sw & 0xFF

    @classmethod
    def parse(cls, raw: bytes, *, max_data: int = MAX_SHORT_NE) -> ResponseApdu:
        """Split a raw answer; raise :class:`CardProtocolError` if it cannot be one."""
        if len(raw) < 2:
            raise CardProtocolError(f"answer of {len(raw)} bytes has no status word")
        if len(raw) - 2 > max_data:
            raise CardProtocolError(f"answer of {len(raw) - 2} data bytes, at most {max_data}")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    def __repr__(self) -> str:
        return f"ResponseApdu({len(self.data)} bytes, sw={self.sw:04X})"


def _get_response_cla(cla: int) -> int:
    # GET RESPONSE keeps the logical channel of the command (inter-industry classes
    # only); proprietary classes, e.g. the reader's FF pseudo-APDUs, fall back to 00.
    return cla & 0x03 if cla & 0x80 == 0 else 0x00


def exchange(transmit: Transmit, command: CommandApdu) -> ResponseApdu:
    """Send ``command`` and return the card's whole answer.

    Follows 61xx with GET RESPONSE and 6Cxx by resending with the announced
    length, at most :data:`MAX_EXCHANGES` times in all; the data of a chain is
    joined. Raises :class:`CardProtocolError` when the card breaks the rules
    (more data than asked for, 6Cxx twice in a row, an endless chain, too much
    data), and whatever ``transmit`` raises. The final status word is returned
    as is: judging it belongs to the caller, who knows the command.
    """
    current = command
    corrected = False
    chunks: list[bytes] = []
    total = 0
    for _ in range(MAX_EXCHANGES):
        answer = ResponseApdu.parse(transmit(current.encode()))
        if answer.sw1 == SW1_WRONG_LE:
            if corrected or current.ne == 0 or answer.data:
                raise CardProtocolError(f"unexpected length correction {answer.sw:04X}")
            corrected = True
            current = current.with_ne(answer.sw2 or MAX_SHORT_NE)
            continue
        if len(answer.data) > current.ne:
            raise CardProtocolError(
                f"{len(answer.data)} data bytes for INS {current.ins:02X}, "
                f"at most {current.ne} expected"
            )
        total += len(answer.data)
        if total > MAX_RESPONSE_BYTES:
            raise CardProtocolError(f"answer longer than {MAX_RESPONSE_BYTES} bytes")
        chunks.append(answer.data)
        if answer.sw1 != SW1_BYTES_AVAILABLE:
            return ResponseApdu(b"".join(chunks), answer.sw)
        corrected = False
        current = CommandApdu(
            _get_response_cla(command.cla), INS_GET_RESPONSE, 0, 0, ne=answer.sw2 or MAX_SHORT_NE
        )
    raise CardProtocolError(f"no final answer after {MAX_EXCHANGES} exchanges")


def require_status(answer: ResponseApdu, context: str, *accepted: int) -> bytes:
    """The answer's data if its status word is accepted (9000 by default).

    Any other status word raises :class:`UnexpectedStatusError` naming ``context``.
    """
    if answer.sw in (accepted or (SW_OK,)):
        return answer.data
    raise UnexpectedStatusError(answer.sw, context)
