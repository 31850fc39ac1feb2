"""What the server says reaches the staff pages in the agent's language, in headless Chromium.

The server sends codes beside its English (a refused login, a refused revocation, a
device's fault, the hub's refusals); the pages show the catalogue's words for each code,
and the server's own text for a code they do not know. Same set-up as
test_staff_language.py: the real back end, or the console's scripted hub.
"""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from backend.roles import Role
from backend.security import SecurityMiddleware
from tests.console.fake_hub import FakeHub
from tests.fixtures.backend import InProcessBackend
from tests.fleet.helpers import HEARTBEAT, PASSWORD, add_staff, body, heartbeat
from tests.staff.test_staff_language import WAIT_MS, Watched, browser, choose, sign_in_in_french


async def test_a_refused_login_and_a_refused_role_are_said_in_french(
    backend_app: InProcessBackend,
) -> None:
    add_staff(backend_app, "tina", Role.TECHNICIAN)  # the fleet, not the figures
    watched = Watched()
    async with browser(backend_app.app) as (context, base_url):
        page = watched.attach(await context.new_page())
        await page.goto(f"{base_url}/analytics/")
        await choose(page, "Français")
        await page.get_by_label("Identifiant").fill("tina")
        await page.get_by_label("Mot de passe").fill("wrong password")
        await page.get_by_role("button", name="Se connecter").click()
        # The server's "wrong agent id or password", by its code.
        await expect(page.locator("#login-error")).to_have_text(
            "identifiant ou mot de passe incorrect"
        )

        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Se connecter").click()
        refused = page.locator("#forbidden")
        await expect(refused).to_contain_text(
            "Votre rôle ne donne pas accès aux chiffres.", timeout=WAIT_MS
        )
        await choose(page, "English")
        await expect(refused).to_contain_text("Your role does not allow reading the figures.")
    assert watched.errors == []


async def test_the_fleet_says_device_codes_and_a_refusal_in_french(
    backend_app: InProcessBackend,
) -> None:
    add_staff(backend_app, "tina", Role.TECHNICIAN)
    kiosk_id = backend_app.kiosk_id
    watched = Watched()
    async with browser(backend_app.app) as (context, base_url):
        async with httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {backend_app.kiosk_token}"}
        ) as kiosk:
            beat = heartbeat(faults={"printer": "jam", "card_reader": "reader_unavailable"})
            assert (await kiosk.post(HEARTBEAT, json=body(beat))).status_code == 200
        page = watched.attach(await context.new_page())
        await page.goto(f"{base_url}/fleet/")
        await choose(page, "Français")
        await page.get_by_label("Identifiant").fill("tina")
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Se connecter").click()

        # The kiosk's fault codes, and the alert's kind and code, in French.
        row = page.locator(f'#kiosks tr[data-kiosk="{kiosk_id}"]')
        await expect(row).to_contain_text("imprimante : papier coincé", timeout=WAIT_MS)
        await expect(row).to_contain_text("lecteur de cartes : lecteur indisponible")
        printer = page.locator(f'#alerts li[data-kind="printer_fault"][data-kiosk="{kiosk_id}"]')
        await expect(printer).to_contain_text("Panne d'imprimante (papier coincé)")
        await expect(page.locator('#alerts li[data-kind="card_reader_fault"]')).to_contain_text(
            "Panne du lecteur de cartes (lecteur indisponible)"
        )

        # A refused revocation: the server's reason, in French, stays over the next polls.
        page.once("dialog", lambda dialog: dialog.accept("kiosk-wrong"))
        await row.get_by_role("button", name="Révoquer l'accès").click()
        status = page.locator("#status")
        refused_fr = (
            "Révocation refusée : confirmez en retapant exactement l'identifiant de la borne"
        )
        await expect(status).to_have_text(refused_fr)
        await page.wait_for_timeout(3_500)  # more than one poll (3 s)
        await expect(status).to_have_text(refused_fr)

        # A switch redraws the rows, the alerts and the refusal from what the page holds.
        await choose(page, "English")
        await expect(row).to_contain_text("printer: paper jam")
        await expect(row).to_contain_text("card reader: reader unavailable")
        await expect(printer).to_contain_text("Printer fault (paper jam)")
        await expect(status).to_have_text(
            "Revocation refused: confirm by repeating the kiosk id exactly"
        )
    assert watched.errors == []


async def test_the_console_says_the_hubs_refusals_in_french() -> None:
    hub = FakeHub()
    watched = Watched()
    async with browser(SecurityMiddleware(hub.app())) as (context, base_url):
        page = watched.attach(await context.new_page())
        await page.goto(f"{base_url}/console/")
        await sign_in_in_french(page, hub)

        await hub.send(
            {"type": "error", "code": "call.not_offered", "message": "this call is not offered"}
        )
        # A code this console does not know (a newer hub): the hub's own words, never blank.
        await hub.send({"type": "error", "code": "call.brand_new", "message": "a newer refusal"})
        errors = page.locator("#error-list li")
        await expect(errors).to_have_count(2)
        await expect(errors.nth(0)).to_contain_text(
            "Cet appel ne vous est pas proposé. (call.not_offered)"
        )
        await expect(errors.nth(1)).to_contain_text("a newer refusal (call.brand_new)")
    assert watched.errors == []
