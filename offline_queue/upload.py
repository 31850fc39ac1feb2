"""Uploading attachments in chunks, resuming where the back end stopped after a cut.

The back end keeps every chunk it received and says how many bytes it holds
(``GET``), so an upload cut by the network resumes at that offset instead of
starting over. It verifies the whole content against its SHA-256 before it
calls the attachment complete; only then does the outbox stop asking.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import httpx
from pydantic import ValidationError

from offline_queue.items import PendingUpload
from offline_queue.outbox import Outbox
from offline_queue.schemas import AttachmentStatus
from offline_queue.status import (
    FailureKind,
    SyncFailure,
    blames_content,
    detail_of,
    refusal,
)

logger = logging.getLogger(__name__)

ATTACHMENTS_PATH = "/api/v1/attachments/{sha256}"
Call = Callable[..., Awaitable[httpx.Response | SyncFailure]]


class AttachmentUploader:
    """Brings one attachment at a time to the back end, chunk by chunk."""

    def __init__(self, outbox: Outbox, call: Call) -> None:
        self._outbox = outbox
        self._call = call
        self.bytes_sent = 0

    async def upload(self, pending: PendingUpload) -> SyncFailure | None:
        """Upload what the back end lacks of ``pending``; ``None`` once it holds it whole."""
        ref = pending.ref
        url = ATTACHMENTS_PATH.format(sha256=ref.sha256)
        answer = await self._call("GET", url)
        if isinstance(answer, SyncFailure):
            return answer
        if answer.status_code == httpx.codes.NOT_FOUND:
            offset = 0
        else:
            status = self._status(answer)
            if isinstance(status, SyncFailure):
                return status
            if status.complete:
                self._outbox.mark_uploaded(ref.sha256)
                return None
            offset = status.received_bytes
        # Each round moves forward by a chunk or learns the back end's offset:
        # a bound well above the chunk count stops a back end that loops us.
        rounds_left = 2 * (-(-ref.size // pending.chunk_bytes)) + 4
        while rounds_left > 0:
            rounds_left -= 1
            chunk = self._outbox.read_attachment(ref.sha256, offset, pending.chunk_bytes)
            answer = await self._call(
                "PUT",
                url,
                params={"offset": offset, "size": ref.size},
                content=chunk,
                headers={"Content-Type": "application/octet-stream"},
            )
            if isinstance(answer, SyncFailure):
                return answer
            if answer.status_code == httpx.codes.OK:
                self.bytes_sent += len(chunk)
            elif answer.status_code != httpx.codes.CONFLICT:  # 409 tells the right offset
                return self._refused(answer)
            status = self._status(answer)
            if isinstance(status, SyncFailure):
                return status
            if status.complete:
                self._outbox.mark_uploaded(ref.sha256)
                return None
            offset = status.received_bytes
            if not 0 <= offset < ref.size:
                break
        return SyncFailure(FailureKind.BAD_ANSWER, "attachment upload made no progress")

    @staticmethod
    def _status(answer: httpx.Response) -> AttachmentStatus | SyncFailure:
        if answer.status_code not in (httpx.codes.OK, httpx.codes.CONFLICT):
            return refusal(answer)
        try:
            return AttachmentStatus.model_validate_json(answer.content)
        except ValidationError:
            return SyncFailure(FailureKind.BAD_ANSWER, "unreadable answer to an upload")

    @staticmethod
    def _refused(answer: httpx.Response) -> SyncFailure:
        if not blames_content(answer.status_code):
            return refusal(answer)
        # The back end found the content does not match its hash (damaged on
        # the way) and dropped it: the next attempt uploads it again.
        detail = detail_of(answer)
        logger.warning("attachment upload refused (HTTP %d): %s", answer.status_code, detail)
        message = f"attachment upload refused (HTTP {answer.status_code})"
        return SyncFailure(FailureKind.BAD_ANSWER, message)
