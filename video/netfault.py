"""A userspace UDP fault proxy: delay, loss, rate limit and cuts, for tests and technicians.

This kernel has no netem (PLATFORM-NOTES), so faults are made here: the proxy
listens on one UDP port, relays every client to a fixed target (a TURN server,
typically: point the kiosk's TURN URL at the proxy), and impairs both
directions alike. Settings can change while it runs (:meth:`UdpFaultProxy.set`).

    python -m video.netfault --target 127.0.0.1:3478 --listen 127.0.0.1:3479 \\
        --delay-ms 80 --loss 0.02 --rate-kbps 800

With ``--control-stdin`` it takes fault changes as JSON lines on standard input
(``{"cut": true}``), which is how the call benchmark drives it from outside the
kiosk's process, so that relaying costs the kiosk no CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

Address = tuple[str, int]
MAX_QUEUE_S = 0.25  # a rate-limited direction holds at most this much: a router's buffer


@dataclass(frozen=True)
class Faults:
    """The impairment applied to each direction."""

    delay_s: float = 0.0
    loss: float = 0.0  # 0..1, independent per packet
    rate_bps: int | None = None  # None: unlimited
    cut: bool = False  # drop everything


@dataclass
class _Direction:
    """A token-bucket-like serialiser: when the link is next free, in monotonic time."""

    free_at: float = 0.0
    sent: int = 0
    dropped: int = 0


class _Listener(asyncio.DatagramProtocol):
    def __init__(self, proxy: UdpFaultProxy) -> None:
        self._proxy = proxy

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._proxy._from_client(data, (addr[0], addr[1]))


class _Upstream(asyncio.DatagramProtocol):
    def __init__(self, proxy: UdpFaultProxy, client: Address) -> None:
        self._proxy = proxy
        self._client = client

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._proxy._from_target(data, self._client)


class UdpFaultProxy:
    """Relays UDP between clients and ``target`` through adjustable faults."""

    def __init__(
        self, target: Address, listen: Address = ("127.0.0.1", 0), faults: Faults | None = None
    ) -> None:
        self.target = target
        self._listen = listen
        self.faults = faults or Faults()
        self._rng = random.Random()
        self._server: asyncio.DatagramTransport | None = None
        self._upstreams: dict[Address, asyncio.DatagramTransport] = {}
        self._pending: dict[Address, list[bytes]] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self._openers: set[asyncio.Task[None]] = set()
        self.up = _Direction()
        self.down = _Direction()

    @property
    def address(self) -> Address:
        """Where clients should send (the real port once started)."""
        assert self._server is not None, "start() first"
        host, port = self._server.get_extra_info("sockname")[:2]
        return str(host), int(port)

    async def start(self) -> UdpFaultProxy:
        """Open the listening socket."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Listener(self), local_addr=self._listen
        )
        self._server = transport
        return self

    def set(self, **changes: Any) -> None:
        """Change faults now, e.g. ``set(cut=True)`` or ``set(delay_s=0.1, loss=0.05)``."""
        self.faults = replace(self.faults, **changes)

    async def close(self) -> None:
        """Close every socket and forget packets in flight."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for task in list(self._openers):
            task.cancel()
        await asyncio.gather(*self._openers, return_exceptions=True)
        for transport in self._upstreams.values():
            transport.close()
        self._upstreams.clear()
        if self._server is not None:
            self._server.close()
            self._server = None
        await asyncio.sleep(0)  # let the transports finish closing

    async def __aenter__(self) -> UdpFaultProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- relaying ---------------------------------------------------------

    def _from_client(self, data: bytes, client: Address) -> None:
        upstream = self._upstreams.get(client)
        if upstream is None:
            pending = self._pending.get(client)
            if pending is not None:  # the upstream socket is being opened
                pending.append(data)
                return
            self._pending[client] = [data]
            task = asyncio.get_running_loop().create_task(self._open_upstream(client))
            self._openers.add(task)
            task.add_done_callback(self._openers.discard)
            return
        self._forward(data, self.up, lambda: self._send_up(client, data))

    async def _open_upstream(self, client: Address) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Upstream(self, client), remote_addr=self.target
        )
        if self._server is None:  # closed meanwhile
            transport.close()
            return
        self._upstreams[client] = transport
        for data in self._pending.pop(client, []):
            self._forward(data, self.up, functools.partial(self._send_up, client, data))

    def _from_target(self, data: bytes, client: Address) -> None:
        self._forward(data, self.down, lambda: self._send_down(client, data))

    def _send_up(self, client: Address, data: bytes) -> None:
        upstream = self._upstreams.get(client)
        if upstream is not None and not self.faults.cut:
            upstream.sendto(data)

    def _send_down(self, client: Address, data: bytes) -> None:
        if self._server is not None and not self.faults.cut:
            self._server.sendto(data, client)

    def _forward(self, data: bytes, direction: _Direction, send: Callable[[], None]) -> None:
        faults = self.faults
        if faults.cut or (faults.loss > 0 and self._rng.random() < faults.loss):
            direction.dropped += 1
            return
        now = time.monotonic()
        wait = 0.0
        if faults.rate_bps:
            start = max(now, direction.free_at)
            if start - now > MAX_QUEUE_S:  # the buffer is full: tail drop
                direction.dropped += 1
                return
            direction.free_at = start + len(data) * 8 / faults.rate_bps
            wait = direction.free_at - now
        wait += faults.delay_s
        direction.sent += 1
        if wait <= 0:
            send()
            return
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle | None = None

        def fire() -> None:
            if timer is not None:
                self._timers.discard(timer)
            send()

        timer = loop.call_later(wait, fire)
        self._timers.add(timer)


def _address(text: str) -> Address:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def faults_from_command(line: str, current: Faults) -> Faults:
    """Apply one control line, a JSON object such as ``{"cut": true}`` or
    ``{"delay_ms": 100, "loss": 0.05, "rate_kbps": 1000}`` (``rate_kbps`` 0: unlimited).

    Raises ``ValueError`` for anything else, so a typo never goes unnoticed.
    """
    try:
        command = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"not JSON: {err.msg}") from None
    if not isinstance(command, dict) or not command:
        raise ValueError("expected a JSON object of faults")
    unknown = set(command) - {"cut", "delay_ms", "loss", "rate_kbps"}
    if unknown:
        raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}")
    faults = current
    if "cut" in command:
        if not isinstance(command["cut"], bool):
            raise ValueError("cut is true or false")
        faults = replace(faults, cut=command["cut"])
    numbers = {key: _non_negative(command, key) for key in ("delay_ms", "loss", "rate_kbps")}
    if numbers["delay_ms"] is not None:
        faults = replace(faults, delay_s=numbers["delay_ms"] / 1000)
    if numbers["loss"] is not None:
        if numbers["loss"] > 1:
            raise ValueError("loss is between 0 and 1")
        faults = replace(faults, loss=numbers["loss"])
    if numbers["rate_kbps"] is not None:
        faults = replace(faults, rate_bps=int(numbers["rate_kbps"] * 1000) or None)
    return faults


def _non_negative(command: dict[str, object], key: str) -> float | None:
    """``command[key]`` as a number at least 0, ``None`` when absent."""
    if key not in command:
        return None
    value = command[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} is a number")
    if value < 0:
        raise ValueError(f"{key} is not negative")
    return float(value)


async def _follow_commands(proxy: UdpFaultProxy) -> None:
    """Read control lines on standard input; answer each with ``ok`` or ``error: ...``."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        try:
            proxy.faults = faults_from_command(line.decode("utf-8", "replace"), proxy.faults)
        except ValueError as err:
            print(f"error: {err}", flush=True)
        else:
            print(f"ok {proxy.faults}", flush=True)


