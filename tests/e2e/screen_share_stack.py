"""The screen share end to end: a test screen in the kiosk's window, shared in a live call.

Used by tests/e2e/test_screen_share.py and bench/screen_share_bench.py. The
shared screen stands for an e-service page: a password field (bright green
behind its dots, so a failed mask would show), a red marker that must stay
visible, a block whose colour the benchmark flips to time the share, and a
counter it ticks to keep the screen changing (the share holds a still one back).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect
from PySide6.QtCore import QPointF, QUrl
from PySide6.QtQml import QQmlComponent, qmlEngine
from PySide6.QtQuick import QQuickItem, QQuickWindow

from kiosk.ui.screen_share import AgentPointer, ScreenShareSource
from video.call import Call
from video.screen_share import ShareBinding, share_size

HERE = Path(__file__).parent
WAIT_MS = 20_000
ALLOWED_ORIGIN = "https://services.riviere-claire.example/"
PAGE_URL = ALLOWED_ORIGIN + "passeport/etape-2"
PAGE_TITLE = "Demande de passeport — étape 2"
# Item coordinates (the item fills the kiosk's 1920x1080 window).
PASSWORD_BOX = (200, 200, 900, 160)  # x, y, w, h
MARKER_BOX = (1300, 600, 400, 300)
FLIP_BOX = (200, 700, 300, 300)
TICKER_BOX = (1300, 200, 400, 120)
FLIP_COLOURS = ("#0000FF", "#FFFF00")
CODEC_TOLERANCE = 20  # VP8 is lossy: a flat grey decodes within a few levels of itself


def near(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    """Whether a decoded ``pixel`` is ``colour`` within the codec's tolerance."""
    return max(abs(c - m) for c, m in zip(pixel, colour, strict=True)) <= CODEC_TOLERANCE


def rgb_pixels(rgba: list[int]) -> list[tuple[int, int, int]]:
    """The RGB of each pixel of an RGBA byte list (as the agent's canvas gives them)."""
    return [(rgba[i], rgba[i + 1], rgba[i + 2]) for i in range(0, len(rgba), 4)]


SCREEN_QML = f"""
import QtQuick
import QtQuick.Controls
Rectangle {{
    objectName: "sharedScreen"
    color: "#FFFFFF"
    property int flips: 0
    property int ticks: 0
    TextField {{
        objectName: "sharedPassword"
        x: {PASSWORD_BOX[0]}; y: {PASSWORD_BOX[1]}
        width: {PASSWORD_BOX[2]}; height: {PASSWORD_BOX[3]}
        echoMode: TextInput.Password
        font.pixelSize: 96
        color: "#FF00FF"
        background: Rectangle {{ color: "#00FF00" }}
    }}
    Rectangle {{
        objectName: "sharedMarker"
        x: {MARKER_BOX[0]}; y: {MARKER_BOX[1]}; width: {MARKER_BOX[2]}; height: {MARKER_BOX[3]}
        color: "#FF0000"
    }}
    Rectangle {{
        objectName: "sharedFlip"
        x: {FLIP_BOX[0]}; y: {FLIP_BOX[1]}; width: {FLIP_BOX[2]}; height: {FLIP_BOX[3]}
        color: parent.flips % 2 ? "{FLIP_COLOURS[1]}" : "{FLIP_COLOURS[0]}"
    }}
    Text {{
        objectName: "sharedTicker"
        x: {TICKER_BOX[0]}; y: {TICKER_BOX[1]}; width: {TICKER_BOX[2]}; height: {TICKER_BOX[3]}
        font.pixelSize: 96
        text: parent.ticks
    }}
}}
"""


@dataclass
class SharedScreen:
    """The test screen shown over the kiosk's window and shared in the call."""

    item: QQuickItem
    source: ScreenShareSource
    pointer: AgentPointer
    opened: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)  # every address the agent pushed
    pointed: list[tuple[float, float]] = field(default_factory=list)

    @property
    def frame_size(self) -> tuple[int, int]:
        """The shared frame's size (the item scaled to at most 1280x720)."""
        return share_size(round(self.item.width()), round(self.item.height()))

    def to_frame(self, x: float, y: float) -> tuple[float, float]:
        """An item point in frame pixels."""
        width, height = self.frame_size
        return x * width / self.item.width(), y * height / self.item.height()

    def child(self, name: str) -> QQuickItem:
        found = self.item.findChild(QQuickItem, name)
        assert found is not None, name
        return found

    def flip(self) -> None:
        """Change the flip block's colour (the benchmark's screen change)."""
        self.item.setProperty("flips", int(self.item.property("flips")) + 1)

    def tick(self) -> None:
        """Change the counter's number: a screen that never stands still."""
        self.item.setProperty("ticks", int(self.item.property("ticks")) + 1)

    def pointer_centre(self) -> tuple[float, float] | None:
        """Where the agent's pointer ring is centred, in item coordinates, if shown."""
        overlay = self.pointer.overlay
        if overlay is None or not overlay.isVisible():
            return None
        ring = overlay.findChild(QQuickItem, "agentPointerRing")
        assert ring is not None
        centre = ring.mapToItem(self.item, QPointF(ring.width() / 2, ring.height() / 2))
        return centre.x(), centre.y()


