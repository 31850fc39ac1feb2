"""How outbox items are written in, and read back from, their database rows.

Timestamps are ISO 8601 UTC text of fixed width, so that text order is time
order in SQL. Payloads are sealed (:mod:`offline_queue.crypto`) and bound to
their row by the item's key, so that a sealed payload moved to another row
fails to open.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlite_utils.db import Database

from offline_queue import attachments as blobs
from offline_queue.crypto import KeyRing, SealError
from offline_queue.errors import InvalidItemError
from offline_queue.items import ClaimedItem, ItemState, NewAttachment, OutboxEntry
from offline_queue.schemas import AttachmentRef, OutboxItemWire, TransactionRecord

MAX_ERROR_CHARS = 500
# CAST: a value damaged into text must fail authentication, not stall the claim on UTF-8.
_ITEM_COLUMNS = (
    "idempotency_key, session_id, kind, CAST(sealed_payload AS BLOB) AS sealed_payload,"
    " key_id, state, created_at"
)


class UnreadableItemError(Exception):
    """A stored item cannot be turned back into its wire form (the message says why)."""


def to_text(moment: datetime) -> str:
    """A timestamp as the outbox stores it."""
    if moment.tzinfo is None:
        raise ValueError("outbox timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def short(text: str) -> str:
    """``text`` cut to what the outbox keeps of an error or a reason."""
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def describe(err: ValidationError) -> str:
    """Where and what of validation errors; never the input values (they may be personal)."""
    parts = [".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in err.errors()[:3]]
    return "; ".join(parts) or "invalid"


def item_context(key: str) -> bytes:
    """What an item's sealed payload is bound to: its idempotency key."""
    return f"item:{key}".encode("ascii")


def entry(row: dict[str, Any]) -> OutboxEntry:
    """The kiosk's view of an item row."""
    return OutboxEntry(
        idempotency_key=row["idempotency_key"],
        session_id=row["session_id"],
        kind=row["kind"],
        created_at=datetime.fromisoformat(row["created_at"]),
        state=ItemState(row["state"]),
    )


def new_wire(
    key: str,
    session_id: str,
    record: TransactionRecord,
    attachments: Sequence[NewAttachment],
    now: datetime,
) -> OutboxItemWire:
    """The wire form of a new item: what is saved can be sent. Raises InvalidItemError."""
    try:
        refs = [
            AttachmentRef(sha256=a.sha256, size=len(a.data), media_type=a.media_type)
            for a in attachments
        ]
        return OutboxItemWire(
            idempotency_key=key,
            session_id=session_id,
            kind="transaction",
            created_at=now,
            payload=record,
            attachments=refs,
        )
    except ValidationError as err:
        raise InvalidItemError(f"item refused: {describe(err)}") from None


def insert_item(
    db: Database, keys: KeyRing, wire: OutboxItemWire, attachments: Sequence[NewAttachment]
) -> None:
    """Write a new pending item, sealed, with its attachments (inside the caller's transaction)."""
    key = wire.idempotency_key
    key_id, sealed = keys.seal(wire.payload.model_dump_json().encode(), context=item_context(key))
    stamp = to_text(wire.created_at)
    db.execute(
        "INSERT INTO outbox_items (idempotency_key, session_id, kind, payload,"
        " sealed_payload, key_id, state, attempts, created_at, updated_at)"
        " VALUES (?, ?, ?, '', ?, ?, 'pending', 0, ?, ?)",
        [key, wire.session_id, wire.kind, sealed, key_id, stamp, stamp],
    )
    for position, (attachment, ref) in enumerate(zip(attachments, wire.attachments, strict=True)):
        blobs.store(db, keys, attachment, ref, stamp)
        blobs.link(db, key, position, ref)
    # The newest key survives purges: new keys sort after it even if the clock goes back.
    db.execute(
        "INSERT INTO outbox_meta (name, value) VALUES ('key_floor', ?)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [key],
    )


def oldest_pending(db: Database, known_keys: Collection[str], limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` pending rows sealed with a known key, oldest first."""
    marks = ", ".join("?" for _ in known_keys)
    return list(
        db.query(
            f"SELECT {_ITEM_COLUMNS} FROM outbox_items WHERE state = 'pending'"
            f" AND key_id IN ({marks}) ORDER BY idempotency_key LIMIT ?",
            [*known_keys, limit],
        )
    )


def rebuild(row: dict[str, Any], refs: list[AttachmentRef], keys: KeyRing) -> ClaimedItem:
    """The wire form of a stored item. Raises :class:`UnreadableItemError`."""
    key = row["idempotency_key"]
    try:
        plaintext = keys.open(row["key_id"], row["sealed_payload"], context=item_context(key))
        wire = OutboxItemWire(
            idempotency_key=key,
            session_id=row["session_id"],
            kind=row["kind"],
            created_at=datetime.fromisoformat(row["created_at"]),
            payload=TransactionRecord.model_validate_json(plaintext),
            attachments=refs,
        )
    except (ValidationError, ValueError, TypeError, SealError) as err:
        reason = describe(err) if isinstance(err, ValidationError) else type(err).__name__
        raise UnreadableItemError(reason) from None
    return ClaimedItem(entry(row), wire, len(wire.model_dump_json().encode()))


def seal_in_place(db: Database, keys: KeyRing) -> tuple[int, int]:
    """Seal plaintext an older version left, re-seal what an older key sealed.

    Returns (items sealed, items re-sealed). Runs inside the caller's
    transaction. Items under a key missing from ``keys`` are left alone.
    """
    known = list(keys.keys)
    marks = ", ".join("?" for _ in known)
    rows = db.execute(
        "SELECT idempotency_key, payload, sealed_payload, key_id FROM outbox_items"
        " WHERE (key_id IS NULL AND payload != '')"
        f" OR (key_id != ? AND key_id IN ({marks}) AND sealed_payload IS NOT NULL)",
        [keys.active_id, *known],
    ).fetchall()
    sealed = resealed = 0
    for key, payload, old_sealed, old_key_id in rows:
        context = item_context(key)
        if old_key_id is None:  # plaintext from before migration 0002
            plaintext = payload.encode()
            sealed += 1
        else:
            plaintext = keys.open(old_key_id, old_sealed, context=context)
            resealed += 1
        key_id, new_sealed = keys.seal(plaintext, context=context)
        db.execute(
            "UPDATE outbox_items SET payload = '', sealed_payload = ?, key_id = ?"
            " WHERE idempotency_key = ?",
            [new_sealed, key_id, key],
        )
    return sealed, resealed
