"""Call signalling messages between kiosk, back end and agent console.

One JSON object per message, discriminated on ``type`` and versioned with ``v``
so that a fleet can be upgraded kiosk by kiosk. Everything that arrives from a
socket goes through :func:`parse_signal`, which raises only
:class:`SignalingError`: a bad message gets an ``error`` answer, never a crash.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import from_json

SIGNAL_VERSION: Literal[1] = 1
MAX_SIGNAL_BYTES = 200_000
MAX_SDP_CHARS = (
    100_000  # a video+audio+data offer is a few kB; this leaves room for many candidates
)
MAX_REASON_CHARS = 500
MAX_ERROR_MESSAGE_CHARS = 500

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
CallId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
# Error codes are translation keys, like the device error codes: "call.no_agent".
ErrorCode = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=64)
]
Sdp = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SDP_CHARS)]


class SignalingError(Exception):
    """A signalling message could not be accepted; ``code`` is stable, the text is for logs.

    Codes: ``signal.too_large``, ``signal.bad_json``, ``signal.not_an_object``,
    ``signal.unsupported_version``, ``signal.unknown_type``, ``signal.invalid``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Signal(BaseModel):
    """Strict base: unknown keys are an error, and messages are immutable values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = SIGNAL_VERSION


class HangupOutcome(StrEnum):
    """How a call ended, as the side hanging up saw it (feeds service analytics)."""

    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"
    CITIZEN_LEFT = "citizen_left"
    CONNECTION_LOST = "connection_lost"


ContextLabel = Annotated[str, StringConstraints(min_length=1, max_length=80)]
ContextValue = Annotated[str, StringConstraints(max_length=500)]
MAX_CONTEXT_FIELDS = 40
MAX_CALLBACK_SLOTS = 24
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ().-]{6,24}$")]


class CallContext(_Signal):
    """What the citizen already did, handed to the agent only with their consent.

    ``fields`` are label/value pairs as the citizen saw them on the review
    screen, so the agent never asks again for what the kiosk already knows.
    """

    agency_id: Identifier | None = None
    step: Identifier | None = None
    fields: Annotated[
        list[tuple[ContextLabel, ContextValue]], Field(max_length=MAX_CONTEXT_FIELDS)
    ] = []


class CallRequest(_Signal):
    """Kiosk -> back end: a citizen asked to talk to a person.

    ``kiosk_id`` must match the kiosk's credential; the hub refuses a mismatch.
    """

    type: Literal["call_request"] = "call_request"
    kiosk_id: Identifier
    language: Literal["fr", "en"]
    service_id: Identifier | None = None
    reason: Annotated[str, StringConstraints(max_length=MAX_REASON_CHARS)] | None = None
    context: CallContext | None = None


class QueuePosition(_Signal):
    """Back end -> kiosk: where the citizen stands in the queue (0: being connected).

    Sent when the call is queued and whenever the position or estimate changes.
    """

    type: Literal["queue_position"] = "queue_position"
    call_id: CallId
    position: Annotated[int, Field(ge=0)]
    estimated_wait_s: Annotated[int, Field(ge=0)]


class CallAccepted(_Signal):
    """Back end -> kiosk: an agent took the call; the kiosk now sends its :class:`Offer`.

    The kiosk is always the offerer, also when it renegotiates after a failure,
    so the console only ever answers.
    """

    type: Literal["call_accepted"] = "call_accepted"
    call_id: CallId
    agent_name: Annotated[str, StringConstraints(min_length=1, max_length=80)]


class CancelCall(_Signal):
    """Kiosk -> back end: the citizen left the queue before an agent answered."""

    type: Literal["cancel_call"] = "cancel_call"
    call_id: CallId


class CallbackOffer(_Signal):
    """Back end -> kiosk: no agent now (closed, or the wait is too long); pick a slot.

    ``slots`` are ISO 8601 start times with their offset, in the agency's zone.
    """

    type: Literal["callback_offer"] = "callback_offer"
    call_id: CallId
    reason: Literal["closed", "wait_too_long"]
    slots: Annotated[list[AwareDatetime], Field(max_length=MAX_CALLBACK_SLOTS)]


class BookCallback(_Signal):
    """Kiosk -> back end: the citizen chose a slot and gave a number to be called on."""

    type: Literal["book_callback"] = "book_callback"
    call_id: CallId
    slot: AwareDatetime
    phone: PhoneNumber


class CallbackBooked(_Signal):
    """Back end -> kiosk: the callback is booked; ``reference`` goes on the ticket."""

    type: Literal["callback_booked"] = "callback_booked"
    call_id: CallId
    slot: AwareDatetime
    reference: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{4,32}$")]


class Offer(_Signal):
    """An SDP offer for ``call_id``, relayed by the back end to the other end."""

    type: Literal["offer"] = "offer"
    call_id: CallId
    sdp: Sdp


class Answer(_Signal):
    """The SDP answer to an :class:`Offer`."""

    type: Literal["answer"] = "answer"
    call_id: CallId
    sdp: Sdp


class Hangup(_Signal):
    """Either end: the call is over, and how it ended."""

    type: Literal["hangup"] = "hangup"
    call_id: CallId
    outcome: HangupOutcome


class ErrorMessage(_Signal):
    """Either end: the previous message was refused or the call cannot go on."""

    type: Literal["error"] = "error"
    code: ErrorCode
    message: Annotated[str, StringConstraints(max_length=MAX_ERROR_MESSAGE_CHARS)]


# --- Agent console <-> hub -------------------------------------------------------------
# The console is a browser page; these messages travel on /ws/agent only. The hub
# refuses a kiosk-facing message from a console and an agent-facing one from a kiosk.

AgentId = Identifier
AgentName = Annotated[str, StringConstraints(min_length=1, max_length=80)]
MAX_NOTES_CHARS = 2_000
MAX_SNAPSHOT_CALLS = 500
MAX_SNAPSHOT_AGENTS = 500
MAX_ICE_SERVERS = 8


class CallOutcome(StrEnum):
    """How the agent closes a call in the record: finer than :class:`HangupOutcome`.

    ``referred``: sent to another service or office; ``callback``: the agent
    will call back. The kiosk hears the nearest :class:`HangupOutcome`
    (:func:`kiosk_outcome`).
    """

    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"
    REFERRED = "referred"
    CALLBACK = "callback"
    CITIZEN_LEFT = "citizen_left"
    CONNECTION_LOST = "connection_lost"


_KIOSK_OUTCOMES = {
    CallOutcome.RESOLVED: HangupOutcome.RESOLVED,
    CallOutcome.REFERRED: HangupOutcome.RESOLVED,
    CallOutcome.UNRESOLVED: HangupOutcome.UNRESOLVED,
    CallOutcome.CALLBACK: HangupOutcome.UNRESOLVED,
    CallOutcome.CITIZEN_LEFT: HangupOutcome.CITIZEN_LEFT,
    CallOutcome.CONNECTION_LOST: HangupOutcome.CONNECTION_LOST,
}


def kiosk_outcome(outcome: CallOutcome) -> HangupOutcome:
    """The outcome told to the kiosk for an agent's :class:`CallOutcome`."""
    return _KIOSK_OUTCOMES[outcome]


