"""A kiosk revoked from the fleet view: refused at once over HTTP, its hub socket closed
within one heartbeat, its outbox kept, and the refusal named in its diagnostics."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import select

from backend.audit import AuditAction
from backend.auth import revoke
from backend.console_auth import add_agent
from backend.db import audit_log
from backend.hub.core import REVALIDATE_S
from backend.hub.peer import CREDENTIAL_REVOKED
from backend.roles import Role
from backend.routing import Skills
from offline_queue.fleet_link import DEFAULT_INTERVAL_S as HEARTBEAT_S
from offline_queue.fleet_link import FleetLink
from offline_queue.outbox import Outbox
from offline_queue.status import CREDENTIAL_REFUSED
from offline_queue.sync import SyncWorker, make_backend_client
from tests.backend.hub_helpers import PASSWORD, LiveBackend, live_backend
from tests.fixtures import make_record
from tests.fleet.helpers import heartbeat

KIOSK = "kiosk-stolen-01"


async def revoke_from_the_fleet_view(backend: LiveBackend, kiosk_id: str, confirm: str) -> int:
    async with httpx.AsyncClient(base_url=backend.http, headers={"Origin": backend.http}) as client:
        login = await client.post("/console/login", json={"agent_id": "tina", "password": PASSWORD})
        assert login.status_code == 200
        answer = await client.post(f"/api/v1/fleet/{kiosk_id}/revoke", json={"confirm": confirm})
        return answer.status_code


async def closed_within(socket: websockets.ClientConnection, limit_s: float) -> float:
    started = time.monotonic()
    async with asyncio.timeout(limit_s):
        await socket.wait_closed()
    assert socket.close_code == CREDENTIAL_REVOKED
    return time.monotonic() - started


def test_the_hub_checks_sockets_well_within_one_heartbeat() -> None:
    assert HEARTBEAT_S == 10
    assert REVALIDATE_S * 2 < HEARTBEAT_S


async def test_revoked_from_the_fleet_view_the_kiosk_is_cut_off(
    tmp_path: Path, database_url: str
) -> None:
    async with live_backend(tmp_path, database_url) as backend:
        token = backend.kiosk_token(KIOSK)
        add_staff_to(backend)
        outbox = Outbox.open(tmp_path / "kiosk" / "outbox.db")
        try:
            outbox.enqueue(session_id="s1", record=make_record())
            async with (
                make_backend_client(backend.http, token) as client,
                backend.kiosk_socket(token) as socket,
            ):
                link = FleetLink(client, heartbeat, _no_command)
                assert await link.beat_once() is not None  # accepted before

                # A wrong confirmation changes nothing.
                assert await revoke_from_the_fleet_view(backend, KIOSK, "kiosk-other") == 409
                assert await link.beat_once() is not None
                assert await revoke_from_the_fleet_view(backend, KIOSK, KIOSK) == 200

                assert await closed_within(socket, HEARTBEAT_S) < HEARTBEAT_S
                # The very next heartbeat is refused, and the kiosk says why.
                assert await link.beat_once() is None
                assert link.last_error == CREDENTIAL_REFUSED
                worker = SyncWorker(outbox, client)
                report = await worker.sync_once()
                assert report.acknowledged == 0
                assert worker.status.last_error == CREDENTIAL_REFUSED
                assert outbox.stats().backlog == 1  # nothing lost: it waits for re-enrolment
        finally:
            outbox.close()
        with backend.engine.connect() as conn:
            entries = conn.execute(
                select(audit_log).where(audit_log.c.action == AuditAction.CREDENTIAL_REVOKE)
            ).all()
        assert [(e.actor, e.target) for e in entries] == [("tina", KIOSK)]


async def test_a_revocation_made_elsewhere_closes_the_socket_within_one_heartbeat(
    tmp_path: Path, database_url: str
) -> None:
    # Another instance (or the CLI) revokes in the shared database: this instance's
    # hub finds out by asking the database, not its memory.
    async with live_backend(tmp_path, database_url) as backend:
        token = backend.kiosk_token(KIOSK)
        async with backend.kiosk_socket(token) as socket:
            await asyncio.sleep(0.2)
            revoke(backend.engine, KIOSK)
            assert await closed_within(socket, HEARTBEAT_S) <= REVALIDATE_S + 2
        with pytest.raises(websockets.InvalidStatus):
            async with backend.kiosk_socket(token):
                pass


async def test_only_a_permitted_role_may_revoke(tmp_path: Path, database_url: str) -> None:
    async with live_backend(tmp_path, database_url) as backend:
        backend.kiosk_token(KIOSK)
        backend.agent("sam")  # an agent: takes calls, revokes nothing
        async with httpx.AsyncClient(
            base_url=backend.http, headers={"Origin": backend.http}
        ) as client:
            await client.post("/console/login", json={"agent_id": "sam", "password": PASSWORD})
            answer = await client.post(f"/api/v1/fleet/{KIOSK}/revoke", json={"confirm": KIOSK})
        assert answer.status_code == 403
        async with make_backend_client(backend.http, backend.kiosk_token(KIOSK)) as kiosk:
            assert (await kiosk.post("/api/v1/fleet/heartbeat", content=b"{}")).status_code == 422


async def _no_command(_command: object) -> tuple[bool, str | None]:
    return True, None


def add_staff_to(backend: LiveBackend) -> None:
    """A technician ``tina`` (the role that revokes)."""
    with backend.engine.begin() as conn:
        add_agent(
            conn, "tina", "Tina", PASSWORD, Skills(), now=datetime.now(UTC), roles=[Role.TECHNICIAN]
        )
