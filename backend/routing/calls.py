"""What kiosks do with calls: request, cancel, hang up, book a callback.

Every operation is a plain function over a ``Connection`` in a transaction the
caller opened, with an explicit ``now``: the hub passes the clock, tests pass
whatever time they need.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Row, insert, select

from backend.db import calls
from backend.routing.estimate import estimate_wait, queue_position
from backend.routing.model import CallbackProposed, Finished, Queued, RoutingConfig, RoutingError
from backend.routing.queues import SkillQueue
from backend.routing.records import record, require_call, set_agent_state, update_call
from video.signaling import CallContext, CallRequest

ACTIVE_STATES = ("queued", "offered", "connected")
CALL_ID_BYTES = 16
# No 0/O, 1/I/L: the reference is read aloud over the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 6


def new_call_id() -> str:
    """A random, URL-safe call id (128 bits): unguessable, so it is no capability leak."""
    return "c" + secrets.token_urlsafe(CALL_ID_BYTES)


def request_call(
    conn: Connection, config: RoutingConfig, kiosk_id: str, request: CallRequest, now: datetime
) -> Queued | CallbackProposed:
    """Queue the citizen's call, or propose a callback when closed or the wait is too long.

    Raises ``call.no_queue`` when no queue takes the call, ``call.already_active``
    when the kiosk has a call going (one citizen at a time per kiosk).
    """
    if request.kiosk_id != kiosk_id:
        raise RoutingError("call.wrong_kiosk", "kiosk_id differs from the credential")
    agency = request.context.agency_id if request.context else None
    queue = config.queues.find(agency, request.language, request.service_id)
    if queue is None:
        raise RoutingError("call.no_queue", "no queue takes this agency, language and service")
    active = conn.execute(
        select(calls.c.call_id).where(
            calls.c.kiosk_id == kiosk_id, calls.c.state.in_(ACTIVE_STATES)
        )
    ).first()
    if active is not None:
        raise RoutingError("call.already_active", "this kiosk has a call going")
    call_id = new_call_id()
    conn.execute(
        insert(calls).values(
            call_id=call_id,
            kiosk_id=kiosk_id,
            queue_id=queue.queue_id,
            language=request.language,
            service_id=request.service_id,
            context=_context_json(request),
            state="queued",
            enqueued_at=now,
            transfers=0,
        )
    )
    record(conn, call_id, "requested", queue.queue_id, now)
    if not queue.is_open(now):
        return _propose_callback(conn, call_id, queue, "closed", now)
    call = require_call(conn, call_id)
    position = queue_position(conn, call)
    estimate = estimate_wait(conn, config, queue, request.language, position, now=now)
    if estimate > queue.max_wait_s:
        return _propose_callback(conn, call_id, queue, "wait_too_long", now)
    record(conn, call_id, "queued", queue.queue_id, now)
    return Queued(call_id, queue.queue_id, position, estimate)


def _context_json(request: CallRequest) -> str | None:
    # What the citizen consented to share, plus their own words: on the call row only.
    if request.context is None and request.reason is None:
        return None
    context = request.context.model_dump(mode="json") if request.context else None
    return json.dumps({"context": context, "reason": request.reason})


def stored_context(text: str | None) -> tuple[CallContext | None, str | None]:
    """The consented context and the reason kept on a call row."""
    if text is None:
        return None, None
    data = json.loads(text)
    context = data.get("context")
    return (CallContext.model_validate(context) if context else None), data.get("reason")


def _propose_callback(
    conn: Connection,
    call_id: str,
    queue: SkillQueue,
    reason: Literal["closed", "wait_too_long"],
    now: datetime,
) -> CallbackProposed:
    update_call(conn, call_id, state="callback", callback_reason=reason, ended_at=now)
    record(conn, call_id, "callback_offered", queue.queue_id, now, code=reason)
    return CallbackProposed(call_id, queue.queue_id, reason, queue.callback_slots(now))


def book_callback(
    conn: Connection,
    config: RoutingConfig,
    call_id: str,
    kiosk_id: str,
    *,
    slot: datetime,
    phone: str,
    now: datetime,
) -> str:
    """Book one of the proposed slots; return its reference (``CB-7F3K9Q``).

    Booking the same call again returns the first booking's reference.
    """
    call = _kiosk_call(conn, call_id, kiosk_id)
    if call.state != "callback":
        raise RoutingError("callback.not_offered", "no callback was proposed for this call")
    if call.callback_reference is not None:
        return str(call.callback_reference)
    queue = config.queues.by_id.get(call.queue_id)
    if queue is None or not queue.is_bookable_slot(slot, now):
        raise RoutingError("callback.bad_slot", "this slot is not offered")
    while True:
        reference = "CB-" + "".join(
            secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH)
        )
        taken = conn.execute(
            select(calls.c.call_id).where(calls.c.callback_reference == reference)
        ).first()
        if taken is None:
            break
    update_call(
        conn, call_id, callback_slot=slot, callback_phone=phone, callback_reference=reference
    )
    record(conn, call_id, "callback_booked", call.queue_id, now)
    return reference


def cancel_call(conn: Connection, call_id: str, kiosk_id: str, now: datetime) -> Finished:
    """The citizen left the queue: a queued or offered call is cancelled."""
    call = _kiosk_call(conn, call_id, kiosk_id)
    if call.state not in ("queued", "offered"):
        raise RoutingError("call.not_waiting", f"the call is {call.state}")
    update_call(conn, call_id, state="cancelled", agent_id=None, ended_at=now, context=None)
    record(conn, call_id, "cancelled", call.queue_id, now, agent_id=call.agent_id)
    return Finished(call_id, kiosk_id, call.agent_id, "cancelled", "citizen_left")


def end_call(
    conn: Connection,
    call_id: str,
    outcome: str,
    now: datetime,
    *,
    agent_id: str | None = None,
    kiosk_id: str | None = None,
    notes: str | None = None,
) -> Finished:
    """Either end hangs up. A connected call ends; a waiting one is cancelled.

    The agent goes to wrap-up (``wrap_up_done`` or the timer makes them available).
    """
    call = require_call(conn, call_id)
    if kiosk_id is not None and call.kiosk_id != kiosk_id:
        raise RoutingError("call.unknown", f"no call {call_id!r} for this kiosk")
    if agent_id is not None and (call.agent_id != agent_id or call.state != "connected"):
        raise RoutingError("call.not_yours", "this call is not connected with you")
    if call.state in ("queued", "offered") and kiosk_id is not None:
        return cancel_call(conn, call_id, kiosk_id, now)
    if call.state != "connected":
        raise RoutingError("call.not_connected", f"the call is {call.state}")
    holder = str(call.agent_id)
    update_call(
        conn,
        call_id,
        state="ended",
        agent_id=None,
        ended_at=now,
        outcome=outcome,
        notes=notes,
        context=None,
    )
    record(conn, call_id, "ended", call.queue_id, now, agent_id=holder, code=outcome)
    set_agent_state(conn, holder, "wrap_up", now, last_call_ended_at=now)
    return Finished(call_id, call.kiosk_id, holder, "ended", outcome)


def kiosk_active_calls(conn: Connection, kiosk_id: str) -> list[Row[Any]]:
    """The kiosk's calls that are not over (at most one in practice)."""
    return list(
        conn.execute(
            select(calls).where(calls.c.kiosk_id == kiosk_id, calls.c.state.in_(ACTIVE_STATES))
        ).all()
    )


def _kiosk_call(conn: Connection, call_id: str, kiosk_id: str) -> Row[Any]:
    call = require_call(conn, call_id)
    if call.kiosk_id != kiosk_id:
        # Same answer as an unknown id: a kiosk learns nothing about other kiosks' calls.
        raise RoutingError("call.unknown", f"no call {call_id!r} for this kiosk")
    return call
