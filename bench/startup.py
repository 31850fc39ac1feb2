"""Cold start of the kiosk: process start to the first frame of the attract screen.

Measured as a citizen would see it: from `exec` of a fresh `kiosk` process to
the first frame Qt swaps. The peer, measured in the same run, is the floor
set by Qt itself: a bare PySide6 process showing one QML window with one text.
Prints one JSON object as its last line. Target: cold_start_s <= 1.5 on 2 cores.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
TARGET_S = 1.5
TIMEOUT_S = 60

BARE_QML = """
import sys, time
from PySide6.QtCore import QMetaObject, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
app = QGuiApplication(sys.argv)
engine = QQmlApplicationEngine()
engine.loadData(b'import QtQuick\\nWindow { width: 1920; height: 1080; visible: true;'
                b' Text { anchors.centerIn: parent; text: "Bienvenue"; font.pixelSize: 96 } }')
window = engine.rootObjects()[0]
def frame():
    print(f"first-frame {time.time():.6f}", flush=True)
    QMetaObject.invokeMethod(app, "quit", Qt.ConnectionType.QueuedConnection)
window.frameSwapped.connect(frame)
app.exec()
"""


def time_to_first_frame(command: list[str], env: dict[str, str]) -> float:
    """Seconds from process start to its printed first-frame wall clock."""
    started = time.time()
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("first-frame "):
            return float(line.split()[1]) - started
    raise RuntimeError(
        f"no first frame from {command[:3]}: {done.stdout[-500:]}{done.stderr[-2000:]}"
    )


def kiosk_env(root: Path) -> dict[str, str]:
    """A kiosk with simulated devices and its data in ``root``."""
    token = root / "kiosk.token"
    token.write_text("bench-token", encoding="utf-8")
    return {
        **os.environ,
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "VG_KIOSK__KIOSK__DATA_DIR": str(root / "data"),
        "VG_KIOSK__BACKEND__TOKEN_FILE": str(token),
        "VG_KIOSK__BACKEND__URL": "http://127.0.0.1:9",
        "VG_KIOSK__DEVICES__PRINTER_SPOOL_DIR": str(root / "printed"),
    }


def main() -> None:
    """Run both measurements interleaved, so machine noise hits them alike."""
    kiosk_bin = Path(sys.executable).with_name("kiosk")
    ours: list[float] = []
    bare: list[float] = []
    with tempfile.TemporaryDirectory(prefix="vg-bench-") as tmp:
        env = kiosk_env(Path(tmp))
        for _ in range(RUNS):
            ours.append(
                time_to_first_frame([str(kiosk_bin), "--windowed", "--exit-after-first-frame"], env)
            )
            bare.append(time_to_first_frame([sys.executable, "-c", BARE_QML], env))
    median, floor = statistics.median(ours), statistics.median(bare)
    print(f"kiosk runs (s): {[round(x, 3) for x in ours]}")
    print(f"bare QML runs (s): {[round(x, 3) for x in bare]}")
    print(
        json.dumps(
            {
                "cold_start_s": round(median, 3),
                "cold_start_runs_s": [round(x, 3) for x in ours],
                "peer_bare_qml_start_s": round(floor, 3),
                "ratio_to_bare_qml": round(median / floor, 2),
                "target_s": TARGET_S,
                "meets_target": median <= TARGET_S,
                "runs": RUNS,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
            }
        )
    )


if __name__ == "__main__":
    main()
