"""Drives the real QML kiosk like a citizen: finds items by name, taps, types.

Every step runs on the one qasync loop the app uses, so the sync worker and
the printer make progress exactly as they do on a kiosk.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtQuick import QQuickItem, QQuickWindow
from PySide6.QtTest import QTest

STEP_TIMEOUT_S = 10.0


def iter_items(root: QQuickItem) -> Iterator[QQuickItem]:
    """Every item of the visual tree under ``root``.

    Not inside a web view: its children are WebEngine's private render items, which
    PySide cannot wrap (reading them crashes); the page is read with JavaScript instead.
    """
    yield root
    if root.inherits("QQuickWebEngineView"):
        return
    for child in root.childItems():
        yield from iter_items(child)


def is_shown(item: QQuickItem) -> bool:
    """Visible on screen (itself and all its ancestors)."""
    return item.isVisible() and item.opacity() > 0


class KioskDriver:
    """A citizen's finger and eyes on the kiosk window."""

    def __init__(self, window: QQuickWindow) -> None:
        self.window = window

    def items(self) -> Iterator[QQuickItem]:
        """All items currently in the window."""
        return iter_items(self.window.contentItem())

    def find(self, name: str) -> QQuickItem | None:
        """The visible item called ``name``, if any."""
        for item in self.items():
            if item.objectName() == name and is_shown(item):
                return item
        return None

    def texts(self) -> list[str]:
        """Every text the window holds, shown or not (labels and input fields)."""
        found = []
        for item in self.items():
            value = item.property("text")
            if isinstance(value, str) and value:
                found.append(value)
        return found

    def shown_texts(self) -> list[str]:
        """Texts a citizen can see right now."""
        return [
            str(item.property("text"))
            for item in self.items()
            if is_shown(item) and isinstance(item.property("text"), str) and item.property("text")
        ]

    async def wait_for(self, condition: Callable[[], object], what: str) -> None:
        """Let the loop run until ``condition`` holds (bounded)."""
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; shown: {self.shown_texts()}")
            await asyncio.sleep(0.02)

    async def item(self, name: str) -> QQuickItem:
        """Wait for the item called ``name`` to be on screen."""
        await self.wait_for(lambda: self.find(name), f"item {name!r}")
        found = self.find(name)
        assert found is not None
        return found

    def reveal(self, item: QQuickItem) -> bool:
        """Scroll the enclosing list so ``item`` is in view, as a citizen's swipe would.

        Returns whether it had to scroll.
        """
        parent = item.parentItem()
        while parent is not None:
            if parent.property("contentY") is not None and parent.property("contentHeight"):
                view_height = parent.height()
                top = item.mapToItem(parent.property("contentItem"), QPointF(0, 0)).y()
                max_y = max(0.0, float(parent.property("contentHeight")) - view_height)
                bottom = top + item.height()
                current = float(parent.property("contentY"))
                if top >= current and bottom <= current + view_height:
                    return False  # already in view
                parent.setProperty("contentY", min(max(0.0, top - 40), max_y))
                return True
            parent = parent.parentItem()
        return False

    async def tap(self, name: str) -> None:
        """Touch the centre of the item called ``name``."""
        await self.wait_for(self.window.isExposed, "the window to be shown")
        item = await self.item(name)
        for _ in range(5):  # scrolling may move the layout (the keyboard slides in): redo
            if not self.reveal(item):
                break
            await self.settle()
        await self.wait_for(item.isEnabled, f"{name!r} enabled")
        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
        await self._outside_task(
            lambda: QTest.mouseClick(
                self.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre
            )
        )

    async def touch_at(self, point: QPoint) -> None:
        """Touch the window at ``point`` (scene pixels): inside a web page, for instance."""
        left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier

        def gesture() -> None:
            QTest.mousePress(self.window, left, none, point)
            # Held a little: Chromium counts a press and release in the same instant as no tap.
            QTest.mouseRelease(self.window, left, none, point, 30)

        await self._outside_task(gesture)

    async def long_press(self, name: str, seconds: float) -> None:
        """Hold a finger on the item called ``name`` for ``seconds``, then lift it."""
        await self.wait_for(self.window.isExposed, "the window to be shown")
        item = await self.item(name)
        centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
        left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        await self._outside_task(lambda: QTest.mousePress(self.window, left, none, centre))
        await asyncio.sleep(seconds)
        await self._outside_task(lambda: QTest.mouseRelease(self.window, left, none, centre))

    async def draw(self, name: str, stroke: list[tuple[float, float]]) -> None:
        """Draw one finger stroke on the item called ``name`` (points as fractions of it)."""
        item = await self.item(name)
        self.reveal(item)
        await self.settle()
        points = [
            item.mapToScene(QPointF(x * item.width(), y * item.height())).toPoint()
            for x, y in stroke
        ]

        def gesture() -> None:
            left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
            QTest.mousePress(self.window, left, none, points[0])
            for point in points[1:]:
                QTest.mouseMove(self.window, point, 10)
            QTest.mouseRelease(self.window, left, none, points[-1])

        await self._outside_task(gesture)

    async def type_into(self, name: str, text: str) -> None:
        """Touch a field and type ``text`` on the keyboard."""
        await self.tap(name)
        keyboard = self.find("keyboard")
        if keyboard is not None:  # the on-screen keyboard slides in before typing starts
            await self.wait_for(lambda: keyboard.property("active"), "the on-screen keyboard")
            await self.settle()

        def press_keys() -> None:
            for char in text:
                # Text-carrying key events, as an on-screen keyboard sends: accents included.
                for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                    event = QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char)
                    QGuiApplication.sendEvent(self.window, event)

        await self._outside_task(press_keys)

    async def _outside_task(self, gesture: Callable[[], None]) -> None:
        """Deliver a gesture from the loop itself, as Qt delivers a real touch.

        Qt handles input synchronously and may run other loop callbacks while it
        does; doing that from inside a task would nest tasks, which asyncio forbids.
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def deliver() -> None:
            try:
                gesture()
            finally:
                done.set_result(None)

        loop.call_soon(deliver)
        await done
        await asyncio.sleep(0.01)

    async def settle(self) -> None:
        """Give the scene time to lay out, animate (150 ms at most) and paint."""
        for _ in range(6):
            await asyncio.sleep(0.03)

    async def screen(self, name: str) -> None:
        """Wait until the screen called ``name`` shows."""
        await self.item(name)


# -- a scripted citizen, shared by the end-to-end tests and `make screenshots` --
Snapshot = Callable[[str], Awaitable[None]]
SAMPLE_STREET = "125, rue des Érables"
SAMPLE_CITY = "Lac-Beauport"
SAMPLE_POSTAL_CODE = "h2x1y4"
# A signature's stroke, as fractions of the pad: a loop and a long tail.
SAMPLE_SIGNATURE = [(0.1, 0.6), (0.2, 0.3), (0.3, 0.6), (0.35, 0.4), (0.5, 0.7), (0.9, 0.5)]


async def _no_snapshot(_name: str) -> None:
    return None


async def walk_change_of_address(
    d: KioskDriver,
    language: str,
    *,
    file_number: str | None = None,
    snapshot: Snapshot = _no_snapshot,
    show_form_errors: bool = False,
) -> str:
    """Walk a change of address from the attract screen to the thank-you screen,
    through the privacy notice and the satisfaction question.

    Identifies with the simulated card unless ``file_number`` is given; returns
    the reference number the kiosk showed.
    """
    await d.screen("attractScreen")
    await snapshot("attract")
    await d.tap("attractTouchArea")
    await d.screen("languageScreen")
    await snapshot("language")
    await d.tap("languageFr" if language == "fr" else "languageEn")
    await d.screen("serviceScreen")
    await snapshot("service")
    await d.tap("service_change-of-address")
    await d.screen("privacyScreen")
    await snapshot("privacy")
    await d.tap("privacyAccept")
    await d.screen("identifyScreen")
    await snapshot("identify")
    if file_number is None:
        await d.tap("demoCardButton")
    else:
        await d.type_into("fileNumberField", file_number)
        await d.tap("fileNumberContinue")
    await d.screen("formScreen")
    if show_form_errors:
        await d.tap("formContinue")
        await d.item("error_street")
        await snapshot("form-errors")
    await d.type_into("field_street", SAMPLE_STREET)
    await d.type_into("field_city", SAMPLE_CITY)
    await d.type_into("field_postal_code", SAMPLE_POSTAL_CODE)
    await snapshot("form")
    await d.tap("formContinue")
    await d.screen("reviewScreen")
    await snapshot("review")
    reference = await _confirm_and_take_receipt(d, snapshot, "confirmation")
    await d.screen("feedbackScreen")
    await d.tap("score_4")
    await d.tap("reason_easy")
    await snapshot("feedback")
    await d.tap("feedbackSend")
    await d.screen("thanksScreen")
    await snapshot("thanks")
    return reference


async def open_tile(d: KioskDriver, language: str, tile: str) -> None:
    """From the attract screen, in ``language``, touch the services screen's ``tile``."""
    await d.screen("attractScreen")
    await d.tap("attractTouchArea")
    await d.tap("languageFr" if language == "fr" else "languageEn")
    await d.screen("serviceScreen")
    await d.tap(tile)


