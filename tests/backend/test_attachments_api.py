"""Attachments: uploaded in order, resumable, hash-verified, per kiosk; items in session order."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from backend.auth import issue_credential
from backend.db import transactions
from tests.fixtures import make_wire_item
from tests.fixtures.backend import InProcessBackend

CONTENT = os.urandom(300_000)
SHA = hashlib.sha256(CONTENT).hexdigest()
URL = f"/api/v1/attachments/{SHA}"
HALF = len(CONTENT) // 2


@pytest.fixture
async def kiosk(backend_app: InProcessBackend) -> AsyncIterator[httpx.AsyncClient]:
    async with backend_app.client(backend_app.kiosk_token) as http:
        yield http


async def put(
    http: httpx.AsyncClient, offset: int, data: bytes, size: int = len(CONTENT)
) -> httpx.Response:
    return await http.put(URL, params={"offset": offset, "size": size}, content=data)


async def upload(http: httpx.AsyncClient) -> None:
    assert (await put(http, 0, CONTENT[:HALF])).status_code == 200
    assert (await put(http, HALF, CONTENT[HALF:])).json()["complete"] is True


def with_scan(session: str = "s-1", **overrides: Any) -> dict[str, Any]:
    item = make_wire_item()
    item["session_id"] = session
    item["attachments"] = [{"sha256": SHA, "size": len(CONTENT), "media_type": "image/jpeg"}]
    item.update(overrides)
    return item


async def test_chunks_append_in_order_and_complete_on_a_matching_hash(
    kiosk: httpx.AsyncClient,
) -> None:
    assert (await kiosk.get(URL)).status_code == 404

    first = await put(kiosk, 0, CONTENT[:HALF])
    assert first.status_code == 200
    assert first.json() == {
        "sha256": SHA,
        "size": len(CONTENT),
        "received_bytes": HALF,
        "complete": False,
    }
    assert (await kiosk.get(URL)).json()["received_bytes"] == HALF  # where a cut upload resumes

    last = await put(kiosk, HALF, CONTENT[HALF:])
    assert last.json()["complete"] is True
    again = await put(kiosk, HALF, CONTENT[HALF:])  # a retry after a lost answer
    assert (again.status_code, again.json()["complete"]) == (200, True)


async def test_a_chunk_at_the_wrong_offset_is_told_where_to_resume(
    kiosk: httpx.AsyncClient,
) -> None:
    await put(kiosk, 0, CONTENT[:HALF])

    ahead = await put(kiosk, HALF + 10, CONTENT[HALF + 10 :])
    behind = await put(kiosk, 0, CONTENT[:HALF])  # sent twice after a cut

    assert (ahead.status_code, ahead.json()["received_bytes"]) == (409, HALF)
    assert (behind.status_code, behind.json()["received_bytes"]) == (409, HALF)


async def test_content_that_does_not_match_its_hash_is_discarded(kiosk: httpx.AsyncClient) -> None:
    await put(kiosk, 0, CONTENT[:HALF])

    damaged = await put(kiosk, HALF, bytes(len(CONTENT) - HALF))

    assert damaged.status_code == 422
    assert "does not match its SHA-256" in damaged.json()["detail"]
    assert (await kiosk.get(URL)).json() == {
        "sha256": SHA,
        "size": len(CONTENT),
        "received_bytes": 0,
        "complete": False,
    }


@pytest.mark.parametrize(
    ("offset", "data", "size", "status"),
    [(0, b"x", 0, 422), (0, b"", 10, 422), (5, b"x" * 10, 10, 409), (0, b"x" * 11, 10, 422)],
)
async def test_impossible_chunks_are_refused(
    kiosk: httpx.AsyncClient, offset: int, data: bytes, size: int, status: int
) -> None:
    response = await kiosk.put(URL, params={"offset": offset, "size": size}, content=data)

    assert response.status_code == status


async def test_a_bad_hash_in_the_path_is_422(kiosk: httpx.AsyncClient) -> None:
    response = await kiosk.get("/api/v1/attachments/NOT-A-HASH")

    assert response.status_code == 422


async def test_a_kiosk_sees_only_its_own_attachments(
    kiosk: httpx.AsyncClient, backend_app: InProcessBackend
) -> None:
    await upload(kiosk)
    other = issue_credential(backend_app.app.state.engine, "kiosk-02", "kiosk")

    async with backend_app.client(other) as stranger:
        assert (await stranger.get(URL)).status_code == 404


async def test_an_item_is_stored_once_its_attachments_are_whole(
    kiosk: httpx.AsyncClient, backend_app: InProcessBackend
) -> None:
    item = with_scan()
    early = await kiosk.post("/api/v1/sync", json={"items": [item]})
    await upload(kiosk)
    late = await kiosk.post("/api/v1/sync", json={"items": [item]})

    assert early.json()["results"][0]["status"] == "retry"
    assert "not uploaded whole" in early.json()["results"][0]["reason"]
    assert late.json()["results"][0]["status"] == "stored"
    async with backend_app.client(backend_app.staff_token) as staff:
        (row,) = (await staff.get("/api/v1/transactions")).json()
    assert row["attachments"] == item["attachments"]


async def test_later_items_of_a_session_wait_behind_an_earlier_one(
    kiosk: httpx.AsyncClient,
) -> None:
    waiting = with_scan("citizen-a")
    behind = {**make_wire_item(), "session_id": "citizen-a"}
    other_citizen = {**make_wire_item(), "session_id": "citizen-b"}

    response = await kiosk.post("/api/v1/sync", json={"items": [waiting, behind, other_citizen]})

    assert [(r["status"], r.get("reason")) for r in response.json()["results"]] == [
        ("retry", f"attachment {SHA[:12]} is not uploaded whole"),
        ("retry", "held behind an earlier item of the same session"),
        ("stored", None),
    ]


async def test_a_declared_size_that_contradicts_the_upload_is_rejected(
    kiosk: httpx.AsyncClient,
) -> None:
    await upload(kiosk)
    item = with_scan()
    item["attachments"][0]["size"] = len(CONTENT) + 1

    response = await kiosk.post("/api/v1/sync", json={"items": [item]})

    assert response.json()["results"][0]["status"] == "rejected"


async def test_the_back_end_orders_by_its_own_clock_and_records_the_kiosks(
    kiosk: httpx.AsyncClient, backend_app: InProcessBackend
) -> None:
    future = datetime.now(UTC) + timedelta(days=3)
    first = make_wire_item()
    first["created_at"] = future.isoformat()  # a kiosk three days ahead...
    second = make_wire_item()
    second["created_at"] = "2001-01-01T00:00:00+00:00"  # ...and one decades behind

    answer = await kiosk.post(
        "/api/v1/sync", json={"sent_at": future.isoformat(), "items": [first]}
    )
    await kiosk.post("/api/v1/sync", json={"items": [second]})

    server_time = datetime.fromisoformat(answer.json()["server_time"])
    assert abs(server_time - datetime.now(UTC)) < timedelta(minutes=1)
    async with backend_app.client(backend_app.staff_token) as staff:
        newest_first = (await staff.get("/api/v1/transactions")).json()
    assert [row["idempotency_key"] for row in newest_first] == [
        second["idempotency_key"],
        first["idempotency_key"],
    ]
    assert datetime.fromisoformat(newest_first[1]["kiosk_created_at"]) == future
    with backend_app.app.state.engine.connect() as conn:
        offset = conn.execute(
            select(transactions.c.kiosk_clock_offset_ms).where(
                transactions.c.idempotency_key == first["idempotency_key"]
            )
        ).scalar_one()
    assert abs(offset - timedelta(days=3).total_seconds() * 1000) < 60_000


async def test_a_version_1_kiosk_gets_a_version_1_answer(kiosk: httpx.AsyncClient) -> None:
    response = await kiosk.post(
        "/api/v1/sync", json={"schema_version": 1, "items": [make_wire_item()]}
    )

    answer = response.json()
    assert answer["schema_version"] == 1
    assert "server_time" not in answer
    assert answer["results"][0] == {
        "idempotency_key": answer["results"][0]["idempotency_key"],
        "status": "stored",
    }
