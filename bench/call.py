"""Video counter benchmark: a kiosk and the agent console in Chromium, on loopback.

One run measures, at 1280x720 and 30 fps:

- the kiosk (offscreen QML, simulated devices, synthetic stamped camera, a 4K
  simulated document camera) calling through the real back end and its hub to
  the agent console in Debian's headless Chromium, relay-only through a
  loopback coturn; the kiosk's TURN traffic goes through the UDP fault proxy
  (a process of its own, so its work is not billed to the kiosk);
- the peer: a two-way Chromium-to-Chromium call through the same coturn,
  relay-only, each side in a Chromium of its own so each can be measured.

Definitions (docs/BENCHMARKS.md): ``setup_ms`` from the agent's accept to the
first decoded frame on both sides (the peer: from the offer's start);
latencies from the capture time stamped in each frame to its presentation in
the browser; ``kiosk_cpu_pct`` the kiosk process's CPU over a two-way call;
``recovery_s`` from the link's return after a 10 s cut until the browser's
latency stays under 150 ms. Prints one JSON object as its last line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The repository, not bench/, first on the path: bench/queue.py would shadow the stdlib's.
sys.path[0] = str(Path(__file__).resolve().parents[1])
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

import asyncio  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from typing import Any  # noqa: E402

from bench._call_measure import (  # noqa: E402
    TIME_MODULUS_MS,
    ChromiumCpu,
    LatencySamples,
    percentile,
    recovery_after,
)
from bench._faultproxy import FaultProxyProcess  # noqa: E402
from kiosk.config import IceServerEntry  # noqa: E402
from kiosk.ui.harness import RunningKiosk, running_kiosk  # noqa: E402
from tests.e2e.video_stack import (  # noqa: E402
    AgentConsole,
    BrowserThread,
    VideoBackend,
    open_console,
    video_backend,
    video_kiosk_settings,
)
from tests.fixtures.chromium import (  # noqa: E402
    chromium_peer_call,
    console_static_app,
    launch_chromium,
    serve_app,
)
from video.state import Phase  # noqa: E402
from video.turnserver import TurnServer, start_turnserver  # noqa: E402

WIDTH, HEIGHT, FPS = 1280, 720, 30
# An agent reads the citizen's context before accepting (the console uses the ring
# to open the camera and gather; the kiosk prepared its offer while queued).
AGENT_READS_S = 1.0
WARM_UP_S = 5.0  # encoders ramp their bitrate up before we measure
MEASURE_S = 20.0
SNAPSHOTS = 3
CUT_S = 10.0
NORMAL_LATENCY_MS = 150
IMPAIRED = {"delay_ms": 100, "loss": 0.05, "rate_kbps": 1000}
IMPAIRED_SETTLE_S = 10.0
RECOVERY_TIMEOUT_S = 40.0
TARGETS = {
    "setup_ms": 500,
    "latency_k2a_p50_ms": 60,
    "latency_k2a_p95_ms": 100,
    "kiosk_cpu_pct": 60,
    "snapshot_4k_ms": 1500,
    "recovery_s": 3,
    "impaired_latency_p95_ms": 400,
}


async def wait_until(check: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    """Poll ``check`` on the kiosk's loop (no Qt sleeps: the loop must keep running)."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class KioskCallBench:
    """The kiosk's side of the run: one citizen's call, measured phase by phase."""

    def __init__(
        self, kiosk: RunningKiosk, browser: BrowserThread, agent: AgentConsole, proxy: Any
    ) -> None:
        self.kiosk = kiosk
        self.browser = browser
        self.agent = agent
        self.proxy = proxy
        video = kiosk.services.video
        assert video is not None, "the video counter is not configured"
        self.call = video.call
        self.samples = LatencySamples()
        self.figures: dict[str, Any] = {}

    async def console(self, script: str) -> Any:
        """Evaluate ``script`` in the console page."""
        return await self.browser.call(self.agent.page.evaluate(script))

    async def poll_samples(self, seconds: float, every_s: float = 1.0) -> None:
        """Keep the console's latency samples for ``seconds`` (its window is ~10 s)."""
        deadline = time.monotonic() + seconds
        while True:
            stats = await self.console("window.visioStats")
            self.samples.add(stats)
            self.trace(stats)
            if time.monotonic() >= deadline:
                return
            await asyncio.sleep(every_s)

    def trace(self, console: dict[str, Any]) -> None:
        """One progress line on stderr: what the console receives and the kiosk sends."""
        print(
            f"console {console['frameWidth']}x{console['frameHeight']}"
            f" {console['framesPerSecond']} fps, latency {console['lastStampLatencyMs']} ms"
            f" (jitter buffer {console['jitterBufferMs']} ms);"
            f" kiosk quality {self.call.quality.level.value};"
            f" repair {console.get('repair')}; kiosk encoder openings {self.encoder_openings()}",
            file=sys.stderr,
            flush=True,
        )

    async def run(self) -> dict[str, Any]:
        await self.connect()
        await self.two_way_call()
        await self.snapshots()
        await self.recovery()
        await self.impaired()
        await self.browser.call(self.agent.end_call("resolved"))
        await wait_until(lambda: self.call.state.phase is Phase.ENDED, "the kiosk's end of call")
        return self.figures

    async def connect(self) -> None:
        d = self.kiosk.driver
        await d.tap("attractTouchArea")
        await d.tap("languageFr")
        await d.tap("service_change-of-address")
        await d.tap("helpButton")
        await d.tap("callShareButton")
        ringing = self.agent.accept_call_about("change-of-address", reading_s=AGENT_READS_S)
        await self.browser.call(ringing)
        stats = self.call.stats
        await wait_until(lambda: stats.first_frame_wall_s is not None, "the kiosk's first frame")
        await self.browser.call(self.agent.wait_decoded(frames=1, stamped=0))
        console = await self.console("window.visioStats")
        assert stats.first_frame_wall_s is not None
        kiosk_first_ms = stats.first_frame_wall_s * 1000
        self.figures["setup_ms"] = round(
            max(kiosk_first_ms, console["firstFrameAtMs"]) - console["acceptedAtMs"], 1
        )
        self.figures["setup_console_first_frame_ms"] = round(
            console["firstFrameAtMs"] - console["acceptedAtMs"], 1
        )
        self.figures["setup_kiosk_first_frame_ms"] = round(
            kiosk_first_ms - console["acceptedAtMs"], 1
        )
        # Where the setup goes, as the console saw it (each from the previous mark).
        marks = ("acceptedAtMs", "offerAtMs", "answerAtMs", "connectedAtMs", "firstFrameAtMs")
        self.figures["setup_steps_ms"] = {
            later.removesuffix("AtMs"): round(console[later] - console[earlier], 1)
            for earlier, later in itertools.pairwise(marks)
            if console[later] is not None and console[earlier] is not None
        }

    async def two_way_call(self) -> None:
        await asyncio.sleep(WARM_UP_S)
        self.samples.add(await self.console("window.visioStats"))
        self.samples.clear()
        with ChromiumCpu.all_running() as console_cpu:
            started, cpu_started = time.monotonic(), time.process_time()
            kiosk_frames = self.call.stats.frames_decoded
            await self.poll_samples(MEASURE_S)
            elapsed = time.monotonic() - started
            kiosk_cpu = (time.process_time() - cpu_started) / elapsed * 100
        console = await self.console("window.visioStats")
        latencies = self.samples.latencies()
        self.figures |= {
            "latency_k2a_p50_ms": percentile(latencies, 0.5),
            "latency_k2a_p95_ms": percentile(latencies, 0.95),
            "latency_k2a_frames": len(latencies),
            "k2a_fps": round(len(latencies) / elapsed, 1),
            "console_frame": f"{console['frameWidth']}x{console['frameHeight']}",
            "a2k_fps": round((self.call.stats.frames_decoded - kiosk_frames) / elapsed, 1),
            "kiosk_cpu_pct": round(kiosk_cpu, 1),
            "console_chromium_cpu_pct": round(console_cpu.percent(), 1),
        }

    async def snapshots(self) -> None:
        times: list[float] = []
        size = ""
        for count in range(1, SNAPSHOTS + 1):
            capture = await self.browser.call(self.agent.capture(count))
            console = await self.console("window.visioStats")
            times.append(capture["shownAtMs"] - console["captureRequestedAtMs"])
            size = f"{capture['width']}x{capture['height']} ({capture['bytes']} bytes)"
        self.figures["snapshot_4k_ms"] = round(statistics.median(times), 1)
        self.figures["snapshot_runs_ms"] = [round(t, 1) for t in times]
        self.figures["snapshot_page"] = size

    async def recovery(self) -> None:
        self.samples.clear()
        self.samples.add(await self.console("window.visioStats"))
        renegotiations = self.supervisor_renegotiations()
        self.proxy.set(cut=True)
        await asyncio.sleep(CUT_S)
        self.proxy.set(cut=False)
        back_ms = time.time() * 1000 % TIME_MODULUS_MS
        kiosk_frames = self.call.stats.frames_decoded
        back_at = time.monotonic()
        recovered: float | None = None
        while recovered is None and time.monotonic() - back_at < RECOVERY_TIMEOUT_S:
            await asyncio.sleep(0.5)
            self.samples.add(await self.console("window.visioStats"))
            recovered = recovery_after(self.samples.samples, back_ms, NORMAL_LATENCY_MS)
        await wait_until(
            lambda: self.call.stats.frames_decoded > kiosk_frames + 30, "the kiosk's video back"
        )
        self.figures["recovery_s"] = None if recovered is None else round(recovered / 1000, 2)
        self.figures["recovery_renegotiations"] = self.supervisor_renegotiations() - renegotiations

    def encoder_openings(self) -> int | None:
        """How many times the camera's libvpx context was opened (each starts on a key frame)."""
        link = self.call.supervisor.link if self.call.supervisor else None
        if link is None:
            return None
        for sender in link.pc.getSenders():
            openings = getattr(getattr(sender, "_RTCRtpSender__encoder", None), "openings", None)
            if isinstance(openings, int) and sender.track is not None and sender.kind == "video":
                return openings
        return None

    def supervisor_renegotiations(self) -> int:
        supervisor = self.call.supervisor
        return 0 if supervisor is None else supervisor.renegotiations

    async def impaired(self) -> None:
        self.proxy.set(**IMPAIRED)
        await asyncio.sleep(IMPAIRED_SETTLE_S)
        self.samples.clear()
        self.samples.add(await self.console("window.visioStats"))
        await self.poll_samples(MEASURE_S)
        console = await self.console("window.visioStats")
        self.proxy.clear()
        latencies = self.samples.latencies()
        self.figures |= {
            "impaired_latency_p50_ms": percentile(latencies, 0.5),
            "impaired_latency_p95_ms": percentile(latencies, 0.95),
            "impaired_frames": len(latencies),
            "impaired_fps": round(len(latencies) / MEASURE_S, 1),
            "impaired_console_frame": f"{console['frameWidth']}x{console['frameHeight']}",
            "impaired_quality": str(self.call.quality.level.value),
        }


