"""The staff pages switch between French and English in headless Chromium, without reloading.

The console runs against the scripted hub of tests/console (behind the back end's real
security headers, so a CSP violation shows); the fleet, the analytics dashboard and its
login against the real back end. Set ``VG_SCREENSHOT_DIR`` to keep the French pictures
(docs/screenshots/console-fr.png, console-call-fr.png, fleet-fr.png, analytics-fr.png).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from playwright.async_api import BrowserContext, ConsoleMessage, Page, expect

from backend.auth import issue_credential
from backend.roles import Role
from backend.security import SecurityMiddleware
from tests.console.fake_hub import FakeHub
from tests.fixtures.backend import InProcessBackend
from tests.fixtures.chromium import launch_chromium, serve_app
from tests.fleet.helpers import HEARTBEAT, PASSWORD, add_staff, body, heartbeat

WAIT_MS = 15_000
SCREENSHOT_DIR_ENV = "VG_SCREENSHOT_DIR"
WAITING_CALL = {
    "call_id": "call-0001",
    "queue_id": "titres",
    "language": "fr",
    "service_id": "passport",
    "waited_s": 95,
    "position": 1,
    "context": {"agency_id": "bureau-quebec-1", "step": "review", "fields": [["Nom", "Tremblay"]]},
}
OTHER_CALL = {**WAITING_CALL, "call_id": "call-0002", "language": "en", "position": 2}
OPEN_ALL_ACTIONS = "document.querySelectorAll('#call details').forEach(d => d.open = true)"
NETWORK_NOISE = ("Failed to load resource", "WebSocket connection to")
COLLEAGUE = {"agent_id": "bob", "name": "Bob Gagnon", "state": "available"}


@dataclass
class Watched:
    """What a page must not do while the test runs: throw, or break the CSP."""

    errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> Page:
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("console", self._on_console)
        return page

    def _on_console(self, message: ConsoleMessage) -> None:
        # Network refusals are the pages' normal life (the socket before sign-in, a 401
        # poll, no favicon); anything else the browser reports as an error is a fault.
        expected = message.text.startswith(NETWORK_NOISE)
        if "Content Security Policy" in message.text or (message.type == "error" and not expected):
            self.errors.append(f"console {message.type}: {message.text}")


def screenshot_dir() -> Path | None:
    folder = os.environ.get(SCREENSHOT_DIR_ENV)
    return Path(folder) if folder else None


async def snap(page: Page, name: str) -> None:
    folder = screenshot_dir()
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(folder / name), full_page=True)


@asynccontextmanager
async def browser(app: object) -> AsyncIterator[tuple[BrowserContext, str]]:
    async with launch_chromium(fake_fps=15) as context, serve_app(app) as base_url:
        yield context, base_url


async def choose(page: Page, language: str) -> None:
    """Click the header's switch ("Français" or "English")."""
    await page.get_by_role("button", name=language, exact=True).click()


async def html_lang(page: Page) -> str:
    lang: str = await page.evaluate("document.documentElement.lang")
    return lang


# --- The agent console ------------------------------------------------------------------


async def sign_in_in_french(page: Page, hub: FakeHub) -> None:
    # en-US Chromium: English first, as the existing end-to-end tests expect.
    await expect(page.get_by_role("heading", name="Agent sign-in")).to_be_visible()
    assert await html_lang(page) == "en"
    await expect(page.get_by_role("button", name="English", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    await choose(page, "Français")
    assert await html_lang(page) == "fr"
    await expect(page.get_by_role("heading", name="Connexion de l'agent")).to_be_visible()
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.locator("#login-error")).to_have_text(
        "Entrez votre identifiant d'agent et votre mot de passe."
    )
    await page.get_by_label("Identifiant d'agent").fill(hub.agent_id)
    await page.get_by_label("Mot de passe").fill(hub.password)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.locator("#agent-name")).to_have_text(hub.name)
    await expect(page.locator("#agent-state")).to_have_text("Disponible")
    await expect(page.get_by_role("button", name="Absent")).to_be_visible()