def share_test_screen(window: QQuickWindow, call: Call, pointer_label: str) -> SharedScreen:
    """Show the test screen over ``window`` and share it in ``call``."""
    root = window.contentItem()
    anchor = root.childItems()[0]
    engine = qmlEngine(anchor)
    assert engine is not None
    component = QQmlComponent(engine)
    # A file URL (the file need not exist): QML resolves imports against it.
    component.setData(SCREEN_QML.encode(), QUrl.fromLocalFile(str(HERE / "SharedScreen.qml")))
    item = component.create()
    assert isinstance(item, QQuickItem), component.errorString()
    item.setParent(root)
    item.setParentItem(root)
    item.setSize(root.size())
    item.setZ(500)  # over the whole kiosk screen, as a full-screen e-service page
    pointer = AgentPointer(item, lambda: pointer_label)
    screen = SharedScreen(item, ScreenShareSource(item), pointer)

    def allows(url: str) -> bool:
        screen.asked.append(url)
        return url.startswith(ALLOWED_ORIGIN)

    def show_pointer(x: float, y: float) -> None:
        screen.pointed.append((x, y))
        pointer.show(x, y)

    call.start_share(
        ShareBinding(
            source=screen.source,
            title=PAGE_TITLE,
            url=PAGE_URL,
            allows_url=allows,
            open_url=screen.opened.append,
            show_pointer=show_pointer,
        )
    )
    return screen


class ScreenAgent:
    """What the agent does with the shared screen, as coroutines for the browser's loop."""

    def __init__(self, page: Page) -> None:
        self.page = page

    async def sees_share(self, frames: int) -> dict[str, Any]:
        """Wait until the screen is shown and ``frames`` of it were decoded."""
        await expect(self.page.locator("#screen-share")).to_be_visible(timeout=WAIT_MS)
        await self.page.wait_for_function(
            f"() => window.visioScreen.framesDecoded > {frames}"
            f" && window.visioScreen.framesPresented > {frames}",
            timeout=WAIT_MS,
        )
        return await self.stats()

    async def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = await self.page.evaluate("() => window.visioScreen")
        return stats

    async def pixels(self, x: int, y: int, width: int, height: int) -> list[int]:
        """RGBA of a rectangle of the frame the agent's browser decoded last."""
        found: list[int] | None = await self.page.evaluate(
            "([x, y, w, h]) => window.visioScreenPixels(x, y, w, h)", [x, y, width, height]
        )
        assert found is not None
        return found

    async def click(self, x: float, y: float) -> None:
        """Click the shared video at frame pixel ``x, y``."""
        video = self.page.locator("#screen-video")
        box = await video.bounding_box()
        assert box is not None
        size = await video.evaluate("v => [v.videoWidth, v.videoHeight]")
        scale = min(box["width"] / size[0], box["height"] / size[1])
        left = (box["width"] - size[0] * scale) / 2
        top = (box["height"] - size[1] * scale) / 2
        await video.click(position={"x": left + x * scale, "y": top + y * scale})

    async def push_url(self, url: str) -> str:
        """Send ``url`` to the e-service; the status line the console shows then."""
        await self.page.get_by_label("Send a link").fill(url)
        await self.page.get_by_role("button", name="Open in the e-service").click()
        await asyncio.sleep(0.5)  # the kiosk's refusal, if any, comes back on the channel
        return await self.page.locator("#push-url-status").inner_text()

    async def sees_refusal(self) -> str:
        status = self.page.locator("#push-url-status")
        await expect(status).to_contain_text("refused", timeout=WAIT_MS)
        return await status.inner_text()

    async def watch(self, x: int, y: int) -> None:
        await self.page.evaluate("([x, y]) => window.visioScreenWatch(x, y)", [x, y])
