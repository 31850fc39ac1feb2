"""A citizen card in software: the chip's ISO 7816-4 logic, and a TCP link to vpcd.

:class:`CitizenChip` answers APDUs like the cards ``peripherals/card/profile.py``
describes (SELECT by AID, READ BINARY by SFI and offset, GET RESPONSE, VERIFY
with a tries counter, and the PC/SC ``FF CA`` UID pseudo-APDU, which vpcd hands
to the card instead of answering it in the reader). It is a ``CardChannel`` by
itself, for fast tests of the conversations, and has knobs for hostile answers.

:class:`VirtualCard` plugs a chip into vpcd, pcscd's virtual reader driver: a
TCP client to 127.0.0.1:35963 speaking vpcd's framing (2-byte big-endian length
+ payload; 1-byte payloads are control codes). Its own knobs pull the card out
mid-command and make it hang. No pytest here: the benchmark uses it too.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections import deque

from peripherals.card.model import CardHolder
from peripherals.card.profile import CITIZEN_AID, CITIZEN_V1_ATR, encode_holder, encode_pin
from peripherals.card.simulator import PIN_TRIES, SAMPLE_HOLDER, SAMPLE_PIN, SAMPLE_UID

VPCD_HOST = "127.0.0.1"
VPCD_PORT = 35963  # reader "Virtual PCD 00 00"; 35964 serves "Virtual PCD 00 01"
CONNECT_TIMEOUT_S = 2.0
RECONNECT_INTERVAL_S = 0.02
CTRL_POWER_OFF, CTRL_POWER_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4
HOLDER_SFI = 0x01
PIN_REFERENCE = 0x81


def sw(value: int) -> bytes:
    """A status word as the two bytes that end an answer."""
    return value.to_bytes(2, "big")


class CitizenChip:
    """The card's side of the conversation, with knobs for answers a kiosk must survive.

    Knobs: :meth:`answer_next` (verbatim answers, garbage included; undone by
    :meth:`answer_normally`), ``chain_size``
    (deliver data through 61xx + GET RESPONSE in pieces), ``exact_le`` (answer
    6Cxx to any Le but the exact one), ``eof_warning`` (6282 on short reads).
    """

    def __init__(
        self,
        holder: CardHolder = SAMPLE_HOLDER,
        *,
        holder_file: bytes | None = None,
        atr: bytes = CITIZEN_V1_ATR,
        uid: bytes = SAMPLE_UID,
        pin: str = SAMPLE_PIN,
        pin_tries: int = PIN_TRIES,
    ) -> None:
        self.atr = atr
        self.uid = uid
        self.holder_file = encode_holder(holder) if holder_file is None else holder_file
        self.pin_block = encode_pin(pin)
        self.max_tries = pin_tries
        self.tries_left = pin_tries
        self.chain_size: int | None = None
        self.exact_le = False
        self.eof_warning = False
        self.received: list[bytes] = []  # every APDU, for assertions
        self._scripted: deque[bytes] = deque()
        self._lock = threading.Lock()
        self.power_off()

    def answer_next(self, *answers: bytes) -> None:
        """Answer the next APDUs with these exact bytes, whatever they ask.

        Through vpcd, ``b""`` does not reach pcscd as an empty answer: vpcd waits
        for a zero-length payload until the socket closes, i.e. the card hangs.
        """
        with self._lock:
            self._scripted.extend(answers)

    def answer_normally(self) -> None:
        """Drop the scripted answers that were not used."""
        with self._lock:
            self._scripted.clear()

    def power_off(self) -> None:
        """Lose the volatile state, as a card does when the reader cuts power."""
        self.selected = False
        self.verified = False
        self.current_ef: bytes | None = None
        self.pending = b""

    def transmit(self, apdu: bytes) -> bytes:
        """Answer one command APDU (the ``CardChannel`` contract)."""
        self.received.append(apdu)
        with self._lock:
            if self._scripted:
                return self._scripted.popleft()
        if len(apdu) < 4:
            return sw(0x6700)
        header, data, ne = apdu[:4], b"", 0
        body = apdu[4:]
        if len(body) == 1:
            ne = body[0] or 256
        elif body:
            data, rest = body[1 : 1 + body[0]], body[1 + body[0] :]
            if len(data) != body[0] or len(rest) > 1:
                return sw(0x6700)
            ne = (rest[0] or 256) if rest else 0
        return self._command(header, data, ne)

    def _command(self, header: bytes, data: bytes, ne: int) -> bytes:
        cla, ins, p1, p2 = header
        if cla == 0xFF:
            return self._data(self.uid, ne) if (ins, p1, p2) == (0xCA, 0, 0) else sw(0x6A81)
        if cla != 0x00:
            return sw(0x6E00)
        if ins == 0xA4 and p1 == 0x04:
            self.selected = data == CITIZEN_AID
            self.current_ef = None
            return sw(0x9000) if self.selected else sw(0x6A82)
        if ins == 0xB0:
            return self._read_binary(p1, p2, ne)
        if ins == 0x20:
            return self._verify(p2, data)
        if ins == 0xC0:
            return self._get_response(ne)
        return sw(0x6D00)

    def _read_binary(self, p1: int, p2: int, ne: int) -> bytes:
        if not self.selected:
            return sw(0x6986)
        if p1 & 0x80:
            if p1 & 0x1F != HOLDER_SFI:
                return sw(0x6A82)
            self.current_ef, offset = self.holder_file, p2
        elif self.current_ef is None:
            return sw(0x6986)
        else:
            offset = (p1 << 8) | p2
        if offset > len(self.current_ef):
            return sw(0x6B00)
        return self._data(self.current_ef[offset : offset + 256], ne)

    def _data(self, available: bytes, ne: int) -> bytes:
        if self.exact_le and ne != len(available):
            return sw(0x6C00 | (len(available) & 0xFF))
        chunk = available[:ne]
        if self.chain_size is not None:
            self.pending = chunk
            return sw(0x6100 | (len(chunk) & 0xFF))
        if self.eof_warning and len(chunk) < ne:
            return chunk + sw(0x6282)
        return chunk + sw(0x9000)

    def _get_response(self, ne: int) -> bytes:
        if not self.pending:
            return sw(0x6985)
        size = min(ne, self.chain_size or ne)
        chunk, self.pending = self.pending[:size], self.pending[size:]
        if self.pending:
            return chunk + sw(0x6100 | (len(self.pending) & 0xFF))
        return chunk + sw(0x9000)

    def _verify(self, p2: int, data: bytes) -> bytes:
        if not self.selected:
            return sw(0x6985)
        if p2 != PIN_REFERENCE:
            return sw(0x6A88)
        if self.tries_left == 0:
            return sw(0x6983)
        if not data:  # an empty VERIFY asks for the counter and costs nothing
            return sw(0x9000) if self.verified else sw(0x63C0 | self.tries_left)
        if data == self.pin_block:
            self.verified, self.tries_left = True, self.max_tries
            return sw(0x9000)
        self.verified = False
        self.tries_left -= 1
        return sw(0x63C0 | self.tries_left)


class VirtualCard:
    """A :class:`CitizenChip` inserted into vpcd's reader, on a thread of its own.

    :meth:`insert` connects (the reader then sees a card at its next poll),
    :meth:`remove` disconnects. ``stays_in_reader`` makes the card reconnect when
    the reader goes away, like a card left in a reader whose pcscd restarts.
    Knobs: :meth:`pull_on` (disconnect when an APDU with that INS arrives, before
    answering: pulled mid-read) and :meth:`hang_on` (never answer it).
    """

    def __init__(
        self,
        chip: CitizenChip | None = None,
        *,
        port: int = VPCD_PORT,
        stays_in_reader: bool = False,
    ) -> None:
        self.chip = chip if chip is not None else CitizenChip()
        self._port = port
        self._stays = stays_in_reader
        self._pull_ins: int | None = None
        self._hang_ins: int | None = None
        self._removed = threading.Event()
        self._connected = threading.Event()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def pull_on(self, ins: int) -> None:
        """Be pulled out when a command with this INS arrives."""
        self._pull_ins = ins

    def hang_on(self, ins: int) -> None:
        """Stop answering, for good, when a command with this INS arrives."""
        self._hang_ins = ins

    @property
    def connected(self) -> bool:
        """Whether the card is in the reader right now."""
        return self._connected.is_set()

    def insert(self, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        """Put the card in the reader; returns once vpcd has accepted the connection."""
        self._removed.clear()
        self._thread = threading.Thread(target=self._serve, name="virtual-card", daemon=True)
        self._thread.start()
        if not self._connected.wait(timeout_s):
            self.remove()
            raise ConnectionError(f"vpcd does not accept a card on port {self._port}")

    def remove(self) -> None:
        """Take the card out (a no-op if it is not in)."""
        self._removed.set()
        self._drop()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(CONNECT_TIMEOUT_S)
        self._thread = None

    # -- the thread -------------------------------------------------------

    def _serve(self) -> None:
        while not self._removed.is_set():
            try:
                sock = socket.create_connection((VPCD_HOST, self._port), timeout=CONNECT_TIMEOUT_S)
            except OSError:
                if not self._stays:
                    return
                self._removed.wait(RECONNECT_INTERVAL_S)
                continue
            # vpcd writes the length and the payload separately: without these, every
            # exchange waits for a delayed ACK (about 40 ms).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(None)
            self._sock = sock
            self._connected.set()
            try:
                self._converse(sock)
            except OSError:
                pass  # the reader went away, or remove() closed the socket under us
            finally:
                self._drop()
            if not self._stays:
                return
            self._removed.wait(RECONNECT_INTERVAL_S)

    def _converse(self, sock: socket.socket) -> None:
        while not self._removed.is_set():
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)  # Linux resets it
            (size,) = struct.unpack(">H", _recv_exact(sock, 2))
            message = _recv_exact(sock, size)
            if size == 1:
                self._control(sock, message[0])
                continue
            ins = message[1] if len(message) > 1 else None
            if ins is not None and ins == self._pull_ins:
                return
            if ins is not None and ins == self._hang_ins:
                self._removed.wait()
                return
            _send(sock, self.chip.transmit(message))

    def _control(self, sock: socket.socket, code: int) -> None:
        if code == CTRL_ATR:
            _send(sock, self.chip.atr)
        elif code in (CTRL_POWER_OFF, CTRL_RESET):
            self.chip.power_off()

    def _drop(self) -> None:
        self._connected.clear()
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed by the other side
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("vpcd closed the connection")
        data += chunk
    return data


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack(">H", len(payload)) + payload)