def measure_kiosk(root: Path, turn: TurnServer) -> dict[str, Any]:
    proxy = FaultProxyProcess(("127.0.0.1", turn.port))
    browser = BrowserThread()
    try:
        with video_backend(root / "backend", turn) as backend:
            return _kiosk_run(root, backend, turn, proxy, browser)
    finally:
        browser.close()
        proxy.stop()


def _kiosk_run(
    root: Path, backend: VideoBackend, turn: TurnServer, proxy: Any, browser: BrowserThread
) -> dict[str, Any]:
    settings = video_kiosk_settings(
        root / "kiosk", backend, turn, width=WIDTH, height=HEIGHT, fps=FPS
    )
    ice = turn.ice_server(port=proxy.port)  # the kiosk's leg goes through the fault proxy
    entry = IceServerEntry(urls=ice.urls, username=ice.username, credential=ice.credential)
    settings = settings.model_copy(
        update={
            "video": settings.video.model_copy(update={"ice_servers": [entry]}),
            "devices": settings.devices.model_copy(
                update={"document_camera_width": 3840, "document_camera_height": 2160}
            ),
        }
    )
    context = browser.open_chromium(fake_fps=FPS)
    with running_kiosk(settings) as kiosk:

        async def scenario() -> dict[str, Any]:
            agent = await browser.call(open_console(context, backend.url))
            return await KioskCallBench(kiosk, browser, agent, proxy).run()

        return kiosk.run(scenario())