class AgentState(StrEnum):
    """An agent's routing state; only ``available`` agents are offered calls.

    ``busy`` and ``wrap_up`` are set by the hub (a call, the minutes after it);
    an agent chooses ``available`` or ``away``; ``offline`` is an agent with no
    console connected.
    """

    AVAILABLE = "available"
    BUSY = "busy"
    WRAP_UP = "wrap_up"
    AWAY = "away"
    OFFLINE = "offline"


class _Part(BaseModel):
    """A value nested in a message: strict and immutable like the messages."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class IceServer(_Part):
    """One STUN or TURN server for the console's ``RTCPeerConnection`` (WebRTC's shape)."""

    urls: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=300)]],
        Field(min_length=1, max_length=8),
    ]
    username: Annotated[str, StringConstraints(max_length=200)] | None = None
    credential: Annotated[str, StringConstraints(max_length=200)] | None = None


class WaitingCall(_Part):
    """A call of the queue as the console lists it."""

    call_id: CallId
    queue_id: Identifier
    language: Literal["fr", "en"]
    service_id: Identifier | None = None
    waited_s: Annotated[int, Field(ge=0)]
    position: Annotated[int, Field(ge=0)]
    context: CallContext | None = None


class AgentPresence(_Part):
    """A colleague as the console lists them."""

    agent_id: AgentId
    name: AgentName
    state: AgentState


class AgentStateMessage(_Signal):
    """Agent -> hub: ``available`` or ``away``; hub -> agent: the state the hub now holds."""

    type: Literal["agent_state"] = "agent_state"
    state: AgentState


class AcceptCall(_Signal):
    """Agent -> hub: take the call offered with :class:`CallOffered`."""

    type: Literal["accept"] = "accept"
    call_id: CallId


class DeclineCall(_Signal):
    """Agent -> hub: do not take the offered call; it goes back to the head of its queue."""

    type: Literal["decline"] = "decline"
    call_id: CallId


class TransferCall(_Signal):
    """Agent -> hub: hand the connected call to a colleague or to another skill queue.

    Exactly one of ``to_agent_id`` and ``to_queue_id``. The call keeps its
    original enqueue time, so it does not lose its place to later arrivals.
    """

    type: Literal["transfer"] = "transfer"
    call_id: CallId
    to_agent_id: AgentId | None = None
    to_queue_id: Identifier | None = None

    @model_validator(mode="after")
    def _one_target(self) -> TransferCall:
        if (self.to_agent_id is None) == (self.to_queue_id is None):
            raise ValueError("give exactly one of to_agent_id and to_queue_id")
        return self


class EndCall(_Signal):
    """Agent -> hub: the agent ends the call with an outcome and private notes."""

    type: Literal["end_call"] = "end_call"
    call_id: CallId
    outcome: CallOutcome
    notes: Annotated[str, StringConstraints(max_length=MAX_NOTES_CHARS)] | None = None


class WrapUpDone(_Signal):
    """Agent -> hub: the notes are written; make me available before the wrap-up time ends."""

    type: Literal["wrap_up_done"] = "wrap_up_done"


class Welcome(_Signal):
    """Hub -> agent, first message on a new socket: who you are and how to reach kiosks."""

    type: Literal["welcome"] = "welcome"
    agent_id: AgentId
    name: AgentName
    state: AgentState
    ice_servers: Annotated[list[IceServer], Field(max_length=MAX_ICE_SERVERS)] = []


class QueueSnapshot(_Signal):
    """Hub -> agent: the waiting calls the agent could take, and the colleagues' states."""

    type: Literal["queue_snapshot"] = "queue_snapshot"
    calls: Annotated[list[WaitingCall], Field(max_length=MAX_SNAPSHOT_CALLS)]
    agents: Annotated[list[AgentPresence], Field(max_length=MAX_SNAPSHOT_AGENTS)]


