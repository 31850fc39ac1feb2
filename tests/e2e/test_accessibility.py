"""Every screen is legible and operable: contrast computed, names and targets checked."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAccessible, QColor
from PySide6.QtQuick import QQuickItem

from kiosk.ui.driver import (
    KioskDriver,
    is_shown,
    walk_change_of_address,
    walk_moving,
    walk_other_channels,
)
from kiosk.ui.harness import RunningKiosk
from peripherals.card.simulator import SimulatedCardReader

NORMAL_MIN_CONTRAST = 4.5  # WCAG AA for body text
HIGH_CONTRAST_MIN = 7.0  # WCAG AAA
# The design screen: 1920 px across a 21.5-inch 16:9 panel (476 mm) is 4.03 px/mm.
PX_PER_MM = 1920 / 476
MIN_TARGET_MM = 15


def luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def effectively_enabled(item: QQuickItem) -> bool:
    node: QQuickItem | None = item
    while node is not None:
        if not node.isEnabled() or node.opacity() < 1:
            return False
        node = node.parentItem()
    return True


def background_of(item: QQuickItem, window_colour: QColor) -> QColor:
    node = item.parentItem()
    while node is not None:
        colour = node.property("color")
        if node.inherits("QQuickRectangle") and isinstance(colour, QColor):
            opaque: QColor = colour
            if opaque.alpha() == 255:
                return opaque
        node = node.parentItem()
    return window_colour


def check_screen(d: KioskDriver, screen: str, minimum: float) -> tuple[list[str], int, int]:
    """Problems found, and how many texts and interactive items were checked."""
    problems: list[str] = []
    texts = controls = 0
    window_colour = d.window.color()
    for item in d.items():
        if not is_shown(item) or not effectively_enabled(item):
            continue
        kind = item.metaObject().className()
        text = item.property("text")
        # Texts, and what a citizen typed (a style's TextField is a QML subtype of TextInput).
        is_text = any(item.inherits(k) for k in ("QQuickText", "QQuickTextInput", "QQuickTextEdit"))
        if is_text and isinstance(text, str) and text.strip():
            texts += 1
            ratio = contrast(item.property("color"), background_of(item, window_colour))
            if ratio < minimum:
                problems.append(f"{screen}: {text[:30]!r} contrast {ratio:.2f} < {minimum}")
        accessible = QAccessible.queryAccessibleInterface(item)
        interactive = accessible is not None and accessible.role() in (
            QAccessible.Role.Button,
            QAccessible.Role.RadioButton,
            QAccessible.Role.CheckBox,
            QAccessible.Role.EditableText,
        )
        if interactive and item.width() > 0:
            controls += 1
            if not accessible.text(QAccessible.Text.Name).strip():
                problems.append(f"{screen}: a {kind} has no accessible name")
            smallest_mm = min(item.width(), item.height()) / PX_PER_MM
            if smallest_mm < MIN_TARGET_MM and item.objectName() != "attractTouchArea":
                problems.append(f"{screen}: {item.objectName() or kind} is {smallest_mm:.1f} mm")
    return problems, texts, controls


@pytest.mark.parametrize("high_contrast", [False, True], ids=["normal", "high-contrast"])
def test_every_screen_is_legible_and_operable(
    offline_kiosk: RunningKiosk, high_contrast: bool
) -> None:
    d = offline_kiosk.driver
    problems: list[str] = []
    checked: dict[str, tuple[int, int]] = {}
    minimum = HIGH_CONTRAST_MIN if high_contrast else NORMAL_MIN_CONTRAST

    if high_contrast:
        offline_kiosk.ui.vm.toggleContrast()

    async def check(screen: str) -> None:
        await d.settle()
        found, texts, controls = check_screen(d, screen, minimum)
        problems.extend(found)
        checked[screen] = (texts, controls)

    async def every_path() -> None:
        await walk_change_of_address(d, "en", snapshot=check, show_form_errors=True)
        reader = offline_kiosk.services.card_reader
        assert isinstance(reader, SimulatedCardReader)
        for walk in (walk_moving, walk_other_channels):
            reader.remove()  # the citizen took their card
            await d.tap("newSessionButton")
            if high_contrast:
                offline_kiosk.ui.vm.toggleContrast()  # the wipe reset the display
            await walk(d, "en", snapshot=check)

    offline_kiosk.run(every_path())
    assert problems == [], "\n".join(problems)
    # Every screen had texts and controls to check (the checks did run).
    assert len(checked) >= 14
    assert all(texts >= 3 and controls >= 2 for texts, controls in checked.values()), checked
