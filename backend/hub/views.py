"""What the hub shows: offers, queue positions and the consoles' queue board.

Read-only queries turning rows into signalling messages. The context the
citizen consented to share goes to agents who could take the call, never
into logs or the analytics record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from backend.db import agents, calls
from backend.routing import (
    RoutingConfig,
    Skills,
    estimate_wait,
    kiosk_active_calls,
    queue_position,
    stored_context,
)
from backend.routing.records import call_row
from video.signaling import (
    MAX_SNAPSHOT_AGENTS,
    MAX_SNAPSHOT_CALLS,
    AgentPresence,
    AgentState,
    CallOffered,
    QueuePosition,
    QueueSnapshot,
    WaitingCall,
)

# Agent states and language codes are checked by the database and the schemas.
_LANGUAGES = ("fr", "en")


def _waited(call: Row[Any], now: datetime) -> int:
    return max(0, int((now - call.enqueued_at).total_seconds()))


def offer_message(conn: Connection, call_id: str, now: datetime, timeout_s: int) -> CallOffered:
    """The ``call_offered`` message for an offer just made."""
    call = call_row(conn, call_id)
    assert call is not None  # the offer was made in this transaction
    context, reason = stored_context(call.context)
    return CallOffered(
        call_id=call.call_id,
        queue_id=call.queue_id,
        language=call.language,
        service_id=call.service_id,
        reason=reason,
        context=context,
        waited_s=_waited(call, now),
        timeout_s=timeout_s,
        transfers=call.transfers,
    )


def position_of(
    conn: Connection, config: RoutingConfig, kiosk_id: str, now: datetime
) -> QueuePosition | None:
    """The kiosk's current ``queue_position``, or ``None`` when it has no waiting call."""
    active = [call for call in kiosk_active_calls(conn, kiosk_id) if call.state != "connected"]
    if not active:
        return None
    call = active[0]
    position = queue_position(conn, call)
    queue = config.queues.by_id.get(call.queue_id)
    estimate = 0
    if queue is not None and position > 0:
        estimate = estimate_wait(conn, config, queue, call.language, position, now=now)
    # "Unbounded" (nobody logged in) is shown as the queue's limit, not a billion seconds.
    limit = queue.max_wait_s if queue is not None else 0
    return QueuePosition(
        call_id=call.call_id, position=position, estimated_wait_s=min(estimate, max(limit, 0))
    )


@dataclass(frozen=True)
class Board:
    """Waiting calls (with the agency of their queue) and the logged-in agents."""

    calls: list[tuple[str, WaitingCall]]
    agents: list[AgentPresence]
    skills: dict[str, Skills]


def waiting_board(conn: Connection, config: RoutingConfig, now: datetime) -> Board:
    """Everything waiting, in priority order, and who is logged in."""
    rows = conn.execute(
        select(calls)
        .where(calls.c.state == "queued")
        .order_by(calls.c.enqueued_at, calls.c.call_id)
    ).all()
    positions: dict[str, int] = {}
    waiting: list[tuple[str, WaitingCall]] = []
    for call in rows[:MAX_SNAPSHOT_CALLS]:
        positions[call.queue_id] = positions.get(call.queue_id, 0) + 1
        context, _reason = stored_context(call.context)
        queue = config.queues.by_id.get(call.queue_id)
        agency = queue.agency if queue is not None else ""
        waiting.append(
            (
                agency,
                WaitingCall(
                    call_id=call.call_id,
                    queue_id=call.queue_id,
                    language=call.language if call.language in _LANGUAGES else "fr",
                    service_id=call.service_id,
                    waited_s=_waited(call, now),
                    position=positions[call.queue_id],
                    context=context,
                ),
            )
        )
    people = conn.execute(
        select(agents.c.agent_id, agents.c.display_name, agents.c.state, agents.c.skills)
        .where(agents.c.state != "offline")
        .order_by(agents.c.display_name)
        .limit(MAX_SNAPSHOT_AGENTS)
    ).all()
    return Board(
        calls=waiting,
        agents=[
            AgentPresence(agent_id=p.agent_id, name=p.display_name, state=AgentState(p.state))
            for p in people
        ],
        skills={p.agent_id: Skills.from_json(p.skills) for p in people},
    )


def agent_snapshot(conn: Connection, board: Board, agent_id: str) -> QueueSnapshot:
    """The board as one agent sees it: only calls their skills cover."""
    skills = board.skills.get(agent_id)
    if skills is None:
        row = conn.execute(select(agents.c.skills).where(agents.c.agent_id == agent_id)).first()
        skills = Skills.from_json(row.skills) if row is not None else Skills()
    visible = [
        call for agency, call in board.calls if skills.cover(agency, call.language, call.service_id)
    ]
    return QueueSnapshot(calls=visible, agents=board.agents)