async def _serve(args: argparse.Namespace) -> None:
    faults = Faults(
        delay_s=args.delay_ms / 1000,
        loss=args.loss,
        rate_bps=args.rate_kbps * 1000 if args.rate_kbps else None,
    )
    async with UdpFaultProxy(_address(args.target), _address(args.listen), faults) as proxy:
        print(f"relaying {proxy.address} -> {proxy.target} with {faults}", flush=True)
        if args.control_stdin:
            await _follow_commands(proxy)
            return
        while True:
            if args.cut_every_s:
                await asyncio.sleep(args.cut_every_s)
                proxy.set(cut=True)
                print("link cut", flush=True)
                await asyncio.sleep(args.cut_for_s)
                proxy.set(cut=False)
                print(f"link back (up {proxy.up}, down {proxy.down})", flush=True)
            else:
                await asyncio.sleep(10)
                print(f"up {proxy.up}, down {proxy.down}", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Run the proxy until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, help="host:port to relay to")
    parser.add_argument("--listen", default="127.0.0.1:0", help="host:port to listen on")
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--loss", type=float, default=0.0, help="0..1 per packet")
    parser.add_argument("--rate-kbps", type=int, default=0, help="0: unlimited")
    parser.add_argument("--cut-every-s", type=float, default=0.0, help="cut periodically")
    parser.add_argument("--cut-for-s", type=float, default=10.0)
    parser.add_argument(
        "--control-stdin",
        action="store_true",
        help='change faults by JSON lines on standard input, e.g. {"cut": true}; EOF stops',
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
