"""The kiosk's fleet link against the real back end, through a transport with failure knobs."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from backend.db import fleet_commands, fleet_kiosks
from backend.roles import Role
from offline_queue.fleet_link import FleetLink
from offline_queue.heartbeat import Heartbeat, KioskCommand
from offline_queue.status import CREDENTIAL_REFUSED
from tests.fixtures.backend import InProcessBackend
from tests.fleet.helpers import FLEET, heartbeat, staff_client


class FlakyTransport(httpx.AsyncBaseTransport):
    """The in-process back end behind a network that can be down or lose answers.

    ``down``: requests fail before reaching the back end. ``lose_answers``:
    the back end handles that many requests, then their answers are lost.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.down = False
        self.lose_answers = 0
        self.requests = 0
        self.answered = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.down:
            raise httpx.ConnectError("network unreachable", request=request)
        response = await self.inner.handle_async_request(request)
        if self.lose_answers:
            self.lose_answers -= 1
            await response.aread()
            raise httpx.ReadError("connection reset", request=request)
        self.answered.set()
        return response


@pytest.fixture
async def network(backend_app: InProcessBackend) -> AsyncIterator[FlakyTransport]:
    return FlakyTransport(backend_app.transport())


@pytest.fixture
async def kiosk_client(
    backend_app: InProcessBackend, network: FlakyTransport
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=network,
        base_url=backend_app.base_url,
        headers={"Authorization": f"Bearer {backend_app.kiosk_token}"},
    ) as client:
        yield client


class Kiosk:
    """The kiosk's side of a command: counts what it ran, can be told to fail."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.error: Exception | None = None
        self.delay_s = 0.0

    async def on_command(self, command: KioskCommand) -> tuple[bool, str | None]:
        self.ran.append(command.command_id)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.error is not None:
            raise self.error
        return True, None


async def issue(backend_app: InProcessBackend, kind: str = "sync_now") -> str:
    async with staff_client(backend_app, f"tech-{random.randrange(10**6)}", Role.TECHNICIAN) as t:
        answer = await t.post(f"{FLEET}/{backend_app.kiosk_id}/commands", json={"kind": kind})
    assert answer.status_code == 201, answer.text
    command_id: str = answer.json()["command_id"]
    return command_id


def command_state(backend_app: InProcessBackend) -> list[tuple[str, str]]:
    with backend_app.app.state.engine.connect() as conn:
        rows = conn.execute(select(fleet_commands.c.command_id, fleet_commands.c.state)).all()
    return [(row.command_id, row.state) for row in rows]


async def test_a_redelivered_command_runs_once(
    backend_app: InProcessBackend, network: FlakyTransport, kiosk_client: httpx.AsyncClient
) -> None:
    kiosk = Kiosk()
    link = FleetLink(kiosk_client, heartbeat, kiosk.on_command)
    command_id = await issue(backend_app)

    assert await link.beat_once() is not None  # delivered and run
    network.lose_answers = 1
    assert await link.beat_once() is None  # the ack arrived, its answer was lost
    assert [a.command_id for a in link.pending_acks] == [command_id]  # kept, to be sure
    assert command_state(backend_app) == [(command_id, "acked")]
    await link.beat_once()

    assert kiosk.ran == [command_id]
    assert link.pending_acks == []


async def test_a_lost_reply_means_the_command_comes_again_and_runs_once(
    backend_app: InProcessBackend, network: FlakyTransport, kiosk_client: httpx.AsyncClient
) -> None:
    kiosk = Kiosk()
    link = FleetLink(kiosk_client, heartbeat, kiosk.on_command)
    command_id = await issue(backend_app)
    network.lose_answers = 1
    assert await link.beat_once() is None  # delivered by the back end, never received
    assert kiosk.ran == []
    await link.beat_once()  # delivered again, run now
    await link.beat_once()  # acknowledged
    await link.beat_once()  # nothing more to do
    assert kiosk.ran == [command_id]
    assert command_state(backend_app) == [(command_id, "acked")]


async def test_the_network_going_away_is_survived_with_backoff(
    backend_app: InProcessBackend, network: FlakyTransport, kiosk_client: httpx.AsyncClient
) -> None:
    kiosk = Kiosk()
    link = FleetLink(kiosk_client, heartbeat, kiosk.on_command, interval_s=5, rng=random.Random(7))
    network.down = True
    for _ in range(4):
        assert await link.beat_once() is None
        assert link.next_delay_s >= 5
    assert link.last_error == "network: ConnectError"
    network.down = False
    assert await link.beat_once() is not None
    assert link.last_error is None
    assert link.next_delay_s == 10.0
    with backend_app.app.state.engine.connect() as conn:
        assert conn.execute(select(fleet_kiosks.c.kiosk_id)).scalars().all() == [
            backend_app.kiosk_id
        ]


async def test_a_refusal_is_retried_and_a_failing_command_is_acknowledged_as_failed(
    backend_app: InProcessBackend, network: FlakyTransport
) -> None:
    kiosk = Kiosk()
    async with httpx.AsyncClient(
        transport=network,
        base_url=backend_app.base_url,
        headers={"Authorization": "Bearer vg_revoked-or-wrong"},
    ) as wrong:
        refused = FleetLink(wrong, heartbeat, kiosk.on_command)
        assert await refused.beat_once() is None
        assert refused.last_error == CREDENTIAL_REFUSED  # named as such in the diagnostics

    async with httpx.AsyncClient(
        transport=network,
        base_url=backend_app.base_url,
        headers={"Authorization": f"Bearer {backend_app.kiosk_token}"},
    ) as client:
        link = FleetLink(client, heartbeat, kiosk.on_command, command_timeout_s=0.2)
        first = await issue(backend_app)
        kiosk.error = OSError("outbox locked")
        await link.beat_once()
        second = await issue(backend_app, "out_of_service")
        kiosk.error, kiosk.delay_s = None, 1.0
        await link.beat_once()  # acks the first, runs the second: too slow
        await link.beat_once()
    states = dict(command_state(backend_app))
    assert states == {first: "failed", second: "failed"}
    with backend_app.app.state.engine.connect() as conn:
        details = dict(
            conn.execute(select(fleet_commands.c.command_id, fleet_commands.c.detail)).all()
        )
    assert details == {first: "error: OSError", second: "timed out after 0.2 s"}


async def test_a_broken_snapshot_skips_a_beat_without_ending_the_task(
    network: FlakyTransport, kiosk_client: httpx.AsyncClient
) -> None:
    beats = {"n": 0}

    def snapshot() -> Heartbeat:
        beats["n"] += 1
        if beats["n"] == 1:
            raise RuntimeError("outbox unreadable")
        return heartbeat()

    link = FleetLink(kiosk_client, snapshot, Kiosk().on_command, interval_s=1)
    link.start()
    try:
        async with asyncio.timeout(10):
            await network.answered.wait()
    finally:
        await link.stop()
    assert beats["n"] == 2


def test_the_interval_is_bounded(kiosk_client: httpx.AsyncClient) -> None:
    with pytest.raises(ValueError, match="interval_s"):
        FleetLink(kiosk_client, heartbeat, Kiosk().on_command, interval_s=0)
