"""Reading a request body with a size limit, for endpoints that read their body themselves."""

from __future__ import annotations

from fastapi import Request, status

from backend.refusals import Refusal, RefusalCode
from backend.settings import BackendSettings


async def read_limited_body(request: Request) -> bytes:
    """The request body, refused with 413 as soon as it exceeds ``max_request_bytes``."""
    settings: BackendSettings = request.app.state.settings
    limit = settings.max_request_bytes
    too_large = Refusal(
        status.HTTP_413_CONTENT_TOO_LARGE, RefusalCode.REQUEST_TOO_LARGE, limit=limit
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    # Counted while streaming: a chunked body has no Content-Length to trust.
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
