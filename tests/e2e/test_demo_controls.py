"""The demo's keys play the simulated devices, and the journey reacts as to real ones."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent

from kiosk.ui.harness import RunningKiosk
from peripherals.card import SimulatedCardReader
from peripherals.health import HealthState
from peripherals.printer import SimulatedPrinter


def press(kiosk: RunningKiosk, key: Qt.Key) -> None:
    event = QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)
    QGuiApplication.sendEvent(kiosk.ui.window, event)


def test_f2_inserts_the_card_and_the_journey_reads_it(offline_kiosk: RunningKiosk) -> None:
    d = offline_kiosk.driver
    reader = offline_kiosk.services.card_reader
    assert isinstance(reader, SimulatedCardReader)

    async def journey() -> None:
        await d.tap("attractTouchArea")
        await d.tap("languageFr")
        await d.tap("service_appointment")
        await d.tap("privacyAccept")
        await d.screen("identifyScreen")
        press(offline_kiosk, Qt.Key.Key_F2)
        await d.screen("formScreen")

    offline_kiosk.run(journey())
    assert reader.card_present
    press(offline_kiosk, Qt.Key.Key_F2)
    assert not reader.card_present


def test_f3_to_f5_break_and_mend_the_devices(offline_kiosk: RunningKiosk) -> None:
    reader = offline_kiosk.services.card_reader
    printer = offline_kiosk.services.printer
    assert isinstance(printer, SimulatedPrinter)
    press(offline_kiosk, Qt.Key.Key_F3)
    assert reader.health().state is HealthState.FAULT
    press(offline_kiosk, Qt.Key.Key_F3)
    assert reader.health().usable
    press(offline_kiosk, Qt.Key.Key_F4)
    assert printer.paper_left == 0
    press(offline_kiosk, Qt.Key.Key_F4)
    assert printer.paper_left == 200
    press(offline_kiosk, Qt.Key.Key_F5)
    assert printer.health().code == "printer.offline"
    press(offline_kiosk, Qt.Key.Key_F5)
    assert printer.health().usable
