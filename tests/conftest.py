"""Test-wide set-up: Qt offscreen with its caches in a temporary folder."""

from __future__ import annotations

import os
import tempfile

# Before any Qt import: no screen in CI, and no writes to the user's ~/.cache.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="vg-test-cache-")

pytest_plugins = [
    "tests.fixtures.backend",
    "tests.fixtures.postgres",
    "tests.fixtures.pcscd",
    "tests.fixtures.cups",
]