async def open_form(d: KioskDriver, language: str, service_id: str) -> None:
    """From the attract screen to ``service_id``'s form, identified by the demo card."""
    await open_tile(d, language, f"service_{service_id}")
    await d.tap("privacyAccept")
    await d.screen("identifyScreen")
    await d.tap("demoCardButton")
    await d.screen("formScreen")


async def _finish_without_feedback(d: KioskDriver) -> None:
    await d.screen("feedbackScreen")
    await d.tap("feedbackSkip")
    await d.screen("thanksScreen")


async def _confirm_and_take_receipt(d: KioskDriver, snapshot: Snapshot, name: str) -> str:
    """From the review: confirm, wait for the receipt, return the reference shown."""
    await d.tap("reviewConfirm")
    await d.screen("confirmationScreen")
    reference = str((await d.item("referenceText")).property("text"))
    await d.wait_for(
        lambda: (
            (item := d.find("printStatus")) is not None and "…" not in str(item.property("text"))
        ),
        "the receipt to print",
    )
    await snapshot(name)
    await d.tap("finishButton")
    return reference


async def walk_moving(
    d: KioskDriver, language: str, *, snapshot: Snapshot = _no_snapshot
) -> list[str]:
    """The "I am moving" life event: the city's change of address, then the driver
    licence's, for another agency, with the address given once. Returns both references.
    """
    await open_tile(d, language, "event_moving")
    await d.tap("privacyAccept")
    await d.screen("identifyScreen")
    await d.tap("demoCardButton")
    await d.screen("formScreen")
    await d.type_into("field_street", SAMPLE_STREET)
    await d.type_into("field_city", SAMPLE_CITY)
    await d.type_into("field_postal_code", SAMPLE_POSTAL_CODE)
    await snapshot("event-form")
    await d.tap("formContinue")
    await d.screen("reviewScreen")
    first = await _confirm_and_take_receipt(d, snapshot, "event-confirmation")
    # The second agency's form: identified already, the address there to confirm.
    await d.wait_for(lambda: d.find("choice_vehicles_all") is not None, "the second form")
    await snapshot("event-form-prefilled")
    await d.tap("choice_vehicles_all")
    await d.tap("scan_proof_of_address")  # the simulated camera has a page on its desk
    await d.wait_for(
        lambda: (
            (item := d.find("scanPreview_proof_of_address")) is not None
            and bool(item.property("source").toString())
        ),
        "the scanned page",
    )
    await snapshot("event-scan")
    await d.tap("formContinue")  # the consent is missing: the form says so
    await d.item("error_licence_consent")
    await d.tap("consent_licence_consent")
    await d.draw("signaturePad_signature", SAMPLE_SIGNATURE)
    await d.tap("signatureKeep_signature")
    await snapshot("event-signature")
    await d.tap("formContinue")
    await d.screen("reviewScreen")
    second = await _confirm_and_take_receipt(d, snapshot, "event-confirmation-2")
    await _finish_without_feedback(d)
    return [first, second]


async def walk_other_channels(
    d: KioskDriver, language: str, *, snapshot: Snapshot = _no_snapshot
) -> None:
    """A service that needs a person, then one done elsewhere; ends on the thank-you screen."""
    await open_tile(d, language, "service_tax-payment-plan")
    await d.screen("agentScreen")
    await snapshot("agent")
    await d.tap("backButton")
    await d.tap("service_contest-ticket")
    await d.screen("referralScreen")
    await d.item("referralQr")
    await snapshot("referral")
    await d.tap("referralDone")
    await _finish_without_feedback(d)
