"""After a citizen leaves, nothing of them is reachable from the kiosk's UI state."""

from __future__ import annotations

import re
import time

from PySide6.QtCore import QUrl
from PySide6.QtQuick import QQuickItem

from kiosk.journey import Step
from kiosk.ui.driver import SAMPLE_CITY, SAMPLE_STREET, open_form, walk_change_of_address
from kiosk.ui.harness import RunningKiosk
from peripherals.card import SAMPLE_HOLDER, format_file_number

CITIZEN_TRACES = (
    SAMPLE_STREET,
    SAMPLE_CITY,
    "H2X 1Y4",
    SAMPLE_HOLDER.given_name,
    SAMPLE_HOLDER.family_name,
    SAMPLE_HOLDER.file_number,
    format_file_number(SAMPLE_HOLDER.file_number),
)
VM_PROPERTIES = (
    "fields",
    "reviewRows",
    "reference",
    "errors",
    "identityError",
    "serviceTitle",
    "saveError",
    "printError",
    "pathSteps",
    "referral",
    "onlineQr",
)


def assert_nothing_of_the_citizen(kiosk: RunningKiosk, *extra: str) -> None:
    traces = [t for t in (*CITIZEN_TRACES, *extra) if t]
    texts = kiosk.driver.texts()
    for trace in traces:
        assert not any(trace in text for text in texts), f"{trace!r} still on screen"
    vm = kiosk.ui.vm
    for name in VM_PROPERTIES:
        value = vm.property(name)
        assert not value, f"vm.{name} still holds {value!r}"
        assert not any(trace in repr(value) for trace in traces)
    for item in kiosk.driver.items():
        source = item.property("source")
        if isinstance(source, QUrl) and source.toString().endswith((".png", ".jpg", ".svg")):
            if source.toString().startswith("qrc:/qt-project.org/"):
                continue  # Qt's own artwork (the on-screen keyboard's), never the citizen's
            assert re.search(r"icons/[a-z-]+\.svg$", source.toString()), source.toString()
    # Display choices are the citizen's too: the next one starts from the standard display.
    assert not vm.property("highContrast")
    assert vm.property("textScale") == 1.0
    session = kiosk.services.journey.session
    assert kiosk.services.journey.step is Step.ATTRACT
    assert (session.service_id, session.identity, session.values, session.reference) == (
        None,
        None,
        {},
        None,
    )


def test_nothing_survives_a_completed_journey(offline_kiosk: RunningKiosk) -> None:
    d = offline_kiosk.driver
    offline_kiosk.ui.vm.toggleContrast()
    offline_kiosk.ui.vm.cycleTextSize()

    async def journey() -> str:
        reference = await walk_change_of_address(d, "fr")
        await d.tap("newSessionButton")
        await d.screen("attractScreen")
        return reference

    reference = offline_kiosk.run(journey())
    assert_nothing_of_the_citizen(offline_kiosk, reference)


def test_an_abandoned_session_is_wiped_after_a_visible_countdown(
    offline_kiosk: RunningKiosk,
) -> None:
    d = offline_kiosk.driver
    watch = offline_kiosk.services.inactivity
    seen: list[str] = []

    async def abandon() -> None:
        await open_form(d, "en", "change-of-address")
        await d.type_into("field_street", SAMPLE_STREET)
        await d.type_into("field_city", SAMPLE_CITY)
        # The citizen walks away: first the warning with its countdown...
        watch.touch(time.monotonic() - (watch.timeout_s - watch.countdown_s) - 2)
        countdown = await d.item("countdownText")
        seen.append(str(countdown.property("text")))
        await d.wait_for(lambda: str(countdown.property("text")) != seen[0], "the countdown")
        seen.append(str(countdown.property("text")))
        # ... then, with no touch, the wipe.
        watch.touch(time.monotonic() - watch.timeout_s - 1)
        await d.screen("attractScreen")

    offline_kiosk.run(abandon())
    assert "will be erased in" in seen[0]
    assert seen[0] != seen[1]
    assert_nothing_of_the_citizen(offline_kiosk)
    assert offline_kiosk.services.outbox.stats().backlog == 0  # nothing was submitted


def test_a_touch_during_the_countdown_keeps_the_session(offline_kiosk: RunningKiosk) -> None:
    d = offline_kiosk.driver
    watch = offline_kiosk.services.inactivity

    async def come_back() -> None:
        await d.tap("attractTouchArea")
        await d.tap("languageFr")
        await d.screen("serviceScreen")
        watch.touch(time.monotonic() - (watch.timeout_s - watch.countdown_s) - 1)
        await d.tap("stillHereButton")
        await d.wait_for(lambda: d.find("timeoutOverlay") is None, "the warning to close")

    offline_kiosk.run(come_back())
    assert offline_kiosk.services.journey.step is Step.SERVICE


def test_the_wipe_keeps_the_compiled_screens(offline_kiosk: RunningKiosk) -> None:
    """Each screen is compiled once, whatever the number of citizens.

    A screen compiled again after the wipe registers a new QML type (its class
    name gets a new number), and Qt's type registries never shrink: a kiosk
    would grow by a few allocations per citizen all day (issue #6).
    """
    d = offline_kiosk.driver
    loader = d.find("screenLoader")
    assert loader is not None
    types: dict[str, set[str]] = {}  # screen -> the class names it was built from

    def record() -> None:
        item = loader.property("item")
        if isinstance(item, QQuickItem):
            types.setdefault(item.objectName(), set()).add(item.metaObject().className())

    loader.loaded.connect(record)

    async def two_citizens() -> None:
        for language in ("fr", "en"):
            await walk_change_of_address(d, language)
            await d.tap("newSessionButton")
            await d.screen("attractScreen")

    try:
        offline_kiosk.run(two_citizens())
    finally:
        loader.loaded.disconnect(record)
    assert {"languageScreen", "serviceScreen", "reviewScreen"} <= types.keys()
    assert {screen: names for screen, names in types.items() if len(names) > 1} == {}
