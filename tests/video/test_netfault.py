"""The UDP fault proxy's control lines, and the proxy driven from another process."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from video.netfault import Faults, faults_from_command

REPLY_TIMEOUT_S = 2.0


def test_control_lines_change_only_what_they_name() -> None:
    start = Faults(delay_s=0.05, loss=0.01)
    assert faults_from_command('{"cut": true}', start) == Faults(delay_s=0.05, loss=0.01, cut=True)
    impaired = faults_from_command('{"delay_ms": 100, "loss": 0.05, "rate_kbps": 1000}', Faults())
    assert impaired == Faults(delay_s=0.1, loss=0.05, rate_bps=1_000_000)
    assert faults_from_command('{"rate_kbps": 0}', impaired).rate_bps is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("cut", "not JSON"),
        ("[]", "a JSON object"),
        ("{}", "a JSON object"),
        ('{"jitter_ms": 5}', "unknown fault"),
        ('{"cut": "yes"}', "true or false"),
        ('{"loss": 2}', "between 0 and 1"),
        ('{"delay_ms": -1}', "not negative"),
        ('{"rate_kbps": true}', "a number"),
    ],
)
def test_bad_control_lines_are_refused_by_name(line: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        faults_from_command(line, Faults())


def _echo_server() -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(REPLY_TIMEOUT_S)
    return server


def _round_trip(client: socket.socket, server: socket.socket, proxy: tuple[str, int]) -> bool:
    """Send one datagram through the proxy and echo it back; whether it came back."""
    client.sendto(b"ping", proxy)
    try:
        data, peer = server.recvfrom(100)
        server.sendto(data, peer)
        return client.recvfrom(100)[0] == b"ping"
    except TimeoutError:
        return False


def test_the_proxy_obeys_control_lines_from_another_process() -> None:
    server = _echo_server()
    target = server.getsockname()
    command = [sys.executable, "-m", "video.netfault", "--control-stdin"]
    command += ["--target", f"127.0.0.1:{target[1]}", "--listen", "127.0.0.1:0"]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    assert process.stdin is not None
    assert process.stdout is not None
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(REPLY_TIMEOUT_S)
    try:
        banner = process.stdout.readline()
        assert banner.startswith("relaying ('127.0.0.1', ")
        port = int(banner.split(",")[1].split(")")[0])
        proxy = ("127.0.0.1", port)
        assert _round_trip(client, server, proxy)

        process.stdin.write('{"cut": true}\n')
        assert process.stdout.readline().startswith("ok ")
        server.settimeout(0.3)
        assert not _round_trip(client, server, proxy)

        process.stdin.write("nonsense\n")
        assert process.stdout.readline().startswith("error: not JSON")

        process.stdin.write('{"cut": false}\n')
        assert process.stdout.readline().startswith("ok ")
        server.settimeout(REPLY_TIMEOUT_S)
        assert _round_trip(client, server, proxy)

        process.stdin.close()  # end of input stops the proxy
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        client.close()
        server.close()
