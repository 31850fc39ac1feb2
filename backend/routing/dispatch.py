"""The periodic work: offer waiting calls, take back unanswered offers, end wrap-ups.

Each back-end instance runs these every second; they are safe to run
concurrently. On PostgreSQL every call and agent is taken with
``SELECT ... FOR UPDATE SKIP LOCKED``: two instances never wait on each other,
they each take different rows; the unique ``calls.agent_id`` is the last
guard that an agent never gets two calls. On SQLite ``BEGIN IMMEDIATE``
serialises the instances' transactions instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, exists, select

from backend.db import agents, calls
from backend.routing.model import OfferMade, Released, RoutingConfig, Skills
from backend.routing.records import record, set_agent_state, update_call


def dispatch(conn: Connection, config: RoutingConfig, now: datetime) -> list[OfferMade]:
    """Offer each waiting call, oldest first, to the longest-idle available agent with the skills.

    Longest idle: the earliest of the end of the agent's last call (or, if
    none yet, when they became available). An agent who declined a call is
    offered it again only when nobody else can take it.
    """
    waiting = conn.execute(
        select(calls)
        .where(calls.c.state == "queued")
        .order_by(calls.c.enqueued_at, calls.c.call_id)
    ).all()
    if not waiting:
        return []
    free = _free_agents(conn)
    made: list[OfferMade] = []
    for call in waiting:
        if not free:
            break
        queue = config.queues.by_id.get(call.queue_id)
        if queue is None:
            continue  # a queue removed from the file: the call waits for an operator
        candidates = [
            agent
            for agent in free
            if Skills.from_json(agent.skills).cover(queue.agency, call.language, call.service_id)
        ]
        candidates.sort(key=lambda agent: agent.agent_id == call.declined_by)
        if not candidates or not _take_call(conn, call.call_id):
            continue
        for agent in candidates:
            if _take_agent(conn, agent.agent_id):
                update_call(
                    conn, call.call_id, state="offered", agent_id=agent.agent_id, offered_at=now
                )
                record(conn, call.call_id, "offered", call.queue_id, now, agent_id=agent.agent_id)
                made.append(OfferMade(call.call_id, agent.agent_id, call.kiosk_id))
                free.remove(agent)
                break
    return made


def _free_agents(conn: Connection) -> list[Row[Any]]:
    holding = exists().where(calls.c.agent_id == agents.c.agent_id)
    rows = conn.execute(select(agents).where(agents.c.state == "available", ~holding)).all()
    # Python sort: "NULLS FIRST" and COALESCE over aware timestamps differ between databases.
    return sorted(rows, key=lambda row: (row.last_call_ended_at or row.state_since, row.agent_id))


def _take_call(conn: Connection, call_id: str) -> bool:
    return (
        conn.execute(
            select(calls.c.call_id)
            .where(calls.c.call_id == call_id, calls.c.state == "queued")
            .with_for_update(skip_locked=True)
        ).first()
        is not None
    )


def _take_agent(conn: Connection, agent_id: str) -> bool:
    taken = conn.execute(
        select(agents.c.agent_id)
        .where(agents.c.agent_id == agent_id, agents.c.state == "available")
        .with_for_update(skip_locked=True)
    ).first()
    if taken is None:
        return False
    # Re-read after the lock: another instance may have committed an offer meanwhile.
    return conn.execute(select(calls.c.call_id).where(calls.c.agent_id == agent_id)).first() is None


def sweep_no_answer(conn: Connection, config: RoutingConfig, now: datetime) -> list[Released]:
    """Offers unanswered for ``no_answer_timeout_s`` go back to the head of their queue.

    The agent is set ``away``: someone who does not answer is probably not at
    the desk, and must not be offered the next call in a second.
    """
    deadline = now - timedelta(seconds=config.no_answer_timeout_s)
    stale = conn.execute(
        select(calls)
        .where(calls.c.state == "offered", calls.c.offered_at <= deadline)
        .with_for_update(skip_locked=True)
    ).all()
    released = []
    for call in stale:
        agent_id = str(call.agent_id)
        update_call(conn, call.call_id, state="queued", agent_id=None, declined_by=agent_id)
        record(conn, call.call_id, "no_answer", call.queue_id, now, agent_id=agent_id)
        set_agent_state(conn, agent_id, "away", now)
        released.append(Released(call.call_id, agent_id, call.kiosk_id))
    return released


def sweep_wrap_up(conn: Connection, config: RoutingConfig, now: datetime) -> list[str]:
    """Agents in wrap-up for ``wrap_up_s`` become available; return their ids."""
    deadline = now - timedelta(seconds=config.wrap_up_s)
    done = (
        conn.execute(
            select(agents.c.agent_id)
            .where(agents.c.state == "wrap_up", agents.c.state_since <= deadline)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    for agent_id in done:
        set_agent_state(conn, agent_id, "available", now)
    return list(done)
