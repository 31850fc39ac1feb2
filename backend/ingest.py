"""Sync ingest: read a kiosk's batch item by item and store each item exactly once.

A batch is judged in two layers. The envelope (JSON, ``schema_version``,
``items``) must be right, or the whole request is refused with 422. Then
each item is judged on its own: an invalid item is answered ``rejected``
while its neighbours are stored, so one bad item never holds up a kiosk's
queue. An invalid item whose idempotency key cannot be read cannot be
answered on its own, so it fails the whole batch.

Exactly once: one ``INSERT ... ON CONFLICT (kiosk_id, idempotency_key) DO
NOTHING`` per batch; the keys it returns were stored now, the others before.
An item whose attachments the back end does not hold whole is answered
``retry``, and so are the later items of its session in the batch, so a
session's items are stored in the order the kiosk saved them.

Only the back end's clock orders what is received (``received_at``); the
kiosk's clocks are kept as told (``kiosk_created_at``) with the measured
offset, for people to read, never to sort or expire by.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import Engine, and_, insert, select
from sqlalchemy.engine import Connection

from backend.db import (
    attachments,
    insert_new_rows,
    transaction_attachments,
    transactions,
)
from offline_queue.schemas import (
    MAX_ITEMS_PER_BATCH,
    SCHEMA_VERSION,
    IdempotencyKey,
    ItemResult,
    ItemStatus,
    OutboxItemWire,
    SchemaVersion,
)

MAX_REASON_CHARS = 300
HELD_BEHIND = "held behind an earlier item of the same session"
_KEY: TypeAdapter[str] = TypeAdapter(IdempotencyKey)


EnvelopeT = TypeVar("EnvelopeT", bound=BaseModel)


class BatchError(Exception):
    """The batch as a whole cannot be read; the message says why (no input values)."""


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: SchemaVersion = SCHEMA_VERSION
    sent_at: datetime | None = None
    items: list[Any] = Field(min_length=1, max_length=MAX_ITEMS_PER_BATCH)


@dataclass(frozen=True)
class ParsedBatch:
    """A readable batch: each position holds a valid item or the rejection of an invalid one."""

    schema_version: int
    sent_at: datetime | None
    entries: list[OutboxItemWire | ItemResult]


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


def valid_field(raw: Any, name: str, kind: TypeAdapter[str]) -> str | None:
    """Field ``name`` of a raw item if it is a valid ``kind``: what a refusal can name."""
    if not isinstance(raw, dict):
        return None
    try:
        return kind.validate_python(raw.get(name))
    except ValidationError:
        return None


def read_envelope(body: bytes, model: type[EnvelopeT]) -> EnvelopeT:
    """The batch's envelope (its items still raw); :class:`BatchError` says why not."""
    try:
        # NaN and Infinity are not JSON; deep nesting is refused, not a crash.
        data = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise BatchError("the request body is not valid JSON (UTF-8)") from None
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise BatchError(describe_errors(err)) from None


def parse_batch(body: bytes) -> ParsedBatch:
    """Read a batch item by item. Raises :class:`BatchError` when it cannot be answered so."""
    envelope = read_envelope(body, _Envelope)
    parsed: list[OutboxItemWire | ItemResult] = []
    for index, raw in enumerate(envelope.items):
        try:
            parsed.append(OutboxItemWire.model_validate(raw))
        except ValidationError as err:
            key = valid_field(raw, "idempotency_key", _KEY)
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
    return ParsedBatch(envelope.schema_version, envelope.sent_at, parsed)


def _row(
    kiosk_id: str, item: OutboxItemWire, received_at: datetime, offset_ms: int | None
) -> dict[str, Any]:
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
        "session_id": item.session_id,
        "kiosk_created_at": item.created_at,
        "kiosk_clock_offset_ms": offset_ms,
    }


def _complete_attachments(
    conn: Connection, kiosk_id: str, items: list[OutboxItemWire]
) -> dict[str, tuple[int, int]]:
    """sha256 -> (attachment id, size) of the attachments these items need that are whole."""
    wanted = {ref.sha256 for item in items for ref in item.attachments}
    if not wanted:
        return {}
    rows = conn.execute(
        select(attachments.c.sha256, attachments.c.id, attachments.c.size).where(
            attachments.c.kiosk_id == kiosk_id,
            attachments.c.sha256.in_(wanted),
            attachments.c.complete.is_(True),
        )
    )
    return {row.sha256: (row.id, row.size) for row in rows}


