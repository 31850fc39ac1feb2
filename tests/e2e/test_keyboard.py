"""The on-screen keyboard: in the citizen's language, and never over the field being typed in."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtQuick import QQuickItem
from PySide6.QtTest import QTest

from kiosk.ui.driver import KioskDriver, is_shown, iter_items, open_form
from kiosk.ui.harness import RunningKiosk


def key(keyboard: QQuickItem, text: str) -> QQuickItem:
    """The keyboard's key that types ``text``."""
    for item in iter_items(keyboard):
        is_key = item.metaObject().className().startswith("Key_")
        if is_key and item.property("text") == text and is_shown(item):
            return item
    raise AssertionError(f"no key {text!r} on the keyboard")


async def press(d: KioskDriver, item: QQuickItem) -> None:
    centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
    QTest.mouseClick(d.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    await d.settle()


def scene_rect(item: QQuickItem) -> tuple[float, float]:
    top = item.mapToScene(QPointF(0, 0)).y()
    return top, top + item.height()


def test_typing_on_the_screen_keyboard_in_both_languages(offline_kiosk: RunningKiosk) -> None:
    d = offline_kiosk.driver

    async def journey() -> None:
        await open_form(d, "fr", "change-of-address")
        await d.tap("field_street")
        keyboard = await d.item("keyboard")  # shown once a field is touched
        for field in ("field_street", "field_postal_code"):
            await d.tap(field)
            await d.wait_for(lambda: keyboard.property("active"), "the keyboard")
            await d.settle()
            # The field is fully in view above the keyboard.
            top, bottom = scene_rect(await d.item(field))
            keyboard_top, _ = scene_rect(keyboard)
            assert top > 0, (field, top)
            assert bottom <= keyboard_top, (field, bottom, keyboard_top)
        assert keyboard.property("layoutLocale") == "fr_CA"
        for letter in "rue":
            await press(d, key(keyboard, letter))
        assert (await d.item("field_postal_code")).property("text").lower() == "rue"
        # The citizen switches to English: so does the keyboard.
        await d.tap("languageButton")
        await d.wait_for(lambda: keyboard.property("layoutLocale") == "en_US", "English keys")

    offline_kiosk.run(journey())
