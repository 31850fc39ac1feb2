"""What agents do with calls: state changes, accept, decline, transfer, wrap-up.

An agent holds at most one call (``calls.agent_id`` is unique): an offer while
``available``, a connected call while ``busy``. After a call comes ``wrap_up``,
then ``available`` again by the agent's word or the wrap-up timer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, update

from backend.db import agents
from backend.routing.calls import end_call
from backend.routing.model import Connected, Released, RoutingConfig, RoutingError, Skills
from backend.routing.records import (
    held_call,
    record,
    require_agent,
    require_call,
    set_agent_state,
    update_call,
)

CHOSEN_STATES = ("available", "away")


def create_agent(
    conn: Connection,
    agent_id: str,
    display_name: str,
    password_hash: str,
    skills: Skills,
    *,
    now: datetime,
) -> None:
    """Add an agent, logged out (``offline``). The hash comes from :mod:`backend.console_auth`."""
    conn.execute(
        insert(agents).values(
            agent_id=agent_id,
            display_name=display_name,
            password_hash=password_hash,
            skills=skills.to_json(),
            state="offline",
            state_since=now,
            sockets=0,
            failed_logins=0,
            created_at=now,
        )
    )


def choose_state(conn: Connection, agent_id: str, state: str, now: datetime) -> Released | None:
    """The agent picks ``available`` or ``away``; going away withdraws a pending offer."""
    if state not in CHOSEN_STATES:
        raise RoutingError("agent.bad_state", f"an agent may choose {CHOSEN_STATES}, not {state}")
    agent = require_agent(conn, agent_id)
    held = held_call(conn, agent_id)
    if agent.state == "busy" or (held is not None and held.state == "connected"):
        raise RoutingError("agent.busy", "end the call first")
    released = None
    if held is not None and state == "away":
        released = _release(conn, held, agent_id, "withdrawn", now)
    if agent.state != state:
        set_agent_state(conn, agent_id, state, now)
    return released


def accept(conn: Connection, call_id: str, agent_id: str, now: datetime) -> Connected:
    """The agent takes the call offered to them."""
    call = require_call(conn, call_id)
    agent = require_agent(conn, agent_id)
    if call.state != "offered" or call.agent_id != agent_id:
        raise RoutingError("call.not_offered", "this call is not offered to you")
    first_answer = call.answered_at is None
    update_call(
        conn,
        call_id,
        state="connected",
        handled_by=agent_id,
        declined_by=None,
        **({"answered_at": now} if first_answer else {}),
    )
    record(conn, call_id, "accepted", call.queue_id, now, agent_id=agent_id)
    set_agent_state(conn, agent_id, "busy", now)
    return Connected(call_id, agent_id, str(agent.display_name), str(call.kiosk_id))


def decline(conn: Connection, call_id: str, agent_id: str, now: datetime) -> Released:
    """The agent refuses the offer; the call goes back to its queue, in its old place."""
    call = require_call(conn, call_id)
    if call.state != "offered" or call.agent_id != agent_id:
        raise RoutingError("call.not_offered", "this call is not offered to you")
    return _release(conn, call, agent_id, "declined", now)


def _release(conn: Connection, call: Row[Any], agent_id: str, kind: str, now: datetime) -> Released:
    # Back to "queued" with the original enqueued_at: the call keeps its priority.
    update_call(conn, call.call_id, state="queued", agent_id=None, declined_by=agent_id)
    record(conn, call.call_id, kind, call.queue_id, now, agent_id=agent_id)
    return Released(call.call_id, agent_id, call.kiosk_id)


def transfer_to_agent(
    conn: Connection, call_id: str, agent_id: str, to_agent_id: str, now: datetime
) -> str:
    """Offer the connected call to a colleague who is available; return the kiosk id.

    The first agent goes to wrap-up at once. If the colleague declines or does
    not answer, the call waits in its queue with its original priority.
    """
    call = _connected_with(conn, call_id, agent_id)
    if to_agent_id == agent_id:
        raise RoutingError("transfer.same_agent", "the call is already yours")
    target = require_agent(conn, to_agent_id)
    if target.state != "available" or held_call(conn, to_agent_id) is not None:
        raise RoutingError("transfer.agent_unavailable", "that agent cannot take a call now")
    _leave(conn, call, agent_id, now)
    update_call(
        conn,
        call_id,
        state="offered",
        agent_id=to_agent_id,
        offered_at=now,
        declined_by=None,
        transfers=call.transfers + 1,
    )
    record(conn, call_id, "transferred", call.queue_id, now, agent_id=agent_id, code="to_agent")
    record(conn, call_id, "offered", call.queue_id, now, agent_id=to_agent_id)
    return str(call.kiosk_id)


def transfer_to_queue(
    conn: Connection,
    config: RoutingConfig,
    call_id: str,
    agent_id: str,
    to_queue_id: str,
    *,
    now: datetime,
) -> str:
    """Put the connected call in another skill queue, keeping its enqueue time."""
    call = _connected_with(conn, call_id, agent_id)
    queue = config.queues.by_id.get(to_queue_id)
    if queue is None:
        raise RoutingError("transfer.unknown_queue", f"no queue {to_queue_id!r}")
    if call.language not in queue.languages:
        raise RoutingError("transfer.wrong_language", "that queue does not speak the language")
    # The new queue may not know the service: agents there are matched on language only.
    service_id = call.service_id if call.service_id in queue.services else None
    _leave(conn, call, agent_id, now)
    update_call(
        conn,
        call_id,
        state="queued",
        agent_id=None,
        queue_id=to_queue_id,
        service_id=service_id,
        declined_by=None,
        transfers=call.transfers + 1,
    )
    record(conn, call_id, "transferred", call.queue_id, now, agent_id=agent_id, code="to_queue")
    record(conn, call_id, "queued", to_queue_id, now)
    return str(call.kiosk_id)


def _connected_with(conn: Connection, call_id: str, agent_id: str) -> Row[Any]:
    call = require_call(conn, call_id)
    if call.state != "connected" or call.agent_id != agent_id:
        raise RoutingError("call.not_yours", "this call is not connected with you")
    return call


def _leave(conn: Connection, call: Row[Any], agent_id: str, now: datetime) -> None:
    # The agent's part of the call is over: free the unique holder slot first.
    update_call(conn, call.call_id, agent_id=None)
    set_agent_state(conn, agent_id, "wrap_up", now, last_call_ended_at=now)


def wrap_up_done(conn: Connection, agent_id: str, now: datetime) -> None:
    """The agent is done with the notes: available again."""
    agent = require_agent(conn, agent_id)
    if agent.state != "wrap_up":
        raise RoutingError("agent.not_wrapping_up", f"the agent is {agent.state}")
    set_agent_state(conn, agent_id, "available", now)


def console_opened(conn: Connection, agent_id: str, now: datetime) -> Row[Any]:
    """A console socket opened: a logged-out agent becomes ``away`` until they choose."""
    agent = require_agent(conn, agent_id)
    conn.execute(
        update(agents).where(agents.c.agent_id == agent_id).values(sockets=agents.c.sockets + 1)
    )
    if agent.state == "offline":
        set_agent_state(conn, agent_id, "away", now)
    refreshed = require_agent(conn, agent_id)
    return refreshed


def console_closed(conn: Connection, agent_id: str, now: datetime) -> Released | None:
    """A console socket closed. With none left, a pending offer goes back to the queue.

    A connected call is left alone: the hub gives the console a grace period
    to come back before calling :func:`console_lost`.
    """
    agent = require_agent(conn, agent_id)
    left = max(0, agent.sockets - 1)
    conn.execute(update(agents).where(agents.c.agent_id == agent_id).values(sockets=left))
    if left > 0:
        return None
    held = held_call(conn, agent_id)
    released = None
    if held is not None and held.state == "offered":
        released = _release(conn, held, agent_id, "withdrawn", now)
    if held is None or held.state == "offered":
        set_agent_state(conn, agent_id, "offline", now)
    return released


def console_lost(conn: Connection, agent_id: str, now: datetime) -> str | None:
    """The grace is over: if the console has not come back, end its call (connection lost).

    Returns the id of the call that ended, for the hub to tell the kiosk.
    """
    agent = require_agent(conn, agent_id)
    if agent.sockets > 0:
        return None
    held = held_call(conn, agent_id)
    ended = None
    if held is not None and held.state == "connected":
        end_call(conn, held.call_id, "connection_lost", now, agent_id=agent_id)
        ended = str(held.call_id)
    set_agent_state(conn, agent_id, "offline", now)
    return ended
