"""Staff read what arrived, newest first; the API documents itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.fixtures import make_wire_item
from tests.fixtures.backend import InProcessBackend


@pytest.fixture
async def staff(backend_app: InProcessBackend) -> AsyncIterator[httpx.AsyncClient]:
    async with backend_app.client(backend_app.staff_token) as http:
        yield http


async def push(backend: InProcessBackend, items: list[dict[str, Any]]) -> None:
    async with backend.client(backend.kiosk_token) as kiosk:
        for item in items:  # one request each: distinct arrival times
            response = await kiosk.post("/api/v1/sync", json={"items": [item]})
            assert response.status_code == 200


async def test_transactions_are_listed_newest_first(
    backend_app: InProcessBackend, staff: httpx.AsyncClient
) -> None:
    items = [make_wire_item() for _ in range(3)]
    await push(backend_app, items)

    response = await staff.get("/api/v1/transactions")

    assert response.status_code == 200
    listed = response.json()
    assert [row["idempotency_key"] for row in listed] == [
        item["idempotency_key"] for item in reversed(items)
    ]
    assert listed[0]["kiosk_id"] == backend_app.kiosk_id
    assert listed[0]["record"] == items[-1]["payload"]
    assert listed[0]["received_at"] >= listed[1]["received_at"]


async def test_pages_and_reference_filter(
    backend_app: InProcessBackend, staff: httpx.AsyncClient
) -> None:
    items = [make_wire_item() for _ in range(5)]
    await push(backend_app, items)
    keys_newest_first = [item["idempotency_key"] for item in reversed(items)]

    page = await staff.get("/api/v1/transactions", params={"limit": 2, "offset": 1})
    found = await staff.get(
        "/api/v1/transactions", params={"reference": items[2]["payload"]["reference"]}
    )

    assert [row["idempotency_key"] for row in page.json()] == keys_newest_first[1:3]
    assert [row["idempotency_key"] for row in found.json()] == [items[2]["idempotency_key"]]


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "ten"}, {"reference": "x; DROP"}],
)
async def test_out_of_bounds_queries_are_422(
    staff: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    response = await staff.get("/api/v1/transactions", params=params)

    assert response.status_code == 422


async def test_health_needs_no_token(backend_app: InProcessBackend) -> None:
    async with backend_app.client() as anonymous:
        response = await anonymous.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_the_openapi_document_describes_the_api(backend_app: InProcessBackend) -> None:
    async with backend_app.client() as anonymous:
        document = (await anonymous.get("/openapi.json")).json()

    assert document["info"]["title"] == "visioguichet back end"
    assert "idempotency key" in document["info"]["description"]
    sync = document["paths"]["/api/v1/sync"]["post"]
    assert sync["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SyncBatchRequest"
    }
    assert {"401", "403", "413", "422"} <= set(sync["responses"])
    schemas = document["components"]["schemas"]
    assert {"SyncBatchRequest", "OutboxItemWire", "SyncBatchResponse"} <= set(schemas)
    assert "HTTPBearer" in document["components"]["securitySchemes"]
    assert "/api/v1/transactions" in document["paths"]
