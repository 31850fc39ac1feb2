"""Analytics hold no personal data: after many journeys, no name, file number or address
appears in the back end's analytics tables, its figures or its CSV export, nor in the
kiosk's event log."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from backend.console_auth import add_agent
from backend.db import cost_inputs, make_engine, service_event_days, service_events
from backend.roles import Role
from backend.routing import Skills
from kiosk.config import AnalyticsSection
from kiosk.ui.driver import (
    SAMPLE_CITY,
    SAMPLE_POSTAL_CODE,
    SAMPLE_STREET,
    walk_change_of_address,
)
from kiosk.ui.harness import RunningKiosk, local_settings, running_kiosk
from peripherals.card import SAMPLE_HOLDER
from peripherals.card.file_number import format_file_number, luhn_check_digit
from tests.fixtures.backend import RunningBackend

TYPED_JOURNEYS = 10
PASSWORD = "correct horse battery"


def file_number(n: int) -> str:
    payload = f"{730_000_000 + n * 7_919:09d}"
    return payload + luhn_check_digit(payload)


@pytest.fixture
def kiosk(qapp: object, tmp_path: Path, backend_server: RunningBackend) -> Iterator[RunningKiosk]:
    """A kiosk counting repeat contacts (a file hash key) and sending its figures often."""
    settings = local_settings(tmp_path / "kiosk", backend_server.url, backend_server.kiosk_token)
    key_file = tmp_path / "kiosk" / "analytics.key"
    key_file.write_bytes(b"a deployment secret shared by the agency's kiosks")
    settings = settings.model_copy(
        update={"analytics": AnalyticsSection(send_interval_s=0.5, file_hash_key_file=key_file)}
    )
    with running_kiosk(settings) as running:
        yield running


async def typed_journey(kiosk: RunningKiosk, number: str, street: str, city: str) -> None:
    """A change of address through the view model's slots (what the screens call)."""
    vm = kiosk.ui.vm
    vm.start()
    vm.chooseLanguage("en")
    vm.chooseService("change-of-address")
    vm.acceptPrivacy()
    vm.submitFileNumber(number)
    vm.setField("street", street)
    vm.setField("city", city)
    vm.setField("postal_code", "H3Z 2Y7")
    vm.submitForm()
    vm.confirm()
    await vm.settle()  # the receipt
    assert kiosk.services.journey.step.value == "confirmation"
    vm.finish()
    vm.giveFeedback(5, "fast")
    vm.newSession()


def test_no_name_file_number_or_address_reaches_the_figures(
    kiosk: RunningKiosk, backend_server: RunningBackend
) -> None:
    numbers = [file_number(n) for n in range(TYPED_JOURNEYS)]
    streets = [f"{12 + n} rue des Confidences" for n in range(TYPED_JOURNEYS)]
    cities = [f"Sainte-Discrète-{n}" for n in range(TYPED_JOURNEYS)]

    async def journeys() -> None:
        # The real screens, with the demo card (a name and a file number) and typed numbers.
        await walk_change_of_address(kiosk.driver, "fr")
        kiosk.ui.vm.newSession()  # "new request" on the thank-you screen
        await walk_change_of_address(kiosk.driver, "en", file_number=numbers[0])
        kiosk.ui.vm.newSession()
        for number, street, city in zip(numbers, streets, cities, strict=True):
            await typed_journey(kiosk, number, street, city)
        await kiosk.driver.wait_for(
            lambda: kiosk.services.events.count() == 0, "the analytics sync"
        )
        await asyncio.sleep(1.0)  # a few more rounds: nothing is sent twice

    kiosk.run(journeys())

    engine = make_engine(f"sqlite:///{backend_server.data_dir / 'backend.db'}")
    with engine.begin() as conn:
        add_agent(
            conn, "max", "Max", PASSWORD, Skills(), now=datetime.now(UTC), roles=[Role.MANAGER]
        )
        dumped = [
            "|".join(str(value) for value in row)
            for table in (service_events, service_event_days, cost_inputs)
            for row in conn.execute(select(table))
        ]
    engine.dispose()
    with httpx.Client(base_url=backend_server.url, timeout=10) as staff:
        staff.post("/console/login", json={"agent_id": "max", "password": PASSWORD})
        export = staff.get("/api/v1/analytics/export.csv?from=2020-01-01&to=2020-12-31")
        today = staff.get("/api/v1/analytics/export.csv")
        figures = staff.get("/api/v1/analytics/summary")
    assert export.status_code == today.status_code == figures.status_code == 200

    # The figures are there (a test that found no data would prove nothing)...
    summary = figures.json()
    journeys_done = 2 + TYPED_JOURNEYS
    assert summary["completed"] == journeys_done
    assert summary["completed_with_file_hash"] == journeys_done
    assert summary["repeat_contacts"] == 1  # numbers[0] came twice
    assert summary["satisfaction"]["answers"] == journeys_done
    assert len(today.text.strip().splitlines()) == 1 + len(
        [row for row in dumped if row.count("|") > 10]  # one CSV row per stored event
    )
    # ...and nobody's identity is.
    holder = SAMPLE_HOLDER
    personal = [
        holder.given_name,
        holder.family_name,
        holder.file_number,
        format_file_number(holder.file_number),
        SAMPLE_STREET,
        SAMPLE_CITY,
        SAMPLE_POSTAL_CODE.upper(),
        "H2X 1Y4",
        "H3Z 2Y7",
        "rue des Confidences",
        "Sainte-Discrète",
        *numbers,
        *(format_file_number(number) for number in numbers),
    ]
    kiosk_log = b"".join(
        path.read_bytes()
        for path in kiosk.services.settings.kiosk.data_dir.glob("service_events.db*")
    )
    places = {
        "analytics tables": "\n".join(dumped).lower(),
        "CSV export": today.text.lower(),
        "summary": json.dumps(summary, ensure_ascii=False).lower(),
        "kiosk event log": kiosk_log.decode("utf-8", errors="replace").lower(),
    }
    for where, text in places.items():
        assert text, where
        for value in personal:
            assert value.lower() not in text, f"{value!r} found in the {where}"
