"""Wire schemas of the kiosk -> back end sync, shared by both ends.

Versioned (``schema_version``) so that a fleet can be upgraded kiosk by kiosk:
the back end accepts every version it knows and answers per item, in the
version it was asked in. Version 2 adds attachments, the ``retry`` answer and
the clocks of both ends (``sent_at``, ``server_time``); a version 1 batch is a
valid version 2 batch without them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SCHEMA_VERSION: Literal[2] = 2
SchemaVersion = Literal[1, 2]
MAX_ITEMS_PER_BATCH = 100
MAX_FIELD_CHARS = 2_000
MAX_ATTACHMENTS_PER_ITEM = 10
MAX_ATTACHMENT_BYTES = 20_000_000  # a multi-page scan at document-camera resolution

# A ULID: 26 Crockford base-32 characters, sortable by creation time.
IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Reference = Annotated[
    str, StringConstraints(pattern=r"^[A-Z0-9]{2,8}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
]
FieldValue = Annotated[str, StringConstraints(max_length=MAX_FIELD_CHARS)]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
MediaType = Literal["image/jpeg", "image/png", "application/pdf"]


class _Wire(BaseModel):
    """Strict base: unknown keys are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class IdentityMethod(StrEnum):
    """How the citizen identified at the kiosk."""

    CARD = "card"
    FILE_NUMBER = "file_number"


class TransactionRecord(_Wire):
    """What a citizen submitted for one service: the payload of a ``transaction`` item."""

    reference: Reference
    agency_id: Identifier
    service_id: Identifier
    language: Literal["fr", "en"]
    identified_by: IdentityMethod
    file_number: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    fields: dict[Identifier, FieldValue] = Field(max_length=200)
    submitted_at: datetime


class AttachmentRef(_Wire):
    """A document scan or signature that an item carries, named by its content."""

    sha256: Sha256Hex
    size: int = Field(ge=1, le=MAX_ATTACHMENT_BYTES)
    media_type: MediaType


class OutboxItemWire(_Wire):
    """One outbox item as sent on the wire.

    ``created_at`` is the kiosk's clock: informative only. The back end orders
    and keeps what it receives by its own clock, and items of one session
    by their idempotency keys, which the kiosk issues in increasing order.
    """

    idempotency_key: IdempotencyKey
    session_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    kind: Literal["transaction"]
    created_at: datetime
    payload: TransactionRecord
    # Uploaded before the item; the back end stores the item only once it holds them all.
    attachments: list[AttachmentRef] = Field(
        default_factory=list, max_length=MAX_ATTACHMENTS_PER_ITEM
    )


class SyncBatchRequest(_Wire):
    """A batch of outbox items, oldest first."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    # The kiosk's clock when it sent the batch: lets the back end record the skew.
    sent_at: datetime | None = None
    items: list[OutboxItemWire] = Field(min_length=1, max_length=MAX_ITEMS_PER_BATCH)


class ItemStatus(StrEnum):
    """The back end's answer for one item."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # already stored earlier: the kiosk treats it as acknowledged
    REJECTED = "rejected"  # will never be accepted as is: the kiosk dead-letters it
    # Not stored this time (an attachment is missing, or an earlier item of the
    # same session could not be stored): the kiosk sends it again later.
    RETRY = "retry"


class ItemResult(_Wire):
    """The back end's answer for one item of a batch."""

    idempotency_key: IdempotencyKey
    status: ItemStatus
    reason: str | None = None


class SyncBatchResponse(_Wire):
    """Per-item answers, in the order of the request."""

    schema_version: SchemaVersion = SCHEMA_VERSION
    # The back end's clock when it answered: lets the kiosk show its own skew.
    server_time: datetime | None = None
    results: list[ItemResult]


class AttachmentStatus(_Wire):
    """How much of an attachment the back end holds: where an interrupted upload resumes."""

    sha256: Sha256Hex
    size: int
    received_bytes: int
    complete: bool


class ReceivedTransaction(_Wire):
    """A transaction as the back end lists it to agency staff."""

    kiosk_id: str
    idempotency_key: IdempotencyKey
    # The back end's clock; the order staff see. The kiosk's clock is kept apart.
    received_at: datetime
    record: TransactionRecord
    session_id: str | None = None
    kiosk_created_at: datetime | None = None
    attachments: list[AttachmentRef] = Field(default_factory=list)
