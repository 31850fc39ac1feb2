"""The kiosk's hub link: bearer credential, bad frames dropped, reconnection after a drop."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from websockets.asyncio.server import ServerConnection, serve

from video.hub_client import HubClient
from video.signaling import CallRequest, QueuePosition, dump_signal, parse_signal

TOKEN = "vg_test-token"


async def test_the_link_authenticates_drops_bad_frames_and_comes_back() -> None:
    headers: list[str | None] = []
    received: list[str] = []
    connections = 0
    both_received = asyncio.Event()

    async def hub(socket: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        headers.append(socket.request.headers.get("Authorization") if socket.request else None)
        await socket.send("{not json")  # a broken hub must not break the kiosk
        await socket.send(
            dump_signal(QueuePosition(call_id="c1", position=connections, estimated_wait_s=60))
        )
        received.append(await socket.recv())  # type: ignore[arg-type]
        if len(received) == 2:
            both_received.set()
        if connections == 1:
            await socket.close()  # the network drops; the kiosk must reconnect
            return
        await socket.wait_closed()

    async with serve(hub, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = HubClient(f"ws://127.0.0.1:{port}/ws/kiosk", TOKEN, backoff=(0.05, 0.2))
        runner = asyncio.create_task(client.run())
        messages = client.messages()
        try:
            for expected_position in (1, 2):
                message = await asyncio.wait_for(anext(messages), 10)
                assert message == QueuePosition(
                    call_id="c1", position=expected_position, estimated_wait_s=60
                )
                await asyncio.wait_for(client.connected.wait(), 10)
                await client.send(CallRequest(kiosk_id="k1", language="fr"))
            await asyncio.wait_for(both_received.wait(), 10)
        finally:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
    assert headers == [f"Bearer {TOKEN}", f"Bearer {TOKEN}"]
    assert [parse_signal(raw) for raw in received] == [
        CallRequest(kiosk_id="k1", language="fr")
    ] * 2
    assert client.dropped == 2


async def test_sending_while_the_hub_is_down_raises_connection_error() -> None:
    client = HubClient("ws://127.0.0.1:9/ws/kiosk", TOKEN)
    with pytest.raises(ConnectionError):
        await client.send(CallRequest(kiosk_id="k1", language="en"))
