"""A guided path across two agencies, and the services a kiosk hands to a person or elsewhere."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from backend.db import make_engine, service_events
from kiosk.service_events import EventKind
from kiosk.ui.driver import SAMPLE_CITY, SAMPLE_STREET, walk_moving, walk_other_channels
from kiosk.ui.harness import RunningKiosk
from tests.e2e.test_journey import staff_listing
from tests.e2e.test_wipe import CITIZEN_TRACES, assert_nothing_of_the_citizen
from tests.fixtures.backend import RunningBackend


def stored_wal(kiosk: RunningKiosk) -> list[Path]:
    return list(kiosk.services.settings.kiosk.data_dir.glob("service_events.db-*"))


def completed_visits(kiosk: RunningKiosk, backend: RunningBackend) -> list[tuple[str, str]]:
    """(agency, life event) of each completed service, on the kiosk or at the back end."""
    waiting = [
        (str(e.agency_id), str(e.life_event_id))
        for e in kiosk.services.events.events()
        if e.kind is EventKind.SERVICE_COMPLETED
    ]
    engine = make_engine(f"sqlite:///{backend.data_dir / 'backend.db'}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(service_events.c.agency_id, service_events.c.life_event_id).where(
                    service_events.c.kind == EventKind.SERVICE_COMPLETED.value
                )
            ).all()
    finally:
        engine.dispose()
    return sorted(waiting + [(str(agency), str(life)) for agency, life in rows])


def test_moving_reaches_both_agencies_once_with_the_address_typed_once(
    kiosk: RunningKiosk, backend_server: RunningBackend
) -> None:
    d = kiosk.driver
    typed: list[str] = []
    type_into = d.type_into

    async def counting_type_into(name: str, text: str) -> None:
        typed.append(name)
        await type_into(name, text)

    d.type_into = counting_type_into  # type: ignore[method-assign]

    async def journey() -> list[str]:
        references = await walk_moving(d, "fr")
        await d.wait_for(lambda: kiosk.services.outbox.stats().acknowledged == 2, "the sync")
        kiosk.services.sync_worker.poke()
        await asyncio.sleep(1.0)
        return references

    references = kiosk.run(journey())
    # The agency counts the visit: both requests, for two agencies, each once, wherever
    # the events are now (the kiosk's analytics sender may have delivered them already).
    assert completed_visits(kiosk, backend_server) == [
        ("assurance-automobile", "moving"),
        ("riviere-claire", "moving"),
    ]

    assert len(set(references)) == 2
    listing = staff_listing(backend_server)
    records = {t["record"]["reference"]: t["record"] for t in listing}  # type: ignore[index]
    assert sorted(records) == sorted(references)  # each once, nothing else
    city, licence = (records[reference] for reference in references)
    assert (city["service_id"], licence["service_id"]) == ("change-of-address", "licence-address")
    assert city["agency_id"] != licence["agency_id"]
    assert city["fields"]["street"] == licence["fields"]["street"] == SAMPLE_STREET
    assert licence["fields"]["postal_code"] == "H2X 1Y4"
    # The proof of address scanned at the kiosk came along, tied to its field by its hash.
    [licence_item] = [t for t in listing if t["record"]["reference"] == references[1]]  # type: ignore[index]
    pages = {page["media_type"]: page for page in licence_item["attachments"]}  # type: ignore[index]
    assert sorted(pages) == ["image/jpeg", "image/png"]  # the scan and the signature
    assert licence["fields"]["proof_of_address"] == f"sha256:{pages['image/jpeg']['sha256']}"
    assert licence["fields"]["signature"] == f"sha256:{pages['image/png']['sha256']}"
    assert "proof_of_address" not in city["fields"]
    # The address was typed for the first agency only.
    assert typed == ["field_street", "field_city", "field_postal_code"]
    receipts = sorted(kiosk.services.settings.devices.printer_spool_dir.glob("*.pdf"))
    assert len(receipts) == 2

    async def next_citizen() -> None:
        await d.tap("newSessionButton")
        await d.screen("attractScreen")

    kiosk.run(next_citizen())
    assert_nothing_of_the_citizen(kiosk, SAMPLE_STREET, *references)

    # No one's data in the kiosk's event log.
    stored = (kiosk.services.settings.kiosk.data_dir / "service_events.db").read_bytes()
    stored += b"".join(path.read_bytes() for path in stored_wal(kiosk))
    personal = [SAMPLE_STREET, SAMPLE_CITY, *references, *CITIZEN_TRACES]
    assert [t for t in personal if t.encode() in stored] == []


def test_a_service_for_a_person_or_elsewhere_never_asks_for_data(
    offline_kiosk: RunningKiosk,
) -> None:
    d = offline_kiosk.driver
    seen: dict[str, list[str]] = {}

    async def snapshot(screen: str) -> None:
        seen[screen] = d.shown_texts()

    offline_kiosk.run(walk_other_channels(d, "en", snapshot=snapshot))
    assert "Talk to a person now" in seen["agent"]
    assert any("municipal court" in text.lower() for text in seen["referral"]), seen["referral"]
    assert offline_kiosk.services.outbox.stats().pending == 0  # nothing was saved
