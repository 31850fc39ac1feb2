"""Attachments in the outbox: stored once per content, sealed chunk by chunk.

An attachment is named by the SHA-256 of its plaintext, so the same scan
attached twice is stored (and uploaded) once. It is cut into chunks of
:data:`CHUNK_BYTES`, each sealed on its own and bound to its place
(``sha256``, ``seq``): the uploader reads any chunk without the others, which
is what lets an interrupted upload resume where the back end stopped.

These functions work inside the caller's transaction; :class:`~offline_queue.outbox.Outbox`
is their only caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlite_utils.db import Database

from offline_queue.crypto import KeyRing
from offline_queue.items import NewAttachment, PendingUpload
from offline_queue.schemas import AttachmentRef

CHUNK_BYTES = 256 * 1024  # the upload unit: well under the back end's request limit


def chunk_context(sha256: str, seq: int) -> bytes:
    """What a sealed chunk is bound to, so that chunks cannot be swapped or moved."""
    return f"chunk:{sha256}:{seq}".encode("ascii")


def store(
    db: Database, keys: KeyRing, attachment: NewAttachment, ref: AttachmentRef, now: str
) -> None:
    """Save ``attachment`` unless the outbox holds the same content already."""
    known = db.execute("SELECT 1 FROM outbox_attachments WHERE sha256 = ?", [ref.sha256]).fetchone()
    if known is not None:
        return
    db.execute(
        "INSERT INTO outbox_attachments (sha256, size, chunk_bytes, uploaded, created_at)"
        " VALUES (?, ?, ?, 0, ?)",
        [ref.sha256, ref.size, CHUNK_BYTES, now],
    )
    data = attachment.data
    for seq, start in enumerate(range(0, len(data), CHUNK_BYTES)):
        key_id, sealed = keys.seal(
            data[start : start + CHUNK_BYTES], context=chunk_context(ref.sha256, seq)
        )
        db.execute(
            "INSERT INTO outbox_attachment_chunks (sha256, seq, key_id, sealed)"
            " VALUES (?, ?, ?, ?)",
            [ref.sha256, seq, key_id, sealed],
        )


def link(db: Database, idempotency_key: str, position: int, ref: AttachmentRef) -> None:
    """Record that item ``idempotency_key`` carries ``ref`` at ``position``."""
    db.execute(
        "INSERT INTO outbox_item_attachments (idempotency_key, position, sha256, media_type)"
        " VALUES (?, ?, ?, ?)",
        [idempotency_key, position, ref.sha256, ref.media_type],
    )


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


def refs_of(db: Database, keys: Sequence[str]) -> dict[str, list[AttachmentRef]]:
    """The attachments of each item in ``keys``, in the order they were attached."""
    found: dict[str, list[AttachmentRef]] = {}
    if not keys:
        return found
    rows = db.execute(
        "SELECT l.idempotency_key, l.sha256, a.size, l.media_type"
        " FROM outbox_item_attachments AS l JOIN outbox_attachments AS a USING (sha256)"
        f" WHERE l.idempotency_key IN ({_placeholders(keys)})"
        " ORDER BY l.idempotency_key, l.position",
        list(keys),
    ).fetchall()
    for key, sha256, size, media_type in rows:
        found.setdefault(key, []).append(
            AttachmentRef(sha256=sha256, size=size, media_type=media_type)
        )
    return found


def pending_uploads(db: Database, keys: Sequence[str]) -> list[PendingUpload]:
    """Attachments of these items that the back end has not confirmed yet, each once."""
    if not keys:
        return []
    rows = db.execute(
        "SELECT a.sha256, a.size, min(l.media_type), a.chunk_bytes"
        " FROM outbox_item_attachments AS l JOIN outbox_attachments AS a USING (sha256)"
        f" WHERE l.idempotency_key IN ({_placeholders(keys)}) AND a.uploaded = 0"
        " GROUP BY a.sha256 ORDER BY min(l.idempotency_key), min(l.position)",
        list(keys),
    ).fetchall()
    return [
        PendingUpload(AttachmentRef(sha256=sha, size=size, media_type=media), chunk_bytes)
        for sha, size, media, chunk_bytes in rows
    ]


def read(db: Database, keys: KeyRing, sha256: str, offset: int, max_bytes: int) -> bytes:
    """Up to ``max_bytes`` of the attachment from ``offset``, never past one chunk."""
    row = db.execute(
        "SELECT size, chunk_bytes FROM outbox_attachments WHERE sha256 = ?", [sha256]
    ).fetchone()
    if row is None:
        raise KeyError(sha256)
    size, chunk_bytes = row
    if not 0 <= offset < size:
        raise ValueError(f"offset {offset} outside the attachment (size {size})")
    seq, within = divmod(offset, chunk_bytes)
    key_id, sealed = db.execute(
        "SELECT key_id, sealed FROM outbox_attachment_chunks WHERE sha256 = ? AND seq = ?",
        [sha256, seq],
    ).fetchone()
    chunk = keys.open(key_id, sealed, context=chunk_context(sha256, seq))
    return chunk[within : within + max_bytes]


def set_uploaded(db: Database, sha256s: Sequence[str], uploaded: bool) -> None:
    """Record whether the back end holds these attachments whole."""
    if sha256s:
        db.execute(
            "UPDATE outbox_attachments SET uploaded = ?"
            f" WHERE sha256 IN ({_placeholders(sha256s)})",
            [int(uploaded), *sha256s],
        )


def of_items(db: Database, keys: Sequence[str]) -> list[str]:
    """The distinct attachments these items carry."""
    if not keys:
        return []
    rows = db.execute(
        "SELECT DISTINCT sha256 FROM outbox_item_attachments"
        f" WHERE idempotency_key IN ({_placeholders(keys)})",
        list(keys),
    ).fetchall()
    return [sha for (sha,) in rows]


def release_items(db: Database, keys: Sequence[str]) -> None:
    """Forget the attachments of these items if the back end holds them; erase orphan content.

    Only acknowledged items let go: a dead letter keeps its attachments for
    the technician, even when asked to acknowledge it late.
    """
    if not keys:
        return
    db.execute(
        "DELETE FROM outbox_item_attachments WHERE idempotency_key IN"
        " (SELECT idempotency_key FROM outbox_items WHERE state = 'acknowledged'"
        f" AND idempotency_key IN ({_placeholders(keys)}))",
        list(keys),
    )
    # The chunks go with their attachment (ON DELETE CASCADE), zeroed by secure_delete.
    db.execute(
        "DELETE FROM outbox_attachments WHERE NOT EXISTS"
        " (SELECT 1 FROM outbox_item_attachments AS l WHERE l.sha256 = outbox_attachments.sha256)"
    )


def reseal(db: Database, keys: KeyRing) -> int:
    """Seal again with the active key every chunk sealed with an older key; return how many."""
    rows = db.execute(
        "SELECT sha256, seq, key_id, sealed FROM outbox_attachment_chunks WHERE key_id != ?",
        [keys.active_id],
    ).fetchall()
    count = 0
    for sha256, seq, key_id, sealed in rows:
        if key_id not in keys.keys:
            continue  # locked: the outbox reports it
        context = chunk_context(sha256, seq)
        new_key_id, new_sealed = keys.seal(
            keys.open(key_id, sealed, context=context), context=context
        )
        db.execute(
            "UPDATE outbox_attachment_chunks SET key_id = ?, sealed = ?"
            " WHERE sha256 = ? AND seq = ?",
            [new_key_id, new_sealed, sha256, seq],
        )
        count += 1
    return count
