"""The UDP fault proxy in a process of its own, driven by JSON lines on its standard input.

The call benchmark measures the kiosk's CPU: relaying its media in the same
process would bill the proxy's work to the kiosk, so the proxy runs apart
(``python -m video.netfault --control-stdin``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import IO

from video.turnserver import free_udp_port

REPO_ROOT = Path(__file__).resolve().parents[1]


class FaultProxyProcess:
    """``video.netfault`` relaying to ``target``; :meth:`set` changes its faults now."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.port = free_udp_port()
        command = [sys.executable, "-m", "video.netfault", "--control-stdin"]
        command += ["--target", f"{target[0]}:{target[1]}", "--listen", f"127.0.0.1:{self.port}"]
        self._process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        banner = self._stdout.readline()
        if not banner.startswith("relaying"):
            self.stop()
            raise RuntimeError(f"the fault proxy did not start: {banner!r}")

    @property
    def _stdout(self) -> IO[str]:
        assert self._process.stdout is not None
        return self._process.stdout

    def set(self, **faults: float | bool) -> None:
        """E.g. ``set(cut=True)``, ``set(delay_ms=100, loss=0.05, rate_kbps=1000)``."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(faults) + "\n")
        answer = self._stdout.readline()
        if not answer.startswith("ok"):
            raise RuntimeError(f"the fault proxy refused {faults}: {answer!r}")

    def clear(self) -> None:
        """No faults at all."""
        self.set(cut=False, delay_ms=0, loss=0, rate_kbps=0)

    def stop(self) -> None:
        """End of input stops it; kill it if it lingers."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._stdout.close()
