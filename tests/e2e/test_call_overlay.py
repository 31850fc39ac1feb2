"""The call overlay through the real QML UI, with an engine that records what it is asked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from kiosk.call_desk import CallPhase, CallView
from kiosk.i18n import Language
from kiosk.ui.harness import RunningKiosk, local_settings, running_kiosk
from offline_queue.analytics import EventKind


class RecordingEngine:
    """Records the citizen's requests; the test plays the network's answers on the desk."""

    def __init__(self) -> None:
        self.requests: list[tuple[Language, str | None, bool]] = []
        self.cancels = 0
        self.chats: list[str] = []
        self.bookings: list[tuple[datetime, str]] = []
        self.muted: list[tuple[bool, bool]] = []
        self.curtains_lifted = 0

    async def request(self, language: Language, service_id: str | None, share: bool) -> None:
        self.requests.append((language, service_id, share))

    async def cancel(self) -> None:
        self.cancels += 1

    async def send_chat(self, text: str) -> None:
        self.chats.append(text)

    async def book_callback(self, slot: datetime, phone: str) -> None:
        self.bookings.append((slot, phone))

    def set_muted(self, *, microphone: bool, camera: bool) -> None:
        self.muted.append((microphone, camera))

    def lift_curtain(self) -> None:
        self.curtains_lifted += 1


@pytest.fixture
def engine() -> RecordingEngine:
    return RecordingEngine()


@pytest.fixture
def kiosk(qapp: object, tmp_path: Path, engine: RecordingEngine) -> Iterator[RunningKiosk]:
    settings = local_settings(tmp_path / "kiosk", "http://127.0.0.1:9", "no-backend")
    with running_kiosk(settings, engine) as running:
        yield running


async def open_call_from_the_service_screen(kiosk: RunningKiosk) -> None:
    d = kiosk.driver
    await d.tap("attractTouchArea")
    await d.tap("languageEn")
    await d.tap("service_change-of-address")
    await d.tap("helpButton")


def test_calling_with_consent_then_talking_muting_and_hanging_up(
    kiosk: RunningKiosk, engine: RecordingEngine
) -> None:
    d = kiosk.driver
    desk = kiosk.services.call_desk

    async def scenario() -> None:
        await open_call_from_the_service_screen(kiosk)
        await d.tap("callShareButton")
        await d.wait_for(lambda: engine.requests, "the request")
        desk.accepted("Julie")
        desk.connected()
        desk.caption("agent", "Hello")
        await d.tap("reply_cannot_hear")
        await d.tap("microphoneButton")
        await d.tap("hangUpButton")
        await d.wait_for(lambda: engine.cancels == 1, "the hang-up")

    kiosk.run(scenario())
    assert engine.requests == [("en", "change-of-address", True)]
    assert engine.chats == ["I cannot hear you"]
    assert engine.muted == [(True, False)]
    assert desk.view.phase is CallPhase.ENDED
    assert [line.text for line in desk.view.captions] == ["Hello", "I cannot hear you"]
    # The figures count the escalation, with the step it came from (codes only).
    escalations = [e for e in kiosk.services.events.events() if e.kind is EventKind.ESCALATED]
    assert [(e.step, e.service_id, e.language) for e in escalations] == [
        ("privacy", "change-of-address", "en")
    ]


def test_a_callback_needs_a_slot_and_a_whole_phone_number(
    kiosk: RunningKiosk, engine: RecordingEngine
) -> None:
    d = kiosk.driver
    desk = kiosk.services.call_desk
    slots = tuple(
        datetime(2026, 11, 24, 14, 0, tzinfo=UTC) + timedelta(minutes=30 * n) for n in range(3)
    )

    async def scenario() -> None:
        await open_call_from_the_service_screen(kiosk)
        await d.tap("callButton")
        desk.callback_offered("closed", slots)
        await d.settle()
        for key in "514555":
            await d.tap(f"key_{key}")
        await d.tap("slot_2")
        book = await d.item("bookCallbackButton")
        assert not book.isEnabled()  # six digits are not a phone number
        for key in "01239":
            await d.tap(f"key_{key}")
        await d.tap("key_back")
        await d.tap("bookCallbackButton")
        await d.wait_for(lambda: engine.bookings, "the booking")

    kiosk.run(scenario())
    assert engine.requests == [("en", "change-of-address", False)]
    assert engine.bookings == [(slots[2], "5145550123")]


async def talking_with_julie(kiosk: RunningKiosk) -> None:
    """A call with the answers shared, connected, and a caption naming the citizen's file."""
    await open_call_from_the_service_screen(kiosk)
    await kiosk.driver.tap("callShareButton")
    desk = kiosk.services.call_desk
    desk.accepted("Julie")
    desk.connected()
    desk.caption("agent", "Your file number is 1234")


def test_walking_away_mid_call_wipes_the_call_with_the_session(
    kiosk: RunningKiosk, engine: RecordingEngine
) -> None:
    d = kiosk.driver
    desk = kiosk.services.call_desk

    async def scenario() -> None:
        await talking_with_julie(kiosk)
        kiosk.ui.call.pressKey("5")
        kiosk.ui.vm.newSession()  # as the inactivity timer or the thanks screen does
        await d.wait_for(lambda: engine.cancels == 1, "the hang-up")
        await d.screen("attractScreen")

    kiosk.run(scenario())
    assert engine.cancels == 1
    assert desk.view == CallView()
    assert kiosk.ui.call.property("phone") == ""


def test_the_curtain_hides_the_citizen_until_they_touch_and_lets_an_absence_wipe(
    kiosk: RunningKiosk, engine: RecordingEngine
) -> None:
    d = kiosk.driver
    desk = kiosk.services.call_desk
    watch = kiosk.services.inactivity

    async def scenario() -> None:
        await talking_with_julie(kiosk)
        # The agent saw the citizen leave and covered the screen.
        desk.curtain(True)
        curtain = await d.item("privacyCurtain")
        # It covers the whole window, above everything (the captions, the form).
        assert (curtain.width(), curtain.height()) == (d.window.width(), d.window.height())
        siblings = curtain.parentItem().childItems()
        assert curtain.z() > max(item.z() for item in siblings if item is not curtain)
        assert any("hidden while you are away" in text for text in d.shown_texts())
        # The citizen comes back: a touch anywhere, even where "hang up" was, only
        # lifts the curtain; the agent is told.
        hang_up = await d.item("hangUpButton")
        centre = hang_up.mapToScene(QPointF(hang_up.width() / 2, hang_up.height() / 2))
        QTest.mouseClick(
            d.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre.toPoint()
        )
        await d.wait_for(lambda: not curtain.isVisible(), "the curtain lifted")
        assert engine.curtains_lifted == 1
        assert engine.cancels == 0
        # Covered again, and nobody comes back: the inactivity watch runs and wipes.
        desk.curtain(True)
        await d.item("privacyCurtain")
        watch.touch(time.monotonic() - watch.timeout_s - 1)
        await d.screen("attractScreen")

    kiosk.run(scenario())
    assert engine.cancels == 1  # the wipe hung up the call
    assert desk.view == CallView()