def _already_stored(conn: Connection, kiosk_id: str, items: list[OutboxItemWire]) -> set[str]:
    keys = [item.idempotency_key for item in items]
    rows = conn.execute(
        select(transactions.c.idempotency_key).where(
            and_(transactions.c.kiosk_id == kiosk_id, transactions.c.idempotency_key.in_(keys))
        )
    )
    return set(rows.scalars())


def _answer(key: str, status: ItemStatus, reason: str) -> ItemResult:
    return ItemResult(idempotency_key=key, status=status, reason=reason)


def _judge(
    items: list[OutboxItemWire], stored: set[str], whole: dict[str, tuple[int, int]]
) -> tuple[list[OutboxItemWire], dict[str, ItemResult]]:
    """Split items into those to insert and those answered now (retry, rejected)."""
    to_insert: list[OutboxItemWire] = []
    answered: dict[str, ItemResult] = {}
    held_sessions: set[str] = set()
    for item in items:
        key = item.idempotency_key
        if key in stored:
            continue  # a duplicate: its attachments were checked when it was stored
        if item.session_id in held_sessions:
            answered[key] = _answer(key, ItemStatus.RETRY, HELD_BEHIND)
            continue
        missing = [ref for ref in item.attachments if ref.sha256 not in whole]
        wrong = [
            ref
            for ref in item.attachments
            if ref not in missing and whole[ref.sha256][1] != ref.size
        ]
        if wrong:
            reason = f"attachment {wrong[0].sha256[:12]} has another size than declared"
            answered[key] = _answer(key, ItemStatus.REJECTED, reason)
        elif missing:
            held_sessions.add(item.session_id)
            reason = f"attachment {missing[0].sha256[:12]} is not uploaded whole"
            answered[key] = _answer(key, ItemStatus.RETRY, reason)
        else:
            to_insert.append(item)
    return to_insert, answered


def store_batch(
    engine: Engine,
    kiosk_id: str,
    batch: ParsedBatch,
    *,
    now: datetime | None = None,
) -> list[ItemResult]:
    """Store the valid items once each; answer every position in request order."""
    received_at = now or datetime.now(UTC)
    offset_ms = (
        round((batch.sent_at - received_at).total_seconds() * 1000) if batch.sent_at else None
    )
    unique: dict[str, OutboxItemWire] = {}
    for entry in batch.entries:
        if isinstance(entry, OutboxItemWire):
            unique.setdefault(entry.idempotency_key, entry)
    items = list(unique.values())
    stored_now: dict[str, int] = {}
    answered: dict[str, ItemResult] = {}
    if items:
        with engine.begin() as conn:
            with_attachments = any(item.attachments for item in items)
            stored = _already_stored(conn, kiosk_id, items) if with_attachments else set()
            to_insert, answered = _judge(
                items, stored, _complete_attachments(conn, kiosk_id, items)
            )
            rows = [_row(kiosk_id, item, received_at, offset_ms) for item in to_insert]
            stored_now = insert_new_rows(conn, transactions, rows, ["kiosk_id", "idempotency_key"])
            _link_attachments(conn, kiosk_id, to_insert, stored_now)
    return _answers(batch.entries, stored_now, answered)


def _link_attachments(
    conn: Connection, kiosk_id: str, items: list[OutboxItemWire], stored_now: dict[str, int]
) -> None:
    links = [
        (stored_now[item.idempotency_key], position, ref)
        for item in items
        if item.idempotency_key in stored_now
        for position, ref in enumerate(item.attachments)
    ]
    if not links:
        return
    whole = _complete_attachments(conn, kiosk_id, items)
    conn.execute(
        insert(transaction_attachments),
        [
            {
                "transaction_id": transaction_id,
                "position": position,
                "attachment_id": whole[ref.sha256][0],
                "media_type": ref.media_type,
            }
            for transaction_id, position, ref in links
        ],
    )


def _answers(
    entries: list[OutboxItemWire | ItemResult],
    stored_now: dict[str, int],
    answered: dict[str, ItemResult],
) -> list[ItemResult]:
    results: list[ItemResult] = []
    seen: set[str] = set()
    for entry in entries:
        if isinstance(entry, ItemResult):
            results.append(entry)
            continue
        key = entry.idempotency_key
        if key in answered:
            results.append(answered[key])
        else:
            # The same key twice in one batch: the first is stored, the second is a duplicate.
            fresh = key in stored_now and key not in seen
            results.append(
                ItemResult(
                    idempotency_key=key,
                    status=ItemStatus.STORED if fresh else ItemStatus.DUPLICATE,
                )
            )
        seen.add(key)
    return results
