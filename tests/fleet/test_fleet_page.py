"""The fleet page in headless Debian Chromium, against the real back end and simulated kiosks."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import update

from backend.auth import issue_credential
from backend.db import fleet_kiosks
from backend.roles import Role
from offline_queue.fleet_link import FleetLink
from offline_queue.heartbeat import KioskCommand
from tests.fixtures.backend import InProcessBackend
from tests.fixtures.chromium import launch_chromium, serve_app
from tests.fleet.helpers import HEARTBEAT, PASSWORD, add_staff, body, heartbeat

WAIT_MS = 15_000  # the page polls every 3 s
# Set to a folder (docs/screenshots) to keep the page's picture; a temporary folder otherwise.
SCREENSHOT_DIR_ENV = "VG_SCREENSHOT_DIR"


@dataclass
class FleetPage:
    """The fleet page, opened by a technician, and the back end's address."""

    page: Page
    base_url: str


@pytest.fixture
async def fleet_page(backend_app: InProcessBackend) -> AsyncIterator[FleetPage]:
    add_staff(backend_app, "tina", Role.TECHNICIAN)
    async with launch_chromium() as context, serve_app(backend_app.app) as base_url:
        page = await context.new_page()
        page_errors: list[str] = []
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        await page.goto(f"{base_url}/fleet/")
        yield FleetPage(page, base_url)
        assert page_errors == []


async def sign_in(page: Page) -> None:
    await expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    await page.get_by_label("Staff id").fill("tina")
    await page.get_by_label("Password").fill("wrong password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#login-error")).to_have_text("Wrong staff id or password.")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Kiosks")).to_be_visible()


async def send(base_url: str, token: str, **kwargs: object) -> None:
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}
    ) as kiosk:
        answer = await kiosk.post(HEARTBEAT, json=body(heartbeat(**kwargs)))  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text


async def test_paper_out_raises_an_alert_and_a_command_is_acknowledged(
    backend_app: InProcessBackend, fleet_page: FleetPage, tmp_path: Path
) -> None:
    page, base_url = fleet_page.page, fleet_page.base_url
    engine = backend_app.app.state.engine
    # A small fleet for the picture: one healthy, one long silent, one never installed.
    healthy = issue_credential(engine, "kiosk-mairie-02", "kiosk")
    silent = issue_credential(engine, "kiosk-gare-03", "kiosk")
    issue_credential(engine, "kiosk-spare-04", "kiosk")
    await send(base_url, healthy, backlog=2, oldest_age=timedelta(seconds=40))
    await send(base_url, silent, version="1.3.9")
    with engine.begin() as conn:
        conn.execute(
            update(fleet_kiosks)
            .where(fleet_kiosks.c.kiosk_id == "kiosk-gare-03")
            .values(last_seen_at=datetime.now(UTC) - timedelta(minutes=7))
        )
    await send(base_url, backend_app.kiosk_token)

    await sign_in(page)
    row = page.locator(f'#kiosks tr[data-kiosk="{backend_app.kiosk_id}"]')
    await expect(row).to_contain_text("online")
    paper_alert = page.locator(f'#alerts li[data-kiosk="{backend_app.kiosk_id}"]')
    await expect(paper_alert).to_have_count(0)

    await send(base_url, backend_app.kiosk_token, faults={"printer": "paper_out"})
    await expect(paper_alert).to_contain_text("Printer out of paper", timeout=WAIT_MS)
    await expect(row).to_contain_text("printer: out of paper")
    await expect(page.locator('#alerts li[data-kiosk="kiosk-gare-03"]')).to_contain_text(
        "Kiosk silent"
    )

    out_of_service = {"on": False}

    async def on_command(command: KioskCommand) -> tuple[bool, str | None]:
        out_of_service["on"] = command.kind == "out_of_service"
        return True, "attract screen closed"

    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {backend_app.kiosk_token}"}
    ) as client:
        link = FleetLink(
            client,
            lambda: heartbeat(faults={"printer": "paper_out"}, out_of_service=out_of_service["on"]),
            on_command,
        )
        await row.get_by_role("button", name="Out of service").click()
        command_row = page.locator("#commands tbody tr").first
        await expect(command_row).to_contain_text("pending", timeout=WAIT_MS)
        await link.beat_once()  # delivers the command; the kiosk closes
        await link.beat_once()  # carries the acknowledgement
    await expect(command_row).to_contain_text("acked", timeout=WAIT_MS)
    await expect(command_row).to_contain_text("attract screen closed")
    await expect(row.locator(".badge.oos")).to_have_text("out of service")

    folder = Path(os.environ.get(SCREENSHOT_DIR_ENV) or tmp_path)
    await page.screenshot(path=str(folder / "fleet.png"), full_page=True)


async def test_a_supervisor_sees_the_fleet_without_command_buttons(
    backend_app: InProcessBackend, fleet_page: FleetPage
) -> None:
    page = fleet_page.page
    add_staff(backend_app, "sam", Role.SUPERVISOR)
    await send(fleet_page.base_url, backend_app.kiosk_token)
    await page.get_by_label("Staff id").fill("sam")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    row = page.locator(f'#kiosks tr[data-kiosk="{backend_app.kiosk_id}"]')
    await expect(row).to_contain_text("online")
    await expect(row.get_by_role("button")).to_have_count(0)


async def test_a_technician_revokes_a_stolen_kiosk_from_the_page(
    backend_app: InProcessBackend, fleet_page: FleetPage
) -> None:
    page, base_url = fleet_page.page, fleet_page.base_url
    # The Content-Security-Policy is on: a violation (inline script, foreign source)
    # would show as a console error and break the page silently.
    console_errors: list[str] = []
    page.on(
        "console", lambda message: message.type == "error" and console_errors.append(message.text)
    )
    await send(base_url, backend_app.kiosk_token)
    await sign_in(page)
    row = page.locator(f'#kiosks tr[data-kiosk="{backend_app.kiosk_id}"]')
    await expect(row).to_contain_text("online")
    revoke = row.get_by_role("button", name=f"Revoke credential: {backend_app.kiosk_id}")

    # A mistyped confirmation is refused by the back end; nothing changes.
    page.once("dialog", lambda dialog: dialog.accept("kiosk-wrong"))
    await revoke.click()
    await expect(page.locator("#status")).to_contain_text("Revocation refused")
    await expect(row).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept(backend_app.kiosk_id))
    await revoke.click()
    await expect(row).to_have_count(0, timeout=WAIT_MS)  # a revoked kiosk leaves the fleet
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {backend_app.kiosk_token}"}
    ) as kiosk:
        answer = await kiosk.post(HEARTBEAT, json=body(heartbeat()))
    assert answer.status_code == 401
    # Only the refusals the test provoked (wrong password, wrong confirmation) are errors.
    unexpected = [e for e in console_errors if "Failed to load resource" not in e]
    assert unexpected == []
