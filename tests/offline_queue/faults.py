"""A fault-injecting HTTP transport: the real back end, with failures on demand."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from typing import Literal

import httpx

from offline_queue.schemas import (
    ItemResult,
    ItemStatus,
    SyncBatchRequest,
    SyncBatchResponse,
)

Fault = Literal[
    "connect_error",  # nothing listens: the request never leaves
    "timeout",  # the back end is too slow
    "server_error",  # HTTP 500 before storing anything
    "rate_limited",  # HTTP 429 with Retry-After: 7
    "garbage",  # HTTP 200 with a captive-portal page instead of JSON
    "lose_response",  # the back end stores the batch, then the answer is lost
    "drop_last_result",  # the back end stores the batch, the answer lacks its last item
    "hang",  # the request never gets an answer (until cancelled)
]
RETRY_AFTER_S = 7


class FaultyBackend(httpx.AsyncBaseTransport):
    """Forwards to ``inner`` (the real back end) except for the faults queued in ``faults``.

    Each request consumes one queued fault; with none queued it passes through.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.faults: deque[Fault] = deque()
        self.paths: list[str] = []
        self.request_arrived = asyncio.Event()

    def inject(self, *faults: Fault) -> None:
        """Queue faults for the next requests, in order."""
        self.faults.extend(faults)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request, failing it as scripted."""
        self.paths.append(request.url.path)
        self.request_arrived.set()
        fault = self.faults.popleft() if self.faults else None
        if fault == "connect_error":
            raise httpx.ConnectError("connection refused", request=request)
        if fault == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if fault == "hang":
            await asyncio.Event().wait()
        if fault == "server_error":
            return httpx.Response(500, text="Internal Server Error")
        if fault == "rate_limited":
            return httpx.Response(429, headers={"Retry-After": str(RETRY_AFTER_S)})
        if fault == "garbage":
            return httpx.Response(200, text="<html>Welcome to the station Wi-Fi</html>")
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        if fault == "lose_response":
            raise httpx.ReadError("connection reset by peer", request=request)
        if fault == "drop_last_result":
            answer = json.loads(body)
            answer["results"].pop()
            return httpx.Response(response.status_code, json=answer)
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    async def aclose(self) -> None:
        """Close the real transport too."""
        await self.inner.aclose()


def scripted_backend(
    answer: Callable[[SyncBatchRequest], httpx.Response],
) -> httpx.MockTransport:
    """A stand-in back end whose answer to each batch is computed by ``answer``."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/healthz":
            return httpx.Response(200, json={"status": "ok"})
        return answer(SyncBatchRequest.model_validate_json(request.content))

    return httpx.MockTransport(handle)


def answer_all(
    batch: SyncBatchRequest, status: ItemStatus = ItemStatus.STORED
) -> SyncBatchResponse:
    """The answer of a back end that takes every item of ``batch``."""
    return SyncBatchResponse(
        results=[
            ItemResult(idempotency_key=item.idempotency_key, status=status) for item in batch.items
        ]
    )
