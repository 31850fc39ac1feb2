"""The TURN probe: a live coturn answers, a dead path does not, URLs are read right."""

from __future__ import annotations

import socket

from video.signaling import IceServer
from video.turnprobe import answers, any_answers, udp_turn_addresses
from video.turnserver import TurnServer


def _silent_udp_port() -> socket.socket:
    """A bound UDP socket that never answers (a cut path, as far as STUN can tell)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def test_only_udp_turn_urls_are_probed() -> None:
    servers = [
        IceServer(urls=["stun:stun.example.org", "turn:turn.example.org?transport=udp"]),
        IceServer(urls=["turn:10.0.0.5:3479", "turn:10.0.0.6:443?transport=tcp", "turns:x:5349"]),
    ]
    assert udp_turn_addresses(servers) == [
        ("turn.example.org", 3478),
        ("10.0.0.5", 3479),
    ]


async def test_a_running_coturn_answers(coturn: TurnServer) -> None:
    assert await answers(("127.0.0.1", coturn.port))
    assert await any_answers([coturn.ice_server()])


async def test_a_silent_path_does_not_answer() -> None:
    with _silent_udp_port() as silent:
        port = silent.getsockname()[1]
        assert not await answers(("127.0.0.1", port), timeout_s=0.6)
        dead = IceServer(urls=[f"turn:127.0.0.1:{port}?transport=udp"])
        assert not await any_answers([dead], timeout_s=0.6)


async def test_nothing_to_probe_counts_as_reachable() -> None:
    assert await any_answers([IceServer(urls=["turn:relay.example.org?transport=tcp"])])
