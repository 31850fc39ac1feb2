"""Test-wide set-up: Qt offscreen with its caches in a temporary folder."""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import settings

# Before any Qt import: no screen in CI, and no writes to the user's ~/.cache.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")
os.environ.setdefault("QT_IM_MODULE", "qtvirtualkeyboard")  # as the kiosk runs
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="vg-test-cache-")

# Before pytest-qt makes the application, as the kiosk does (kiosk.ui.runtime.prepare_web_engine):
# the e-service web view (Qt WebEngine) shares OpenGL contexts; root has no Chromium sandbox.
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication

QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
if os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

# Property tests judge behaviour, not speed: a busy CI machine (Chromium and
# coturn running beside them) must not fail an example for taking 200 ms.
settings.register_profile("visioguichet", deadline=None)
settings.load_profile("visioguichet")

pytest_plugins = [
    "tests.fixtures.backend",
    "tests.fixtures.postgres",
    "tests.fixtures.pcscd",
    "tests.fixtures.cups",
]


@pytest.fixture(scope="session")
def qapp_cls() -> type[QGuiApplication]:
    """The application pytest-qt makes or accepts: the kiosk is QML, with no widgets.

    A QGuiApplication made earlier in the session (the demo's start-up test makes
    one, as the kiosk does) is then accepted instead of refused as "not a
    QApplication"; a QApplication, its subclass, still is too.
    """
    return QGuiApplication
