"""UI benchmark: touch feedback, screen changes and memory over citizen journeys.

One run drives the real kiosk in process (simulated devices, offscreen at
1920x1080, Qt Quick's software renderer, its qasync loop) and measures:

- ``touch_feedback_ms``: median, over many presses, from a synthetic press
  (``QTest.mousePress`` on the QQuickWindow at the centre of a button) to the
  ``frameSwapped`` of the first frame whose scene-graph sync saw the button in
  its pressed colour. Buttons: the language choice, a service tile, the back
  button, in turn.
- ``screen_change_ms``: median, from the release that completes a tap on one of
  those buttons (language -> services -> privacy notice -> back -> back) to the
  ``frameSwapped`` of the first frame whose sync saw the new screen as the
  ``screenLoader``'s item. A tap changes the step on its release, as Qt's
  MouseArea clicks.
- ``rss_mb_after_100_journeys``: the process's resident set size (VmRSS, MiB)
  after 100 complete journeys (``walk_change_of_address``: attract, language,
  service, privacy notice, identify by typing a file number, form, review,
  submit, confirmation with its receipt printed, satisfaction question, thanks;
  then "new session", which wipes). ``rss_mb_trend`` has the RSS after every
  10 journeys (after a ``gc.collect()``, so that only what is still referenced
  counts) and its least-squares slope in MB per 10 journeys over journeys 50 to
  100: near 0 means no growth. The benchmark runs with the malloc settings the
  ``kiosk`` command gives itself (``kiosk.native_memory``: it restarts in place
  with glibc's per-thread cache off); ``malloc_in_use_kb_trend`` is glibc's
  count of bytes in use at the same points, which moves only with what is
  really allocated.
- the peer, measured interleaved with the kiosk in the same process, loop and
  way: a bare QML window with one Rectangle whose colour changes while its
  MouseArea is pressed (``peer_touch_feedback_ms``): what Qt itself costs.

Frames are timed with ``time.perf_counter`` in handlers connected directly to
the window's ``afterSynchronizing`` and ``frameSwapped`` (the software render
loop emits them on the GUI thread; ``frameSwapped`` marks a frame presented).
Offscreen, Qt paces frames with a timer (about 5 ms), not a display's vsync: on a
60 Hz screen, add up to one refresh (16.7 ms) to both figures and to the peer's.
The kiosk's back end is a closed loopback port: it works offline, so every
transaction stays in its outbox, as on a kiosk whose network is down.
Prints one JSON object as its last line. Targets: touch_feedback_ms <= 50,
screen_change_ms <= 100, rss_mb_after_100_journeys <= 300.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# The repository, not bench/, first on the path: bench/queue.py would shadow the stdlib's.
sys.path[0] = str(Path(__file__).resolve().parents[1])
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# As kiosk.ui.runtime.start_event_loop sets them, which the in-process harness skips.
os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")
os.environ.setdefault("QT_IM_MODULE", "qtvirtualkeyboard")
# This run's own QML disk cache: never the user's, nor one left by another run.
CACHE_DIR = tempfile.mkdtemp(prefix="vg-bench-ui-cache-")
os.environ["XDG_CACHE_HOME"] = CACHE_DIR

import asyncio  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import PySide6  # noqa: E402
import shiboken6  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtQml import QQmlApplicationEngine  # noqa: E402
from PySide6.QtQuick import QQuickItem, QQuickWindow  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from kiosk.native_memory import malloc_in_use, restart_with_kiosk_allocator  # noqa: E402
from kiosk.ui.driver import KioskDriver, walk_change_of_address  # noqa: E402
from kiosk.ui.harness import RunningKiosk, local_settings, running_kiosk  # noqa: E402
from peripherals.card import SAMPLE_HOLDER  # noqa: E402

OFFLINE_BACKEND_URL = "http://127.0.0.1:9"  # nothing listens: the kiosk works offline
# The longest the settings allow: no "are you still there?" nor thank-you wipe mid-run.
QUIET_TIMERS = {"inactivity_timeout_s": 600, "inactivity_countdown_s": 120, "thank_you_s": 120}
WARM_UP_CYCLES = 1  # the first load of each screen compiles its QML
CYCLES = 15  # each: 4 taps on the kiosk (4 presses, 4 screen changes), 4 on the peer
# Each tap: (button, the screen its release shows).
CYCLE_TAPS = (
    ("languageFr", "serviceScreen"),
    ("service_change-of-address", "privacyScreen"),
    ("backButton", "serviceScreen"),
    ("backButton", "languageScreen"),
)
SETTLE_S = 0.08  # between gestures: the previous frame is out, the scene idle
HOLD_S = 0.08  # a finger stays down this long before it lifts
FRAME_TIMEOUT_S = 2.0
JOURNEYS = 100
RSS_EVERY_JOURNEYS = 10
KIB, MIB = 1 << 10, 1 << 20
RSS_KEY = f"rss_mb_after_{JOURNEYS}_journeys"
TARGETS = {"touch_feedback_ms": 50.0, "screen_change_ms": 100.0, RSS_KEY: 300.0}
LEFT = Qt.MouseButton.LeftButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier

BARE_QML = """
import QtQuick
Window {
    width: 1920; height: 1080; visible: true; color: "#F4F6F8"
    Rectangle {
        objectName: "bareButton"
        anchors.centerIn: parent
        width: 560; height: 220; radius: 14
        color: area.pressed ? "#0B4F8A" : "#1565C0"
        Text { anchors.centerIn: parent; text: "Français"; color: "white"; font.pixelSize: 48 }
        MouseArea { id: area; anchors.fill: parent }
    }
}
"""


class FrameWatch:
    """Times the first frame a window presents once ``shows()`` held at its sync."""

    def __init__(self, window: QQuickWindow) -> None:
        self._shows: Callable[[], bool] | None = None
        self._synced = False
        self._presented: asyncio.Future[float] | None = None
        direct = Qt.ConnectionType.DirectConnection
        window.afterSynchronizing.connect(self._on_sync, direct)
        window.frameSwapped.connect(self._on_swap, direct)

    def expect(self, shows: Callable[[], bool]) -> asyncio.Future[float]:
        """A future of the ``perf_counter`` time of the first frame synced with ``shows()``."""
        self._shows, self._synced = shows, False
        self._presented = asyncio.get_running_loop().create_future()
        return self._presented

    def _on_sync(self) -> None:
        if self._shows is not None and not self._synced:
            self._synced = self._shows()

    def _on_swap(self) -> None:
        presented = self._presented
        if self._synced and presented is not None and not presented.done():
            presented.set_result(time.perf_counter())
            self._shows = None


async def deliver(gesture: Callable[[], None]) -> float:
    """Run ``gesture`` from the loop itself, as Qt delivers input; when it started.

    Not from inside a task: QTest processes events, which may step other tasks.
    """
    loop = asyncio.get_running_loop()
    started: asyncio.Future[float] = loop.create_future()

    def run() -> None:
        at = time.perf_counter()
        try:
            gesture()
        finally:
            started.set_result(at)

    loop.call_soon(run)
    return await started


def centre_of(item: QQuickItem) -> QPoint:
    """The window coordinates of the item's centre."""
    return item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()


