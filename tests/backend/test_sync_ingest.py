"""Sync ingest stores each item exactly once and answers bad input with a clear 4xx."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from backend.auth import issue_credential
from backend.db import transactions
from backend.ingest import ParsedBatch, parse_batch, store_batch
from offline_queue.schemas import ItemResult, ItemStatus, OutboxItemWire
from tests.fixtures import make_wire_item, new_key
from tests.fixtures.backend import InProcessBackend


@pytest.fixture
async def kiosk(backend_app: InProcessBackend) -> AsyncIterator[httpx.AsyncClient]:
    async with backend_app.client(backend_app.kiosk_token) as http:
        yield http


def stored_rows(backend: InProcessBackend) -> int:
    with backend.app.state.engine.connect() as conn:
        count: int = conn.execute(select(func.count()).select_from(transactions)).scalar_one()
        return count


def statuses(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [result["status"] for result in response.json()["results"]]


async def test_the_same_batch_twice_is_stored_once(
    kiosk: httpx.AsyncClient, backend_app: InProcessBackend
) -> None:
    batch = {"schema_version": 1, "items": [make_wire_item(), make_wire_item()]}

    first = await kiosk.post("/api/v1/sync", json=batch)
    second = await kiosk.post("/api/v1/sync", json=batch)

    assert statuses(first) == ["stored", "stored"]
    assert statuses(second) == ["duplicate", "duplicate"]
    assert stored_rows(backend_app) == 2


async def test_answers_follow_the_request_order(kiosk: httpx.AsyncClient) -> None:
    items = [make_wire_item() for _ in range(5)]
    await kiosk.post("/api/v1/sync", json={"items": items[1:3]})

    response = await kiosk.post("/api/v1/sync", json={"items": items})

    assert [r["idempotency_key"] for r in response.json()["results"]] == [
        item["idempotency_key"] for item in items
    ]
    assert statuses(response) == ["stored", "duplicate", "duplicate", "stored", "stored"]


async def test_a_key_repeated_within_a_batch_is_stored_once(
    kiosk: httpx.AsyncClient, backend_app: InProcessBackend
) -> None:
    item = make_wire_item()

    response = await kiosk.post("/api/v1/sync", json={"items": [item, item]})

    assert statuses(response) == ["stored", "duplicate"]
    assert stored_rows(backend_app) == 1


async def test_an_invalid_item_is_rejected_and_its_neighbours_stored(
    kiosk: httpx.AsyncClient, backend_app: InProcessBackend
) -> None:
    bad = make_wire_item()
    bad["payload"]["language"] = "klingon"
    items = [make_wire_item(), bad, make_wire_item()]

    response = await kiosk.post("/api/v1/sync", json={"items": items})

    assert statuses(response) == ["stored", "rejected", "stored"]
    reason = response.json()["results"][1]["reason"]
    assert reason.startswith("payload.language: ")
    assert "klingon" not in reason  # reasons never echo the citizen's data
    assert stored_rows(backend_app) == 2


async def test_the_kiosk_id_comes_from_the_credential(
    kiosk: httpx.AsyncClient, backend_app: InProcessBackend
) -> None:
    forged = make_wire_item()
    forged["kiosk_id"] = "someone-else"

    response = await kiosk.post("/api/v1/sync", json={"items": [forged, make_wire_item()]})

    assert statuses(response) == ["rejected", "stored"]
    with backend_app.app.state.engine.connect() as conn:
        kiosks = set(conn.execute(select(transactions.c.kiosk_id)).scalars())
    assert kiosks == {backend_app.kiosk_id}


async def test_two_kiosks_may_use_the_same_key(backend_app: InProcessBackend) -> None:
    other_token = issue_credential(backend_app.app.state.engine, "kiosk-02", "kiosk")
    item = make_wire_item()

    for token in (backend_app.kiosk_token, other_token):
        async with backend_app.client(token) as http:
            response = await http.post("/api/v1/sync", json={"items": [item]})
        assert statuses(response) == ["stored"]

    assert stored_rows(backend_app) == 2


def _valid() -> dict[str, Any]:
    return make_wire_item()


BAD_BODIES: dict[str, bytes] = {
    "empty": b"",
    "not-json": b"{items: [",
    "not-utf8": b"\xff\xfe\x00",
    "nan": b'{"items": [NaN]}',
    "deeply-nested": b"[" * 100_000 + b"]" * 100_000,
    "array": json.dumps([_valid()]).encode(),
    "no-items": b'{"schema_version": 1}',
    "empty-items": b'{"items": []}',
    "items-not-a-list": b'{"items": {"a": 1}}',
    "unknown-version": json.dumps({"schema_version": 3, "items": [_valid()]}).encode(),
    "extra-top-level-key": json.dumps({"items": [_valid()], "kiosk_id": "x"}).encode(),
    "too-many-items": json.dumps({"items": [_valid() for _ in range(101)]}).encode(),
    "item-not-an-object": b'{"items": [42]}',
    "item-without-key": json.dumps({"items": [{"kind": "transaction"}]}).encode(),
    "item-with-bad-key": json.dumps({"items": [{**_valid(), "idempotency_key": 7}]}).encode(),
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
async def test_an_unreadable_batch_is_422_with_a_message(
    kiosk: httpx.AsyncClient, backend_app: InProcessBackend, body: bytes
) -> None:
    response = await kiosk.post(
        "/api/v1/sync", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert detail
    assert stored_rows(backend_app) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created_at", "yesterday"),
        ("session_id", ""),
        ("kind", "appointment"),
        ("payload", "a string"),
        ("surprise", "extra key"),
    ],
)
async def test_wrong_types_and_extra_keys_in_an_item_reject_that_item(
    kiosk: httpx.AsyncClient, field: str, value: Any
) -> None:
    item = {**make_wire_item(), field: value}

    response = await kiosk.post("/api/v1/sync", json={"items": [item]})

    assert statuses(response) == ["rejected"]
    assert field in response.json()["results"][0]["reason"]


async def test_an_oversize_body_is_413(backend_app: InProcessBackend) -> None:
    async with backend_app.client(backend_app.kiosk_token) as http:
        declared = await http.post("/api/v1/sync", content=b" " * 1_000_001)

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(20):
                yield b" " * 100_000

        streamed = await http.post("/api/v1/sync", content=chunks())  # no Content-Length

    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert "1000000 bytes" in streamed.json()["detail"]


def test_racing_retries_store_each_item_once(backend_app: InProcessBackend) -> None:
    engine = backend_app.app.state.engine
    parsed = ParsedBatch(
        2, None, [OutboxItemWire.model_validate(make_wire_item(key=new_key())) for _ in range(20)]
    )
    answers: list[list[ItemResult]] = []
    start = threading.Barrier(6)

    def push() -> None:
        start.wait()
        answers.append(store_batch(engine, backend_app.kiosk_id, parsed))

    threads = [threading.Thread(target=push) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert stored_rows(backend_app) == 20
    for position in range(20):
        column = [answer[position].status for answer in answers]
        assert column.count(ItemStatus.STORED) == 1
        assert column.count(ItemStatus.DUPLICATE) == 5


def test_parse_batch_keeps_positions() -> None:
    bad = {**make_wire_item(), "kind": "other"}
    body = json.dumps({"items": [make_wire_item(), bad]}).encode()

    first, second = parse_batch(body).entries

    assert isinstance(first, OutboxItemWire)
    assert isinstance(second, ItemResult)
    assert second.status is ItemStatus.REJECTED
