"""A QML item that shows the remote video, with any scene-graph backend.

Qt Multimedia's ``VideoOutput`` needs a GPU scene graph (RHI): under the
software backend, which the kiosk uses offscreen in tests and may use on a
board without working GL, it stays black. A painted item draws the latest
frame with QPainter in both cases, and the newest frame always replaces an
undrawn one (no backlog).

Drawing is the kiosk's second cost in a call after encoding, so each frame is
converted once, in one swscale pass, from the decoder's YUV straight to BGRA
at the size it is drawn at: painting is then a plain copy, with no scaling and
no format conversion in QPainter (measured: 2.0 ms a frame instead of 3.1 at
720p, about 3% of a core at 30 fps).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import Property, QPointF, QRectF, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtQml import QmlElement
from PySide6.QtQuick import QQuickItem, QQuickPaintedItem

if TYPE_CHECKING:  # the video stack (PyAV, aiortc) loads only when a call is configured
    import numpy as np
    import numpy.typing as npt

    from video.receiver import RemoteFrame

QML_IMPORT_NAME = "Visio"
QML_IMPORT_MAJOR_VERSION = 1
MIN_SIDE_PX = 2  # swscale refuses smaller pictures; a view this small shows nothing


@QmlElement
class VideoView(QQuickPaintedItem):
    """The latest frame, scaled to fit and centred on black; empty when cleared."""

    framesShownChanged = Signal()

    def __init__(self, parent: QQuickItem | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        # The pixels the QImage points into: kept alive as long as the image is.
        self._pixels: npt.NDArray[np.uint8] | None = None
        self._frames_shown = 0
        self.setFillColor(QColor("#000000"))
        self.setOpaquePainting(True)

    framesShown = Property(int, lambda self: self._frames_shown, notify=framesShownChanged)

    def show_frame(self, frame: RemoteFrame) -> None:
        """Take one decoded frame and schedule a repaint; call on the UI thread."""
        width, height = self._fitted(frame.width, frame.height)
        if min(width, height) < MIN_SIDE_PX:
            return
        pixels = frame.to_bgra(width, height)
        self._pixels = pixels
        self._image = QImage(
            pixels.data, width, height, pixels.strides[0], QImage.Format.Format_RGB32
        )
        self._frames_shown += 1
        self.framesShownChanged.emit()
        self.update()

    def clear(self) -> None:
        """Forget the last frame (end of call, wipe)."""
        self._image = None
        self._pixels = None
        self.update()

    def _fitted(self, width: int, height: int) -> tuple[int, int]:
        """The device-pixel size of a ``width`` x ``height`` picture fitted in the item."""
        window = self.window()
        ratio = window.effectiveDevicePixelRatio() if window is not None else 1.0
        box_w, box_h = self.width() * ratio, self.height() * ratio
        if width <= 0 or height <= 0:
            return 0, 0
        scale = min(box_w / width, box_h / height)
        # Even sides: swscale's chroma subsampling works on pairs of pixels.
        return 2 * math.floor(width * scale / 2), 2 * math.floor(height * scale / 2)

    def paint(self, painter: QPainter) -> None:
        image = self._image
        if image is None or image.isNull():
            return
        box = self.boundingRect()
        window = self.window()
        ratio = window.effectiveDevicePixelRatio() if window is not None else 1.0
        width, height = image.width() / ratio, image.height() / ratio
        if width > box.width() + 1 or height > box.height() + 1:
            # The item shrank since the frame came: scale this one down, once.
            scale = min(box.width() / width, box.height() / height)
            width, height = width * scale, height * scale
            target = QRectF(
                box.x() + (box.width() - width) / 2,
                box.y() + (box.height() - height) / 2,
                width,
                height,
            )
            painter.drawImage(target, image)
            return
        image.setDevicePixelRatio(ratio)
        painter.drawImage(
            QPointF(box.x() + (box.width() - width) / 2, box.y() + (box.height() - height) / 2),
            image,
        )
