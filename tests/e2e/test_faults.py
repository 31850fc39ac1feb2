"""Faults during submission: the citizen is never told a lie, and nothing is lost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.ui.driver import KioskDriver, walk_change_of_address
from kiosk.ui.harness import RunningKiosk, local_settings, running_kiosk
from offline_queue.outbox import OutboxFullError
from peripherals.printer import SimulatedPrinter
from tests.fixtures import make_record


def test_printer_out_of_paper_keeps_the_transaction_and_says_so(
    offline_kiosk: RunningKiosk,
) -> None:
    printer = offline_kiosk.services.printer
    assert isinstance(printer, SimulatedPrinter)
    printer.refill(0)
    d = offline_kiosk.driver
    seen: dict[str, str] = {}

    async def snapshot(screen: str) -> None:
        if screen == "confirmation":
            status = d.find("printStatus")
            assert status is not None
            seen["print"] = str(status.property("text"))
            seen["reference"] = str(offline_kiosk.ui.vm.property("reference"))

    offline_kiosk.run(walk_change_of_address(d, "en", snapshot=snapshot))
    assert "could not be printed" in seen["print"]
    assert "out of paper" in seen["print"]
    assert seen["reference"]
    assert offline_kiosk.services.outbox.stats().backlog == 1  # saved all the same


async def to_the_review_of_a_copy_request(d: KioskDriver) -> None:
    """A citizen asks for a copy of a tax bill, to pick up, and reaches the review."""
    await d.tap("attractTouchArea")
    await d.tap("languageFr")
    await d.tap("service_copy-of-record")
    await d.tap("privacyAccept")
    await d.tap("demoCardButton")
    await d.tap("choice_record_type_tax-bill")
    await d.tap("choice_delivery_pickup")
    await d.tap("formContinue")
    await d.screen("reviewScreen")


def test_a_failed_save_promises_nothing(offline_kiosk: RunningKiosk) -> None:
    d = offline_kiosk.driver
    outbox = offline_kiosk.services.outbox

    async def journey() -> None:
        await to_the_review_of_a_copy_request(d)
        outbox.close()  # the storage fails under the citizen's finger (I/O error, disk gone)
        await d.tap("reviewConfirm")
        await d.item("saveError")

    offline_kiosk.run(journey())
    vm = offline_kiosk.ui.vm
    assert vm.property("step") == "review"
    assert vm.property("reference") == ""
    assert "n'a pas pu être enregistrée" in str(vm.property("saveError"))
    assert not list(offline_kiosk.services.settings.devices.printer_spool_dir.glob("*.pdf"))


@pytest.fixture
def full_kiosk(qapp: object, tmp_path: Path) -> Iterator[RunningKiosk]:
    """An offline kiosk whose outbox is capped small and already full."""
    settings = local_settings(tmp_path / "kiosk", "http://127.0.0.1:9", "no-backend")
    capped = settings.outbox.model_copy(update={"max_size_mb": 0.2})
    with running_kiosk(settings.model_copy(update={"outbox": capped})) as running:
        try:
            while True:  # the smallest transactions, so that no bigger one fits after
                running.services.outbox.enqueue(session_id="s", record=make_record(fields={}))
        except OutboxFullError:
            pass
        yield running


def test_a_full_disk_tells_the_citizen_an_agent_can_take_over(full_kiosk: RunningKiosk) -> None:
    d = full_kiosk.driver
    before = full_kiosk.services.outbox.stats().pending

    async def journey() -> None:
        await to_the_review_of_a_copy_request(d)
        await d.tap("reviewConfirm")
        await d.item("saveError")

    full_kiosk.run(journey())
    vm = full_kiosk.ui.vm
    assert vm.property("step") == "review"
    assert vm.property("reference") == ""
    assert "un agent peut la prendre en charge" in str(vm.property("saveError"))
    assert full_kiosk.services.outbox.stats().pending == before  # nothing half-saved
    assert full_kiosk.services.outbox.health().storage_full
