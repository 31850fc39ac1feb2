"""Queue positions and wait estimates.

The estimate, for a call at ``position`` (1 = next) in queue ``Q``::

    handle = median talk time (answered -> ended) of the last ``history_calls`` calls
             of Q that ended within the last ``history_hours`` hours,
             or ``default_handle_s`` when there are none
    agents = agents logged in (state other than offline) whose skills cover Q's
             agency and the call's language
    estimate = ceil(position * handle / agents)

It assumes each logged-in agent frees up once per ``handle`` seconds: rough,
but it moves with the real talk times and the staffing, and is honest when
nobody is there (no agent: the estimate is unbounded, see :func:`estimate_wait`).
"""

from __future__ import annotations

import math
import statistics
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, func, or_, select

from backend.db import agents, calls
from backend.routing.model import RoutingConfig, Skills
from backend.routing.queues import SkillQueue

UNBOUNDED_WAIT_S = 10**9


def queue_position(conn: Connection, call: Row[Any]) -> int:
    """1 for the next call of its queue; 0 once offered or connected (being connected)."""
    if call.state != "queued":
        return 0
    ahead = conn.execute(
        select(func.count())
        .select_from(calls)
        .where(
            calls.c.state == "queued",
            calls.c.queue_id == call.queue_id,
            or_(
                calls.c.enqueued_at < call.enqueued_at,
                and_(calls.c.enqueued_at == call.enqueued_at, calls.c.call_id < call.call_id),
            ),
        )
    ).scalar_one()
    return int(ahead) + 1


def typical_handle_s(
    conn: Connection, config: RoutingConfig, queue_id: str, now: datetime
) -> float:
    """The median talk time of the queue's recent calls, or the configured default."""
    rows = conn.execute(
        select(calls.c.answered_at, calls.c.ended_at)
        .where(
            calls.c.queue_id == queue_id,
            calls.c.state == "ended",
            calls.c.answered_at.is_not(None),
            calls.c.ended_at >= now - timedelta(hours=config.history_hours),
        )
        .order_by(calls.c.ended_at.desc())
        .limit(config.history_calls)
    ).all()
    talks = [(row.ended_at - row.answered_at).total_seconds() for row in rows]
    return statistics.median(talks) if talks else float(config.default_handle_s)


def staffed_agents(conn: Connection, queue: SkillQueue, language: str) -> int:
    """Agents logged in whose skills cover the queue's agency and ``language``."""
    rows = conn.execute(select(agents.c.skills).where(agents.c.state != "offline")).all()
    return sum(
        1
        for row in rows
        if queue.agency in (skills := Skills.from_json(row.skills)).agencies
        and language in skills.languages
    )


def estimate_wait(
    conn: Connection,
    config: RoutingConfig,
    queue: SkillQueue,
    language: str,
    position: int,
    *,
    now: datetime,
) -> int:
    """Seconds until an agent answers, by the formula above (0 when being connected)."""
    if position <= 0:
        return 0
    staffed = staffed_agents(conn, queue, language)
    if staffed == 0:
        return UNBOUNDED_WAIT_S
    handle = typical_handle_s(conn, config, queue.queue_id, now)
    return math.ceil(position * handle / staffed)
