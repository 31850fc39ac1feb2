"""Recovering unsent items from a corrupt outbox that was set aside.

Corruption rarely destroys every page. What can still be read of items the
back end does not have (pending, in flight, dead letters) is copied, sealed
as it was, into the fresh outbox under the same idempotency keys, so the
back end still stores each one at most once. Reading stops at the first
damaged page; the set-aside file stays for a technician either way.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlite_utils.db import Database

logger = logging.getLogger(__name__)

_LOST_ATTACHMENT = "an attachment was lost with a corrupt outbox; the item cannot be sent whole"
_ITEM_COLUMNS = (
    "idempotency_key",
    "session_id",
    "kind",
    "payload",
    "sealed_payload",
    "key_id",
    "state",
    "attempts",
    "created_at",
    "updated_at",
    "reject_reason",
)


def _rows(conn: sqlite3.Connection, sql: str, params: list[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows until the first unreadable page (the rest of a damaged table is skipped)."""
    try:
        cursor = conn.execute(sql, params)
        while (row := cursor.fetchone()) is not None:
            yield tuple(row)
    except sqlite3.DatabaseError as err:
        logger.warning("salvage stopped at a damaged page: %s", err)


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    try:
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    except sqlite3.DatabaseError:
        return set()


def salvage(source: Path, target: Database) -> int:
    """Copy the readable unsent items of ``source`` into ``target``; return how many.

    Never raises for a damaged ``source``: salvage is best effort.
    """
    try:
        conn = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as err:
        logger.warning("nothing salvaged from %s: %s", source.name, err)
        return 0
    with contextlib.closing(conn):
        columns = _columns(conn, "outbox_items")
        if not {"idempotency_key", "payload", "state"} <= columns:
            return 0
        chosen = [c if c in columns else f"NULL AS {c}" for c in _ITEM_COLUMNS]
        items = list(
            _rows(
                conn,
                f"SELECT {', '.join(chosen)} FROM outbox_items NOT INDEXED"
                " WHERE state IN ('pending', 'sending', 'rejected')",
                [],
            )
        )
        with target.atomic():
            copied = [row for row in items if _copy_item(target, row)]
            if "outbox_item_attachments" in _tables(conn):
                for row in copied:
                    _copy_attachments(conn, target, row[0])
    logger.critical("%d unsent item(s) salvaged from %s", len(copied), source.name)
    return len(copied)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in _rows(conn, "SELECT name FROM sqlite_master", [])}


def _copy_item(target: Database, row: tuple[Any, ...]) -> bool:
    values = dict(zip(_ITEM_COLUMNS, row, strict=True))
    if not isinstance(values["idempotency_key"], str) or len(values["idempotency_key"]) != 26:
        return False
    state = "rejected" if values["state"] == "rejected" else "pending"
    cursor = target.execute(
        "INSERT OR IGNORE INTO outbox_items (idempotency_key, session_id, kind, payload,"
        " sealed_payload, key_id, state, attempts, created_at, updated_at, reject_reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            values["idempotency_key"],
            values["session_id"] or "salvaged",
            values["kind"] or "transaction",
            values["payload"] or "",
            values["sealed_payload"],
            values["key_id"],
            state,
            values["attempts"] or 0,
            values["created_at"],
            values["updated_at"] or values["created_at"],
            values["reject_reason"],
        ],
    )
    return cursor.rowcount == 1


def _copy_attachments(conn: sqlite3.Connection, target: Database, key: str) -> None:
    links = list(
        _rows(
            conn,
            "SELECT position, sha256, media_type FROM outbox_item_attachments"
            " WHERE idempotency_key = ?",
            [key],
        )
    )
    whole = True
    for position, sha256, media_type in links:
        if _copy_attachment(conn, target, sha256):
            target.execute(
                "INSERT OR IGNORE INTO outbox_item_attachments"
                " (idempotency_key, position, sha256, media_type) VALUES (?, ?, ?, ?)",
                [key, position, sha256, media_type],
            )
        else:
            whole = False
    if not whole:
        target.execute(
            "UPDATE outbox_items SET state = 'rejected', reject_reason = ?"
            " WHERE idempotency_key = ?",
            [_LOST_ATTACHMENT, key],
        )


def _copy_attachment(conn: sqlite3.Connection, target: Database, sha256: str) -> bool:
    if target.execute("SELECT 1 FROM outbox_attachments WHERE sha256 = ?", [sha256]).fetchone():
        return True
    heads = list(
        _rows(
            conn,
            "SELECT size, chunk_bytes, created_at FROM outbox_attachments WHERE sha256 = ?",
            [sha256],
        )
    )
    if not heads:
        return False
    size, chunk_bytes, created_at = heads[0]
    chunks = list(
        _rows(
            conn,
            "SELECT seq, key_id, sealed FROM outbox_attachment_chunks WHERE sha256 = ?"
            " ORDER BY seq",
            [sha256],
        )
    )
    if [seq for seq, _, _ in chunks] != list(range(-(-size // chunk_bytes))):
        return False
    target.execute(
        "INSERT INTO outbox_attachments (sha256, size, chunk_bytes, uploaded, created_at)"
        " VALUES (?, ?, ?, 0, ?)",
        [sha256, size, chunk_bytes, created_at],
    )
    for seq, key_id, sealed in chunks:
        target.execute(
            "INSERT INTO outbox_attachment_chunks (sha256, seq, key_id, sealed)"
            " VALUES (?, ?, ?, ?)",
            [sha256, seq, key_id, sealed],
        )
    return True
