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
_BINDING_REQUEST_TYPE = b"\x00\x01"
_MAGIC_COOKIE = b"\x21\x12\xa4\x42"


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port free now on ``host`` (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


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
    """Start coturn on 127.0.0.1 and wait until it answers; raises ``RuntimeError``."""
    port = port or free_udp_port()
    if relay_ports is None:
        base = random.randrange(20_000, 30_000, 200)  # shared machines: spread the ranges
        relay_ports = (base, base + 199)
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
    server = TurnServer(port, username, password, process, workdir)
    try:
        _wait_ready(server)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_ready(server: TurnServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.1)
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"turnserver exited with {server.process.returncode}")
            request = _BINDING_REQUEST_TYPE + b"\x00\x00" + _MAGIC_COOKIE + os.urandom(12)
            sock.sendto(request, (server.host, server.port))
            try:
                answer = sock.recv(2048)
            except OSError:  # timeout, or ICMP unreachable before the socket opened
                continue
            if answer[4:8] == _MAGIC_COOKIE:
                return
    raise RuntimeError(f"turnserver did not answer within {READY_TIMEOUT_S} s")
