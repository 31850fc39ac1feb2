"""The kiosk tells systemd it is up, alive and stopping, over a real AF_UNIX socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.systemd_notify import DEFAULT_WATCHDOG_INTERVAL_S, SystemdNotifier

KIOSK = [sys.executable, "-m", "kiosk.command"]  # what the `kiosk` command runs


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    """systemd's side: a datagram socket bound in the file system."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    yield str(path), sock
    sock.close()


def received(sock: socket.socket, idle_s: float = 0.2) -> list[str]:
    """Every message on ``sock`` until it stays quiet for ``idle_s``."""
    messages = []
    sock.settimeout(idle_s)
    while True:
        try:
            messages.append(sock.recv(4096).decode("utf-8"))
        except TimeoutError:
            return messages


def test_messages_reach_the_socket_in_order(notify_socket: tuple[str, socket.socket]) -> None:
    path, sock = notify_socket
    notifier = SystemdNotifier({"NOTIFY_SOCKET": path})
    assert notifier.enabled
    assert notifier.ready()
    assert notifier.watchdog()
    assert notifier.stopping()
    assert received(sock) == ["READY=1", "WATCHDOG=1", "STOPPING=1"]


def test_abstract_namespace_address() -> None:
    name = f"visioguichet-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        assert SystemdNotifier({"NOTIFY_SOCKET": "@" + name}).ready()
        sock.settimeout(5)
        assert sock.recv(64) == b"READY=1"


def test_without_systemd_nothing_is_sent() -> None:
    notifier = SystemdNotifier({})
    assert not notifier.enabled
    assert not notifier.ready()
    assert notifier.watchdog_interval_s == DEFAULT_WATCHDOG_INTERVAL_S


def test_a_vanished_socket_is_not_fatal(tmp_path: Path) -> None:
    assert not SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "gone")}).watchdog()


@pytest.mark.parametrize(
    ("usec", "interval_s"),
    [("30000000", 15.0), ("0", DEFAULT_WATCHDOG_INTERVAL_S), ("x", DEFAULT_WATCHDOG_INTERVAL_S)],
)
def test_watchdog_fed_at_half_its_timeout(usec: str, interval_s: float) -> None:
    notifier = SystemdNotifier({"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": usec})
    assert notifier.watchdog_interval_s == interval_s


def test_kiosk_reports_to_systemd_around_a_smoke_journey(
    tmp_path: Path, notify_socket: tuple[str, socket.socket]
) -> None:
    """The installed appliance's check: one journey offline, READY then WATCHDOG then STOPPING."""
    path, sock = notify_socket
    # Read as systemd does, while the kiosk runs: the socket's queue holds few datagrams.
    messages: list[str] = []
    reader = threading.Thread(target=lambda: messages.extend(received(sock, idle_s=10)))
    reader.start()
    token = tmp_path / "kiosk.token"
    token.write_text("not-enrolled\n", encoding="utf-8")
    token.chmod(0o600)
    config = tmp_path / "kiosk.toml"
    config.write_text(
        "[kiosk]\n"
        f'data_dir = "{tmp_path / "data"}"\n'
        'speech_engine = "none"\n'
        "[backend]\n"
        'url = "http://127.0.0.1:9"\n'
        f'token_file = "{token}"\n'
        "[devices]\n"
        'card_reader = "simulated"\n'
        'printer = "simulated"\n'
        f'printer_spool_dir = "{tmp_path / "printed"}"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CACHE_HOME": str(tmp_path / "c")}
    # 0.4 s timeout: fed every 0.2 s, so a journey of a few seconds sends several.
    env.update({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
    done = subprocess.run(
        [*KIOSK, "--config", str(config), "--smoke-journey", "--quit-after", "90"],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "smoke-journey reference " in done.stdout
    reader.join()
    assert messages[0] == "READY=1"
    assert messages[-1] == "STOPPING=1"
    assert messages.count("WATCHDOG=1") >= 2
    assert set(messages) == {"READY=1", "WATCHDOG=1", "STOPPING=1"}
