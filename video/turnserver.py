"""Start and stop a throwaway coturn on loopback, for tests and benchmarks.

aioice never offers 127.0.0.1 as a host candidate, so two aiortc peers on one
machine meet through TURN relay candidates instead: coturn relays on
127.0.0.1 with ``--allow-loopback-peers``. The server runs in the foreground
in a temporary folder (its pid file and user database land there) and is
ready when it answers a STUN binding request.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from video.signaling import IceServer

TURN_BINARY = "turnserver"
READY_TIMEOUT_S = 10.0
ATTEMPTS = 3
# Below the kernel's ephemeral range (32768-60999 on Linux), so the port picked
# is not handed a moment later to some other socket (an aiortc peer's, say):
# coturn that cannot bind its listener retries forever instead of exiting.
LISTEN_PORTS = range(10_000, 20_000)
RELAY_PORTS = range(20_000, 30_000, 200)
_BIND_FAILURE = b"Cannot bind"
_BINDING_REQUEST_TYPE = b"\x00\x01"
_MAGIC_COOKIE = b"\x21\x12\xa4\x42"


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port free now on ``host`` (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _free_listening_port(host: str) -> int:
    """A port below the ephemeral range, free now for both UDP and TCP (coturn takes both)."""
    for _ in range(100):
        port = random.choice(LISTEN_PORTS)
        try:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                with socket.socket(socket.AF_INET, kind) as sock:
                    sock.bind((host, port))
        except OSError:
            continue
        return port
    raise RuntimeError(f"no free port in {LISTEN_PORTS} on {host}")


@dataclass
class TurnServer:
    """A running coturn: where it listens and the static credential it accepts."""

    port: int
    username: str
    password: str
    process: subprocess.Popen[bytes]
    workdir: Path
    host: str = "127.0.0.1"

    def ice_server(self, host: str | None = None, port: int | None = None) -> IceServer:
        """The ICE server entry for it (or for a relay in front of it, e.g. a fault proxy)."""
        url = f"turn:{host or self.host}:{port or self.port}?transport=udp"
        return IceServer(urls=[url], username=self.username, credential=self.password)

    @property
    def log_path(self) -> Path:
        return self.workdir / "turnserver.log"

    def log_tail(self, size: int = 600) -> str:
        """The end of the server's log, for error messages."""
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except OSError:
            return ""

    def cannot_bind(self) -> bool:
        """Whether coturn said it cannot bind one of its sockets (it then retries forever)."""
        try:
            return _BIND_FAILURE in self.log_path.read_bytes()
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def unavailable_reason() -> str | None:
    """Why coturn cannot run here, or ``None``."""
    if shutil.which(TURN_BINARY) is None:
        return "coturn's turnserver is not installed"
    return None


def start_turnserver(
    *,
    port: int | None = None,
    relay_ports: tuple[int, int] | None = None,
    username: str = "u",
    password: str = "p",
    realm: str = "test",
) -> TurnServer:
    """Start coturn on 127.0.0.1 and wait until it answers; raises ``RuntimeError``.

    Ports left to this function are picked again when coturn could not bind
    them (another process took one in the meantime), up to ``ATTEMPTS`` times.
    """
    failure = RuntimeError("turnserver was not started")
    for _ in range(ATTEMPTS if port is None or relay_ports is None else 1):
        listen = port or _free_listening_port("127.0.0.1")
        relays = relay_ports or _relay_range()
        server = _launch(listen, relays, username, password, realm)
        try:
            _wait_ready(server)
        except RuntimeError as error:
            failure = RuntimeError(f"{error}; its log ends: {server.log_tail()!r}")
            server.stop()
            continue
        except BaseException:
            server.stop()
            raise
        return server
    raise failure


def _relay_range() -> tuple[int, int]:
    base = random.choice(RELAY_PORTS)  # shared machines: spread the ranges
    return (base, base + RELAY_PORTS.step - 1)


def _launch(
    port: int, relay_ports: tuple[int, int], username: str, password: str, realm: str
) -> TurnServer:
    workdir = Path(tempfile.mkdtemp(prefix="vg-turn-"))
    command = [
        TURN_BINARY,
        "-n",
        "--listening-ip=127.0.0.1",
        "--relay-ip=127.0.0.1",
        f"--listening-port={port}",
        f"--min-port={relay_ports[0]}",
        f"--max-port={relay_ports[1]}",
        "--lt-cred-mech",
        f"--user={username}:{password}",
        f"--realm={realm}",
        "--allow-loopback-peers",
        "--no-cli",
        "--no-tls",
        "--no-dtls",
        "--log-file=stdout",
        "--simple-log",
        f"--pidfile={workdir / 'turnserver.pid'}",
        f"--userdb={workdir / 'turndb'}",
    ]
    log = (workdir / "turnserver.log").open("wb")
    process = subprocess.Popen(
        command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    log.close()  # the child holds its own descriptor
    return TurnServer(port, username, password, process, workdir)


def _wait_ready(server: TurnServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.1)
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"turnserver exited with {server.process.returncode}")
            if server.cannot_bind():
                raise RuntimeError(f"turnserver could not bind port {server.port}")
            request = _BINDING_REQUEST_TYPE + b"\x00\x00" + _MAGIC_COOKIE + os.urandom(12)
            sock.sendto(request, (server.host, server.port))
            try:
                answer = sock.recv(2048)
            except OSError:  # timeout, or ICMP unreachable before the socket opened
                continue
            if answer[4:8] == _MAGIC_COOKIE:
                return
    raise RuntimeError(f"turnserver did not answer within {READY_TIMEOUT_S} s")
