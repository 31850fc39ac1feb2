"""A network ESC/POS receipt printer in software, with failure knobs.

It listens on loopback like a printer's port 9100, records what it prints,
answers the real-time ``DLE EOT`` questions at once and ``GS r`` only after
processing what came before it, as Epson printers do. Knobs: ``paper_out``,
``cover_open``, ``cutter_error``, ``paper_low``, ``silent`` (takes data but
never answers: a hung printer), ``answers_left`` (goes silent after that many
answers), ``busy`` (prints nothing yet reports no fault), ``paper_for_bytes``
(the roll ends mid-job).
A printer that stopped keeps what it has not printed until its buffers are
cleared (``DLE DC4 8``) or the fault goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

DLE, EOT, DC4, GS = 0x10, 0x04, 0x14, 0x1D
_FIXED_RT = 0x12  # bits 1 and 4 of every DLE EOT answer


@dataclass
class _Data:
    payload: bytes


@dataclass
class _StatusRequest:
    n: int


@dataclass
class FakeEscposPrinter:
    """Start with :meth:`start`; ``port`` is then set. Knobs may change at any time."""

    paper_out: bool = False
    cover_open: bool = False
    cutter_error: bool = False
    paper_low: bool = False
    silent: bool = False
    answers_left: int | None = None
    busy: bool = False
    paper_for_bytes: int | None = None
    port: int = 0
    received: bytearray = field(default_factory=bytearray)
    printed: bytearray = field(default_factory=bytearray)
    status_queries: list[int] = field(default_factory=list)
    clears: int = 0
    connections: int = 0
    _server: asyncio.Server | None = None
    _pending: list[_Data | _StatusRequest] = field(default_factory=list)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> FakeEscposPrinter:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and drop connections (the printer is unplugged)."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def stopped(self) -> bool:
        """Whether the mechanism is stopped (print data waits in the buffer)."""
        return self.paper_out or self.cover_open or self.cutter_error or self.busy

    def text(self, codepage: str = "cp858") -> str:
        """What was printed, decoded with ``codepage`` (control bytes included)."""
        return self.printed.decode(codepage, errors="replace")

    def fix(self) -> None:
        """Paper loaded, cover closed, cutter freed: what waits in the buffer prints."""
        self.paper_out = self.cover_open = self.cutter_error = self.busy = False
        self.paper_for_bytes = None
        self._process(None)

    # -- protocol ---------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        buffer = bytearray()
        try:
            while chunk := await reader.read(4096):
                self.received.extend(chunk)
                buffer.extend(chunk)
                self._parse(buffer, writer)
                self._process(writer)
        except ConnectionError:
            pass
        finally:
            # What is not printed stays in the buffer, as in a real printer.
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _parse(self, buffer: bytearray, writer: asyncio.StreamWriter) -> None:
        """Consume whole commands from ``buffer``; real-time ones are acted on at once."""
        while buffer:
            size = _command_size(buffer)
            if size is None:
                return  # incomplete: wait for more bytes
            command = bytes(buffer[:size])
            del buffer[:size]
            if command[:2] == bytes([DLE, EOT]):
                self.status_queries.append(command[2])
                self._answer(writer, self._realtime_status(command[2]))
            elif command[:3] == bytes([DLE, DC4, 0x08]):
                self.clears += 1
                self._pending.clear()
            elif command[:2] == bytes([GS, ord("r")]):
                self._pending.append(_StatusRequest(command[2]))
            elif size == 1 and self._pending and isinstance(self._pending[-1], _Data):
                self._pending[-1].payload += command  # plain bytes: one item, not thousands
            else:
                self._pending.append(_Data(command))

    def _process(self, writer: asyncio.StreamWriter | None) -> None:
        """Print pending data in order until the mechanism stops."""
        while self._pending and not self.stopped:
            item = self._pending.pop(0)
            if isinstance(item, _StatusRequest):
                paper = (0x0C if self.paper_out else 0) | (0x03 if self.paper_low else 0)
                self._answer(writer, paper)
                continue
            payload = item.payload
            if self.paper_for_bytes is not None:
                room = self.paper_for_bytes - len(self.printed)
                if room < len(payload):
                    room = max(room, 0)
                    self.printed.extend(payload[:room])
                    self._pending.insert(0, _Data(payload[room:]))  # waits for paper
                    self.paper_out = True
                    continue
            self.printed.extend(payload)

    def _realtime_status(self, n: int) -> int:
        if n == 1:  # a busy printer is still online
            return _FIXED_RT | (0x08 if self.stopped and not self.busy else 0)
        if n == 2:
            return (
                _FIXED_RT
                | (0x04 if self.cover_open else 0)
                | (0x20 if self.paper_out else 0)
                | (0x40 if self.cutter_error else 0)
            )
        if n == 3:
            return _FIXED_RT | (0x08 if self.cutter_error else 0)
        return _FIXED_RT | (0x60 if self.paper_out else 0) | (0x0C if self.paper_low else 0)

    def _answer(self, writer: asyncio.StreamWriter | None, byte: int) -> None:
        if self.answers_left is not None:
            if self.answers_left == 0:
                return
            self.answers_left -= 1
        if writer is not None and not self.silent and not writer.is_closing():
            writer.write(bytes([byte]))


def _command_size(buffer: bytearray) -> int | None:
    """Bytes in the command at the head of ``buffer``, or ``None`` if it is incomplete.

    Only commands that carry binary data (raster images, QR payloads) and the
    status commands are parsed; anything else counts byte by byte, which keeps
    image bytes from being read as status questions.
    """
    first = buffer[0]
    if first == DLE:
        if len(buffer) < 3:
            return None
        if buffer[1] == DC4:
            return 10 if buffer[2] == 0x08 else 5
        return 3 if buffer[1] == EOT else 1
    if first == GS:
        if len(buffer) < 3:
            return None
        if buffer[1] == ord("r"):
            return 3
        if buffer[1] == ord("v") and buffer[2] == 0x30:  # GS v 0 m xL xH yL yH d...
            if len(buffer) < 8:
                return None
            width = buffer[4] | buffer[5] << 8
            height = buffer[6] | buffer[7] << 8
            return _whole(buffer, 8 + width * height)
        if buffer[1] == ord("(") and buffer[2] == ord("k"):  # GS ( k pL pH ...
            if len(buffer) < 5:
                return None
            return _whole(buffer, 5 + (buffer[3] | buffer[4] << 8))
    return 1


def _whole(buffer: bytearray, size: int) -> int | None:
    return size if len(buffer) >= size else None
