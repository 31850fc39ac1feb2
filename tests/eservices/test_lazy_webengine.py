"""A kiosk whose citizens open no e-service never loads Qt WebEngine (memory, start-up time)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import pathlib, sys, tempfile
from kiosk.ui.harness import local_settings, running_kiosk
from kiosk.ui.driver import open_tile

root = pathlib.Path(tempfile.mkdtemp())
with running_kiosk(local_settings(root, "http://127.0.0.1:9", "t")) as kiosk:
    async def visit():
        await open_tile(kiosk.driver, "fr", "service_contest-ticket")  # a service, no e-service
        await kiosk.driver.screen("referralScreen")
    kiosk.run(visit())
    maps = pathlib.Path("/proc/self/maps").read_text()
    print("modules", any("WebEngine" in name for name in sys.modules))
    print("library", "libQt6WebEngineCore" in maps)
"""


def test_the_kiosk_starts_and_serves_without_loading_webengine(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CACHE_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=Path(__file__).parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "modules False" in done.stdout
    assert "library False" in done.stdout
