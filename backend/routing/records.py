"""Reading and writing rows: calls, agents, and the analytics events of calls.

Small helpers shared by the operations. ``lock=True`` takes the row with
``SELECT ... FOR UPDATE`` on PostgreSQL (SQLite has no row locks; its
``BEGIN IMMEDIATE`` already serialises writers, see :mod:`backend.db`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from backend.db import agents, call_events, calls
from backend.routing.model import RoutingError


def call_row(
    conn: Connection, call_id: str, *, lock: bool = False, skip_locked: bool = False
) -> Row[Any] | None:
    """The call's row, or ``None``."""
    query = select(calls).where(calls.c.call_id == call_id)
    if lock:
        query = query.with_for_update(skip_locked=skip_locked)
    return conn.execute(query).first()


def require_call(conn: Connection, call_id: str) -> Row[Any]:
    """The call's row, locked; raises ``call.unknown``."""
    row = call_row(conn, call_id, lock=True)
    if row is None:
        raise RoutingError("call.unknown", f"no call {call_id!r}")
    return row


def agent_row(conn: Connection, agent_id: str, *, lock: bool = False) -> Row[Any] | None:
    """The agent's row, or ``None``."""
    query = select(agents).where(agents.c.agent_id == agent_id)
    if lock:
        query = query.with_for_update()
    return conn.execute(query).first()


def require_agent(conn: Connection, agent_id: str) -> Row[Any]:
    """The agent's row, locked; raises ``agent.unknown``."""
    row = agent_row(conn, agent_id, lock=True)
    if row is None:
        raise RoutingError("agent.unknown", f"no agent {agent_id!r}")
    return row


def held_call(conn: Connection, agent_id: str) -> Row[Any] | None:
    """The call offered to or connected with the agent, if any (there is at most one)."""
    return conn.execute(select(calls).where(calls.c.agent_id == agent_id)).first()


def set_agent_state(
    conn: Connection, agent_id: str, state: str, now: datetime, **values: Any
) -> None:
    """Move an agent to ``state`` since ``now`` (and set other columns)."""
    conn.execute(
        update(agents)
        .where(agents.c.agent_id == agent_id)
        .values(state=state, state_since=now, **values)
    )


def update_call(conn: Connection, call_id: str, **values: Any) -> None:
    """Set columns of one call."""
    conn.execute(update(calls).where(calls.c.call_id == call_id).values(**values))


def record(
    conn: Connection,
    call_id: str,
    kind: str,
    queue_id: str,
    now: datetime,
    *,
    agent_id: str | None = None,
    code: str | None = None,
) -> None:
    """Append one event to the call's analytics record (codes and times only)."""
    conn.execute(
        insert(call_events).values(
            call_id=call_id, at=now, kind=kind, queue_id=queue_id, agent_id=agent_id, code=code
        )
    )
