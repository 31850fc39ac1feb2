"""Attachment upload: chunks appended in order, resumable, verified against the SHA-256.

A kiosk names an attachment by the SHA-256 of its content and uploads it in
chunks (``PUT ...?offset=N&size=TOTAL``). The back end appends a chunk only
at the offset it expects, and otherwise answers 409 with the offset it
holds, so a kiosk cut off mid-upload resumes there. When the last byte
arrives the content is hashed: a match completes the attachment; a mismatch
(damaged on the way) discards it, answered 422, and the kiosk starts over.

Attachments are scoped per kiosk: one kiosk cannot learn whether another
uploaded some content.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, Engine, delete, select, update

from backend.auth import Principal, require_role
from backend.body import read_limited_body
from backend.db import attachment_chunks, attachments, insert_ignoring_conflicts
from offline_queue.schemas import MAX_ATTACHMENT_BYTES, AttachmentStatus

ATTACHMENT_PATH = "/api/v1/attachments/{sha256}"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
HASH_MISMATCH = "the content does not match its SHA-256: it was discarded, upload it again"

router = APIRouter(tags=["sync"])
Sha256 = Annotated[str, Path(pattern=SHA256_PATTERN, description="SHA-256 of the content, hex.")]
Kiosk = Annotated[Principal, Depends(require_role("kiosk"))]


class UploadRefusedError(Exception):
    """The chunk can never be accepted as sent (the message says why)."""


@dataclass(frozen=True)
class ChunkOutcome:
    """Where the upload stands after a chunk; ``accepted`` False means a wrong offset."""

    status: AttachmentStatus
    accepted: bool


def _read(
    conn: Connection, kiosk_id: str, sha256: str, *, lock: bool = False
) -> tuple[int, AttachmentStatus] | None:
    query = select(
        attachments.c.id,
        attachments.c.size,
        attachments.c.received_bytes,
        attachments.c.complete,
    ).where(attachments.c.kiosk_id == kiosk_id, attachments.c.sha256 == sha256)
    if lock:
        # Two uploads of one attachment (a retry racing its timed-out original)
        # take turns; SQLite's BEGIN IMMEDIATE already serialises writers.
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        return None
    found = AttachmentStatus(
        sha256=sha256, size=row.size, received_bytes=row.received_bytes, complete=row.complete
    )
    return int(row.id), found


def attachment_status(engine: Engine, kiosk_id: str, sha256: str) -> AttachmentStatus | None:
    """How much of the attachment the back end holds, or ``None`` if nothing."""
    with engine.connect() as conn:
        found = _read(conn, kiosk_id, sha256)
    return found[1] if found is not None else None


def receive_chunk(
    engine: Engine, kiosk_id: str, sha256: str, *, offset: int, size: int, data: bytes
) -> ChunkOutcome:
    """Append ``data`` at ``offset``; complete the attachment when the hash matches.

    Raises :class:`UploadRefusedError` for a size that contradicts an earlier
    chunk, a chunk past the end, or content that does not match the hash.
    """
    if not data:
        raise UploadRefusedError("an empty chunk")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            insert_ignoring_conflicts(conn, attachments, ["kiosk_id", "sha256"]).values(
                kiosk_id=kiosk_id,
                sha256=sha256,
                size=size,
                received_bytes=0,
                complete=False,
                created_at=now,
            )
        )
        found = _read(conn, kiosk_id, sha256, lock=True)
        assert found is not None  # inserted just above, or earlier
        attachment_id, held = found
        if held.size != size:
            raise UploadRefusedError(
                f"size {size} contradicts the {held.size} bytes declared before"
            )
        if held.complete or offset != held.received_bytes:
            return ChunkOutcome(held, accepted=held.complete)
        received = offset + len(data)
        if received > size:
            raise UploadRefusedError("the chunk goes past the declared size")
        conn.execute(
            attachment_chunks.insert().values(
                attachment_id=attachment_id, start_byte=offset, data=data
            )
        )
        complete = received == size and _content_hash(conn, attachment_id) == sha256
        mismatch = received == size and not complete
        if mismatch:
            conn.execute(
                delete(attachment_chunks).where(attachment_chunks.c.attachment_id == attachment_id)
            )
            received = 0
        conn.execute(
            update(attachments)
            .where(attachments.c.id == attachment_id)
            .values(
                received_bytes=received, complete=complete, completed_at=now if complete else None
            )
        )
    if mismatch:
        raise UploadRefusedError(HASH_MISMATCH)  # raised after the commit: the reset must stick
    status_now = AttachmentStatus(
        sha256=sha256, size=size, received_bytes=received, complete=complete
    )
    return ChunkOutcome(status_now, accepted=True)


def _content_hash(conn: Connection, attachment_id: int) -> str:
    digest = hashlib.sha256()
    rows = conn.execute(
        select(attachment_chunks.c.data)
        .where(attachment_chunks.c.attachment_id == attachment_id)
        .order_by(attachment_chunks.c.start_byte)
    )
    for (data,) in rows:
        digest.update(data)
    return digest.hexdigest()


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


@router.get(
    ATTACHMENT_PATH,
    summary="How much of an attachment the back end holds",
    response_model=AttachmentStatus,
    responses={404: {"description": "Nothing of this attachment has arrived."}},
)
def get_attachment_status(request: Request, sha256: Sha256, kiosk: Kiosk) -> AttachmentStatus:
    """Where an interrupted upload resumes (``received_bytes``), or whether it is complete."""
    found = attachment_status(_engine(request), kiosk.client_id, sha256)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such attachment")
    return found


@router.put(
    ATTACHMENT_PATH,
    summary="Upload one chunk of an attachment",
    response_model=AttachmentStatus,
    responses={
        409: {"description": "Not the expected offset; the body says where to resume."},
        413: {"description": "The chunk is larger than the configured request limit."},
        422: {"description": "Size contradiction, or content that does not match its hash."},
    },
)
def put_attachment_chunk(
    *,
    request: Request,
    sha256: Sha256,
    kiosk: Kiosk,
    body: Annotated[bytes, Depends(read_limited_body)],
    offset: Annotated[int, Query(ge=0, le=MAX_ATTACHMENT_BYTES)],
    size: Annotated[int, Query(ge=1, le=MAX_ATTACHMENT_BYTES)],
) -> JSONResponse:
    """Append the body at ``offset`` of an attachment of ``size`` bytes."""
    try:
        outcome = receive_chunk(
            _engine(request), kiosk.client_id, sha256, offset=offset, size=size, data=body
        )
    except UploadRefusedError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(err)) from None
    code = status.HTTP_200_OK if outcome.accepted else status.HTTP_409_CONFLICT
    return JSONResponse(outcome.status.model_dump(mode="json"), status_code=code)
