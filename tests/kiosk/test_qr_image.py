"""A QR code on screen costs no memory once it is gone: a kiosk shows one per citizen.

Qt 6.11 leaks the decoded image of a cancelled request for a ``data:`` URL (the
QR codes are SVG data URLs): an ``Image`` whose ``sourceSize`` followed its own
width was first requested at the SVG's natural size, before the layout, then
again at its shown size, and the first request's image stayed in memory, tens
of KB at most shows of the thank-you screen (issue #6). Measured here with
glibc's count of the bytes in use, on the real thank-you screen, shown and
taken down as many times as a day of citizens would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Property, QObject, QUrl, Signal
from PySide6.QtQuick import QQuickItem, QQuickView
from pytestqt.qtbot import QtBot

from kiosk.i18n import load_strings
from kiosk.native_memory import malloc_in_use
from kiosk.qr import qr_data_url

QML_DIR = Path(__file__).resolve().parents[2] / "kiosk" / "ui" / "qml"
ONLINE_URL = "https://example.gouv.qc.ca/services/changement-adresse"
WARM_UP_SHOWS = 20  # the first shows fill Qt's caches (glyphs, the scene graph)
SHOWS = 300
# Before the fix, many shows leaked a decoded QR code (a race with Qt's image reader
# thread): 4.7 to 10 MB over these 300 shows on a 2-core machine; since, about 5 KB.
MAX_GROWTH_BYTES = 1 << 20
LOAD_TIMEOUT_MS = 5000


class _ThanksViewModel(QObject):
    """What the thank-you screen reads from the view model, for a service with an online form."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._strings = load_strings().table("fr")

    strings = Property(dict, lambda self: self._strings, notify=changed)
    onlineUrl = Property(str, lambda self: ONLINE_URL, notify=changed)  # noqa: N815 (QML's name)
    onlineQr = Property(str, lambda self: qr_data_url(ONLINE_URL), notify=changed)  # noqa: N815


SCREEN_HOST = """
import QtQuick
Item {
    width: 1920; height: 1080
    property bool shown: false
    Loader {
        objectName: "screenLoader"
        anchors.fill: parent
        active: parent.shown
        source: "%s"
    }
}
"""


def _find(root: QQuickItem, name: str) -> QQuickItem | None:
    if root.objectName() == name:
        return root
    for child in root.childItems():
        found = _find(child, name)
        if found is not None:
            return found
    return None


def _shown_qr(host: QQuickItem) -> QQuickItem | None:
    """The QR code of the screen, once decoded and on screen."""
    qr = _find(host, "onlineQr")
    # Loaded and decoded (an image has a size): Image.Ready, which PySide cannot read.
    if qr is None or qr.property("progress") < 1 or qr.implicitWidth() <= 0:
        return None
    return qr


def _show_and_take_down(qtbot: QtBot, host: QQuickItem) -> None:
    """Show the screen as the kiosk's loader does, wait for its QR code, take it down."""
    host.setProperty("shown", True)
    qtbot.waitUntil(lambda: _shown_qr(host) is not None, timeout=LOAD_TIMEOUT_MS)
    qr = _shown_qr(host)
    assert qr is not None
    shown = (qr.property("sourceSize").width(), round(qr.width()))
    host.setProperty("shown", False)
    qtbot.waitUntil(lambda: _find(host, "onlineQr") is None, timeout=LOAD_TIMEOUT_MS)
    qtbot.wait(5)  # the deferred delete, and what the image reader thread posts back
    # Decoded at the size it is shown: crisp.
    assert shown[0] == shown[1], f"decoded at {shown[0]} px, shown at {shown[1]} px"


def test_the_thank_you_qr_code_leaves_nothing_behind(qtbot: QtBot, tmp_path: Path) -> None:
    if malloc_in_use() is None:
        pytest.skip("needs glibc's mallinfo2 to count the bytes in use")
    screen = QUrl.fromLocalFile(str(QML_DIR / "screens" / "ThanksScreen.qml")).toString()
    host_qml = tmp_path / "Host.qml"
    host_qml.write_text(SCREEN_HOST % screen, encoding="utf-8")
    vm = _ThanksViewModel()
    view = QQuickView()
    view.engine().rootContext().setContextProperty("vm", vm)
    view.setSource(QUrl.fromLocalFile(str(host_qml)))
    host = view.rootObject()
    assert isinstance(host, QQuickItem), view.errors()
    view.show()
    try:
        for _ in range(WARM_UP_SHOWS):
            _show_and_take_down(qtbot, host)
        before = malloc_in_use() or 0
        for _ in range(SHOWS):
            _show_and_take_down(qtbot, host)
        growth = (malloc_in_use() or 0) - before
    finally:
        view.close()
        shiboken6.delete(view)  # now, while the view model the screen reads is still there
    assert growth < MAX_GROWTH_BYTES, f"{growth / 1024:.0f} KB more in use after {SHOWS} shows"
