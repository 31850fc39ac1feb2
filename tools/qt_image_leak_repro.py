"""Reproduce, outside the kiosk, the Qt Quick leak behind issue #6 (for Qt's bug tracker).

An ``Image`` showing an SVG ``data:`` URL, with its ``sourceSize`` bound to its own
width and height (laid out by anchors), is made and destroyed by a ``Loader``
again and again. When the image is made, its width is still 0, so Qt asks for the
SVG at its natural size, then asks again at the laid-out size and cancels the
first request. ``data:`` URLs go through the pixmap reader thread's network
path, and ``QQuickPixmapReader::networkRequestDone`` (qquickpixmapcache.cpp)
makes the decoded image's texture factory before it checks whether the job was
cancelled, then drops it without deleting it: the decoded image leaks whenever
the cancel lands between the start of the request and its completion (a race,
hit at most cycles on a 2-core machine). A ``file:`` URL takes another path and
does not leak; nor does a ``sourceSize`` known when the image is made.

    python tools/qt_image_leak_repro.py follows-width   # 14 to 60 KB per cycle (Qt 6.11.3, 2 cores)
    python tools/qt_image_leak_repro.py fixed           # about 0

Prints glibc's bytes in use (``mallinfo2``) every 50 cycles, then the slope.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import urllib.parse

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qrcode
import qrcode.image.svg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine

from kiosk.native_memory import malloc_in_use

CYCLES = 300
REPORT_EVERY = 50
TOGGLE_MS = 60
SIZES = {
    "follows-width": "sourceSize.width: width; sourceSize.height: height",
    "fixed": "sourceSize.width: 220; sourceSize.height: 220",
}
QML = """
import QtQuick
Window {
    width: 800; height: 600; visible: true
    property bool shown: false
    property string picture: ""
    Loader {
        anchors.fill: parent
        active: shown
        sourceComponent: Item {
            Rectangle {
                anchors.centerIn: parent; width: 240; height: width
                Image { anchors.fill: parent; anchors.margins: 10; source: picture; %s }
            }
        }
    }
}
"""


def svg_data_url() -> str:
    """A QR code as an SVG data URL, made as the kiosk makes them (qrcode's SVG path)."""
    code = qrcode.QRCode(border=2, image_factory=qrcode.image.svg.SvgPathFillImage)
    code.add_data("https://example.org/services/change-of-address")
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return "data:image/svg+xml;utf8," + urllib.parse.quote(buffer.getvalue().decode("utf-8"))


def main(mode: str) -> None:
    def in_use_kb() -> int:
        return (malloc_in_use() or 0) // 1024

    app = QGuiApplication(sys.argv)
    engine = QQmlApplicationEngine()
    engine.loadData((QML % SIZES[mode]).encode())
    window = engine.rootObjects()[0]
    window.setProperty("picture", svg_data_url())
    samples: list[tuple[int, int]] = []
    toggles = 0

    def toggle() -> None:
        nonlocal toggles
        toggles += 1
        window.setProperty("shown", toggles % 2 == 1)
        cycle, shown = divmod(toggles, 2)
        if shown or cycle % REPORT_EVERY:
            return
        samples.append((cycle, in_use_kb()))
        print(json.dumps({"mode": mode, "cycle": cycle, "in_use_kb": samples[-1][1]}), flush=True)
        if cycle >= CYCLES:
            later = samples[1:]  # the first cycles fill Qt's caches
            slope, _ = statistics.linear_regression([c for c, _ in later], [k for _, k in later])
            print(json.dumps({"mode": mode, "kb_per_cycle": round(slope, 2)}), flush=True)
            app.quit()

    timer = QTimer()
    timer.timeout.connect(toggle)
    timer.start(TOGGLE_MS)
    app.exec()


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SIZES:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(SIZES)}")
    main(sys.argv[1])
    os._exit(0)  # skip the interpreter's teardown of Qt objects
