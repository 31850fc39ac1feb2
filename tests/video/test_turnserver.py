"""The throwaway coturn: a port someone else took is no reason to hang."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from video import turnserver
from video.turnserver import start_turnserver, unavailable_reason

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason="no coturn")


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A listening port held by another socket, as an aiortc peer might hold it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def test_a_taken_listening_port_is_picked_again(
    taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    picks = iter([taken_port])
    original = turnserver._free_listening_port
    # The first pick races with another socket and loses; the second is free.
    monkeypatch.setattr(
        turnserver, "_free_listening_port", lambda host: next(picks, None) or original(host)
    )
    server = start_turnserver()
    try:
        assert server.port != taken_port
        assert server.process.poll() is None
    finally:
        server.stop()


def test_a_port_asked_for_and_taken_fails_fast_and_says_why(taken_port: int) -> None:
    with pytest.raises(RuntimeError, match=f"could not bind port {taken_port}"):
        start_turnserver(port=taken_port, relay_ports=(29_800, 29_999))


def test_the_listening_port_is_outside_the_ephemeral_range() -> None:
    server = start_turnserver()
    try:
        ephemeral = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        low, high = (int(x) for x in ephemeral)
        assert not low <= server.port <= high
    finally:
        server.stop()
