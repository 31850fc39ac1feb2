"""Building service events and staff accounts for the analytics tests."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Engine

from backend.console_auth import add_agent
from backend.roles import Role
from backend.routing import Skills
from offline_queue.analytics import new_event_id

PASSWORD = "correct horse battery"
DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def new_session() -> str:
    return secrets.token_hex(8)


def event(kind: str, session: str, at: datetime = DAY, **codes: Any) -> dict[str, Any]:
    """One service event as a kiosk sends it (JSON)."""
    return {
        "id": new_event_id(),
        "kind": kind,
        "at": at.isoformat(),
        "session": session,
        **codes,
    }


def add_staff(engine: Engine, agent_id: str, *roles: Role) -> None:
    with engine.begin() as conn:
        add_agent(conn, agent_id, agent_id.title(), PASSWORD, Skills(), now=DAY, roles=roles)


async def log_in(client: httpx.AsyncClient, agent_id: str) -> None:
    client.cookies.clear()
    answer = await client.post("/console/login", json={"agent_id": agent_id, "password": PASSWORD})
    assert answer.status_code == 200, answer.text


def visit(
    at: datetime,
    *,
    service: str = "change-of-address",
    agency: str = "ville",
    language: str = "fr",
    completed: bool = True,
    file_hash: str | None = None,
    abandoned_at: str | None = None,
    escalated_at: str | None = None,
    score: int | None = None,
    reason: str | None = None,
    handoff: bool = False,
) -> list[dict[str, Any]]:
    """One visit's events, as the kiosk's view model records them."""
    session = new_session()
    codes = {"language": language, "agency_id": agency, "service_id": service}
    events = [
        event("session_started", session, at),
        event("service_started", session, at, step="privacy", **codes),
    ]
    if escalated_at:
        events.append(event("escalated", session, at, step=escalated_at, **codes))
    if abandoned_at:
        events.append(event("session_abandoned", session, at, step=abandoned_at, **codes))
        return events
    if completed:
        hashed = {"file_hash": file_hash} if file_hash else {}
        events.append(event("service_completed", session, at, **codes, **hashed))
    if score:
        events.append(event("satisfaction", session, at, score=score, reason=reason, **codes))
    if handoff:
        events.append(event("online_handoff", session, at, **codes))
    return events