class CallOffered(_Signal):
    """Hub -> agent: this call is yours to accept or decline within ``timeout_s``."""

    type: Literal["call_offered"] = "call_offered"
    call_id: CallId
    queue_id: Identifier
    language: Literal["fr", "en"]
    service_id: Identifier | None = None
    reason: Annotated[str, StringConstraints(max_length=MAX_REASON_CHARS)] | None = None
    context: CallContext | None = None
    waited_s: Annotated[int, Field(ge=0)]
    timeout_s: Annotated[int, Field(ge=1)]
    transfers: Annotated[int, Field(ge=0)] = 0


class CallTaken(_Signal):
    """Hub -> agent: the offer is withdrawn (accepted elsewhere, cancelled, timed out)."""

    type: Literal["call_taken"] = "call_taken"
    call_id: CallId


SignalMessage = Annotated[
    CallRequest
    | QueuePosition
    | CallAccepted
    | CancelCall
    | CallbackOffer
    | BookCallback
    | CallbackBooked
    | Offer
    | Answer
    | Hangup
    | ErrorMessage
    | AgentStateMessage
    | AcceptCall
    | DeclineCall
    | TransferCall
    | EndCall
    | WrapUpDone
    | Welcome
    | QueueSnapshot
    | CallOffered
    | CallTaken,
    Field(discriminator="type"),
]
SIGNAL_TYPES: tuple[str, ...] = (
    "call_request",
    "queue_position",
    "call_accepted",
    "cancel_call",
    "callback_offer",
    "book_callback",
    "callback_booked",
    "offer",
    "answer",
    "hangup",
    "error",
    "agent_state",
    "accept",
    "decline",
    "transfer",
    "end_call",
    "wrap_up_done",
    "welcome",
    "queue_snapshot",
    "call_offered",
    "call_taken",
)
KIOSK_TO_HUB: frozenset[str] = frozenset(
    {"call_request", "book_callback", "cancel_call", "offer", "hangup", "error"}
)
AGENT_TO_HUB: frozenset[str] = frozenset(
    {
        "agent_state",
        "accept",
        "decline",
        "transfer",
        "end_call",
        "wrap_up_done",
        "answer",
        "hangup",
        "error",
    }
)
_ADAPTER: TypeAdapter[SignalMessage] = TypeAdapter(SignalMessage)


