"""Screen-share benchmark: frames per second and latency of the kiosk's shared screen.

The whole stack on loopback (back end with its hub, coturn, the kiosk offscreen
with a 640x360 camera call, the agent console in Debian's Chromium). The kiosk
shares a test screen (1920x1080 item, sent at 1280x720) holding a password
field and a block whose colour the benchmark flips.

- ``screen_share_fps``: frames of the screen decoded per second in the agent's
  browser (getStats ``framesDecoded`` of the screen's track over 10 s).
- ``screen_share_latency_ms``: from the kiosk changing the block's colour to
  the agent's browser presenting a frame where it changed (a canvas readback
  of that pixel on every presented frame); the median of 12 changes. Both
  processes run on this machine and read the same wall clock.

``measure()`` returns the figures (bench/eservice.py calls it); run as a
script, the last line printed is one JSON object.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the repository, not bench/, first on the
    sys.path[0] = str(Path(__file__).resolve().parents[1])  # path (bench/queue.py shadows queue)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")

import asyncio
import json
import logging
import statistics
import tempfile
import time
from typing import Any

from kiosk.ui.harness import RunningKiosk, running_kiosk
from tests.e2e.screen_share_stack import (
    FLIP_BOX,
    ScreenAgent,
    SharedScreen,
    share_test_screen,
)
from tests.e2e.video_stack import (
    BrowserThread,
    VideoBackend,
    citizen_reaches_agent,
    open_console,
    video_backend,
    video_kiosk_settings,
)
from video.state import Phase
from video.turnserver import TurnServer, start_turnserver

FPS_WINDOW_S = 10.0
WARM_UP_S = 3.0
FLIPS = 12
FLIP_EVERY_S = 0.7
TARGETS = {"screen_share_fps": 10, "screen_share_latency_ms": 250}


async def _wait_until(check: Any, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def _scenario(
    kiosk: RunningKiosk, browser: BrowserThread, backend: VideoBackend, context: Any
) -> dict[str, Any]:
    d = kiosk.driver
    video = kiosk.services.video
    assert video is not None
    call = video.call
    agent = await browser.call(open_console(context, backend.url))
    await citizen_reaches_agent(d, call, browser, agent, "en")
    await browser.call(agent.wait_decoded(frames=5, stamped=1))
    screen = share_test_screen(d.window, call, "The agent is showing you this")
    screen_agent = ScreenAgent(agent.page)
    await browser.call(screen_agent.sees_share(frames=5))
    await asyncio.sleep(WARM_UP_S)

    before = await browser.call(screen_agent.stats())
    started = time.monotonic()
    await asyncio.sleep(FPS_WINDOW_S)
    after = await browser.call(screen_agent.stats())
    fps = (after["framesDecoded"] - before["framesDecoded"]) / (time.monotonic() - started)
    latencies = await _flip_latencies(screen, browser, screen_agent)
    shots = os.environ.get("SCREEN_SHARE_SHOTS")  # a folder: keep what each side shows
    if shots:
        await browser.call(screen_agent.click(*screen.to_frame(1500, 750)))
        await _wait_until(lambda: screen.pointer_centre() is not None, "the pointer")
        await asyncio.sleep(0.3)
        d.window.grabWindow().save(str(Path(shots) / "kiosk-pointer.png"))
        await browser.call(agent.page.screenshot(path=str(Path(shots) / "console-share.png")))
    # The agent ends the call: nothing of it may outlive the kiosk's loop.
    await browser.call(agent.end_call("resolved"))
    await _wait_until(lambda: call.state.phase is Phase.ENDED, "the end of the call")
    return {
        "screen_share_fps": round(fps, 1),
        "screen_share_latency_ms": round(statistics.median(latencies), 1) if latencies else None,
        "screen_share_latencies_ms": [round(value) for value in latencies],
        "screen_share_frame": [after["frameWidth"], after["frameHeight"]],
        "screen_share_grab_ms": round(screen.source.grab_ms, 2),
        "screen_share_frames_masked": call.screen.frames_masked,
    }


async def _flip_latencies(
    screen: SharedScreen, browser: BrowserThread, agent: ScreenAgent
) -> list[float]:
    """Flip the block ``FLIPS`` times; each time, how long until the browser saw it."""
    x, y = screen.to_frame(FLIP_BOX[0] + FLIP_BOX[2] / 2, FLIP_BOX[1] + FLIP_BOX[3] / 2)
    await browser.call(agent.watch(round(x), round(y)))
    await asyncio.sleep(0.5)
    flipped_at: list[float] = []
    for _ in range(FLIPS):
        flipped_at.append(time.time() * 1000)
        screen.flip()
        await asyncio.sleep(FLIP_EVERY_S)
    stats = await browser.call(agent.stats())
    changes = [change["atMs"] for change in stats["changes"]]
    latencies = []
    for at in flipped_at:
        seen = next((when for when in changes if when >= at), None)
        if seen is not None and seen - at < FLIP_EVERY_S * 1000:
            latencies.append(seen - at)
    return latencies


def measure() -> dict[str, Any]:
    """Bring the stack up, share, measure; the figures with their targets."""
    with tempfile.TemporaryDirectory(prefix="vg-bench-share-") as tmp:
        turn = start_turnserver()
        try:
            figures = _measure_with(Path(tmp), turn)
        finally:
            turn.stop()
    figures["targets"] = TARGETS
    figures["meets_targets"] = {
        "screen_share_fps": (figures["screen_share_fps"] or 0) >= TARGETS["screen_share_fps"],
        "screen_share_latency_ms": figures["screen_share_latency_ms"] is not None
        and figures["screen_share_latency_ms"] <= TARGETS["screen_share_latency_ms"],
    }
    return figures


def _measure_with(root: Path, turn: TurnServer) -> dict[str, Any]:
    browser = BrowserThread()
    try:
        with video_backend(root / "backend", turn) as backend:
            settings = video_kiosk_settings(
                root / "kiosk", backend, turn, width=640, height=360, fps=15
            )
            context = browser.open_chromium(fake_fps=15)
            with running_kiosk(settings) as kiosk:
                return kiosk.run(_scenario(kiosk, browser, backend, context))
    finally:
        browser.close()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    del app
    print(json.dumps(measure()), flush=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)  # skip teardown: Qt, qasync and Playwright threads (as bench/call.py does)
