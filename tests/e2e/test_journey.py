"""A citizen's whole journey through the real QML UI, to the back end and the printer."""

from __future__ import annotations

import asyncio

import httpx
from pypdf import PdfReader

from kiosk.ui.driver import SAMPLE_CITY, SAMPLE_STREET, walk_change_of_address
from kiosk.ui.harness import RunningKiosk
from peripherals.card import SAMPLE_HOLDER
from tests.fixtures.backend import RunningBackend


def staff_listing(backend: RunningBackend) -> list[dict[str, object]]:
    answer = httpx.get(
        f"{backend.url}/api/v1/transactions",
        headers={"Authorization": f"Bearer {backend.staff_token}"},
        timeout=5,
    )
    answer.raise_for_status()
    items: list[dict[str, object]] = answer.json()
    return items


def test_change_of_address_reaches_the_back_end_once_and_prints_its_reference(
    kiosk: RunningKiosk, backend_server: RunningBackend
) -> None:
    d = kiosk.driver

    async def journey() -> str:
        reference = await walk_change_of_address(d, "fr", file_number=SAMPLE_HOLDER.file_number)
        # Let the sync worker run a few more rounds: nothing may be sent twice.
        await d.wait_for(lambda: kiosk.services.outbox.stats().acknowledged == 1, "the sync")
        kiosk.services.sync_worker.poke()
        await asyncio.sleep(1.0)
        return reference

    reference = kiosk.run(journey())

    received = [t for t in staff_listing(backend_server) if t["record"]["reference"] == reference]  # type: ignore[index]
    assert len(received) == 1
    record = received[0]["record"]
    assert record["service_id"] == "change-of-address"  # type: ignore[index]
    assert record["fields"]["street"] == SAMPLE_STREET  # type: ignore[index]
    assert record["fields"]["city"] == SAMPLE_CITY  # type: ignore[index]
    assert record["fields"]["postal_code"] == "H2X 1Y4"  # type: ignore[index]
    assert record["file_number"] == SAMPLE_HOLDER.file_number  # type: ignore[index]
    assert len(staff_listing(backend_server)) == 1

    receipts = sorted((kiosk.services.settings.devices.printer_spool_dir).glob("*.pdf"))
    assert len(receipts) == 1
    text = "".join(page.extract_text() for page in PdfReader(receipts[0]).pages)
    assert reference in text
    assert "Changer d'adresse" in text


def test_card_journey_in_english_says_sent_once_synced(
    kiosk: RunningKiosk, backend_server: RunningBackend
) -> None:
    d = kiosk.driver
    seen: dict[str, str] = {}

    async def snapshot(screen: str) -> None:
        if screen == "confirmation":
            await d.wait_for(lambda: kiosk.ui.vm.property("synced"), "the 'sent' status")
            status = d.find("syncStatus")
            assert status is not None
            seen["status"] = str(status.property("text"))

    async def journey() -> str:
        return await walk_change_of_address(d, "en", snapshot=snapshot)

    reference = kiosk.run(journey())
    assert seen["status"] == "Your request has been sent."
    [item] = [t for t in staff_listing(backend_server) if t["record"]["reference"] == reference]  # type: ignore[index]
    assert item["record"]["identified_by"] == "card"  # type: ignore[index]


def test_offline_kiosk_still_saves_and_prints(offline_kiosk: RunningKiosk) -> None:
    d = offline_kiosk.driver
    seen: dict[str, str] = {}

    async def snapshot(screen: str) -> None:
        if screen == "confirmation":
            status = d.find("syncStatus")
            assert status is not None
            seen["status"] = str(status.property("text"))

    reference = offline_kiosk.run(walk_change_of_address(d, "fr", snapshot=snapshot))
    assert seen["status"].startswith("Enregistrée sur cette borne")
    stats = offline_kiosk.services.outbox.stats()
    assert stats.pending + stats.sending == 1
    receipts = list(offline_kiosk.services.settings.devices.printer_spool_dir.glob("*.pdf"))
    assert len(receipts) == 1
    assert reference in "".join(p.extract_text() for p in PdfReader(receipts[0]).pages)
