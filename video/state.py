"""The call's observable state, as a UI view model shows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Phase(StrEnum):
    """Where the call stands; the values double as translation keys (``call.phase.*``)."""

    IDLE = "idle"
    REQUESTING = "requesting"
    QUEUED = "queued"
    CALLBACK_OFFERED = "callback_offered"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    ENDED = "ended"


@dataclass(frozen=True)
class CallState:
    """One state of the call, with what the UI shows in it.

    ``position``/``estimated_wait_s`` in ``queued``; ``slots`` (and the reason)
    in ``callback_offered``; ``agent_name`` from ``connecting`` on; ``attempt``
    counts renegotiations in ``reconnecting``; ``outcome`` in ``ended``
    (a :class:`~video.signaling.HangupOutcome` value, the agent's ``end``
    outcome, or ``callback_booked``/``cancelled``/``failed``).
    """

    phase: Phase
    call_id: str | None = None
    position: int | None = None
    estimated_wait_s: int | None = None
    slots: tuple[datetime, ...] = ()
    callback_reason: str | None = None
    agent_name: str | None = None
    attempt: int = 0
    outcome: str | None = None
    notes: str | None = None
    # With outcome "callback_booked": when the agency calls back, and the ticket's reference.
    callback_slot: datetime | None = None
    callback_reference: str | None = None


IDLE = CallState(Phase.IDLE)
