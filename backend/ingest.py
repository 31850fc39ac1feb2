"""Sync ingest: read a kiosk's batch item by item and store each item exactly once.

A batch is judged in two layers. The envelope (JSON, ``schema_version``,
``items``) must be right, or the whole request is refused with 422. Then
each item is judged on its own: an invalid item is answered ``rejected``
while its neighbours are stored, so one bad item never holds up a kiosk's
queue. An invalid item whose idempotency key cannot be read cannot be
answered on its own, so it fails the whole batch.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal, NoReturn

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from backend.db import transactions
from offline_queue.schemas import (
    MAX_ITEMS_PER_BATCH,
    SCHEMA_VERSION,
    IdempotencyKey,
    ItemResult,
    ItemStatus,
    OutboxItemWire,
)

MAX_REASON_CHARS = 300
_KEY = TypeAdapter(IdempotencyKey)


class BatchError(Exception):
    """The batch as a whole cannot be read; the message says why (no input values)."""


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = SCHEMA_VERSION
    items: list[Any] = Field(min_length=1, max_length=MAX_ITEMS_PER_BATCH)


def describe_errors(err: ValidationError, *, prefix: str = "") -> str:
    """A short account of validation errors: where and what, never the offending values."""
    parts = []
    for error in err.errors()[:5]:
        where = ".".join(str(part) for part in error["loc"])
        parts.append(f"{prefix}{where}: {error['msg']}" if where or prefix else error["msg"])
    text = "; ".join(parts)
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _valid_key(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return None
    try:
        return _KEY.validate_python(raw.get("idempotency_key"))
    except ValidationError:
        return None


def parse_batch(body: bytes) -> list[OutboxItemWire | ItemResult]:
    """Read a batch; each position holds a valid item or the rejection of an invalid one.

    Raises :class:`BatchError` when the batch cannot be answered item by item.
    """
    try:
        # NaN and Infinity are not JSON; deep nesting is refused, not a crash.
        data = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise BatchError("the request body is not valid JSON (UTF-8)") from None
    try:
        envelope = _Envelope.model_validate(data)
    except ValidationError as err:
        raise BatchError(describe_errors(err)) from None
    parsed: list[OutboxItemWire | ItemResult] = []
    for index, raw in enumerate(envelope.items):
        try:
            parsed.append(OutboxItemWire.model_validate(raw))
        except ValidationError as err:
            key = _valid_key(raw)
            if key is None:
                raise BatchError(
                    describe_errors(err, prefix=f"items.{index}.")
                    + " (the item has no valid idempotency_key)"
                ) from None
            parsed.append(
                ItemResult(
                    idempotency_key=key, status=ItemStatus.REJECTED, reason=describe_errors(err)
                )
            )
    return parsed


def _row(kiosk_id: str, item: OutboxItemWire, received_at: datetime) -> dict[str, Any]:
    record = item.payload
    return {
        "kiosk_id": kiosk_id,
        "idempotency_key": item.idempotency_key,
        "reference": record.reference,
        "agency_id": record.agency_id,
        "service_id": record.service_id,
        "language": record.language,
        "record": record.model_dump_json(),
        "received_at": received_at,
    }


def _insert_new(engine: Engine, kiosk_id: str, items: list[OutboxItemWire]) -> set[str]:
    """Insert each item unless this kiosk sent it before; return the keys inserted now.

    The unique constraint on (kiosk_id, idempotency_key) decides, one
    savepoint per item, in one transaction: a retry racing its original (two
    requests with the same items) stores each item once, whichever wins.
    """
    now = datetime.now(UTC)
    stored: set[str] = set()
    with engine.begin() as conn:
        for item in items:
            try:
                with conn.begin_nested():
                    conn.execute(insert(transactions).values(**_row(kiosk_id, item, now)))
            except IntegrityError:
                continue
            stored.add(item.idempotency_key)
    return stored


def store_batch(
    engine: Engine, kiosk_id: str, parsed: list[OutboxItemWire | ItemResult]
) -> list[ItemResult]:
    """Store the valid items once each; answer every position in request order."""
    unique: dict[str, OutboxItemWire] = {}
    for entry in parsed:
        if isinstance(entry, OutboxItemWire):
            unique.setdefault(entry.idempotency_key, entry)
    stored_now = _insert_new(engine, kiosk_id, list(unique.values())) if unique else set()
    results: list[ItemResult] = []
    answered: set[str] = set()
    for entry in parsed:
        if isinstance(entry, ItemResult):
            results.append(entry)
            continue
        key = entry.idempotency_key
        # The same key twice in one batch: the first is stored, the second is a duplicate.
        fresh = key in stored_now and key not in answered
        answered.add(key)
        status = ItemStatus.STORED if fresh else ItemStatus.DUPLICATE
        results.append(ItemResult(idempotency_key=key, status=status))
    return results