def parse_signal(raw: str | bytes) -> SignalMessage:
    """Validate one message from the wire; raises only :class:`SignalingError`."""
    # A character is at least one byte: the cheap length check spares encoding a huge text.
    if len(raw) > MAX_SIGNAL_BYTES:
        raise SignalingError("signal.too_large", f"more than {MAX_SIGNAL_BYTES} bytes")
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError:
            raise SignalingError("signal.bad_json", "text with lone surrogates") from None
        if len(raw) > MAX_SIGNAL_BYTES:
            raise SignalingError("signal.too_large", f"more than {MAX_SIGNAL_BYTES} bytes")
    try:
        # pydantic-core's parser rejects invalid UTF-8, lone surrogate escapes, NaN and
        # pathological nesting with a ValueError (the json module would hit RecursionError).
        document: Any = from_json(raw, allow_inf_nan=False)
    except ValueError as err:
        raise SignalingError("signal.bad_json", f"not valid JSON: {err}") from None
    if not isinstance(document, dict):
        raise SignalingError("signal.not_an_object", "a message is a JSON object")
    version = document.get("v")
    # type() and not isinstance(): JSON true and 1.0 are not version 1.
    if type(version) is not int or version != SIGNAL_VERSION:
        raise SignalingError(
            "signal.unsupported_version",
            f"version {_short(version)} is not supported; this end speaks v{SIGNAL_VERSION}",
        )
    kind = document.get("type")
    if kind not in SIGNAL_TYPES:
        raise SignalingError("signal.unknown_type", f"unknown message type {_short(kind)}")
    try:
        # Strict JSON rules: "2" is not a number, "yes" not a boolean. Parsing
        # twice costs well under a millisecond at the size limit.
        return _ADAPTER.validate_json(raw, strict=True)
    except ValidationError as err:
        # Name the fields and the rule, never the values: a reason may hold personal data.
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'][1:]) or '(message)'}: {error['msg']}"
            for error in err.errors(include_input=False, include_url=False)[:5]
        )
        raise SignalingError("signal.invalid", f"invalid {kind}: {problems}") from None


def dump_signal(message: SignalMessage) -> str:
    """The message as compact JSON text, ready for a WebSocket frame."""
    return message.model_dump_json()


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."