def elapsed_ms(since_s: float, until_s: float) -> float:
    return (until_s - since_s) * 1000


class TouchTimer:
    """Presses and releases on one window, each timed to the frame that shows it."""

    def __init__(self, window: QQuickWindow) -> None:
        self.window = window
        self.frames = FrameWatch(window)

    async def press(self, item: QQuickItem) -> float:
        """Press ``item``'s centre; ms to the first frame showing its pressed colour."""
        idle = item.property("color")
        presented = self.frames.expect(lambda: item.property("color") != idle)
        point = centre_of(item)
        pressed_at = await deliver(lambda: QTest.mousePress(self.window, LEFT, NO_MODIFIER, point))
        shown_at = await asyncio.wait_for(presented, FRAME_TIMEOUT_S)
        return elapsed_ms(pressed_at, shown_at)

    async def release(self, point: QPoint, shows: Callable[[], bool]) -> float:
        """Lift the finger at ``point``; ms to the first frame where ``shows()``."""
        presented = self.frames.expect(shows)
        released_at = await deliver(
            lambda: QTest.mouseRelease(self.window, LEFT, NO_MODIFIER, point)
        )
        shown_at = await asyncio.wait_for(presented, FRAME_TIMEOUT_S)
        return elapsed_ms(released_at, shown_at)

    async def tap(self, item: QQuickItem, shows: Callable[[], bool]) -> tuple[float, float]:
        """A whole tap: (press to pressed frame, release to the frame where ``shows()``)."""
        await asyncio.sleep(SETTLE_S)
        point = centre_of(item)
        press_ms = await self.press(item)
        await asyncio.sleep(HOLD_S)
        return press_ms, await self.release(point, shows)


