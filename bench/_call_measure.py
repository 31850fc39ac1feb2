"""Measuring tools of the call benchmark: latency samples, recovery, Chromium's CPU."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import psutil

T = TypeVar("T")
TIME_MODULUS_MS = 2**40  # the frame stamp's clock wraps here (docs/VIDEO.md)
RECOVERY_HOLD_MS = 2_000  # latency must stay normal this long to count as recovered
RECOVERY_MIN_FRAMES = 20  # ... over at least this many frames
CHROMIUM_NAMES = {"chromium", "chrome"}


def percentile(values: list[int], fraction: float) -> int | None:
    """The same nearest-rank percentile as the console's ``stamp.js``."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class LatencySamples:
    """Accumulates the console's ``visioStats.samples`` across polls, each frame once.

    The page keeps only its last ~10 s of frames; polling more often than that
    and taking the frames stamped since the previous poll loses none.
    """

    def __init__(self) -> None:
        self.samples: list[tuple[int, int]] = []  # (presented at, latency), ms
        self._seen = 0

    def add(self, stats: dict[str, Any]) -> None:
        """Take the frames the page stamped since the last call."""
        stamped = int(stats["stampedFrames"])
        fresh = min(stamped - self._seen, len(stats["samples"]))
        if fresh > 0:
            self.samples += [(int(at), int(lat)) for at, lat in stats["samples"][-fresh:]]
        self._seen = stamped

    def clear(self) -> None:
        """Forget what was collected (the next :meth:`add` continues from now)."""
        self.samples = []

    def latencies(self) -> list[int]:
        """The latencies collected, in milliseconds."""
        return [latency for _, latency in self.samples]


def recovery_after(samples: list[tuple[int, int]], back_ms: float, limit_ms: int) -> float | None:
    """Milliseconds from ``back_ms`` to the first frame after which latency stays under
    ``limit_ms`` for :data:`RECOVERY_HOLD_MS`; ``None`` if that has not happened yet.
    """
    after = sorted(sample for sample in samples if sample[0] >= back_ms)
    for index, (start, latency) in enumerate(after):
        if latency >= limit_ms:
            continue
        window = [s for s in after[index:] if s[0] <= start + RECOVERY_HOLD_MS]
        long_enough = after[-1][0] >= start + RECOVERY_HOLD_MS
        steady = all(lat < limit_ms for _, lat in window)
        if long_enough and len(window) >= RECOVERY_MIN_FRAMES and steady:
            return start - back_ms
    return None


def _is_chromium(process: psutil.Process) -> bool:
    with contextlib.suppress(psutil.Error):
        return process.name() in CHROMIUM_NAMES
    return False


def _browser_roots() -> set[int]:
    """Pids of the Chromium browser processes running now (their parent is not Chromium)."""
    roots = set()
    for process in psutil.process_iter():
        if not _is_chromium(process):
            continue
        with contextlib.suppress(psutil.Error):
            parent = process.parent()
            if parent is None or not _is_chromium(parent):
                roots.add(process.pid)
    return roots


def _cpu_seconds(process: psutil.Process) -> float:
    with contextlib.suppress(psutil.Error):
        times = process.cpu_times()
        return float(times.user + times.system)
    return 0.0


class CpuWindow:
    """The CPU that the processes ``find`` returns used between creation and :meth:`stop`."""

    def __init__(self, find: Callable[[], Iterator[psutil.Process]]) -> None:
        self._find = find
        self._start = {p.pid: _cpu_seconds(p) for p in find()}
        self._started = time.monotonic()
        self._result: float | None = None

    def stop(self) -> None:
        """End the window; processes born during it count from zero."""
        elapsed = time.monotonic() - self._started
        used = sum(_cpu_seconds(p) - self._start.get(p.pid, 0.0) for p in self._find())
        self._result = used / elapsed * 100

    def percent(self) -> float:
        """CPU used, in percent of one core."""
        assert self._result is not None, "stop() first"
        return self._result


class ChromiumCpu:
    """One Chromium instance's process tree (browser, renderers, GPU, utility processes)."""

    def __init__(self, root_pid: int | None) -> None:
        self._root = root_pid

    def processes(self) -> Iterator[psutil.Process]:
        """The browser process and its descendants (or every Chromium process)."""
        if self._root is None:
            yield from (p for p in psutil.process_iter() if _is_chromium(p))
            return
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(self._root)
            yield root
            yield from root.children(recursive=True)

    @contextlib.contextmanager
    def measuring(self) -> Iterator[CpuWindow]:
        """Measure CPU over the ``with`` block."""
        window = CpuWindow(self.processes)
        try:
            yield window
        finally:
            window.stop()

    @classmethod
    @contextlib.contextmanager
    def all_running(cls) -> Iterator[CpuWindow]:
        """Every Chromium process on the machine over the ``with`` block."""
        with cls(None).measuring() as window:
            yield window

    @classmethod
    @contextlib.asynccontextmanager
    async def launched(
        cls, launcher: AbstractAsyncContextManager[T]
    ) -> AsyncIterator[tuple[T, ChromiumCpu]]:
        """Enter ``launcher`` (a Chromium launch) and find the browser process it started."""
        before = _browser_roots()
        async with launcher as context:
            new = _browser_roots() - before
            if len(new) != 1:
                raise RuntimeError(f"expected one new Chromium, found {sorted(new)}")
            yield context, cls(new.pop())
