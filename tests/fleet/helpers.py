"""Heartbeats of a simulated kiosk, and staff members of each role logged in to the back end."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from backend.console_auth import add_agent
from backend.roles import Role
from backend.routing import Skills
from offline_queue.heartbeat import DeviceReport, Heartbeat, OutboxReport
from tests.fixtures.backend import InProcessBackend

PASSWORD = "correct horse battery"
HEARTBEAT = "/api/v1/fleet/heartbeat"
FLEET = "/api/v1/fleet"


def devices(**faults: str) -> list[DeviceReport]:
    """All four devices ok, except those given as ``device="fault_code"``."""
    names = ("card_reader", "printer", "document_camera", "face_camera")
    return [
        DeviceReport(device=name, state="fault", fault=faults[name])  # type: ignore[arg-type]
        if name in faults
        else DeviceReport(device=name, state="ok")  # type: ignore[arg-type]
        for name in names
    ]


def heartbeat(
    *,
    faults: dict[str, str] | None = None,
    backlog: int = 0,
    oldest_age: timedelta | None = None,
    out_of_service: bool = False,
    version: str = "1.4.2",
) -> Heartbeat:
    """A realistic heartbeat of a healthy kiosk, with the faults and backlog asked for."""
    now = datetime.now(UTC)
    return Heartbeat(
        sent_at=now,
        app_version=version,
        uptime_s=3_600,
        devices=devices(**(faults or {})),
        outbox=OutboxReport(
            backlog=backlog,
            oldest_pending_at=now - oldest_age if oldest_age is not None else None,
            last_sync_at=now - timedelta(seconds=30),
            dead_letters=0,
        ),
        disk_free_mb=12_000,
        out_of_service=out_of_service,
    )


def body(beat: Heartbeat) -> dict[str, Any]:
    """The heartbeat as a JSON-ready dict."""
    data: dict[str, Any] = beat.model_dump(mode="json")
    return data


def add_staff(backend: InProcessBackend, agent_id: str, *roles: Role) -> None:
    """Create a staff account with ``roles`` (password :data:`PASSWORD`)."""
    with backend.app.state.engine.begin() as conn:
        add_agent(
            conn, agent_id, agent_id.title(), PASSWORD, Skills(), now=datetime.now(UTC), roles=roles
        )


@contextlib.asynccontextmanager
async def staff_client(
    backend: InProcessBackend, agent_id: str, *roles: Role
) -> AsyncIterator[httpx.AsyncClient]:
    """A logged-in staff member's client; it sends this origin, as the page's fetch does."""
    add_staff(backend, agent_id, *roles)
    async with httpx.AsyncClient(
        transport=backend.transport(),
        base_url=backend.base_url,
        headers={"Origin": backend.base_url},
    ) as client:
        login = await client.post(
            "/console/login", json={"agent_id": agent_id, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        yield client