async def test_console_switches_language_keeping_the_offer_and_the_call() -> None:
    hub = FakeHub()
    watched = Watched()
    async with browser(SecurityMiddleware(hub.app())) as (context, base_url):
        page = watched.attach(await context.new_page())
        await page.goto(f"{base_url}/console/")
        await sign_in_in_french(page, hub)

        # A queue and an offer, in French; then English and back, the offer still ringing.
        await hub.send(
            {"type": "queue_snapshot", "calls": [WAITING_CALL, OTHER_CALL], "agents": [COLLEAGUE]}
        )
        await hub.send({"type": "call_offered", **WAITING_CALL, "timeout_s": 60})
        offered = page.locator("#queue-list li.offered")
        await expect(offered.get_by_role("heading")).to_have_text("Appel qui vous est proposé")
        await expect(offered.get_by_role("button", name="Accepter")).to_be_visible()
        await expect(offered.locator(".countdown")).to_contain_text("s pour répondre")
        await expect(offered).to_contain_text("Français")  # the citizen's language
        await expect(page.locator("#queue-title")).to_contain_text("Citoyens en attente (2)")
        await expect(page).to_have_title("Appel proposé – Visioguichet")
        await snap(page, "console-fr.png")

        await choose(page, "English")
        assert await html_lang(page) == "en"
        await expect(offered.get_by_role("button", name="Accept")).to_be_visible()
        await expect(offered.locator(".countdown")).to_contain_text("s left to answer")
        await expect(page.locator("#agent-state")).to_have_text("Available")
        await expect(page).to_have_title("Call offered – Visioguichet")
        await choose(page, "Français")

        await call_in_both_languages(page, hub)

        # The choice is remembered: French again after a reload.
        await choose(page, "Français")
        await page.reload()
        await expect(page.locator("#agent-state")).to_have_text("Disponible", timeout=WAIT_MS)
        assert await html_lang(page) == "fr"
        await choose(page, "English")
    assert watched.errors == []


async def test_a_french_browser_opens_the_console_in_french() -> None:
    hub = FakeHub()
    watched = Watched()
    async with browser(SecurityMiddleware(hub.app())) as (context, base_url):
        # A Québec office's browser; Playwright's persistent context keeps en-US otherwise.
        await context.add_init_script(
            script="Object.defineProperty(navigator, 'language', {get: () => 'fr-CA'});"
        )
        page = watched.attach(await context.new_page())
        await page.goto(f"{base_url}/console/")
        await expect(page.get_by_role("heading", name="Connexion de l'agent")).to_be_visible()
        assert await html_lang(page) == "fr"
        await expect(page).to_have_title("Visioguichet – console de l'agent")
    assert watched.errors == []


# --- The fleet, the analytics dashboard and its login -----------------------------------


async def send_heartbeat(base_url: str, token: str) -> None:
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}
    ) as kiosk:
        beat = heartbeat(
            faults={"printer": "paper_out"}, backlog=2, oldest_age=timedelta(seconds=40)
        )
        answer = await kiosk.post(HEARTBEAT, json=body(beat))
    assert answer.status_code == 200, answer.text


async def test_fleet_analytics_and_login_switch_language(backend_app: InProcessBackend) -> None:
    # Sees the fleet (with its command buttons) and the analytics.
    add_staff(backend_app, "sam", Role.SUPERVISOR, Role.TECHNICIAN)
    issue_credential(backend_app.app.state.engine, "kiosk-spare-04", "kiosk")
    watched = Watched()
    async with browser(backend_app.app) as (context, base_url):
        await send_heartbeat(base_url, backend_app.kiosk_token)
        page = watched.attach(await context.new_page())
        await page.set_viewport_size({"width": 1400, "height": 900})

        await analytics_in_both_languages(page, base_url)
        await fleet_in_both_languages(page, base_url, backend_app.kiosk_id)
    assert watched.errors == []


