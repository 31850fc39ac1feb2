"""Wire schema of the kiosk's service events, shared by the kiosk and the back end.

A service event says what happened at a kiosk (a visit started, a service was
completed, a citizen asked for a person...) with codes only: which service,
agency, language and step, when (to the minute), and for a satisfaction answer
the score and the reason picked from a list. There is no field for a name, an
address or a file number, and nothing free-typed fits a code, so no personal
data can travel this way. The only trace of a citizen is ``file_hash`` on a
completed service: a keyed hash of their file number (:func:`file_number_hash`)
whose key stays on the kiosks, so the back end can see that the same file came
back within 30 days without being able to tell whose file it is.

Each event carries a random ``id`` drawn when it was recorded: the back end
stores an event once whatever the retries (``POST /api/v1/analytics/events``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

ANALYTICS_PATH = "/api/v1/analytics/events"
ANALYTICS_SCHEMA_VERSION: Literal[1] = 1
MAX_EVENTS_PER_BATCH = 500
SATISFACTION_SCORES = range(1, 6)
FILE_HASH_HEX_CHARS = 32  # 128 bits: no collision among a country's files, and not reversible
MIN_FILE_HASH_KEY_BYTES = 16

Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
EventId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
SessionId = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
FileHash = Annotated[str, Field(pattern=rf"^[0-9a-f]{{{FILE_HASH_HEX_CHARS}}}$")]


class EventKind(StrEnum):
    """The moments of a visit that the agency counts."""

    SESSION_STARTED = "session_started"
    SERVICE_STARTED = "service_started"
    SERVICE_COMPLETED = "service_completed"  # saved in the outbox
    SESSION_ABANDONED = "session_abandoned"  # wiped by the inactivity timer
    SATISFACTION = "satisfaction"
    ONLINE_HANDOFF = "online_handoff"  # the QR to the online service was shown
    ESCALATED = "escalated"  # the citizen asked for a person (a video call was requested)


class FeedbackReason(StrEnum):
    """Why a citizen gave their score: picked from a list, never typed (no free text,
    so no personal data slips into the figures and nobody has to type)."""

    FAST = "fast"
    EASY = "easy"
    TOO_LONG = "too_long"
    HARD_TO_UNDERSTAND = "hard_to_understand"
    DEVICE_PROBLEM = "device_problem"
    NEEDED_A_PERSON = "needed_a_person"


def new_event_id() -> str:
    """A random event id (128 bits, hex): unique without coordination between kiosks."""
    return secrets.token_hex(16)


def file_number_hash(key: bytes, file_number: str) -> str:
    """The keyed hash of a file number that repeat contacts are counted by.

    HMAC-SHA256 with the deployment's secret, truncated: without the key, a
    file number cannot be found by hashing every possible number (there are
    only ten billion). Only the digits count, so "583 102 9474" and
    "5831029474" hash alike.
    """
    if len(key) < MIN_FILE_HASH_KEY_BYTES:
        raise ValueError(f"the file hash key needs at least {MIN_FILE_HASH_KEY_BYTES} bytes")
    digits = "".join(char for char in file_number if char.isdigit())
    if not digits:
        raise ValueError("a file number has digits")
    digest = hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()
    return digest[:FILE_HASH_HEX_CHARS]


class ServiceEvent(BaseModel):
    """One counted moment; every field is a code or a number, never personal data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: EventId
    kind: EventKind
    at: datetime
    session: SessionId  # random per visit
    language: Code | None = None
    agency_id: Code | None = None
    service_id: Code | None = None
    life_event_id: Code | None = None
    step: Code | None = None
    score: (
        Annotated[int, Field(ge=min(SATISFACTION_SCORES), le=max(SATISFACTION_SCORES))] | None
    ) = None
    reason: FeedbackReason | None = None
    file_hash: FileHash | None = None

    @model_validator(mode="after")
    def _hash_only_on_completion(self) -> Self:
        if self.file_hash is not None and self.kind is not EventKind.SERVICE_COMPLETED:
            raise ValueError("file_hash belongs to service_completed events only")
        if self.at.tzinfo is None:
            raise ValueError("at must carry its time zone")
        return self


class AnalyticsBatch(BaseModel):
    """What a kiosk sends: up to :data:`MAX_EVENTS_PER_BATCH` events, oldest first."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = ANALYTICS_SCHEMA_VERSION
    events: list[ServiceEvent] = Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH)


class RejectedEvent(BaseModel):
    """An event the back end will never take as is, and why (no input values)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: EventId
    reason: str = Field(max_length=300)


class AnalyticsAnswer(BaseModel):
    """The back end's answer: ``accepted`` holds the ids it keeps, stored now or before.

    The kiosk forgets accepted and rejected events alike; an event in neither
    list is sent again later.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    accepted: list[EventId] = Field(max_length=MAX_EVENTS_PER_BATCH)
    rejected: list[RejectedEvent] = Field(default=[], max_length=MAX_EVENTS_PER_BATCH)
