"""The video counter's whole stack for end-to-end tests and the call benchmark.

A ``kiosk-backend serve`` process with the hub, skill queues open around the
clock and one agent account; coturn on loopback (aioice never offers
127.0.0.1, so the kiosk reaches the console through a relay); and the agent
console in Debian's Chromium, driven by Playwright on a thread of its own
(the kiosk's qasync loop is not Playwright's).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from playwright.async_api import BrowserContext, Page, expect

from kiosk.config import IceServerEntry, KioskSettings, VideoSection
from kiosk.ui.driver import KioskDriver
from kiosk.ui.harness import local_settings
from tests.fixtures.backend import (
    REPO_ROOT,
    _free_port,
    _provision,
    _server_env,
    _stop,
    _wait_until_healthy,
)
from tests.fixtures.chromium import launch_chromium, wait_for_js
from video.call import Call
from video.state import Phase
from video.turnserver import TurnServer

T = TypeVar("T")
AGENT_ID = "ana"
AGENT_NAME = "Ana Tremblay"
AGENT_PASSWORD = "correct-horse-battery"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN_QUEUES = (
    'time_zone = "America/Toronto"\n\n[[queue]]\nid = "riviere-claire"\n'
    'agency = "riviere-claire"\nlanguages = ["fr", "en"]\n'
    'services = ["change-of-address", "copy-of-record", "appointment"]\n\n[queue.hours]\n'
    + "".join(f'{day} = "00:00-23:59"\n' for day in _DAYS)
)


@dataclass(frozen=True)
class VideoBackend:
    """The back end with its hub, and the credentials to reach it."""

    url: str
    kiosk_token: str
    data_dir: Path


@contextmanager
def video_backend(data_dir: Path, turn: TurnServer) -> Iterator[VideoBackend]:
    """Start ``kiosk-backend serve`` with the video counter configured; stop it after."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "queues.toml").write_text(ALWAYS_OPEN_QUEUES, encoding="utf-8")
    ice = turn.ice_server()
    config = data_dir / "backend.toml"
    config.write_text(
        'data_dir = "."\n\n[calls]\nqueues_file = "queues.toml"\n'
        f'ice_servers = [{{ urls = ["{ice.urls[0]}"], username = "{ice.username}", '
        f'credential = "{ice.credential}" }}]\n',
        encoding="utf-8",
    )
    kiosk_token = _provision(config, "add-kiosk", "kiosk-test-01", data_dir / "kiosk.token")
    subprocess.run(
        [sys.executable, "-m", "backend.cli", "add-agent", AGENT_ID, "--config", str(config),
         "--name", AGENT_NAME, "--skills", "agency:riviere-claire,language:fr,language:en",
         "--password-stdin"],
        input=AGENT_PASSWORD.encode(), check=True, cwd=REPO_ROOT, env=_server_env(),
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "server.log"
    command = [sys.executable, "-m", "backend.cli", "serve", "--config", str(config)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as stream:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=_server_env(), stdout=stream, stderr=stream
        )
    try:
        if not _wait_until_healthy(process, url, log):
            raise RuntimeError(f"kiosk-backend exited at start:\n{log.read_text()}")
        yield VideoBackend(url, kiosk_token, data_dir)
    finally:
        _stop(process)


def video_kiosk_settings(
    root: Path, backend: VideoBackend, turn: TurnServer, *, width: int, height: int, fps: int
) -> KioskSettings:
    """A kiosk with the video counter on, relay-only through the loopback coturn."""
    settings = local_settings(root, backend.url, backend.kiosk_token, id="kiosk-test-01")
    ice = turn.ice_server()
    video = VideoSection(
        enabled=True,
        relay_only=True,
        ice_servers=[
            IceServerEntry(urls=ice.urls, username=ice.username, credential=ice.credential)
        ],
        width=width,
        height=height,
        fps=fps,
    )
    return settings.model_copy(update={"video": video})


class BrowserThread:
    """Playwright's asyncio loop on its own thread; the kiosk's loop awaits its work."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._stack = AsyncExitStack()

    def submit(self, work: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(work, self.loop)

    async def call(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the browser's loop and await it from the caller's loop."""
        return await asyncio.wrap_future(self.submit(work))

    def open_chromium(self, **options: Any) -> BrowserContext:
        return self.submit(self._stack.enter_async_context(launch_chromium(**options))).result()

    def close(self) -> None:
        self.submit(self._stack.aclose()).result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


WAIT_MS = 20_000


class AgentConsole:
    """What the agent does in the console, as coroutines for the browser's loop."""

    def __init__(self, page: Page) -> None:
        self.page = page

    async def accept_call_about(self, service_id: str, reading_s: float = 0.0) -> None:
        """Accept the ringing call about ``service_id`` after ``reading_s`` of reading it."""
        offered = self.page.locator("li.offered")
        await expect(offered).to_contain_text(service_id, timeout=WAIT_MS)
        if reading_s:
            await asyncio.sleep(reading_s)
        await offered.get_by_role("button", name="Accept").click()

    async def wait_decoded(self, frames: int, stamped: int) -> dict[str, Any]:
        """Wait until the console decoded ``frames`` frames, ``stamped`` with a stamp."""
        await wait_for_js(
            self.page,
            f"() => window.visioStats && window.visioStats.framesDecoded > {frames}"
            f" && window.visioStats.stampedFrames > {stamped}",
            timeout=WAIT_MS,
        )
        return await visio_stats(self.page)

    async def receives_retransmissions(self, packets: int) -> dict[str, Any]:
        """Wait until the browser received ``packets`` RTX packets of the kiosk's video."""
        await wait_for_js(
            self.page,
            f"() => window.visioStats.repair.retransmittedPacketsReceived > {packets}",
            timeout=WAIT_MS,
        )
        return await visio_stats(self.page)

    async def write(self, text: str) -> None:
        await self.page.get_by_label("Message to the citizen").fill(text)
        await self.page.get_by_role("button", name="Send").click()

    async def sees_citizen_line(self, text: str) -> None:
        await expect(self.page.locator("#chat-log .citizen")).to_contain_text(text, timeout=WAIT_MS)

    async def capture(self, count: int = 1) -> dict[str, Any]:
        """Ask the kiosk for a still; return it once it shows in the gallery."""
        await self.page.get_by_role("button", name="Request a document capture").click()
        await wait_for_js(
            self.page, f"() => window.visioStats.captures.length === {count}", timeout=WAIT_MS
        )
        await expect(self.page.locator(".thumb")).to_have_count(count)
        captures: list[dict[str, Any]] = (await visio_stats(self.page))["captures"]
        return captures[-1]

    async def print_at_kiosk(self, pdf: Path) -> None:
        await self.page.get_by_text("Print at the kiosk").click()
        await self.page.get_by_label("PDF document").set_input_files(str(pdf))
        await self.page.get_by_role("button", name="Print", exact=True).click()
        await expect(self.page.locator("#print-status")).to_contain_text(
            "was printed", timeout=WAIT_MS
        )

    async def cover_screen(self) -> None:
        """The citizen stepped away: cover the kiosk's screen."""
        await self.page.get_by_role("button", name="Privacy curtain").click()

    async def sees_citizen_back(self) -> None:
        await expect(self.page.locator("#curtain")).to_have_attribute(
            "aria-pressed", "false", timeout=WAIT_MS
        )
        await expect(self.page.locator("#chat-log")).to_contain_text(
            "lifted the curtain", timeout=WAIT_MS
        )

    async def end_call(self, outcome: str) -> None:
        await self.page.get_by_label("Outcome").select_option(outcome)
        await self.page.get_by_role("button", name="End the call").click()
        await expect(self.page.locator("#agent-state")).to_have_text("Wrap-up", timeout=WAIT_MS)


async def citizen_reaches_agent(
    d: KioskDriver, call: Call, browser: BrowserThread, agent: AgentConsole, language: str
) -> None:
    """The citizen starts a change of address in ``language`` ("fr" or "en") and asks for a
    person, sharing their answers; the agent accepts; the call connects."""
    await d.tap("attractTouchArea")
    await d.tap(f"language{language.capitalize()}")
    await d.tap("service_change-of-address")
    await d.tap("helpButton")
    await d.tap("callShareButton")
    await browser.call(agent.accept_call_about("change-of-address"))
    await d.wait_for(lambda: call.state.phase is Phase.CONNECTED, "the call connects")


async def open_console(context: BrowserContext, backend_url: str) -> AgentConsole:
    """A new console tab, signed in and available."""
    page = await context.new_page()
    await sign_in_available(page, backend_url)
    return AgentConsole(page)


async def sign_in_available(page: Page, backend_url: str) -> None:
    """Open the console, sign in as the test agent and become available."""
    await page.goto(f"{backend_url.replace('127.0.0.1', 'localhost')}/console/")
    await page.get_by_label("Agent id").fill(AGENT_ID)
    await page.get_by_label("Password").fill(AGENT_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#agent-name")).to_have_text(AGENT_NAME)
    await page.locator("#state-available").click()
    await expect(page.locator("#agent-state")).to_have_text("Available")


async def visio_stats(page: Page) -> dict[str, Any]:
    """The console's ``window.visioStats`` (frames decoded, stamp latencies, captures)."""
    stats: dict[str, Any] = await page.evaluate("() => window.visioStats")
    return stats
