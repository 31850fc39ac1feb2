"""A QML item that shows the remote video, with any scene-graph backend.

Qt Multimedia's ``VideoOutput`` needs a GPU scene graph (RHI): under the
software backend, which the kiosk uses offscreen in tests and may use on a
board without working GL, it stays black. A painted item draws the latest
frame with QPainter in both cases; at 720p30 this costs a few milliseconds a
frame, and the newest frame always replaces an undrawn one (no backlog).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import Property, QRectF, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtQml import QmlElement
from PySide6.QtQuick import QQuickItem, QQuickPaintedItem

QML_IMPORT_NAME = "Visio"
QML_IMPORT_MAJOR_VERSION = 1


@QmlElement
class VideoView(QQuickPaintedItem):
    """The latest frame, scaled to fit and centred on black; empty when cleared."""

    framesShownChanged = Signal()

    def __init__(self, parent: QQuickItem | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._frames_shown = 0
        self.setFillColor(QColor("#000000"))
        self.setOpaquePainting(True)

    framesShown = Property(int, lambda self: self._frames_shown, notify=framesShownChanged)

    def show_rgb(self, rgb: npt.NDArray[np.uint8]) -> None:
        """Take one frame (height x width x 3, RGB) and schedule a repaint."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            return  # a malformed frame is dropped, the previous one stays
        height, width, _ = rgb.shape
        data = np.ascontiguousarray(rgb)
        # copy(): the QImage must own its pixels, the decoder reuses its buffers.
        self._image = QImage(
            data.data, width, height, width * 3, QImage.Format.Format_RGB888
        ).copy()
        self._frames_shown += 1
        self.framesShownChanged.emit()
        self.update()

    def clear(self) -> None:
        """Forget the last frame (end of call, wipe)."""
        self._image = None
        self.update()

    def paint(self, painter: QPainter) -> None:
        image = self._image
        if image is None or image.isNull():
            return
        box = self.boundingRect()
        scale = min(box.width() / image.width(), box.height() / image.height())
        width, height = image.width() * scale, image.height() * scale
        target = QRectF(
            box.x() + (box.width() - width) / 2,
            box.y() + (box.height() - height) / 2,
            width,
            height,
        )
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(target, image)
