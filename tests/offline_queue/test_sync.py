"""The sync worker delivers every saved item exactly once, whatever the network does."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from offline_queue.outbox import ItemState, Outbox
from offline_queue.schemas import ItemResult, ItemStatus, SyncBatchRequest, SyncBatchResponse
from offline_queue.sync import FailureKind, SyncStatus, SyncWorker, make_backend_client
from tests.fixtures import make_record
from tests.fixtures.backend import InProcessBackend
from tests.offline_queue.faults import (
    RETRY_AFTER_S,
    Fault,
    FaultyBackend,
    answer_all,
    scripted_backend,
)

WAIT_S = 5.0  # upper bound for anything that should happen "soon"


def enqueue(outbox: Outbox, count: int) -> list[str]:
    return [
        outbox.enqueue(session_id="s-1", record=make_record()).idempotency_key for _ in range(count)
    ]


def worker(outbox: Outbox, client: httpx.AsyncClient, **options: Any) -> SyncWorker:
    return SyncWorker(outbox, client, rng=random.Random(7), **options)


@pytest.fixture
def faulty(backend_app: InProcessBackend) -> FaultyBackend:
    return FaultyBackend(backend_app.transport())


@pytest.fixture
async def client(
    backend_app: InProcessBackend, faulty: FaultyBackend
) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {backend_app.kiosk_token}"}
    async with httpx.AsyncClient(
        transport=faulty, base_url=backend_app.base_url, headers=headers
    ) as http:
        yield http


async def received_keys(backend_app: InProcessBackend) -> list[str]:
    """Idempotency keys as staff see them in the back end, oldest first."""
    async with backend_app.client(backend_app.staff_token) as staff:
        response = await staff.get("/api/v1/transactions", params={"limit": 500})
    response.raise_for_status()
    return sorted(row["idempotency_key"] for row in response.json())


async def test_every_pending_item_reaches_the_back_end_once(
    outbox: Outbox, client: httpx.AsyncClient, backend_app: InProcessBackend
) -> None:
    keys = enqueue(outbox, 5)
    sync = worker(outbox, client, max_items=2)

    report = await sync.sync_once()

    assert report.ok
    assert (report.sent, report.acknowledged, report.duplicates) == (5, 5, 0)
    assert await received_keys(backend_app) == keys
    assert [outbox.state_of(key) for key in keys] == [ItemState.ACKNOWLEDGED] * 5
    status = sync.status
    assert (status.backlog, status.online, status.consecutive_failures) == (0, True, 0)
    assert status.last_success_at is not None


async def test_an_idle_kiosk_checks_that_the_back_end_answers(
    outbox: Outbox, client: httpx.AsyncClient, faulty: FaultyBackend
) -> None:
    sync = worker(outbox, client)
    assert sync.status.online is False  # nothing known before the first attempt

    report = await sync.sync_once()

    assert report.ok
    assert report.sent == 0
    assert faulty.paths == ["/healthz"]
    assert sync.status.online is True


async def test_an_unreachable_idle_back_end_shows_offline(
    outbox: Outbox, client: httpx.AsyncClient, faulty: FaultyBackend
) -> None:
    faulty.inject("connect_error")
    sync = worker(outbox, client)

    report = await sync.sync_once()

    assert report.failure is not None
    assert report.failure.kind is FailureKind.UNREACHABLE
    assert sync.status.online is False
    assert sync.status.last_error == "back end unreachable (ConnectError)"


@pytest.mark.parametrize(
    "case",
    [
        ("connect_error", FailureKind.UNREACHABLE),
        ("timeout", FailureKind.UNREACHABLE),
        ("server_error", FailureKind.SERVER_ERROR),
        ("rate_limited", FailureKind.RATE_LIMITED),
        ("garbage", FailureKind.BAD_ANSWER),
    ],
    ids=lambda case: case[0],
)
async def test_a_failed_send_keeps_the_items_and_the_next_one_delivers_them(
    outbox: Outbox,
    client: httpx.AsyncClient,
    faulty: FaultyBackend,
    backend_app: InProcessBackend,
    case: tuple[Fault, FailureKind],
) -> None:
    fault, kind = case
    keys = enqueue(outbox, 3)
    sync = worker(outbox, client)
    faulty.inject(fault)

    failed = await sync.sync_once()

    assert failed.failure is not None
    assert failed.failure.kind is kind
    assert failed.released == 3
    assert outbox.stats().pending == 3
    assert sync.status.consecutive_failures == 1
    assert sync.status.online is False

    recovered = await sync.sync_once()

    assert recovered.ok
    assert recovered.acknowledged == 3
    assert await received_keys(backend_app) == keys
    assert sync.status.consecutive_failures == 0


async def test_429_waits_as_long_as_the_back_end_asks(
    outbox: Outbox, client: httpx.AsyncClient, faulty: FaultyBackend
) -> None:
    enqueue(outbox, 1)
    faulty.inject("rate_limited")
    sync = worker(outbox, client, backoff_base_s=0.001)

    report = await sync.sync_once()

    assert report.failure is not None
    assert report.failure.retry_after_s == RETRY_AFTER_S
    assert sync.next_delay_s == RETRY_AFTER_S


async def test_a_lost_answer_is_resent_and_stored_only_once(
    outbox: Outbox,
    client: httpx.AsyncClient,
    faulty: FaultyBackend,
    backend_app: InProcessBackend,
) -> None:
    keys = enqueue(outbox, 2)
    sync = worker(outbox, client)
    faulty.inject("lose_response")

    lost = await sync.sync_once()

    assert lost.failure is not None
    assert outbox.stats().pending == 2  # the kiosk cannot know the back end has them
    assert await received_keys(backend_app) == keys

    resent = await sync.sync_once()

    assert (resent.acknowledged, resent.duplicates) == (2, 2)
    assert await received_keys(backend_app) == keys  # still once each


async def test_an_answer_missing_an_item_leaves_only_that_item_pending(
    outbox: Outbox,
    client: httpx.AsyncClient,
    faulty: FaultyBackend,
    backend_app: InProcessBackend,
) -> None:
    keys = enqueue(outbox, 3)
    sync = worker(outbox, client)
    faulty.inject("drop_last_result")

    partial = await sync.sync_once()

    assert partial.failure is not None
    assert partial.failure.kind is FailureKind.BAD_ANSWER
    assert [outbox.state_of(key) for key in keys] == [
        ItemState.ACKNOWLEDGED,
        ItemState.ACKNOWLEDGED,
        ItemState.PENDING,
    ]

    await sync.sync_once()

    assert outbox.state_of(keys[2]) is ItemState.ACKNOWLEDGED
    assert await received_keys(backend_app) == keys


async def test_a_bad_credential_dead_letters_nothing(
    outbox: Outbox, backend_app: InProcessBackend
) -> None:
    keys = enqueue(outbox, 2)
    async with backend_app.client("vg_not-a-real-token") as stranger:
        report = await worker(outbox, stranger).sync_once()

    assert report.failure is not None
    assert report.failure.kind is FailureKind.REFUSED
    assert "401" in report.failure.message
    assert [outbox.state_of(key) for key in keys] == [ItemState.PENDING] * 2
    assert outbox.dead_letters() == []


def _refusing(poison: str, code: int) -> Callable[[SyncBatchRequest], httpx.Response]:
    def answer(batch: SyncBatchRequest) -> httpx.Response:
        if any(item.idempotency_key == poison for item in batch.items):
            return httpx.Response(code, json={"detail": "items.0.payload: not acceptable"})
        return httpx.Response(200, content=answer_all(batch).model_dump_json())

    return answer


@pytest.mark.parametrize("code", [413, 422])
async def test_a_batch_refused_as_a_whole_is_split_to_isolate_the_culprit(
    outbox: Outbox, code: int
) -> None:
    first, poison, last = enqueue(outbox, 3)
    transport = scripted_backend(_refusing(poison, code))
    async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as http:
        report = await worker(outbox, http).sync_once()

    assert report.ok
    assert (report.acknowledged, report.rejected) == (2, 1)
    assert outbox.state_of(first) is ItemState.ACKNOWLEDGED
    assert outbox.state_of(last) is ItemState.ACKNOWLEDGED
    (letter,) = outbox.dead_letters()
    assert letter.idempotency_key == poison
    assert (
        letter.reason == f"refused by the back end (HTTP {code}): items.0.payload: not acceptable"
    )


async def test_a_rejected_item_is_dead_lettered_and_the_rest_go_on(outbox: Outbox) -> None:
    keys = enqueue(outbox, 4)

    def answer(batch: SyncBatchRequest) -> httpx.Response:
        results = [
            ItemResult(
                idempotency_key=item.idempotency_key,
                status=ItemStatus.REJECTED
                if item.idempotency_key == keys[0]
                else ItemStatus.STORED,
                reason="unknown service" if item.idempotency_key == keys[0] else None,
            )
            for item in batch.items
        ]
        return httpx.Response(200, content=SyncBatchResponse(results=results).model_dump_json())

    async with httpx.AsyncClient(
        transport=scripted_backend(answer), base_url="http://backend.test"
    ) as http:
        report = await worker(outbox, http, max_items=2).sync_once()

    assert (report.acknowledged, report.rejected) == (3, 1)
    assert [letter.reason for letter in outbox.dead_letters()] == ["unknown service"]
    assert outbox.stats().backlog == 0


async def test_cancelling_mid_request_puts_the_items_back(
    outbox: Outbox, client: httpx.AsyncClient, faulty: FaultyBackend
) -> None:
    enqueue(outbox, 2)
    faulty.inject("hang")
    attempt = asyncio.create_task(worker(outbox, client).sync_once())
    await asyncio.wait_for(faulty.request_arrived.wait(), WAIT_S)
    assert outbox.stats().sending == 2

    attempt.cancel()
    with pytest.raises(asyncio.CancelledError):
        await attempt

    stats = outbox.stats()
    assert (stats.pending, stats.sending) == (2, 0)


async def test_a_failing_outbox_is_reported_not_raised(
    outbox: Outbox, client: httpx.AsyncClient
) -> None:
    sync = worker(outbox, client)
    outbox.close()

    report = await sync.sync_once()

    assert report.failure is not None
    assert report.failure.kind is FailureKind.OUTBOX


async def test_listeners_hear_every_attempt_even_if_one_of_them_breaks(
    outbox: Outbox, client: httpx.AsyncClient, faulty: FaultyBackend
) -> None:
    heard: list[SyncStatus] = []
    sync = worker(outbox, client)

    def broken(_status: SyncStatus) -> None:
        raise RuntimeError("display gone")

    sync.add_listener(broken)
    sync.add_listener(heard.append)
    enqueue(outbox, 1)
    faulty.inject("server_error")

    await sync.sync_once()
    await sync.sync_once()

    assert [(s.online, s.backlog, s.consecutive_failures) for s in heard] == [
        (False, 1, 1),
        (True, 0, 0),
    ]
    assert heard[0].last_error == "back end error (HTTP 500)"
    assert heard[1].last_error is None


async def test_backoff_grows_with_failures_and_resets_after_success(
    outbox: Outbox, client: httpx.AsyncClient, faulty: FaultyBackend
) -> None:
    sync = worker(outbox, client, interval_s=5.0, backoff_base_s=1.0, backoff_cap_s=8.0)
    enqueue(outbox, 1)

    for failures in range(1, 7):
        faulty.inject("server_error")
        await sync.sync_once()
        assert sync.status.consecutive_failures == failures
        assert 0.0 <= sync.next_delay_s <= min(8.0, 2.0 ** (failures - 1))
    await sync.sync_once()

    assert sync.next_delay_s == 5.0


async def test_the_client_carries_the_kiosk_token() -> None:
    async with make_backend_client("https://backend.test", "vg_abc", timeout_s=3.0) as http:
        assert http.headers["Authorization"] == "Bearer vg_abc"
        assert str(http.base_url) == "https://backend.test"
        assert http.timeout.read == 3.0
    with pytest.raises(ValueError, match="token"):
        make_backend_client("https://backend.test", "vg_abc\r\nX-Evil: 1")


@pytest.mark.parametrize("max_items", [0, 101])
async def test_batches_stay_within_what_the_back_end_accepts(
    outbox: Outbox, client: httpx.AsyncClient, max_items: int
) -> None:
    with pytest.raises(ValueError, match="max_items"):
        SyncWorker(outbox, client, max_items=max_items)


async def test_after_an_outage_the_worker_asks_for_health_before_sending_a_batch(
    outbox: Outbox, client: httpx.AsyncClient, faulty: FaultyBackend
) -> None:
    outbox.enqueue(session_id="s-1", record=make_record())
    sync = worker(outbox, client)
    faulty.inject("connect_error")
    await sync.sync_once()
    assert faulty.paths == ["/api/v1/sync"]

    # Still unreachable: one small probe, no batch read, encoded and lost again.
    faulty.paths.clear()
    faulty.inject("connect_error")
    report = await sync.sync_once()
    assert faulty.paths == ["/healthz"]
    assert report.failure is not None
    assert report.failure.kind is FailureKind.UNREACHABLE
    assert report.sent == 0

    # Back: the probe answers and the batch goes in the same attempt.
    faulty.paths.clear()
    report = await sync.sync_once()
    assert faulty.paths == ["/healthz", "/api/v1/sync"]
    assert (report.ok, report.acknowledged) == (True, 1)
