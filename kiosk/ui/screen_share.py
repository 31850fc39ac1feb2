"""The Qt side of the screen share: grab a QML item, find what to mask, show the agent's pointer.

:class:`ScreenShareSource` is the frame source of :class:`video.screen_share.ScreenShareTrack`:
each call grabs the item's window (``QQuickWindow.grabWindow``: 1.2 ms for a
1280x800 window offscreen here, against 6.7 ms for the asynchronous
``QQuickItem.grabToImage``), crops the item, scales it to at most 1280x720 and
asks the mask provider for the sensitive rectangles *in the same call*, so
the masks belong to the pixels they cover. The grab returns the last rendered
frame, which may be one step behind the items' geometry: the rectangles of the
previous grab are masked too, so a field that just moved is hidden at both
places.

Mask providers return a :class:`~video.screen_share.MaskReport` in item
coordinates: :class:`SensitiveFieldMasks` for QML (password fields, items
marked sensitive, and the on-screen keyboard while it types into one), and
:class:`WebSensitiveRects` for a web page that exposes
``window.__vgSensitiveRects()``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QUrl
from PySide6.QtGui import QImage
from PySide6.QtQml import QQmlComponent, QQmlExpression, qmlContext, qmlEngine
from PySide6.QtQuick import QQuickItem

from video.screen_share import MaskReport, Rect, ScreenFrame, combine, share_size

_log = logging.getLogger(__name__)
QML_DIR = Path(__file__).with_name("qml")
PASSWORD_ECHO_MODES = (2, 3)  # TextInput.Password, TextInput.PasswordEchoOnEdit
SENSITIVE_PROPERTY = "vgSensitive"  # `property bool vgSensitive: true` marks any item
KEYBOARD_OBJECT_NAME = "keyboard"  # Main.qml's InputPanel: its pressed keys spell the password
WEB_MASK_MARGIN_PX = 6.0  # a caret or a focus ring drawn just outside a field
WEB_MASK_MAX_AGE_S = 0.25  # older rectangles may not match what the page shows now

MaskProvider = Callable[[], MaskReport]


def _rect(rect: QRectF) -> Rect:
    return Rect(rect.x(), rect.y(), rect.width(), rect.height())


def _tree(item: QQuickItem) -> Iterator[QQuickItem]:
    for child in item.childItems():
        yield child
        yield from _tree(child)


def is_sensitive(item: QQuickItem) -> bool:
    """A password field, or any item marked ``vgSensitive`` or named ``sensitive*``."""
    if item.objectName().startswith("sensitive"):
        return True
    if item.property(SENSITIVE_PROPERTY) is True:
        return True
    if item.metaObject().indexOfProperty("echoMode") < 0:
        return False
    # PySide6 cannot convert QQuickTextInput::EchoMode from property(): ask QML for it.
    context = qmlContext(item)
    if context is None:
        return True  # a text input whose echo mode cannot be read: fail closed
    value, undefined = QQmlExpression(context, item, "echoMode").evaluate()
    return undefined or not isinstance(value, int) or value in PASSWORD_ECHO_MODES


class SensitiveFieldMasks:
    """The default QML mask provider: every visible sensitive item under ``root``.

    While the focused item is sensitive the on-screen keyboard is masked too
    (its highlighted keys would spell the password out), wherever it sits in
    the window, provided it overlaps the shared item.
    """

    def __init__(self, root: QQuickItem) -> None:
        self._root = root

    def __call__(self) -> MaskReport:
        """The rectangles to hide now, in ``root``'s coordinates."""
        root = self._root
        rects = [
            _rect(item.mapRectToItem(root, QRectF(0, 0, item.width(), item.height())))
            for item in _tree(root)
            if item.isVisible() and is_sensitive(item)
        ]
        window = root.window()
        focused = window.activeFocusItem() if window is not None else None
        if focused is not None and is_sensitive(focused):
            keyboard = window.contentItem().findChild(QQuickItem, KEYBOARD_OBJECT_NAME)
            if keyboard is not None and keyboard.isVisible():
                box = QRectF(0, 0, keyboard.width(), keyboard.height())
                rects.append(_rect(keyboard.mapRectToItem(root, box)))
        return MaskReport(tuple(rects))


