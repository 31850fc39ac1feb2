"""The analytics dashboard in headless Chromium, against the real back end and its kiosk API."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import insert

from backend.analytics.costs import CostInput, CostInputs, write_costs
from backend.auth import issue_credential
from backend.db import calls
from backend.roles import Role
from tests.backend.analytics_helpers import PASSWORD, add_staff, visit
from tests.fixtures.backend import InProcessBackend
from tests.fixtures.chromium import launch_chromium, serve_app, wait_for_js

OTHER_KIOSK = "kiosk-test-02"
SERVICES = (("ville", "change-of-address"), ("ville", "parking-permit"), ("impots", "tax-return"))
FIRST = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
# Set to a path to keep a picture of the dashboard (docs/screenshots/analytics.png).
SCREENSHOT_ENV = "VG_ANALYTICS_SCREENSHOT"
WAIT_MS = 15_000


def a_month_of_visits(rng: random.Random) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for _ in range(60):
        agency, service = rng.choice(SERVICES)
        at = FIRST + timedelta(days=rng.randrange(30), minutes=rng.randrange(600))
        luck = rng.random()
        events += visit(
            at,
            agency=agency,
            service=service,
            language=rng.choice(("fr", "en")),
            abandoned_at=rng.choice(("identify", "form", "review")) if luck < 0.25 else None,
            escalated_at="form" if 0.2 < luck < 0.35 else None,
            score=rng.choice((3, 4, 5, 5)) if luck > 0.5 else None,
            reason="easy" if luck > 0.8 else None,
            handoff=luck > 0.7,
            file_hash=f"{rng.randrange(40):032x}",  # 40 citizens: some come back
        )
    return events


SOME_COSTS = CostInputs(
    channels=[
        CostInput(channel="kiosk", monthly_per_kiosk=Decimal("300")),
        CostInput(channel="video", agent_hourly=Decimal("42")),
        CostInput(channel="phone", per_transaction=Decimal("8.20")),
    ]
)


def a_call(rng: random.Random, n: int, kiosk_id: str) -> dict[str, Any]:
    enqueued = FIRST + timedelta(days=rng.randrange(30), hours=rng.randrange(9))
    answered = enqueued + timedelta(seconds=rng.randrange(20, 400))
    return {
        "call_id": f"call-{n}",
        "kiosk_id": kiosk_id,
        "queue_id": "general",
        "language": "fr",
        "service_id": rng.choice(SERVICES)[1],
        "state": "ended",
        "enqueued_at": enqueued,
        "answered_at": answered,
        "ended_at": answered + timedelta(seconds=rng.randrange(120, 900)),
    }


@pytest.fixture
async def sent(backend_app: InProcessBackend) -> dict[str, list[dict[str, Any]]]:
    """A month of visits sent by two kiosks through the kiosk API; events by kiosk."""
    engine = backend_app.app.state.engine
    add_staff(engine, "max", Role.MANAGER)
    other_token = issue_credential(engine, OTHER_KIOSK, "kiosk")
    rng = random.Random(11)
    by_kiosk = {}
    for kiosk_id, token in (
        (backend_app.kiosk_id, backend_app.kiosk_token),
        (OTHER_KIOSK, other_token),
    ):
        events = a_month_of_visits(rng)
        async with backend_app.client(token) as kiosk:
            for start in range(0, len(events), 100):
                answer = await kiosk.post(
                    "/api/v1/analytics/events", json={"events": events[start : start + 100]}
                )
                assert answer.status_code == 200
                assert not answer.json()["rejected"]
        by_kiosk[kiosk_id] = events
    with engine.begin() as conn:
        conn.execute(insert(calls), [a_call(rng, n, backend_app.kiosk_id) for n in range(12)])
        write_costs(conn, SOME_COSTS, now=FIRST)
    return by_kiosk


@pytest.fixture
async def dashboard(backend_app: InProcessBackend) -> AsyncIterator[Page]:
    async with launch_chromium() as context, serve_app(backend_app.app) as base_url:
        page = await context.new_page()
        page_errors: list[str] = []
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        # The Content-Security-Policy (backend/security.py) reports what it blocks on the
        # console: an inline script or style, or Chart.js injecting one, would show here.
        blocked: list[str] = []
        page.on(
            "console",
            lambda message: (
                "Content Security Policy" in message.text and blocked.append(message.text)
            ),
        )
        await page.set_viewport_size({"width": 1400, "height": 900})
        await page.goto(f"{base_url}/analytics/")
        yield page
        assert page_errors == []
        assert blocked == []


async def test_a_manager_filters_reads_the_charts_and_exports_what_was_sent(
    dashboard: Page, sent: dict[str, list[dict[str, Any]]], backend_app: InProcessBackend
) -> None:
    page = dashboard
    await page.fill("#agent_id", "max")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Service analytics", timeout=WAIT_MS)
    await page.fill("#from", "2026-11-01")
    await page.fill("#to", "2026-11-30")
    await page.click("#apply")
    await wait_for_js(
        page, "document.body.dataset.loaded === 'from=2026-11-01&to=2026-11-30'", timeout=WAIT_MS
    )
    everything = sent[backend_app.kiosk_id] + sent[OTHER_KIOSK]
    completed = [e for e in everything if e["kind"] == "service_completed"]
    await expect(page.locator("[data-figure=completed]")).to_have_text(str(len(completed)))
    if path := os.environ.get(SCREENSHOT_ENV):
        await page.screenshot(path=path, full_page=True)

    # One site: the figures, the charts and the export follow the filter.
    await page.select_option("#site", backend_app.kiosk_id)
    await page.click("#apply")
    await wait_for_js(
        page,
        f"document.body.dataset.loaded.includes('site={backend_app.kiosk_id}')",
        timeout=WAIT_MS,
    )
    mine = sent[backend_app.kiosk_id]
    mine_completed = [e for e in mine if e["kind"] == "service_completed"]
    await expect(page.locator("[data-figure=completed]")).to_have_text(str(len(mine_completed)))
    per_service: dict[str, int] = {}
    for item in mine_completed:
        per_service[item["service_id"]] = per_service.get(item["service_id"], 0) + 1
    drawn = await page.evaluate(
        """() => {
            const chart = Chart.getChart("chart-services");
            const canvas = document.getElementById("chart-services");
            return {labels: chart.data.labels, data: chart.data.datasets[0].data,
                    width: canvas.width, height: canvas.height};
        }"""
    )
    assert dict(zip(drawn["labels"], drawn["data"], strict=True)) == per_service
    assert drawn["width"] > 0
    assert drawn["height"] > 0
    for chart in ("chart-days", "chart-abandon", "chart-satisfaction", "chart-costs"):
        assert await page.evaluate(f"Chart.getChart('{chart}') !== undefined"), chart

    async with page.expect_download() as download_info:
        await page.click("#export")
    download = await download_info.value
    exported = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(exported)))
    expected = {
        e["id"]: (
            e["kind"],
            e.get("service_id") or "",
            e.get("step") or "",
            str(e.get("score") or ""),
            datetime.fromisoformat(e["at"]).strftime("%Y-%m-%dT%H:%MZ"),
        )
        for e in mine
    }
    assert {
        row["event_id"]: (row["kind"], row["service"], row["step"], row["score"], row["at"])
        for row in rows
    } == expected
    assert {row["site"] for row in rows} == {backend_app.kiosk_id}
    assert len(rows) == len(mine)


async def test_the_cost_inputs_are_set_on_the_page(
    dashboard: Page, sent: dict[str, list[dict[str, Any]]]
) -> None:
    page = dashboard
    await page.fill("#agent_id", "max")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#cost-kiosk-monthly_per_kiosk:not([disabled])", timeout=WAIT_MS)
    await page.fill("#from", "2026-11-01")
    await page.fill("#to", "2026-11-30")
    await page.fill("#cost-kiosk-monthly_per_kiosk", "365")
    await page.fill("#cost-counter-per_transaction", "12.5")
    await page.click("#save-costs")
    await expect(page.locator("#costs-status")).to_have_text("Cost inputs saved.", timeout=WAIT_MS)
    await wait_for_js(page, "document.body.dataset.loaded !== undefined", timeout=WAIT_MS)
    table = page.locator("#table-costs")
    completed = sum(
        1 for events in sent.values() for e in events if e["kind"] == "service_completed"
    )
    # 2 kiosks x 30 days x 12/365 kiosk-months at 365.00 = 720.00, over the completions.
    per_transaction = f"{720 / completed:,.2f}"
    await expect(table.locator("tr", has_text="Kiosk (self-service)")).to_contain_text(
        per_transaction
    )
    await expect(table.locator("tr", has_text="Counter")).to_contain_text("12.50")
