"""Faults during submission: the citizen is never told a lie, and nothing is lost."""

from __future__ import annotations

from kiosk.ui.driver import walk_change_of_address
from kiosk.ui.harness import RunningKiosk
from peripherals.printer import SimulatedPrinter


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


def test_a_failed_save_promises_nothing(offline_kiosk: RunningKiosk) -> None:
    d = offline_kiosk.driver
    outbox = offline_kiosk.services.outbox

    async def journey() -> None:
        await d.tap("attractTouchArea")
        await d.tap("languageFr")
        await d.tap("service_copy-of-record")
        await d.tap("demoCardButton")
        await d.tap("choice_record_type_tax-bill")
        await d.tap("choice_delivery_pickup")
        await d.tap("formContinue")
        await d.screen("reviewScreen")
        outbox.close()  # the storage fails under the citizen's finger (I/O error, disk gone)
        await d.tap("reviewConfirm")
        await d.item("saveError")

    offline_kiosk.run(journey())
    vm = offline_kiosk.ui.vm
    assert vm.property("step") == "review"
    assert vm.property("reference") == ""
    assert "n'a pas pu être enregistrée" in str(vm.property("saveError"))
    assert not list(offline_kiosk.services.settings.devices.printer_spool_dir.glob("*.pdf"))
