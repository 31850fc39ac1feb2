"""Wire schemas of the kiosk -> back end sync, shared by both ends.

Versioned (``schema_version``) so that a fleet can be upgraded kiosk by kiosk:
the back end accepts every version it knows and answers per item.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SCHEMA_VERSION: Literal[1] = 1
MAX_ITEMS_PER_BATCH = 100
MAX_FIELD_CHARS = 2_000

# A ULID: 26 Crockford base-32 characters, sortable by creation time.
IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Reference = Annotated[
    str, StringConstraints(pattern=r"^[A-Z0-9]{2,8}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
]
FieldValue = Annotated[str, StringConstraints(max_length=MAX_FIELD_CHARS)]


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


class OutboxItemWire(_Wire):
    """One outbox item as sent on the wire."""

    idempotency_key: IdempotencyKey
    session_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    kind: Literal["transaction"]
    created_at: datetime
    payload: TransactionRecord


class SyncBatchRequest(_Wire):
    """A batch of outbox items, oldest first."""

    schema_version: Literal[1] = SCHEMA_VERSION
    items: list[OutboxItemWire] = Field(min_length=1, max_length=MAX_ITEMS_PER_BATCH)


class ItemStatus(StrEnum):
    """The back end's answer for one item."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # already stored earlier: the kiosk treats it as acknowledged
    REJECTED = "rejected"  # will never be accepted as is: the kiosk dead-letters it


class ItemResult(_Wire):
    """The back end's answer for one item of a batch."""

    idempotency_key: IdempotencyKey
    status: ItemStatus
    reason: str | None = None


class SyncBatchResponse(_Wire):
    """Per-item answers, in the order of the request."""

    schema_version: Literal[1] = SCHEMA_VERSION
    results: list[ItemResult]


class ReceivedTransaction(_Wire):
    """A transaction as the back end lists it to agency staff."""

    kiosk_id: str
    idempotency_key: IdempotencyKey
    received_at: datetime
    record: TransactionRecord
