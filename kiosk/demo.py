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
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import IceServerEntry, KioskSettings
from kiosk.maintenance.pin import hash_pin
from video.turnserver import TurnServer, start_turnserver, unavailable_reason

DEMO_KIOSK_ID = "demo-kiosk"
BACKEND_START_TIMEOUT_S = 20.0


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _backend_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "backend.cli", *args]


DEMO_AGENT_ID = "demo"
DEMO_AGENT_PASSWORD = "visioguichet-demo"
DEMO_MAINTENANCE_PIN = "246810"
_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The demo's agents answer at any hour, so that the video counter can be tried on a Sunday.
_ALL_HOURS = "".join(f'{day} = "00:00-23:59"\n' for day in _WEEK)
# One queue per agency of the demo catalogue (a shared kiosk), each with its services.
DEMO_QUEUES = 'time_zone = "America/Toronto"\n' + "".join(
    f'\n[[queue]]\nid = "{agency}"\nagency = "{agency}"\nlanguages = ["fr", "en"]\n'
    f"services = {services}\n\n[queue.hours]\n{_ALL_HOURS}"
    for agency, services in (
        (
            "riviere-claire",
            '["change-of-address", "copy-of-record", "appointment", "tax-payment-plan",'
            ' "contest-ticket"]',
        ),
        ("assurance-automobile", '["licence-address", "licence-renewal"]'),
    )
)
DEMO_AGENT_SKILLS = "agency:riviere-claire,agency:assurance-automobile,language:fr,language:en"


@dataclass(frozen=True)
class DemoBackend:
    """The embedded back end, and the loopback TURN relay when coturn is installed."""

    url: str
    token_file: Path
    turn: TurnServer | None


@contextmanager
def embedded_backend(demo_dir: Path) -> Iterator[DemoBackend]:
    """Start the back end (and coturn) on loopback, with a kiosk and an agent account."""
    backend_dir = demo_dir / "backend"
    backend_dir.mkdir(parents=True, exist_ok=True)
    # aioice offers no loopback candidate: on a machine without a network, the kiosk
    # and the console meet only through a relay, so the demo brings one if it can.
    turn = start_turnserver() if unavailable_reason() is None else None
    config = _write_backend_config(backend_dir, turn)
    env = {name: value for name, value in os.environ.items() if not name.startswith("VG_BACKEND")}
    token_file = demo_dir / "kiosk" / "kiosk.token"
    token_file.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        _backend_cmd(
            "add-kiosk", DEMO_KIOSK_ID, "--config", str(config), "--token-file", str(token_file)
        ),
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        _backend_cmd(
            "add-agent", DEMO_AGENT_ID, "--config", str(config), "--name", "Agent de démonstration",
            "--skills", DEMO_AGENT_SKILLS, "--password-stdin",
            # One demo account to try every page: console, fleet view and dashboard.
            "--roles", "agent,supervisor,technician,manager",
        ),
        input=DEMO_AGENT_PASSWORD.encode(),
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (demo_dir / "backend.log").open("ab")
    proc = subprocess.Popen(
        _backend_cmd("serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(port)),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_healthy(url, proc)
        print(f"visioguichet: embedded back end on {url} (SQLite in {backend_dir})")
        print(
            f"visioguichet: agent console at http://localhost:{port}/console/, fleet view at"
            f" /fleet/, service figures at /analytics/"
            f" (id {DEMO_AGENT_ID!r}, password {DEMO_AGENT_PASSWORD!r})"
        )
        print(
            "visioguichet: maintenance mode: press the top-left corner of the welcome screen"
            f" for 3 s, PIN {DEMO_MAINTENANCE_PIN}"
        )
        yield DemoBackend(url, token_file, turn)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        if turn is not None:
            turn.stop()


def _write_backend_config(backend_dir: Path, turn: TurnServer | None) -> Path:
    (backend_dir / "queues.toml").write_text(DEMO_QUEUES, encoding="utf-8")
    text = 'data_dir = "."\n\n[calls]\nqueues_file = "queues.toml"\n'
    if turn is not None:
        ice = turn.ice_server()
        text += (
            f'ice_servers = [{{ urls = ["{ice.urls[0]}"], username = "{ice.username}", '
            f'credential = "{ice.credential}" }}]\n'
        )
    config = backend_dir / "backend.toml"
    config.write_text(text, encoding="utf-8")
    return config


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


def demo_settings(settings: KioskSettings, backend: DemoBackend, demo_dir: Path) -> KioskSettings:
    """The demo's settings: simulated devices, data under ``.demo/``, the video counter on."""
    video = settings.video.model_copy(update={"enabled": True})
    if backend.turn is not None:
        ice = backend.turn.ice_server()
        entry = IceServerEntry(urls=ice.urls, username=ice.username, credential=ice.credential)
        video = video.model_copy(update={"ice_servers": [entry], "relay_only": True})
    return settings.model_copy(
        update={
            "kiosk": settings.kiosk.model_copy(update={"data_dir": demo_dir / "kiosk"}),
            "backend": settings.backend.model_copy(
                update={"url": backend.url, "token_file": backend.token_file}
            ),
            "devices": settings.devices.model_copy(
                update={"printer_spool_dir": demo_dir / "printed"}
            ),
            "video": video,
            # A demo PIN unless the configuration has its own technician PIN.
            "maintenance": settings.maintenance.model_copy(
                update={"pin_hash": settings.maintenance.pin_hash or hash_pin(DEMO_MAINTENANCE_PIN)}
            ),
        }
    )