async def measure_peer(turn: TurnServer) -> dict[str, Any]:
    """A two-way Chromium-to-Chromium call through the same coturn, relay-only."""
    ice = turn.ice_server()
    servers = [{"urls": ice.urls, "username": ice.username, "credential": ice.credential}]
    async with (
        ChromiumCpu.launched(launch_chromium(fake_fps=FPS)) as (sender_context, sender_cpu),
        ChromiumCpu.launched(launch_chromium(fake_fps=FPS)) as (receiver_context, _),
        serve_app(console_static_app()) as base_url,
        chromium_peer_call(
            sender_context,
            base_url,
            width=WIDTH,
            height=HEIGHT,
            fps=FPS,
            ice_servers=servers,
            relay_only=True,
            two_way=True,
            receiver_context=receiver_context,
        ) as call,
    ):
        await _wait_page(call.sender, "window.visioPeer.stats().firstFrameAtMs !== null")
        await _wait_page(call.receiver, "window.visioPeer.stats().firstFrameAtMs !== null")
        sender = await call.sender.evaluate("window.visioPeer.stats()")
        receiver = await call.stats()
        setup = max(sender["firstFrameAtMs"], receiver["firstFrameAtMs"]) - sender["offeredAtMs"]
        await asyncio.sleep(WARM_UP_S)
        samples = LatencySamples()
        samples.add(await call.stats())
        samples.clear()
        with sender_cpu.measuring() as cpu:
            deadline = time.monotonic() + MEASURE_S
            while time.monotonic() < deadline:
                await asyncio.sleep(1.0)
                samples.add(await call.stats())
        latencies = samples.latencies()
        return {
            "peer_setup_ms": round(setup, 1),
            "peer_latency_p50_ms": percentile(latencies, 0.5),
            "peer_latency_p95_ms": percentile(latencies, 0.95),
            "peer_fps": round(len(latencies) / MEASURE_S, 1),
            "peer_sender_cpu_pct": round(cpu.percent(), 1),
        }


