"""Shared set-up of the routing tests: queues, agents and a controllable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select

from backend.db import agents, calls
from backend.routing import (
    RoutingConfig,
    Skills,
    choose_state,
    create_agent,
)
from backend.routing.queues import parse_queues
from video.signaling import CallContext, CallRequest

# Monday 23 November 2026, 10:00 in Toronto (EST, UTC-5).
MONDAY_10H = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ALWAYS = {day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
OFFICE = {day: "08:30-16:30" for day in ("mon", "tue", "wed", "thu", "fri")}
AGENCY = "riviere-claire"


def queue_document(hours: dict[str, str] | None = None) -> dict[str, Any]:
    """Three queues: French and English at the agency, French at a second agency."""
    hours = ALWAYS if hours is None else hours
    return {
        "time_zone": "America/Toronto",
        "queue": [
            {
                "id": "rc-fr",
                "agency": AGENCY,
                "services": ["change-of-address", "appointment"],
                "languages": ["fr"],
                "hours": hours,
            },
            {
                "id": "rc-en",
                "agency": AGENCY,
                "services": ["change-of-address", "appointment"],
                "languages": ["en"],
                "hours": hours,
            },
            {
                "id": "other-fr",
                "agency": "other",
                "services": ["copy-of-record"],
                "languages": ["fr"],
                "hours": hours,
            },
        ],
    }


def make_config(hours: dict[str, str] | None = None, **timers: int) -> RoutingConfig:
    """A routing configuration on :func:`queue_document`."""
    book = parse_queues(
        queue_document(hours), source="test", default_zone="America/Toronto", default_max_wait_s=900
    )
    return RoutingConfig(queues=book, **timers)


def skills(text: str = f"agency:{AGENCY},language:fr,service:change-of-address") -> Skills:
    """Parse skills in the CLI's form."""
    return Skills.parse(text)


def add_agent(
    engine: Engine,
    agent_id: str,
    now: datetime,
    skill_text: str | None = None,
    *,
    state: str | None = "available",
) -> None:
    """An agent (a fake hash: these tests never log in) in ``state`` (None: logged out)."""
    with engine.begin() as conn:
        create_agent(
            conn,
            agent_id,
            agent_id.title(),
            "not-a-hash",
            skills() if skill_text is None else skills(skill_text),
            now=now,
        )
        if state is not None:
            choose_state(conn, agent_id, state, now)


def request(
    kiosk_id: str = "k1",
    language: str = "fr",
    service_id: str | None = "change-of-address",
    agency: str | None = AGENCY,
) -> CallRequest:
    """A citizen's call request from ``kiosk_id``."""
    context = CallContext(agency_id=agency, fields=[("Nom", "Tremblay")]) if agency else None
    return CallRequest(
        kiosk_id=kiosk_id,
        language=language,  # type: ignore[arg-type]
        service_id=service_id,
        context=context,
    )


def call_state(conn: Connection, call_id: str) -> Any:
    """The call's row."""
    return conn.execute(select(calls).where(calls.c.call_id == call_id)).one()


def agent_state(conn: Connection, agent_id: str) -> str:
    """The agent's state."""
    return str(
        conn.execute(select(agents.c.state).where(agents.c.agent_id == agent_id)).scalar_one()
    )


def seconds(value: float) -> timedelta:
    """A duration."""
    return timedelta(seconds=value)
