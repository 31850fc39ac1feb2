"""The technician's maintenance mode, driven on the real kiosk screens (offscreen)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config import MaintenanceSection
from kiosk.maintenance.audit import AuditAction
from kiosk.maintenance.lockout import LOCK_BASE_S
from kiosk.maintenance.logs import log_file_path
from kiosk.maintenance.pin import hash_pin
from kiosk.ui.driver import KioskDriver
from kiosk.ui.harness import RunningKiosk, local_settings, running_kiosk
from offline_queue.status import SyncStatus
from peripherals.card.simulator import SAMPLE_UID, SimulatedCardReader
from peripherals.printer.simulator import SimulatedPrinter
from tests.e2e.test_accessibility import HIGH_CONTRAST_MIN, NORMAL_MIN_CONTRAST, check_screen

PIN = "482913"
PIN_HASH = hash_pin(PIN)
HOLD_S = 3.3  # a little past the 3 s the hidden corner asks for


@pytest.fixture
def kiosk(qapp: object, tmp_path: Path) -> Iterator[RunningKiosk]:
    """An offline kiosk with a technician PIN and card configured."""
    settings = local_settings(tmp_path / "kiosk", "http://127.0.0.1:9", "no-backend")
    section = MaintenanceSection(pin_hash=PIN_HASH, technician_cards=[SAMPLE_UID.hex()])
    with running_kiosk(settings.model_copy(update={"maintenance": section})) as running:
        yield running


def text_of(d: KioskDriver, name: str) -> str:
    item = d.find(name)
    return "" if item is None else str(item.property("text"))


async def open_pin_pad(d: KioskDriver) -> None:
    await d.screen("attractScreen")
    await d.long_press("maintenanceCorner", HOLD_S)
    await d.screen("maintenancePinScreen")


async def type_pin(d: KioskDriver, pin: str) -> None:
    for digit in pin:
        await d.tap(f"pinKey_{digit}")
    await d.tap("pinKey_enter")


async def diagnostics_shown(d: KioskDriver) -> None:
    """The diagnostics screen, laid out once the first snapshot filled it."""
    await d.screen("maintenanceScreen")
    await d.item("deviceState_document_camera")
    await d.item("outOfServiceToggle")
    await d.settle()


async def enter(d: KioskDriver) -> None:
    await open_pin_pad(d)
    await type_pin(d, PIN)
    await diagnostics_shown(d)


def test_a_short_tap_in_the_corner_starts_a_visit_and_a_long_press_opens_the_pin_pad(
    kiosk: RunningKiosk,
) -> None:
    d = kiosk.driver

    async def scenario() -> None:
        await d.screen("attractScreen")
        await d.tap("maintenanceCorner")
        await d.screen("languageScreen")  # an ordinary tap, as anywhere on the screen
        kiosk.ui.vm.newSession()
        await open_pin_pad(d)
        assert kiosk.ui.maint.property("screen") == "pin"
        await d.tap("pinCancel")
        await d.screen("attractScreen")

    kiosk.run(scenario())


def test_five_wrong_pins_lock_the_pad_and_say_how_long(kiosk: RunningKiosk) -> None:
    d = kiosk.driver

    async def scenario() -> None:
        await open_pin_pad(d)
        assert kiosk.ui.maint.property("language") == "fr"  # the kiosk's default language
        await d.tap("maintenanceLanguage")
        await type_pin(d, "111111")
        await d.wait_for(
            lambda: (
                text_of(d, "pinMessage") == "Wrong PIN. 3 more try(ies) before entry is locked."
            ),
            "the refusal",
        )
        assert kiosk.ui.maint.property("pinLength") == 0  # the digits went with the check
        for _ in range(4):
            await d.wait_for(lambda: not kiosk.ui.maint.property("checking"), "the check")
            await type_pin(d, "111111")
        await d.wait_for(lambda: "Too many attempts" in text_of(d, "pinMessage"), "the lock")
        found = re.search(r"in (\d+) s", text_of(d, "pinMessage"))
        assert found is not None
        assert LOCK_BASE_S - 3 <= int(found.group(1)) <= LOCK_BASE_S
        key = d.find("pinKey_4")
        assert key is not None
        assert not key.isEnabled()  # nothing can be typed while locked
        # Leaving and coming back does not lift the lock (nor would a restart: on disk).
        await d.tap("pinCancel")
        await open_pin_pad(d)
        assert "Trop d'essais. Réessayez dans" in text_of(d, "pinMessage")

    kiosk.run(scenario())
    refusals = [e for e in kiosk.services.maintenance.audit.entries() if e.outcome == "refused"]
    assert len(refusals) == 5
    assert kiosk.services.technician_gate.seconds_left() > 0


def test_the_probes_answer_outlives_a_sync_attempt_in_either_language(
    kiosk: RunningKiosk,
) -> None:
    """After each sync attempt the diagnostics are read again, without a new probe.

    The back-end line must keep the probe's answer, also when the technician then
    switches language: it used to fall back to "Checking the back end…" for good.
    """
    d = kiosk.driver
    maint = kiosk.ui.maint
    attempt = SyncStatus(
        backlog=0, last_success_at=None, last_error="offline", consecutive_failures=1, online=False
    )

    async def scenario() -> None:
        await enter(d)
        await d.wait_for(
            lambda: text_of(d, "backendLine").startswith("Serveur injoignable"), "the probe"
        )
        refreshed = asyncio.Event()
        maint.diagnosticsChanged.connect(refreshed.set)
        try:
            maint.on_sync_status(attempt)
            await asyncio.wait_for(refreshed.wait(), 10)
        finally:
            maint.diagnosticsChanged.disconnect(refreshed.set)
        await d.tap("maintenanceLanguage")
        assert text_of(d, "backendLine").startswith("Back end unreachable")
        await d.tap("maintenanceLanguage")
        assert text_of(d, "backendLine").startswith("Serveur injoignable")

    kiosk.run(scenario())


def test_the_right_pin_opens_diagnostics_and_the_printer_self_test_reports(
    kiosk: RunningKiosk,
) -> None:
    d = kiosk.driver
    printer = kiosk.services.printer
    assert isinstance(printer, SimulatedPrinter)

    async def scenario() -> None:
        await enter(d)
        await d.wait_for(lambda: text_of(d, "deviceState_printer") == "En ordre", "the printer")
        await d.tap("maintenanceLanguage")
        assert text_of(d, "deviceState_card_reader") == "OK"
        await d.wait_for(
            lambda: text_of(d, "backendLine").startswith("Back end unreachable"), "the probe"
        )
        await d.tap("selfTest_printer")
        await d.wait_for(
            lambda: text_of(d, "selfTestResult_printer") == "Test passed: everything works.",
            "the test page",
        )
        assert [job.title for job in printer.jobs] == ["self-test"]
        printer.refill(0)
        await d.tap("selfTest_printer")
        await d.wait_for(
            lambda: (
                text_of(d, "selfTestResult_printer") == "Test failed: The printer is out of paper."
            ),
            "the paper-out message",
        )
        await d.wait_for(lambda: text_of(d, "deviceState_printer") == "Fault", "the fault")
        await d.tap("selfTest_document_camera")
        await d.wait_for(
            lambda: (
                (frame := d.find("cameraFrame")) is not None
                and frame.property("source").toString().startswith("data:image/jpeg;base64,")
            ),
            "the captured frame",
        )

    kiosk.run(scenario())
    audit = [(e.action, e.outcome) for e in kiosk.services.maintenance.audit.entries()]
    assert audit[:1] == [(AuditAction.ENTRY, "granted")]
    assert (AuditAction.SELF_TEST, "failed") in audit


def test_out_of_service_sends_citizens_elsewhere_in_both_languages(kiosk: RunningKiosk) -> None:
    d = kiosk.driver

    async def scenario() -> None:
        await enter(d)
        await d.tap("outOfServiceToggle")
        await d.item("outOfServiceBanner")
        await d.tap("leaveMaintenance")
        await d.screen("outOfServiceScreen")
        shown = d.shown_texts()
        assert "Cette borne est hors service" in shown
        assert "This kiosk is out of service" in shown
        assert "• By phone: 1 800 555-0199" in shown
        assert "Rivière-Claire City Hall" in shown
        assert d.find("helpButton") is None  # no call from a kiosk out of service
        await d.tap("outOfService_fr")  # a citizen's touch starts nothing
        await d.settle()
        assert d.find("outOfServiceScreen") is not None
        # A technician gets back in from here, and puts the kiosk back in service.
        await d.long_press("maintenanceCorner", HOLD_S)
        await type_pin(d, PIN)
        await diagnostics_shown(d)
        await d.tap("outOfServiceToggle")
        await d.wait_for(lambda: d.find("outOfServiceBanner") is None, "back in service")
        await d.tap("leaveMaintenance")
        await d.screen("attractScreen")

    kiosk.run(scenario())
    actions = [e.action for e in kiosk.services.maintenance.audit.entries()]
    assert AuditAction.OUT_OF_SERVICE in actions
    assert AuditAction.BACK_IN_SERVICE in actions


def test_a_technician_card_opens_maintenance_mode(kiosk: RunningKiosk) -> None:
    d = kiosk.driver
    reader = kiosk.services.card_reader
    assert isinstance(reader, SimulatedCardReader)

    async def scenario() -> None:
        await open_pin_pad(d)
        reader.insert()
        await diagnostics_shown(d)

    kiosk.run(scenario())
    granted = kiosk.services.maintenance.audit.entries()[0]
    assert (granted.actor, granted.outcome) == (f"card:{SAMPLE_UID.hex()}", "granted")


def test_leaving_returns_to_the_attract_screen_with_nothing_of_the_session_left(
    kiosk: RunningKiosk,
) -> None:
    d = kiosk.driver
    log_file = log_file_path(kiosk.services.settings.kiosk.data_dir)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.write_text("2026-12-07 INFO kiosk: line one\n2026-12-07 INFO kiosk: last line\n")
    maint = kiosk.ui.maint

    async def scenario() -> None:
        await enter(d)
        await d.tap("selfTest_document_camera")
        await d.wait_for(lambda: maint.property("cameraFrame"), "the frame")
        await d.tap("showLogsButton")
        await d.screen("maintenanceLogScreen")
        assert "2026-12-07 INFO kiosk: last line" in text_of(d, "logText")
        await d.tap("hideLogsButton")
        await diagnostics_shown(d)
        await d.tap("syncNowButton")
        await d.item("syncMessage")
        await d.tap("leaveMaintenance")
        await d.screen("attractScreen")
        assert d.find("maintenanceOverlay") is None
        for name in ("screen", "cameraFrame", "logText", "syncMessage", "pinMessage"):
            assert maint.property(name) == "", name
        for name in ("tests", "devices", "syncLines", "systemLines"):
            assert not maint.property(name), name
        assert not any("last line" in text for text in d.texts())
        # Inactivity ends a session too.
        await enter(d)
        maint.check_idle(
            now=time.monotonic() + kiosk.services.settings.maintenance.inactivity_timeout_s
        )
        await d.screen("attractScreen")
        assert maint.property("screen") == ""

    kiosk.run(scenario())
    left = [
        e.outcome
        for e in kiosk.services.maintenance.audit.entries()
        if e.action is AuditAction.LEFT
    ]
    assert left == ["button", "timeout"]


def test_restart_asks_the_runtime_to_exit_for_systemd(kiosk: RunningKiosk) -> None:
    d = kiosk.driver
    asked: list[bool] = []
    kiosk.services.maintenance.on_restart(lambda: asked.append(True))

    async def scenario() -> None:
        await enter(d)
        await d.tap("restartButton")
        await d.screen("attractScreen")

    kiosk.run(scenario())
    assert asked == [True]


@pytest.mark.parametrize("high_contrast", [False, True], ids=["normal", "high-contrast"])
def test_the_maintenance_screens_are_legible_and_operable(
    kiosk: RunningKiosk, high_contrast: bool
) -> None:
    d = kiosk.driver
    minimum = HIGH_CONTRAST_MIN if high_contrast else NORMAL_MIN_CONTRAST
    problems: list[str] = []
    checked: dict[str, tuple[int, int]] = {}
    printer = kiosk.services.printer
    assert isinstance(printer, SimulatedPrinter)
    if high_contrast:
        kiosk.ui.vm.toggleContrast()

    async def check(screen: str) -> None:
        await d.settle()
        found, texts, controls = check_screen(d, screen, minimum)
        problems.extend(found)
        checked[screen] = (texts, controls)

    async def scenario() -> None:
        await open_pin_pad(d)
        await d.tap("pinKey_4")
        await check("pin")
        await d.tap("pinKey_erase")
        await type_pin(d, PIN)
        await diagnostics_shown(d)
        printer.refill(3)  # paper low: the "needs attention" badge
        await d.tap("selfTest_document_camera")
        await d.wait_for(lambda: kiosk.ui.maint.property("cameraFrame"), "the frame")
        await d.tap("selfTest_card_reader")  # no card: a failed test's message
        await d.wait_for(lambda: "card_reader" in kiosk.ui.maint.property("tests"), "the test")
        await diagnostics_shown(d)
        await check("diagnostics")
        await d.tap("showLogsButton")
        await d.screen("maintenanceLogScreen")
        await check("logs")
        await d.tap("hideLogsButton")
        await diagnostics_shown(d)
        await d.tap("outOfServiceToggle")
        await d.item("outOfServiceBanner")
        await check("diagnostics-out-of-service")
        await d.tap("leaveMaintenance")
        await d.screen("outOfServiceScreen")
        await check("out-of-service")

    kiosk.run(scenario())
    assert problems == [], "\n".join(problems)
    assert all(texts >= 3 for texts, _ in checked.values()), checked
    assert all(controls >= 2 for name, (_, controls) in checked.items() if name != "out-of-service")
