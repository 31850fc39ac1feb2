"""The figures over HTTP: who may read them, who may set costs, and what a bad period gets."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import httpx
import pytest

from backend.roles import Role
from tests.backend.analytics_helpers import DAY, add_staff, event, log_in, new_session
from tests.fixtures.backend import InProcessBackend

SUMMARY = "/api/v1/analytics/summary?from=2026-11-01&to=2026-11-30"
EXPORT = "/api/v1/analytics/export.csv?from=2026-11-01&to=2026-11-30"
COSTS = "/api/v1/analytics/costs"
KIOSK_COSTS = {"channels": [{"channel": "kiosk", "monthly_per_kiosk": "250.00"}]}


@pytest.fixture
async def staff(backend_app: InProcessBackend) -> AsyncIterator[httpx.AsyncClient]:
    engine = backend_app.app.state.engine
    add_staff(engine, "max", Role.MANAGER)
    add_staff(engine, "sue", Role.SUPERVISOR)
    add_staff(engine, "ann", Role.AGENT)
    add_staff(engine, "tina", Role.TECHNICIAN)
    async with backend_app.client() as client:
        # As the dashboard's fetch does: a cookie request names its origin (backend.security).
        client.headers["Origin"] = backend_app.base_url
        yield client


async def test_figures_are_for_managers_and_supervisors(staff: httpx.AsyncClient) -> None:
    for path in (SUMMARY, EXPORT, COSTS, "/api/v1/analytics/filters"):
        assert (await staff.get(path)).status_code == 401, path
    for agent_id, expected in (("ann", 403), ("tina", 403), ("max", 200), ("sue", 200)):
        await log_in(staff, agent_id)
        for path in (SUMMARY, EXPORT, COSTS, "/api/v1/analytics/filters"):
            answer = await staff.get(path)
            assert answer.status_code == expected, (agent_id, path, answer.text)


async def test_only_managers_set_costs(staff: httpx.AsyncClient) -> None:
    assert (await staff.put(COSTS, json=KIOSK_COSTS)).status_code == 401
    for agent_id in ("sue", "ann", "tina"):
        await log_in(staff, agent_id)
        assert (await staff.put(COSTS, json=KIOSK_COSTS)).status_code == 403, agent_id
    await log_in(staff, "sue")
    assert (await staff.get(COSTS)).json()["editable"] is False

    await log_in(staff, "max")
    answer = await staff.put(COSTS, json=KIOSK_COSTS)

    assert answer.status_code == 200, answer.text
    assert answer.json()["editable"] is True
    kiosk = next(c for c in answer.json()["channels"] if c["channel"] == "kiosk")
    assert kiosk["monthly_per_kiosk"] == "250.00"
    negative = {"channels": [{"channel": "phone", "per_transaction": "-1"}]}
    assert (await staff.put(COSTS, json=negative)).status_code == 422
    twice = {"channels": [{"channel": "phone"}, {"channel": "phone"}]}
    assert "once" in (await staff.put(COSTS, json=twice)).json()["detail"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01", "from: expected a date as YYYY-MM-DD"),
        ("from=yesterday", "from: expected a date"),
        ("to=2026-11-31", "to: expected a date"),
        ("from=2026-11-02&to=2026-11-01", "the period ends before it starts"),
        ("from=2020-01-01&to=2026-11-01", "longer than 366 days"),
        ("site=Kiosk%201", "site: expected a code"),
        ("service=%3Cscript%3E", "service: expected a code"),
    ],
)
async def test_a_bad_period_or_filter_is_a_clear_422(
    staff: httpx.AsyncClient, query: str, message: str
) -> None:
    await log_in(staff, "max")
    for path in ("/api/v1/analytics/summary", "/api/v1/analytics/export.csv"):
        answer = await staff.get(f"{path}?{query}")
        assert answer.status_code == 422, answer.text
        assert message in str(answer.json()["detail"])


async def test_the_export_has_one_row_per_event_and_codes_only(
    backend_app: InProcessBackend, staff: httpx.AsyncClient
) -> None:
    session = new_session()
    codes = {"language": "fr", "agency_id": "ville", "service_id": "change-of-address"}
    sent = [
        event("session_started", session, DAY),
        event("service_completed", session, DAY, file_hash="c" * 32, **codes),
        event("satisfaction", session, DAY, score=4, reason="easy", **codes),
    ]
    async with backend_app.client(backend_app.kiosk_token) as kiosk:
        assert (await kiosk.post("/api/v1/analytics/events", json={"events": sent})).is_success
    await log_in(staff, "sue")

    answer = await staff.get(EXPORT)

    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert sorted(row["event_id"] for row in rows) == sorted(e["id"] for e in sent)
    by_id = {row["event_id"]: row for row in rows}
    assert by_id[sent[2]["id"]]["score"] == "4"
    assert by_id[sent[2]["id"]]["site"] == backend_app.kiosk_id
    assert by_id[sent[1]["id"]]["at"] == "2026-11-02T09:00Z"
    assert "c" * 32 not in answer.text  # the file hash stays in the database
    assert session not in answer.text  # and so does the visit id


async def test_the_dashboard_page_asks_strangers_to_log_in(staff: httpx.AsyncClient) -> None:
    page = await staff.get("/analytics/")
    assert page.status_code == 401
    assert "<form" in page.text
    await log_in(staff, "ann")
    assert (await staff.get("/analytics/")).status_code == 403
    await log_in(staff, "max")
    page = await staff.get("/analytics/")
    assert page.status_code == 200
    assert "chart.umd.min.js" in page.text
    form = await staff.post("/console/login", data={"agent_id": "max", "password": "x"})
    assert form.status_code == 401
