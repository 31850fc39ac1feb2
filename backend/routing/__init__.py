"""Call routing for the video counter: skill queues, agents and calls, state in the database.

Operations are plain functions over a SQLAlchemy ``Connection`` inside a
transaction the caller opens, with an explicit ``now``; several back-end
instances on one PostgreSQL share the state. The hub (:mod:`backend.hub`)
drives them from sockets and a one-second tick.
"""

from __future__ import annotations

from backend.routing.agents import (
    accept,
    choose_state,
    console_closed,
    console_lost,
    console_opened,
    create_agent,
    decline,
    transfer_to_agent,
    transfer_to_queue,
    wrap_up_done,
)
from backend.routing.calls import (
    book_callback,
    cancel_call,
    end_call,
    kiosk_active_calls,
    request_call,
    stored_context,
)
from backend.routing.dispatch import dispatch, sweep_no_answer, sweep_wrap_up
from backend.routing.estimate import estimate_wait, queue_position, typical_handle_s
from backend.routing.model import (
    CallbackProposed,
    Connected,
    Finished,
    OfferMade,
    Queued,
    Released,
    RoutingConfig,
    RoutingError,
    Skills,
)
from backend.routing.queues import QueueBook, QueueFileError, SkillQueue, load_queues

__all__ = [
    "CallbackProposed",
    "Connected",
    "Finished",
    "OfferMade",
    "QueueBook",
    "QueueFileError",
    "Queued",
    "Released",
    "RoutingConfig",
    "RoutingError",
    "SkillQueue",
    "Skills",
    "accept",
    "book_callback",
    "cancel_call",
    "choose_state",
    "console_closed",
    "console_lost",
    "console_opened",
    "create_agent",
    "decline",
    "dispatch",
    "end_call",
    "estimate_wait",
    "kiosk_active_calls",
    "load_queues",
    "queue_position",
    "request_call",
    "stored_context",
    "sweep_no_answer",
    "sweep_wrap_up",
    "transfer_to_agent",
    "transfer_to_queue",
    "typical_handle_s",
    "wrap_up_done",
]
