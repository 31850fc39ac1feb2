"""Read-only views of the outbox for the sync status and the maintenance mode."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlite_utils.db import Database

from offline_queue.items import DeadLetter, Durability, ItemState, OutboxStats

_SYNCHRONOUS_LEVELS = {0: "off", 1: "normal", 2: "full", 3: "extra"}


def _scalar(db: Database, sql: str, params: list[Any] | None = None) -> Any:
    row = db.execute(sql, params or []).fetchone()
    return row[0] if row is not None else None


def locked_count(db: Database, known_keys: Collection[str]) -> int:
    """Unsent items sealed with a key that is not in the key ring."""
    marks = ", ".join("?" for _ in known_keys)
    count: int = _scalar(
        db,
        "SELECT count(*) FROM outbox_items WHERE state IN ('pending', 'sending')"
        f" AND key_id IS NOT NULL AND key_id NOT IN ({marks})",
        list(known_keys),
    )
    return count


def stats(db: Database, known_keys: Collection[str]) -> OutboxStats:
    """How many items are in each state, and when the oldest pending one was saved."""
    counts: dict[str, int] = {
        row["state"]: row["n"]
        for row in db.query("SELECT state, count(*) AS n FROM outbox_items GROUP BY state")
    }
    # Keys increase with every enqueue: the smallest pending key is the oldest item.
    oldest = _scalar(
        db,
        "SELECT created_at FROM outbox_items WHERE state = 'pending'"
        " ORDER BY idempotency_key LIMIT 1",
    )
    return OutboxStats(
        pending=counts.get(ItemState.PENDING, 0),
        sending=counts.get(ItemState.SENDING, 0),
        acknowledged=counts.get(ItemState.ACKNOWLEDGED, 0),
        rejected=counts.get(ItemState.REJECTED, 0),
        oldest_pending_created_at=datetime.fromisoformat(oldest) if oldest else None,
        locked=locked_count(db, known_keys),
    )


def dead_letters(db: Database) -> list[DeadLetter]:
    """Items the back end refused, oldest first."""
    rows = db.query(
        "SELECT idempotency_key, session_id, kind, created_at, updated_at, attempts,"
        " reject_reason FROM outbox_items WHERE state = 'rejected' ORDER BY idempotency_key"
    )
    return [
        DeadLetter(
            idempotency_key=row["idempotency_key"],
            session_id=row["session_id"],
            kind=row["kind"],
            created_at=datetime.fromisoformat(row["created_at"]),
            rejected_at=datetime.fromisoformat(row["updated_at"]),
            attempts=row["attempts"],
            reason=row["reject_reason"] or "",
        )
        for row in rows
    ]


def key_ids_in_use(db: Database) -> set[str]:
    """Ids of the keys some stored item or attachment chunk is sealed with."""
    rows = db.execute(
        "SELECT key_id FROM outbox_items WHERE key_id IS NOT NULL"
        " AND sealed_payload IS NOT NULL UNION SELECT key_id FROM outbox_attachment_chunks"
    ).fetchall()
    return {key_id for (key_id,) in rows}


def durability(db: Database) -> Durability:
    """The journal mode and sync level in force on this connection."""
    journal = str(_scalar(db, "PRAGMA journal_mode")).lower()
    level = _SYNCHRONOUS_LEVELS.get(_scalar(db, "PRAGMA synchronous"), "unknown")
    return Durability(journal_mode=journal, synchronous=level)
