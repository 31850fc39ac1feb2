"""The analytics sender: every event reaches the figures once, whatever the network does."""

from __future__ import annotations

import json
import random
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from backend.db import service_events
from offline_queue.analytics import ANALYTICS_PATH, EventKind, ServiceEvent, new_event_id
from offline_queue.analytics_sync import AnalyticsSender
from tests.fixtures.backend import InProcessBackend

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class MemoryStore:
    """The kiosk's event log, in memory."""

    def __init__(self, count: int) -> None:
        self.events = [
            ServiceEvent(
                id=new_event_id(), kind=EventKind.SESSION_STARTED, at=AT, session=f"{n:016x}"
            )
            for n in range(count)
        ]

    def pending(self, limit: int | None) -> list[ServiceEvent]:
        return self.events[:limit]

    def acknowledge(self, ids: Collection[str]) -> int:
        gone = set(ids)
        before = len(self.events)
        self.events = [event for event in self.events if event.id not in gone]
        return before - len(self.events)


class Recorder(httpx.AsyncBaseTransport):
    """Passes requests to ``inner``; counts them, and loses the first ``lose`` answers."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, lose: int = 0) -> None:
        self.inner = inner
        self.lose = lose
        self.sizes: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        self.sizes.append(body.count(b'"kind"'))
        response = await self.inner.handle_async_request(request)
        if self.lose:
            self.lose -= 1
            raise httpx.ReadError("connection reset after the back end stored the batch")
        return response


def stored(backend: InProcessBackend) -> int:
    with backend.app.state.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(service_events)).scalar_one())


def sender(
    store: MemoryStore, transport: httpx.AsyncBaseTransport, token: str = ""
) -> AnalyticsSender:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    client = httpx.AsyncClient(transport=transport, base_url="http://backend.test", headers=headers)
    return AnalyticsSender(store, client, rng=random.Random(1), backoff_base_s=2.0)


async def test_events_go_in_batches_of_500_and_are_forgotten_once_kept(
    backend_app: InProcessBackend,
) -> None:
    store = MemoryStore(1_200)
    transport = Recorder(backend_app.transport())

    report = await sender(store, transport, backend_app.kiosk_token).send_once()

    assert (report.sent, report.accepted, report.failure) == (1_200, 1_200, None)
    assert transport.sizes == [500, 500, 200]
    assert store.events == []
    assert stored(backend_app) == 1_200


async def test_an_answer_lost_on_the_way_back_does_not_count_twice(
    backend_app: InProcessBackend,
) -> None:
    store = MemoryStore(30)
    worker = sender(store, Recorder(backend_app.transport(), lose=1), backend_app.kiosk_token)

    first = await worker.send_once()
    assert first.failure is not None
    assert len(store.events) == 30  # the kiosk does not know they arrived: it keeps them
    assert worker.consecutive_failures == 1
    assert 0 <= worker.next_delay_s <= 2.0

    second = await worker.send_once()
    assert (second.accepted, second.failure) == (30, None)
    assert store.events == []
    assert stored(backend_app) == 30


def refusing(code: int, **headers: str) -> httpx.MockTransport:
    return httpx.MockTransport(lambda _request: httpx.Response(code, headers=headers))


async def test_an_unreachable_back_end_keeps_the_events_and_backs_off() -> None:
    store = MemoryStore(3)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    worker = sender(store, httpx.MockTransport(down))
    delays = []
    for _ in range(6):
        report = await worker.send_once()
        assert report.failure is not None
        delays.append(worker.next_delay_s)
    assert len(store.events) == 3
    assert max(delays) > 2.0  # the ceiling doubled (full jitter: each delay is random below it)

    busy = sender(store, refusing(503, **{"Retry-After": "120"}))
    await busy.send_once()
    assert busy.next_delay_s == 120
    assert len(store.events) == 3


async def test_after_an_outage_a_probe_goes_before_the_next_batch(
    backend_app: InProcessBackend,
) -> None:
    store = MemoryStore(3)
    paths: list[str] = []
    up = {"now": False}
    inner = backend_app.transport()

    async def handle(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if not up["now"]:
            raise httpx.ConnectError("connection refused", request=request)
        return await inner.handle_async_request(request)

    worker = sender(store, httpx.MockTransport(handle), backend_app.kiosk_token)
    await worker.send_once()
    assert paths == [ANALYTICS_PATH]
    paths.clear()
    report = await worker.send_once()  # still down: the probe alone, no batch read
    assert paths == ["/healthz"]
    assert report.sent == 0
    up["now"] = True
    paths.clear()
    report = await worker.send_once()
    assert paths == ["/healthz", ANALYTICS_PATH]
    assert report.accepted == 3
    assert store.events == []


async def test_a_refused_batch_is_sent_one_by_one_and_only_the_culprit_is_dropped() -> None:
    store = MemoryStore(4)
    culprit = store.events[2].id

    def judge(request: httpx.Request) -> httpx.Response:
        events: list[dict[str, Any]] = json.loads(request.content)["events"]
        if len(events) > 1 or events[0]["id"] == culprit:
            return httpx.Response(422, json={"detail": "not readable"})
        return httpx.Response(200, json={"accepted": [events[0]["id"]]})

    report = await sender(store, httpx.MockTransport(judge)).send_once()

    assert (report.accepted, report.dropped, report.failure) == (3, 1, None)
    assert store.events == []


async def test_an_unreadable_answer_keeps_the_events() -> None:
    store = MemoryStore(2)
    worker = sender(store, httpx.MockTransport(lambda _r: httpx.Response(200, text="<html>")))
    report = await worker.send_once()
    assert report.failure == "unreadable answer from the back end"
    assert len(store.events) == 2


@pytest.mark.parametrize("batch_size", [0, 501])
def test_a_batch_is_between_1_and_500_events(batch_size: int) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        AnalyticsSender(MemoryStore(0), httpx.AsyncClient(), batch_size=batch_size)