class BareButtonWindow:
    """The peer: a bare QML window with one button, in this process."""

    def __init__(self) -> None:
        self.engine = QQmlApplicationEngine()
        self.engine.loadData(BARE_QML.encode())
        window = self.engine.rootObjects()[0]
        assert isinstance(window, QQuickWindow)
        button = window.findChild(QQuickItem, "bareButton")
        assert isinstance(button, QQuickItem)
        self.button = button
        self.touch = TouchTimer(window)

    async def tap(self) -> float:
        """Press and release the button; ms from the press to its pressed frame."""
        idle = self.button.property("color")
        press_ms, _ = await self.touch.tap(
            self.button, lambda: self.button.property("color") == idle
        )
        return press_ms

    def close(self) -> None:
        self.touch.window.close()
        shiboken6.delete(self.engine)


@dataclass
class Samples:
    """What the interleaved taps measured, in ms."""

    touch: list[float] = field(default_factory=list)
    screen: list[float] = field(default_factory=list)
    peer_touch: list[float] = field(default_factory=list)
    screen_by_name: dict[str, list[float]] = field(default_factory=dict)

    def add_screen_change(self, screen: str, ms: float) -> None:
        self.screen.append(ms)
        self.screen_by_name.setdefault(screen, []).append(ms)


def screen_is(driver: KioskDriver, name: str) -> Callable[[], bool]:
    """Whether the screen loader's item is now the screen called ``name``."""
    loader = driver.find("screenLoader")
    assert loader is not None

    def shows() -> bool:
        item = loader.property("item")
        return isinstance(item, QQuickItem) and item.objectName() == name

    return shows


async def tap_cycles(
    d: KioskDriver, touch: TouchTimer, peer: BareButtonWindow, cycles: int
) -> Samples:
    """Language -> services -> privacy -> back -> back, a peer tap after each kiosk tap."""
    samples = Samples()
    for _ in range(cycles):
        for button, screen in CYCLE_TAPS:
            press_ms, change_ms = await touch.tap(await d.item(button), screen_is(d, screen))
            samples.touch.append(press_ms)
            samples.add_screen_change(screen, change_ms)
            samples.peer_touch.append(await peer.tap())
            await d.screen(screen)
    return samples


async def measure_taps(kiosk: RunningKiosk, peer: BareButtonWindow) -> dict[str, Any]:
    """Touch feedback and screen changes of the kiosk, touch feedback of the peer."""
    d = kiosk.driver
    await d.tap("attractTouchArea")
    await d.screen("languageScreen")
    touch = TouchTimer(d.window)
    await tap_cycles(d, touch, peer, WARM_UP_CYCLES)
    samples = await tap_cycles(d, touch, peer, CYCLES)
    return {
        "touch_feedback_ms": median_ms(samples.touch),
        "touch_feedback_p90_ms": percentile_ms(samples.touch, 0.9),
        "touch_presses": len(samples.touch),
        "screen_change_ms": median_ms(samples.screen),
        "screen_change_p90_ms": percentile_ms(samples.screen, 0.9),
        "screen_changes": len(samples.screen),
        "screen_change_by_screen_ms": {
            name: median_ms(values) for name, values in samples.screen_by_name.items()
        },
        "peer_touch_feedback_ms": median_ms(samples.peer_touch),
        "peer_touch_feedback_p90_ms": percentile_ms(samples.peer_touch, 0.9),
    }


def median_ms(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def percentile_ms(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)


def rss_mb() -> float:
    """This process's resident set size (VmRSS), MiB, once unreachable cycles are freed."""
    gc.collect()
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) * KIB / MIB, 1)
    raise RuntimeError("no VmRSS in /proc/self/status")


async def one_journey(d: KioskDriver, language: str) -> None:
    """A citizen's change of address, then the new session that wipes it."""
    await walk_change_of_address(d, language, file_number=SAMPLE_HOLDER.file_number)
    await d.tap("newSessionButton")
    await d.screen("attractScreen")


