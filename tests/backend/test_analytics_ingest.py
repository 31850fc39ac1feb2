"""Kiosks' service events reach the figures exactly once, from the kiosk the token names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from backend.db import service_event_days, service_events
from tests.backend.analytics_helpers import event, new_session
from tests.fixtures.backend import InProcessBackend

PATH = "/api/v1/analytics/events"


@pytest.fixture
async def kiosk(backend_app: InProcessBackend) -> AsyncIterator[httpx.AsyncClient]:
    async with backend_app.client(backend_app.kiosk_token) as http:
        yield http


def rows(backend: InProcessBackend) -> list[Any]:
    with backend.app.state.engine.connect() as conn:
        return list(conn.execute(select(service_events).order_by(service_events.c.id)))


def counted(backend: InProcessBackend) -> int:
    with backend.app.state.engine.connect() as conn:
        total = conn.execute(select(func.sum(service_event_days.c.events))).scalar()
    return int(total or 0)


async def test_the_same_batch_twice_counts_once(
    kiosk: httpx.AsyncClient, backend_app: InProcessBackend
) -> None:
    session = new_session()
    events = [
        event("session_started", session),
        event("service_started", session, language="fr", agency_id="ville", service_id="a"),
        event("service_completed", session, language="fr", agency_id="ville", service_id="a"),
    ]
    batch = {"schema_version": 1, "events": events}

    first = await kiosk.post(PATH, json=batch)
    second = await kiosk.post(PATH, json=batch)  # the first answer was lost on the way

    ids = [item["id"] for item in events]
    assert first.status_code == second.status_code == 200
    assert first.json()["accepted"] == second.json()["accepted"] == ids
    assert len(rows(backend_app)) == 3
    assert counted(backend_app) == 3  # the daily counts did not add the resend


async def test_the_site_is_the_kiosk_of_the_token(
    kiosk: httpx.AsyncClient, backend_app: InProcessBackend
) -> None:
    spoofed = event("session_started", new_session()) | {"kiosk_id": "someone-else"}
    honest = event("session_started", new_session())

    answer = await kiosk.post(PATH, json={"events": [spoofed, honest]})

    assert answer.json()["accepted"] == [honest["id"]]
    assert [r["id"] for r in answer.json()["rejected"]] == [spoofed["id"]]
    assert [(row.id, row.kiosk_id) for row in rows(backend_app)] == [
        (honest["id"], backend_app.kiosk_id)
    ]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"score": 9}, "score"),
        ({"service_id": "Jean Tremblay"}, "service_id"),
        ({"file_number": "5831029474"}, "file_number"),
        ({"file_hash": "0" * 32}, "service_completed events only"),
        ({"at": "2026-11-02T09:00:00"}, "time zone"),
    ],
)
async def test_an_event_that_is_not_codes_only_is_refused_alone(
    kiosk: httpx.AsyncClient, backend_app: InProcessBackend, change: dict[str, Any], why: str
) -> None:
    bad = event("satisfaction", new_session()) | change
    good = event("session_started", new_session())

    answer = await kiosk.post(PATH, json={"events": [bad, good]})

    assert answer.status_code == 200
    assert answer.json()["accepted"] == [good["id"]]
    [refused] = answer.json()["rejected"]
    assert refused["id"] == bad["id"]
    assert why in refused["reason"]
    assert "Jean" not in refused["reason"]  # the answer never echoes what was sent
    assert len(rows(backend_app)) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"events": []}',
        b'{"events": [{"kind": "session_started"}]}',  # no id: nothing to answer it by
        b'{"schema_version": 2, "events": [{}]}',
    ],
)
async def test_an_unreadable_batch_is_a_422(kiosk: httpx.AsyncClient, body: bytes) -> None:
    answer = await kiosk.post(PATH, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
    assert isinstance(answer.json()["detail"], str)


async def test_only_kiosks_send_events(backend_app: InProcessBackend) -> None:
    batch = {"events": [event("session_started", new_session())]}
    async with backend_app.client() as anonymous:
        assert (await anonymous.post(PATH, json=batch)).status_code == 401
    async with backend_app.client(backend_app.staff_token) as staff:
        assert (await staff.post(PATH, json=batch)).status_code == 403
