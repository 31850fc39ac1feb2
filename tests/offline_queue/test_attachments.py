"""Attachments: stored once per content, sealed per chunk, uploaded in chunks that resume."""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from offline_queue.attachments import CHUNK_BYTES
from offline_queue.outbox import ItemState, NewAttachment, Outbox
from offline_queue.sync import FailureKind, SyncWorker
from tests.fixtures import make_record
from tests.fixtures.backend import InProcessBackend

BIG = 10_000_000
SCAN = NewAttachment("image/jpeg", os.urandom(2 * CHUNK_BYTES + 1_000))  # three chunks
SIGNATURE = NewAttachment("image/png", b"\x89PNG signature strokes" * 100)


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_the_same_content_is_stored_once_in_sealed_chunks(
    outbox: Outbox, outbox_path: Path
) -> None:
    first = outbox.enqueue(session_id="s", record=make_record(), attachments=[SCAN, SIGNATURE])
    outbox.enqueue(session_id="s", record=make_record(), attachments=[SCAN])

    assert count(outbox_path, "outbox_attachments") == 2
    assert count(outbox_path, "outbox_attachment_chunks") == 3 + 1
    assert SCAN.data[:64] not in outbox_path.read_bytes()  # sealed, not plain
    (claimed, _) = outbox.claim_batch(10, BIG)
    assert claimed.idempotency_key == first.idempotency_key
    assert [(a.sha256, a.size, a.media_type) for a in claimed.wire.attachments] == [
        (SCAN.sha256, len(SCAN.data), "image/jpeg"),
        (SIGNATURE.sha256, len(SIGNATURE.data), "image/png"),
    ]


def test_any_byte_range_reads_back_across_chunks(outbox: Outbox) -> None:
    outbox.enqueue(session_id="s", record=make_record(), attachments=[SCAN])
    rebuilt = b""
    while len(rebuilt) < len(SCAN.data):
        rebuilt += outbox.read_attachment(SCAN.sha256, len(rebuilt), 100_000)

    assert rebuilt == SCAN.data
    assert (
        outbox.read_attachment(SCAN.sha256, CHUNK_BYTES - 3, 10)
        == SCAN.data[CHUNK_BYTES - 3 : CHUNK_BYTES]
    )


def test_content_is_erased_once_no_unsent_item_needs_it(outbox: Outbox, outbox_path: Path) -> None:
    first = outbox.enqueue(session_id="s", record=make_record(), attachments=[SCAN])
    second = outbox.enqueue(session_id="s", record=make_record(), attachments=[SCAN])
    outbox.claim_batch(10, BIG)

    outbox.mark_acknowledged([first.idempotency_key])
    assert count(outbox_path, "outbox_attachment_chunks") == 3  # the second item still needs it

    outbox.mark_acknowledged([second.idempotency_key])
    assert count(outbox_path, "outbox_attachment_chunks") == 0


class CuttingTransport(httpx.AsyncBaseTransport):
    """The real back end; the connection is cut right after the N-th chunk arrives there."""

    def __init__(self, inner: httpx.AsyncBaseTransport, cut_after_put: int) -> None:
        self.inner = inner
        self.cut_after_put = cut_after_put
        self.puts: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if request.method == "PUT":
            self.puts.append(int(request.url.params["offset"]))
            if len(self.puts) == self.cut_after_put:
                raise httpx.ReadError("connection reset by peer", request=request)
        return response


@pytest.fixture
async def cutting(
    backend_app: InProcessBackend,
) -> AsyncIterator[tuple[CuttingTransport, httpx.AsyncClient]]:
    transport = CuttingTransport(backend_app.transport(), cut_after_put=2)
    headers = {"Authorization": f"Bearer {backend_app.kiosk_token}"}
    async with httpx.AsyncClient(
        transport=transport, base_url=backend_app.base_url, headers=headers
    ) as http:
        yield transport, http


async def listed(backend: InProcessBackend) -> list[dict[str, object]]:
    async with backend.client(backend.staff_token) as staff:
        response = await staff.get("/api/v1/transactions")
    rows: list[dict[str, object]] = response.json()
    return rows


async def test_an_upload_cut_mid_way_resumes_where_the_back_end_stopped(
    outbox: Outbox,
    cutting: tuple[CuttingTransport, httpx.AsyncClient],
    backend_app: InProcessBackend,
) -> None:
    transport, http = cutting
    key = outbox.enqueue(session_id="s", record=make_record(), attachments=[SCAN]).idempotency_key
    sync = SyncWorker(outbox, http, rng=random.Random(1))

    cut = await sync.sync_once()
    assert cut.failure is not None
    assert cut.failure.kind is FailureKind.UNREACHABLE
    assert outbox.state_of(key) is ItemState.PENDING

    resumed = await sync.sync_once()

    assert resumed.ok
    assert resumed.acknowledged == 1
    # Each chunk went over the wire once: the second attempt started at the third.
    assert transport.puts == [0, CHUNK_BYTES, 2 * CHUNK_BYTES]
    (row,) = await listed(backend_app)
    assert row["idempotency_key"] == key
    assert row["attachments"] == [
        {"sha256": SCAN.sha256, "size": len(SCAN.data), "media_type": "image/jpeg"}
    ]


async def test_an_item_whose_attachment_the_back_end_lacks_is_sent_again(
    outbox: Outbox, backend_app: InProcessBackend
) -> None:
    key = outbox.enqueue(session_id="s", record=make_record(), attachments=[SIGNATURE])
    outbox.mark_uploaded(SIGNATURE.sha256)  # the kiosk believes it; the back end never got it
    async with backend_app.client(backend_app.kiosk_token) as http:
        sync = SyncWorker(outbox, http, rng=random.Random(1))

        deferred = await sync.sync_once()
        assert deferred.failure is not None
        assert deferred.failure.kind is FailureKind.DEFERRED
        assert outbox.state_of(key.idempotency_key) is ItemState.PENDING

        delivered = await sync.sync_once()

    assert delivered.ok
    assert delivered.uploaded_bytes == len(SIGNATURE.data)
    assert outbox.state_of(key.idempotency_key) is ItemState.ACKNOWLEDGED
