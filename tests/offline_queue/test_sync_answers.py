"""How the worker reads the back end's answers, hangs and clocks, and what it reports."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from offline_queue.outbox import ItemState, Outbox
from offline_queue.schemas import SyncBatchRequest
from offline_queue.sync import FailureKind, SyncReport, SyncWorker
from tests.fixtures import make_record
from tests.fixtures.backend import InProcessBackend
from tests.offline_queue.conftest import FakeClock
from tests.offline_queue.faults import answer_all, scripted_backend

STREET = "12 rue Paul Bert"  # the citizen's data in make_record()


def enqueue(outbox: Outbox, count: int, session: str = "s-1") -> list[str]:
    return [
        outbox.enqueue(session_id=session, record=make_record()).idempotency_key
        for _ in range(count)
    ]


def answering(code: int, **headers: str) -> httpx.MockTransport:
    def answer(_batch: SyncBatchRequest) -> httpx.Response:
        return httpx.Response(code, headers=headers, json={"detail": "not acceptable"})

    return scripted_backend(answer)


async def sync_with(
    outbox: Outbox, transport: httpx.AsyncBaseTransport, **options: Any
) -> SyncReport:
    async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as http:
        return await SyncWorker(outbox, http, rng=random.Random(2), **options).sync_once()


@pytest.mark.parametrize("code", [400, 409, 410, 415, 422])
async def test_a_4xx_on_one_item_dead_letters_it_with_the_reason(outbox: Outbox, code: int) -> None:
    (key,) = enqueue(outbox, 1)

    report = await sync_with(outbox, answering(code))

    assert (report.ok, report.rejected) == (True, 1)
    (letter,) = outbox.dead_letters()
    assert letter.idempotency_key == key
    assert letter.reason == f"refused by the back end (HTTP {code}): not acceptable"


@pytest.mark.parametrize("code", [401, 403, 404, 405])
async def test_a_misconfigured_kiosk_keeps_its_items(outbox: Outbox, code: int) -> None:
    keys = enqueue(outbox, 2)

    report = await sync_with(outbox, answering(code))

    assert report.failure is not None
    assert report.failure.kind is FailureKind.REFUSED
    assert [outbox.state_of(key) for key in keys] == [ItemState.PENDING] * 2


@pytest.mark.parametrize(("code", "wait"), [(503, "120"), (429, "30"), (408, None), (502, None)])
async def test_busy_or_broken_back_ends_are_retried_honouring_retry_after(
    outbox: Outbox, code: int, wait: str | None
) -> None:
    enqueue(outbox, 1)
    headers = {"Retry-After": wait} if wait else {}

    report = await sync_with(outbox, answering(code, **headers))

    assert report.failure is not None
    assert report.failure.kind in (FailureKind.SERVER_ERROR, FailureKind.RATE_LIMITED)
    assert report.failure.retry_after_s == (float(wait) if wait else None)
    assert outbox.stats().pending == 1


async def test_a_back_end_that_trickles_its_answer_is_cut_off_at_the_deadline(
    outbox: Outbox,
) -> None:
    enqueue(outbox, 1)

    async def trickle() -> AsyncIterator[bytes]:
        while True:  # a byte now and then keeps every read timeout happy
            yield b" "
            await asyncio.sleep(0.05)

    def hang(_batch: SyncBatchRequest) -> httpx.Response:
        return httpx.Response(200, content=trickle())

    started = asyncio.get_running_loop().time()
    report = await sync_with(outbox, scripted_backend(hang), request_deadline_s=0.3)

    assert report.failure is not None
    assert report.failure.message == "back end timed out"
    assert asyncio.get_running_loop().time() - started < 2.0
    assert outbox.stats().pending == 1


async def test_progress_is_told_after_every_batch(outbox: Outbox) -> None:
    enqueue(outbox, 5)
    heard: list[SyncReport] = []

    def answer(batch: SyncBatchRequest) -> httpx.Response:
        return httpx.Response(200, content=answer_all(batch).model_dump_json())

    async with httpx.AsyncClient(
        transport=scripted_backend(answer), base_url="http://backend.test"
    ) as http:
        sync = SyncWorker(outbox, http, max_items=2)
        sync.add_progress_listener(heard.append)
        await sync.sync_once()

    assert [progress.acknowledged for progress in heard] == [2, 4, 5]


async def test_status_shows_what_the_maintenance_mode_needs(
    outbox: Outbox, clock: FakeClock
) -> None:
    enqueue(outbox, 2)
    clock.advance(minutes=10)

    def refuse_first(batch: SyncBatchRequest) -> httpx.Response:
        return httpx.Response(503)

    async with httpx.AsyncClient(
        transport=scripted_backend(refuse_first), base_url="http://backend.test"
    ) as http:
        sync = SyncWorker(outbox, http, clock=clock, rng=random.Random(1))
        await sync.sync_once()
        status = sync.status

    assert status.backlog == 2
    assert status.oldest_pending_age_s == 600.0
    assert status.last_error == "back end error (HTTP 503)"
    assert status.last_success_at is None
    assert status.online is False
    assert status.next_attempt_in_s == sync.next_delay_s
    assert status.dead_letters == 0
    assert status.alarms == ()


async def test_a_skewed_kiosk_clock_is_measured_and_trusted_for_nothing(
    outbox_path: Path, backend_app: InProcessBackend
) -> None:
    skewed = FakeClock(datetime(2001, 1, 1, 12, 0, tzinfo=UTC))  # a kiosk that lost its RTC
    with Outbox.open(outbox_path, clock=skewed) as outbox:
        keys = enqueue(outbox, 2)
        async with backend_app.client(backend_app.kiosk_token) as http:
            sync = SyncWorker(outbox, http, clock=skewed)
            report = await sync.sync_once()
            skew = sync.status.clock_skew_s
    async with backend_app.client(backend_app.staff_token) as staff:
        rows = (await staff.get("/api/v1/transactions")).json()

    assert report.ok
    assert skew is not None
    assert skew > timedelta(days=365).total_seconds()  # the back end is years ahead
    assert sorted(row["idempotency_key"] for row in rows) == keys
    for row in rows:
        assert row["kiosk_created_at"].startswith("2001-01-01T12:00:00")  # kept as told...
        received = datetime.fromisoformat(row["received_at"])  # ...but ordered by the back end's
        assert abs(received - datetime.now(UTC)) < timedelta(minutes=1)


async def test_acknowledged_items_are_purged_after_their_retention(
    outbox: Outbox, clock: FakeClock
) -> None:
    keys = enqueue(outbox, 2)

    def answer(batch: SyncBatchRequest) -> httpx.Response:
        return httpx.Response(200, content=answer_all(batch).model_dump_json())

    transport = scripted_backend(answer)
    async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as http:
        sync = SyncWorker(outbox, http, clock=clock, retention=timedelta(days=7))
        await sync.sync_once()
        assert [outbox.state_of(key) for key in keys] == [ItemState.ACKNOWLEDGED] * 2

    clock.advance(days=8)
    assert outbox.purge_acknowledged(timedelta(days=7)) == 2
    assert [outbox.state_of(key) for key in keys] == [None, None]


def test_a_clock_that_went_back_does_not_keep_acknowledged_items(
    outbox: Outbox, clock: FakeClock
) -> None:
    (key,) = enqueue(outbox, 1)
    outbox.claim_batch(1, 10_000_000)
    outbox.mark_acknowledged([key])
    clock.advance(days=-400)  # NTP corrected a kiosk that booted in the future

    assert outbox.purge_acknowledged(timedelta(days=7)) == 1


async def test_nothing_personal_reaches_the_logs(
    outbox: Outbox, backend_app: InProcessBackend, caplog: pytest.LogCaptureFixture
) -> None:
    record = make_record(file_number="Z-99887766")
    caplog.set_level(logging.DEBUG)
    outbox.enqueue(session_id="s", record=record)
    bad = outbox.enqueue(session_id="s", record=make_record(language="en"))
    async with backend_app.client(backend_app.kiosk_token) as http:
        sync = SyncWorker(outbox, http)
        await sync.sync_once()
    outbox.mark_rejected(bad.idempotency_key, "test")
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9") as offline:
        outbox.enqueue(session_id="s", record=record)
        await SyncWorker(outbox, offline).sync_once()

    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert caplog.records  # something was logged: the check means something
    for personal in (STREET, "Z-99887766", record.fields["postcode"]):
        assert personal not in logged
