"""The kiosk's screen share on the Qt side, offscreen: grab, masks, the agent's pointer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, QUrl
from PySide6.QtQuick import QQuickItem, QQuickView
from pytestqt.qtbot import QtBot

from kiosk.ui.screen_share import (
    AgentPointer,
    ScreenShareSource,
    SensitiveFieldMasks,
    WebSensitiveRects,
    all_of,
)
from video.screen_share import MASK_RGB, MaskReport, Rect, apply_masks

SCREEN_QML = """
import QtQuick
import QtQuick.Controls
Rectangle {
    width: 640; height: 400; color: "#FFFFFF"
    TextField {
        objectName: "password"; x: 40; y: 40; width: 300; height: 60
        echoMode: TextInput.Password; text: "hunter2"
        background: Rectangle { color: "#00C000" }
    }
    TextField { objectName: "name"; x: 40; y: 140; width: 300; height: 60; text: "Ana" }
    Rectangle {
        objectName: "card"; x: 380; y: 40; width: 200; height: 60; color: "#0000FF"
        property bool vgSensitive: true
    }
    Rectangle { objectName: "marker"; x: 400; y: 260; width: 120; height: 100; color: "#FF0000" }
}
"""


@pytest.fixture
def view(qtbot: QtBot, tmp_path: Path) -> Iterator[QQuickView]:
    source = tmp_path / "screen.qml"
    source.write_text(SCREEN_QML, encoding="utf-8")
    window = QQuickView()
    window.setSource(QUrl.fromLocalFile(str(source)))
    assert window.status() == QQuickView.Status.Ready, window.errors()
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(100)
    yield window
    window.close()
    window.deleteLater()


def child(window: QQuickView, name: str) -> QQuickItem:
    found = window.rootObject().findChild(QQuickItem, name)
    assert found is not None, name
    return found


def rgb_at(pixels: np.ndarray[Any, Any], x: int, y: int) -> tuple[int, int, int]:
    b, g, r, _ = (int(v) for v in pixels[y, x])
    return r, g, b


def test_password_fields_and_marked_items_are_found_not_plain_fields(view: QQuickView) -> None:
    report = SensitiveFieldMasks(view.rootObject())()
    assert report.fresh
    assert set(report.rects) == {Rect(40, 40, 300, 60), Rect(380, 40, 200, 60)}


def test_the_grabbed_frame_has_the_screen_and_masks_of_that_moment(view: QQuickView) -> None:
    source = ScreenShareSource(view.rootObject())
    frame = source()
    assert frame is not None
    assert frame.pixels.shape == (400, 640, 4)
    assert rgb_at(frame.pixels, 330, 95) == (0, 192, 0)  # the field, before masking
    assert rgb_at(frame.pixels, 460, 310) == (255, 0, 0)
    masked = apply_masks(frame.pixels, frame.masks)
    assert (masked[40:100, 40:340, :3] == np.array(MASK_RGB[::-1], np.uint8)).all()
    assert (masked[40:100, 380:580, :3] == np.array(MASK_RGB[::-1], np.uint8)).all()
    assert rgb_at(masked, 460, 310) == (255, 0, 0)  # the marker is still seen


def test_a_field_that_moved_is_masked_where_it_was_too(view: QQuickView, qtbot: QtBot) -> None:
    source = ScreenShareSource(view.rootObject())
    source()
    child(view, "password").setY(240)
    frame = source()
    assert frame is not None
    assert Rect(40, 40, 300, 60) in frame.masks.rects
    assert Rect(40, 240, 300, 60) in frame.masks.rects


def test_a_large_item_is_shared_at_most_at_720p_with_its_masks_scaled(
    view: QQuickView, qtbot: QtBot
) -> None:
    view.resize(1600, 1000)
    view.rootObject().setSize(view.size().toSizeF())
    qtbot.wait(100)
    frame = ScreenShareSource(view.rootObject())()
    assert frame is not None
    assert frame.pixels.shape[:2] == (720, 1152)
    assert Rect(40 * 0.72, 40 * 0.72, 300 * 0.72, 60 * 0.72) in frame.masks.rects


def test_an_unknown_web_page_is_masked_whole_and_its_rects_once_known() -> None:
    viewport = QRectF(100, 50, 800, 600)

    async def evaluate(script: str) -> Any:
        assert script == "window.__vgSensitiveRects()"
        return [{"x": 10, "y": 20, "w": 200, "h": 30}]

    web = WebSensitiveRects(evaluate, lambda: viewport)
    assert web() == MaskReport(fresh=False, region=Rect(100, 50, 800, 600))
    web.accept([{"x": "nope"}])
    assert not web().fresh

    async def poll_once() -> None:
        task = asyncio.ensure_future(web.run(0.01))
        await asyncio.sleep(0.05)
        task.cancel()

    asyncio.run(poll_once())
    [rect] = web().rects
    assert rect == Rect(104, 64, 212, 42)  # moved into the view, with a margin all round
    stale = WebSensitiveRects(evaluate, lambda: viewport, max_age_s=0.0)
    stale.accept([])
    assert stale() == MaskReport(fresh=False, region=Rect(100, 50, 800, 600))
    both = all_of(lambda: MaskReport((Rect(0, 0, 1, 1),)), stale)()
    assert both.rects == (Rect(0, 0, 1, 1), Rect(100, 50, 800, 600))


def test_the_agents_pointer_shows_at_the_spot_with_its_words_then_goes(
    view: QQuickView, qtbot: QtBot
) -> None:
    marker = child(view, "marker")
    pointer = AgentPointer(marker, lambda: "The agent is showing you this")
    pointer.show(0.5, 0.5)
    overlay = pointer.overlay
    assert overlay is not None
    assert overlay.isVisible()
    ring = overlay.findChild(QQuickItem, "agentPointerRing")
    assert ring is not None
    centre = ring.mapToScene(QPointF(ring.width() / 2, ring.height() / 2))
    assert abs(centre.x() - 460) < 1
    assert abs(centre.y() - 310) < 1
    label = overlay.findChild(QQuickItem, "agentPointerLabel")
    assert label is not None
    assert label.isVisible()
    assert overlay.property("label") == "The agent is showing you this"
    # Drawn on screen: the ring's orange is in the window's pixels at its edge.
    image = view.grabWindow()
    edge = ring.mapToScene(QPointF(ring.width() / 2, 3))
    colour = image.pixelColor(int(edge.x()), int(edge.y()))
    assert (colour.red(), colour.green(), colour.blue()) == (0xE8, 0x59, 0x0C)
    qtbot.waitUntil(lambda: not overlay.isVisible(), timeout=5_000)