async def _wait_page(page: Any, condition: str) -> None:
    await page.wait_for_function(f"() => {condition}", timeout=20_000)


def _ratio(ours: float | None, peer: float | None) -> float | None:
    return None if not ours or not peer else round(ours / peer, 2)


def main() -> None:
    # The call's own account of what it does (quality steps, renegotiations), on stderr.
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("video").setLevel(logging.INFO)
    with tempfile.TemporaryDirectory(prefix="vg-bench-call-") as tmp:
        turn = start_turnserver()
        try:
            kiosk = measure_kiosk(Path(tmp), turn)
            print(f"kiosk: {json.dumps(kiosk)}", file=sys.stderr, flush=True)
            peer = _run_in_thread_loop(measure_peer(turn))
        finally:
            turn.stop()
    result: dict[str, Any] = {**kiosk, **peer}
    result["ratios_to_peer"] = {
        "setup": _ratio(kiosk["setup_ms"], peer["peer_setup_ms"]),
        "latency_p50": _ratio(kiosk["latency_k2a_p50_ms"], peer["peer_latency_p50_ms"]),
        "latency_p95": _ratio(kiosk["latency_k2a_p95_ms"], peer["peer_latency_p95_ms"]),
        "cpu": _ratio(kiosk["kiosk_cpu_pct"], peer["peer_sender_cpu_pct"]),
    }
    result["meets_targets"] = {
        key: result.get(key) is not None and result[key] <= target
        for key, target in TARGETS.items()
    }
    result["targets"] = TARGETS
    python = sys.version.split()[0]
    result["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {python}"
    print(json.dumps(result))


def _run_in_thread_loop(work: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """Run on a fresh loop of a browser thread (the process's qasync loop is Qt's)."""
    thread = BrowserThread()
    try:
        return thread.submit(_awaited(work)).result(timeout=300)
    finally:
        thread.close()


async def _awaited(work: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    return await work


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    # Skip the interpreter's teardown: with a QGuiApplication, qasync and
    # Playwright's threads gone, Shiboken's objects can be collected in an
    # order that aborts the process after the figures are out.
    os._exit(0)