async def analytics_in_both_languages(page: Page, base_url: str) -> None:
    # The analytics login first (English), then in French.
    await page.goto(f"{base_url}/analytics/")
    await expect(page.get_by_role("button", name="Log in")).to_be_visible()
    await choose(page, "Français")
    assert await html_lang(page) == "fr"
    await expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
    await expect(page.get_by_text("Connectez-vous avec un compte")).to_be_visible()
    await page.get_by_label("Identifiant").fill("sam")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()

    # The dashboard opens in French: the choice is shared by the staff pages.
    await expect(page.locator("h1")).to_have_text("Statistiques du service", timeout=WAIT_MS)
    assert await html_lang(page) == "fr"
    await expect(page.locator("[data-figure=sessions]")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#headline dt").first).to_have_text("Visites")
    await expect(page.locator("#table-costs th").first).to_have_text("Canal")
    await expect(page.locator("#cost-rows th").first).to_have_text("Borne (libre-service)")
    await expect(page.get_by_role("button", name="Enregistrer les coûts")).to_be_visible()
    await snap(page, "analytics-fr.png")
    await page.locator("#from").fill("2026-11-01")  # a filter the switch must keep
    await choose(page, "English")
    assert await html_lang(page) == "en"
    await expect(page.locator("h1")).to_have_text("Service analytics")
    await expect(page.locator("#headline dt").first).to_have_text("Visits")
    await expect(page.locator("#table-costs th").first).to_have_text("Channel")
    await expect(page.locator("#from")).to_have_value("2026-11-01")
    await choose(page, "Français")


async def fleet_in_both_languages(page: Page, base_url: str, kiosk_id: str) -> None:
    # The fleet, in French from the start.
    await page.goto(f"{base_url}/fleet/")
    await expect(page.get_by_role("heading", name="Bornes", exact=True)).to_be_visible(
        timeout=WAIT_MS
    )
    assert await html_lang(page) == "fr"
    row = page.locator(f'#kiosks tr[data-kiosk="{kiosk_id}"]')
    await expect(row).to_contain_text("en ligne", timeout=WAIT_MS)
    await expect(row).to_contain_text("imprimante : plus de papier")
    await expect(row.get_by_role("button", name="Mettre hors service")).to_be_visible()
    await expect(row.get_by_role("button", name="Révoquer l'accès")).to_be_visible()
    await expect(page.locator("#alerts li").first).to_contain_text("Imprimante sans papier")
    await expect(page.locator("#kiosks thead th").nth(2)).to_have_text("Dernier contact")
    await expect(page.locator('#kiosks tr[data-kiosk="kiosk-spare-04"]')).to_contain_text(
        "jamais vue"
    )
    await snap(page, "fleet-fr.png")
    await choose(page, "English")
    assert await html_lang(page) == "en"
    await expect(page.get_by_role("heading", name="Kiosks", exact=True)).to_be_visible()
    await expect(row).to_contain_text("online")
    await expect(row).to_contain_text("printer: out of paper")
    await expect(row.get_by_role("button", name="Out of service")).to_be_visible()
    await expect(page.locator("#alerts li").first).to_contain_text("Printer out of paper")
    await expect(page.locator("#status")).to_contain_text("kiosks")


async def call_in_both_languages(page: Page, hub: FakeHub) -> None:
    """Accept the offer; switching relabels the call view and sends nothing to the hub."""
    await page.locator("#queue-list li.offered").get_by_role("button", name="Accepter").click()
    assert (await hub.expect("accept"))["call_id"] == WAITING_CALL["call_id"]
    call = page.locator("#call")
    await expect(call).to_be_visible()
    await expect(page.get_by_role("button", name="Demander une capture")).to_be_visible()
    await expect(page.get_by_role("button", name="Terminer l'appel")).to_be_visible()
    await expect(page.locator("#call-context")).to_contain_text("Étape")
    await expect(page.locator("#call-context")).to_contain_text("Vérification des réponses")
    await page.get_by_role("button", name="Couper le micro").click()
    await expect(page.locator("#mute-mic")).to_have_text("Réactiver le micro")
    await page.locator("#end-notes").fill("Notes en cours")
    await expect(page.locator("#transfer-target option")).to_have_text(
        ["Bob Gagnon (Disponible)", "File titres"]
    )
    # Every action open, on a small laptop screen: the longest French labels in view.
    await page.set_viewport_size({"width": 1024, "height": 768})
    await page.evaluate(OPEN_ALL_ACTIONS)
    await snap(page, "console-call-fr.png")
    sent_before = len(hub.received)

    await choose(page, "English")
    await expect(call).to_be_visible()
    await expect(page.get_by_role("button", name="End the call")).to_be_visible()
    await expect(page.get_by_role("button", name="Request a document capture")).to_be_visible()
    await expect(page.locator("#mute-mic")).to_have_text("Unmute microphone")
    await expect(page.locator("#call-context")).to_contain_text("Step")
    await expect(page.locator("#call-context")).to_contain_text("Reviewing the answers")
    await expect(page.locator("#transfer-target option")).to_have_text(
        ["Bob Gagnon (Available)", "Queue titres"]
    )
    await expect(page.locator("#end-outcome option").first).to_have_text("resolved")
    await expect(page.locator("#end-notes")).to_have_value("Notes en cours")
    assert len(hub.received) == sent_before, hub.received[sent_before:]
    assert await page.evaluate("document.querySelector('#remote-video') !== null")
