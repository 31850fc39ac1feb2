"""The fault-injecting proxy does what its knobs say (so the network tests mean something)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from tests.offline_queue.tcp_proxy import FaultyTcpProxy

WAIT_S = 5.0
PAYLOAD = bytes(range(256)) * 1024  # 256 KiB: several chunks


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[FaultyTcpProxy]:
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    relay = FaultyTcpProxy("127.0.0.1", server.sockets[0].getsockname()[1], seed=1)
    await relay.start()
    try:
        yield relay
    finally:
        await relay.close()
        server.close()
        await server.wait_closed()


async def round_trip(proxy: FaultyTcpProxy, payload: bytes = b"ping") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), WAIT_S)
    finally:
        writer.close()


async def test_a_healthy_proxy_relays_every_byte_in_order(proxy: FaultyTcpProxy) -> None:
    assert await round_trip(proxy, PAYLOAD) == PAYLOAD


async def test_latency_delays_each_direction(proxy: FaultyTcpProxy) -> None:
    proxy.set(latency_s=0.1)
    started = time.monotonic()

    assert await round_trip(proxy) == b"ping"

    assert time.monotonic() - started >= 0.2


async def test_lost_chunks_arrive_late_but_whole_and_in_order(proxy: FaultyTcpProxy) -> None:
    proxy.set(loss=0.5, retransmit_s=0.01)

    assert await round_trip(proxy, PAYLOAD) == PAYLOAD
    assert proxy.stats.lost > 0


async def test_a_reset_cuts_the_connection(proxy: FaultyTcpProxy) -> None:
    proxy.set(reset_rate=1.0)

    with pytest.raises((ConnectionResetError, asyncio.IncompleteReadError)):
        await round_trip(proxy)
    assert proxy.stats.resets == 1


async def test_refuse_resets_new_connections(proxy: FaultyTcpProxy) -> None:
    proxy.set(partition="refuse")

    with pytest.raises((ConnectionResetError, asyncio.IncompleteReadError)):
        await round_trip(proxy)
    assert proxy.stats.refused == 1


async def test_a_blackhole_hangs_until_healed(proxy: FaultyTcpProxy) -> None:
    proxy.set(partition="blackhole")
    hanging = asyncio.create_task(round_trip(proxy))
    done, _ = await asyncio.wait({hanging}, timeout=0.3)
    assert not done

    proxy.set(partition="none")

    assert await asyncio.wait_for(hanging, WAIT_S) == b"ping"
