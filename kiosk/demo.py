"""`kiosk --demo`: an embedded back end on SQLite and a provisioned kiosk, in one command.

The back end runs as its own process (its console script), exactly as in
production, only on loopback and with its data under ``.demo/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk.config import KioskSettings

DEMO_KIOSK_ID = "demo-kiosk"
BACKEND_START_TIMEOUT_S = 20.0


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _backend_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "backend.cli", *args]


@contextmanager
def embedded_backend(demo_dir: Path) -> Iterator[tuple[str, Path]]:
    """Start the back end on loopback; yield its URL and the kiosk's token file."""
    demo_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "VG_BACKEND__DATA_DIR": str(demo_dir / "backend")}
    token_file = demo_dir / "kiosk" / "kiosk.token"
    token_file.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        _backend_cmd("add-kiosk", DEMO_KIOSK_ID, "--token-file", str(token_file)),
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (demo_dir / "backend.log").open("ab")
    proc = subprocess.Popen(
        _backend_cmd("serve", "--host", "127.0.0.1", "--port", str(port)),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_healthy(url, proc)
        print(f"visioguichet: embedded back end on {url} (SQLite in {demo_dir / 'backend'})")
        yield url, token_file
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + BACKEND_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the embedded back end exited at start; see .demo/backend.log")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the embedded back end did not answer on {url} in time")


def demo_settings(
    settings: KioskSettings, url: str, token_file: Path, demo_dir: Path
) -> KioskSettings:
    """The demo's settings: simulated devices, data under ``.demo/``, the embedded back end."""
    return settings.model_copy(
        update={
            "kiosk": settings.kiosk.model_copy(update={"data_dir": demo_dir / "kiosk"}),
            "backend": settings.backend.model_copy(update={"url": url, "token_file": token_file}),
            "devices": settings.devices.model_copy(
                update={"printer_spool_dir": demo_dir / "printed"}
            ),
        }
    )
