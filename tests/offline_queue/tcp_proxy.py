"""A fault-injecting TCP proxy on loopback: latency, loss, resets and partitions on demand.

This kernel has no netem, so the faults are made in user space, per chunk
of bytes relayed, each direction on its own:

* ``latency_s`` (+ up to ``jitter_s``): every chunk waits before it is relayed.
* ``loss``: TCP never loses bytes, it re-sends them after a retransmission
  timeout; a "lost" chunk is therefore held ``retransmit_s`` (doubled for
  each loss in a row) and everything behind it waits, as on a lossy link.
* ``reset_rate``: a chunk may instead reset the connection (RST both ways,
  with ``SO_LINGER`` 0), as a NAT or a flaky modem does.
* a partition: ``blackhole`` relays nothing and answers nothing (new and
  existing connections hang, as when a cable is pulled); ``refuse`` resets
  every new connection (as when the far side is down).

Knobs change while traffic flows; :attr:`stats` counts what was done.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from dataclasses import dataclass
from typing import Literal

CHUNK_BYTES = 64 * 1024
Partition = Literal["none", "blackhole", "refuse"]


@dataclass
class Knobs:
    """The faults in force; change them at any time."""

    latency_s: float = 0.0
    jitter_s: float = 0.0
    loss: float = 0.0
    retransmit_s: float = 0.2
    reset_rate: float = 0.0
    partition: Partition = "none"


@dataclass
class ProxyStats:
    """What the proxy did, for tests to check that faults really happened."""

    connections: int = 0
    chunks: int = 0
    lost: int = 0
    resets: int = 0
    refused: int = 0


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST instead of a FIN (SO_LINGER on, zero timeout)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultyTcpProxy:
    """Relays 127.0.0.1:<port> to ``target``, with the faults of :attr:`knobs`."""

    def __init__(self, target_host: str, target_port: int, *, seed: int = 0) -> None:
        self.target = (target_host, target_port)
        self.knobs = Knobs()
        self.stats = ProxyStats()
        self._rng = random.Random(seed)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._healed = asyncio.Event()
        self._healed.set()
        self.port = 0

    async def start(self) -> int:
        """Listen on a free loopback port; return it."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: where clients should connect."""
        return f"http://127.0.0.1:{self.port}"

    def set(self, **knobs: object) -> None:
        """Change faults, e.g. ``set(latency_s=0.1, loss=0.3)``; the rest stay as they are."""
        for name, value in knobs.items():
            if not hasattr(self.knobs, name):
                raise AttributeError(f"no knob {name!r}")
            setattr(self.knobs, name, value)
        if self.knobs.partition == "none":
            self._healed.set()
        else:
            self._healed.clear()

    def clear(self) -> None:
        """No fault at all: a healthy network."""
        self.knobs = Knobs()
        self._healed.set()

    async def close(self) -> None:
        """Stop listening and drop every relayed connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        if self.knobs.partition == "refuse":
            self.stats.refused += 1
            _reset(writer)
            return
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._healed.wait()  # a blackhole accepts (the kernel did) but never answers
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.target)
            except OSError:
                _reset(writer)
                return
            pumps = [
                asyncio.create_task(self._pump(reader, up_writer, writer)),
                asyncio.create_task(self._pump(up_reader, writer, up_writer)),
            ]
            try:
                await asyncio.gather(*pumps)
            finally:
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
                for end in (writer, up_writer):
                    end.transport.abort()
        finally:
            self._tasks.discard(task)

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        source_writer: asyncio.StreamWriter,
    ) -> None:
        losses_in_a_row = 0
        while data := await source.read(CHUNK_BYTES):
            self.stats.chunks += 1
            await self._healed.wait()  # a partition stalls traffic already under way
            knobs = self.knobs
            if self._rng.random() < knobs.reset_rate:
                self.stats.resets += 1
                _reset(sink)
                _reset(source_writer)
                return
            delay = knobs.latency_s + self._rng.uniform(0.0, knobs.jitter_s)
            if self._rng.random() < knobs.loss:
                self.stats.lost += 1
                delay += knobs.retransmit_s * 2**losses_in_a_row
                losses_in_a_row += 1
            else:
                losses_in_a_row = 0
            if delay:
                await asyncio.sleep(delay)
            sink.write(data)
            await sink.drain()
        if sink.can_write_eof():
            with contextlib.suppress(OSError):
                sink.write_eof()