async def measure_journeys(kiosk: RunningKiosk) -> dict[str, Any]:
    """RSS every ``RSS_EVERY_JOURNEYS`` journeys, alternating French and English."""
    kiosk.ui.vm.newSession()  # back to the attract screen, as "start over" does
    before = rss_mb()
    trend: list[float] = []
    in_use_kb: list[float] = []
    started = time.monotonic()
    for count in range(1, JOURNEYS + 1):
        await one_journey(kiosk.driver, "fr" if count % 2 else "en")
        if count % RSS_EVERY_JOURNEYS == 0:
            trend.append(rss_mb())
            in_use_kb.append((malloc_in_use() or 0) // KIB)
            print(
                f"{count} journeys: RSS {trend[-1]} MB, malloc in use {in_use_kb[-1]} KB",
                file=sys.stderr,
                flush=True,
            )
    return {
        "rss_mb_before_journeys": before,
        RSS_KEY: trend[-1],
        "rss_mb_trend": {
            "journeys": list(range(RSS_EVERY_JOURNEYS, JOURNEYS + 1, RSS_EVERY_JOURNEYS)),
            "rss_mb": trend,
            "slope_mb_per_10_journeys_second_half": second_half_slope(trend),
        },
        "malloc_in_use_kb_trend": {
            "kb": in_use_kb,
            "slope_kb_per_10_journeys_second_half": second_half_slope(in_use_kb),
        },
        "malloc_tunables": os.environ.get("GLIBC_TUNABLES"),
        "journey_s": round((time.monotonic() - started) / JOURNEYS, 2),
    }


def second_half_slope(trend: list[float]) -> float | None:
    """Least-squares slope, MB per sample (10 journeys), from the middle sample on."""
    half = trend[max(0, len(trend) // 2 - 1) :]  # journeys 50, 60, ..., 100
    if len(half) < 2:
        return None
    slope, _ = statistics.linear_regression(range(len(half)), half)
    return round(slope, 2)


async def scenario(kiosk: RunningKiosk) -> dict[str, Any]:
    """The taps beside the peer, then the journeys on the kiosk alone."""
    peer = BareButtonWindow()
    try:
        taps = await measure_taps(kiosk, peer)
    finally:
        peer.close()
    print(f"taps: {json.dumps(taps)}", file=sys.stderr, flush=True)
    # Typing goes to the focused window: the peer's, while it was there.
    kiosk.driver.window.requestActivate()
    await kiosk.driver.wait_for(kiosk.driver.window.isActive, "the kiosk window's focus")
    return taps | await measure_journeys(kiosk)


def run(root: Path) -> dict[str, Any]:
    """Build the kiosk offline with quiet timers; measure it and its peer."""
    settings = local_settings(root / "kiosk", OFFLINE_BACKEND_URL, "no-backend", **QUIET_TIMERS)
    with running_kiosk(settings) as kiosk:
        return kiosk.run(scenario(kiosk))


def verdicts(figures: dict[str, Any]) -> dict[str, bool]:
    return {key: figures[key] <= target for key, target in TARGETS.items()}


def main() -> None:
    restart_with_kiosk_allocator()  # measure the kiosk as the ``kiosk`` command runs it
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    # Offline on purpose: one warning per failed sync round would drown the progress lines.
    for quiet in ("offline_queue.sync", "offline_queue.fleet_link", "offline_queue.analytics_sync"):
        logging.getLogger(quiet).setLevel(logging.ERROR)
    # What the kiosk itself creates (the harness would make a QApplication, with widgets).
    app = QGuiApplication.instance() or QGuiApplication(sys.argv)
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="vg-bench-ui-") as tmp:
            result = run(Path(tmp))
    finally:
        shutil.rmtree(CACHE_DIR, ignore_errors=True)
    result["ratio_touch_feedback_to_peer"] = round(
        result["touch_feedback_ms"] / result["peer_touch_feedback_ms"], 2
    )
    result["meets_targets"] = verdicts(result)
    result["qt_application"] = type(app).__name__
    result["targets"] = TARGETS
    result["run_s"] = round(time.monotonic() - started, 1)
    python = platform.python_version()
    qt = f"PySide6 {PySide6.__version__} ({os.environ['QT_QPA_PLATFORM']})"
    result["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {python}, {qt}"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    # Skip the interpreter's teardown: with the QGuiApplication and qasync gone,
    # Shiboken's objects can be collected in an order that aborts the process.
    os._exit(0)