class WebSensitiveRects:
    """Mask provider for a web page exposing ``window.__vgSensitiveRects()``.

    ``evaluate`` runs JavaScript in the page and returns its result (the web
    view's ``runJavaScript`` wrapped in a future); :meth:`run` polls it. The
    page answers ``[{x, y, w, h}]`` in CSS pixels of the viewport;
    ``viewport`` is the view's rectangle in the shared item's coordinates and
    ``css_scale`` the view's zoom. When the last answer is too old, missing or
    malformed, the whole view is masked (fail closed).
    """

    def __init__(
        self,
        evaluate: Callable[[str], Awaitable[Any]],
        viewport: Callable[[], QRectF],
        *,
        css_scale: Callable[[], float] = lambda: 1.0,
        max_age_s: float = WEB_MASK_MAX_AGE_S,
    ) -> None:
        self._evaluate = evaluate
        self._viewport = viewport
        self._css_scale = css_scale
        self._max_age_s = max_age_s
        self._rects: tuple[Rect, ...] | None = None
        self._at = 0.0

    def accept(self, answer: Any) -> None:
        """Take the page's answer; anything but a list of ``{x, y, w, h}`` numbers is unknown."""
        try:
            rects = tuple(
                Rect(float(r["x"]), float(r["y"]), float(r["w"]), float(r["h"])) for r in answer
            )
        except (TypeError, KeyError, ValueError):
            self._rects = None
            return
        if not all(np.isfinite([r.x, r.y, r.width, r.height]).all() for r in rects):
            self._rects = None
            return
        self._rects, self._at = rects, time.monotonic()

    async def run(self, period_s: float) -> None:
        """Ask the page every ``period_s`` until cancelled."""
        while True:
            try:
                self.accept(await self._evaluate("window.__vgSensitiveRects()"))
            except Exception:  # a page navigating away, a script error: unknown until next time
                _log.debug("the page did not answer its sensitive rectangles", exc_info=True)
                self._rects = None
            await asyncio.sleep(period_s)

    def __call__(self) -> MaskReport:
        """The page's rectangles in item coordinates, or its whole view when unknown."""
        view = _rect(self._viewport())
        rects = self._rects
        if rects is None or time.monotonic() - self._at > self._max_age_s:
            return MaskReport(fresh=False, region=view)
        scale, margin = self._css_scale(), WEB_MASK_MARGIN_PX
        return MaskReport(
            tuple(
                Rect(
                    view.x + (r.x * scale) - margin,
                    view.y + (r.y * scale) - margin,
                    r.width * scale + 2 * margin,
                    r.height * scale + 2 * margin,
                )
                for r in rects
            )
        )


def all_of(*providers: MaskProvider) -> MaskProvider:
    """One provider answering for several (the QML fields and a web view, say)."""
    return lambda: combine(provider() for provider in providers)


class ScreenShareSource:
    """Grabs ``item`` as masked-ready frames: call it for the current screen.

    ``masks`` defaults to :class:`SensitiveFieldMasks` on the item. The frame is
    at most 1280x720 (the kiosk's processor is near its budget in a call).
    """

    def __init__(self, item: QQuickItem, masks: MaskProvider | None = None) -> None:
        self.item = item
        self._masks = masks or SensitiveFieldMasks(item)
        self._previous: tuple[Rect, ...] = ()
        self._version = 0
        self.grab_ms = 0.0  # the last grab's cost, for the benchmark

    def __call__(self) -> ScreenFrame | None:
        """The item's pixels now with their masks; ``None`` when it is not on screen."""
        started = time.perf_counter()
        item, window = self.item, self.item.window()
        if window is None or not item.isVisible() or item.width() < 2 or item.height() < 2:
            return None
        report = self._masks()  # the same moment as the grab below: no event runs between
        image = window.grabWindow()
        ratio = window.effectiveDevicePixelRatio()
        box = item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))
        device = QRectF(box.x() * ratio, box.y() * ratio, box.width() * ratio, box.height() * ratio)
        image = image.copy(device.toAlignedRect())
        width, height = share_size(image.width(), image.height())
        if (width, height) != (image.width(), image.height()):
            image = image.scaled(
                width,
                height,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        image = image.convertToFormat(QImage.Format.Format_RGB32)
        rows = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())
        pixels = rows[:, : width * 4].reshape(height, width, 4).copy()
        scale = (width / item.width(), height / item.height())
        current = tuple(r.scaled(*scale) if r is not None else None for r in report.covering())
        if None in current:
            masks = MaskReport(fresh=False)
        else:
            rects = tuple(r for r in current if r is not None)
            masks = MaskReport(rects + self._previous)
            self._previous = rects
        self._version += 1
        self.grab_ms = (time.perf_counter() - started) * 1000
        return ScreenFrame(pixels, masks, self._version)

    def to_item(self, x: float, y: float) -> tuple[float, float]:
        """A point of the shared frame (0..1) in the item's coordinates."""
        return x * self.item.width(), y * self.item.height()


class AgentPointer(QObject):
    """The agent's pointer on the kiosk: ``AgentPointer.qml`` over the shared item.

    The overlay is created in the item's window, above everything, and shown at
    the spot for a few seconds at each :meth:`show`.
    """

    def __init__(self, item: QQuickItem, label: Callable[[], str]) -> None:
        super().__init__()
        self._item = item
        self._label = label
        self.overlay: QQuickItem | None = None

    def _make(self) -> QQuickItem | None:
        window, engine = self._item.window(), qmlEngine(self._item)
        if window is None or engine is None:
            return None
        component = QQmlComponent(engine, QUrl.fromLocalFile(str(QML_DIR / "AgentPointer.qml")))
        created = component.create()
        if not isinstance(created, QQuickItem):
            _log.error("AgentPointer.qml failed: %s", component.errorString())
            return None
        created.setParentItem(window.contentItem())
        created.setParent(self)  # freed with this object
        return created

    def show(self, x: float, y: float) -> None:
        """Show the pointer at ``x, y`` (0..1 of the shared frame) for a few seconds."""
        if self.overlay is None:
            self.overlay = self._make()
        overlay = self.overlay
        if overlay is None:
            return
        window = self._item.window()
        if window is not None:
            overlay.setParentItem(window.contentItem())
        spot = self._item.mapToItem(
            overlay.parentItem(), QPointF(x * self._item.width(), y * self._item.height())
        )
        overlay.setProperty("label", self._label())
        overlay.setProperty("spotX", spot.x())
        overlay.setProperty("spotY", spot.y())
        overlay.setZ(1_000)
        # A new generation restarts the ring's animation and its ~3 s on screen.
        overlay.setProperty("generation", int(overlay.property("generation") or 0) + 1)
