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
    | ErrorMessage,
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
