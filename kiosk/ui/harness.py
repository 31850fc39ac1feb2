"""A real kiosk in-process, on its own qasync loop, for tests and screenshots.

Same composition as `kiosk` itself (``build_services`` + ``KioskUi``); only the
settings differ, so what is tested and shown is what ships.
"""

from __future__ import annotations

import asyncio
import atexit
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from kiosk.call_desk import CallEngine
from kiosk.config import KioskSettings, load_settings
from kiosk.services import KioskServices, build_services
from kiosk.ui.driver import KioskDriver
from kiosk.ui.event_loop import KioskEventLoop
from kiosk.ui.runtime import KioskUi, prepare_web_engine

SCREEN_SIZE = (1920, 1080)
T = TypeVar("T")


def local_settings(root: Path, backend_url: str, token: str, **kiosk: object) -> KioskSettings:
    """Settings for a kiosk whose data all lives under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    token_file = root / "kiosk.token"
    token_file.write_text(token, encoding="utf-8")
    token_file.chmod(0o600)
    environ = {
        "VG_KIOSK__KIOSK__DATA_DIR": str(root / "data"),
        "VG_KIOSK__BACKEND__URL": backend_url,
        "VG_KIOSK__BACKEND__TOKEN_FILE": str(token_file),
        "VG_KIOSK__BACKEND__SYNC_INTERVAL_S": "0.5",
        "VG_KIOSK__DEVICES__PRINTER_SPOOL_DIR": str(root / "printed"),
    }
    environ |= {f"VG_KIOSK__KIOSK__{key.upper()}": str(value) for key, value in kiosk.items()}
    return load_settings(None, environ=environ)


@dataclass
class RunningKiosk:
    """The kiosk's parts, its window driver and the loop that runs them."""

    services: KioskServices
    ui: KioskUi
    driver: KioskDriver
    loop: asyncio.AbstractEventLoop

    def run(self, scenario: Coroutine[Any, Any, T]) -> T:
        """Run ``scenario`` with the sync worker alongside, as the kiosk runs.

        Tasks live only inside the loop's run: Qt may process events between
        two runs (pytest-qt does), and qasync would then step tasks with no
        running loop, which anyio (under httpx) refuses.
        """
        return self.loop.run_until_complete(self._with_sync_worker(scenario))

    async def _with_sync_worker(self, scenario: Coroutine[Any, Any, T]) -> T:
        worker = asyncio.ensure_future(self.services.run_background())
        try:
            await self.services.desk.prepare()
            return await scenario
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
            await self.ui.vm.settle()


_shared: list[asyncio.AbstractEventLoop] = []  # at most one: the process's loop


def shared_loop() -> asyncio.AbstractEventLoop:
    """The process's one qasync loop, made once, as the kiosk itself has one.

    A loop per test would leave qasync's timer objects to Python's garbage
    collector, which may destroy them from a worker thread later, while Qt still
    delivers their timer events: a crash, seen in about one run in five.
    """
    if not _shared or _shared[0].is_closed():
        if QGuiApplication.instance() is None:
            prepare_web_engine()
        app = QGuiApplication.instance() or QApplication([])
        _shared[:] = [KioskEventLoop(app)]
        # Its worker threads must be joined before Qt goes away at exit.
        atexit.register(close_shared_loop)
    asyncio.set_event_loop(_shared[0])
    return _shared[0]


def close_shared_loop() -> None:
    """Close the shared loop (its executor threads stop); idempotent."""
    for loop in _shared:
        if not loop.is_closed():
            loop.close()
    _shared.clear()
    asyncio.set_event_loop(None)


@contextmanager
def running_kiosk(
    settings: KioskSettings, call_engine: CallEngine | None = None
) -> Iterator[RunningKiosk]:
    """Build and show the kiosk; tear it down afterwards (the loop stays for the next).

    ``call_engine`` replaces the configured video engine (screenshots script the call).
    """
    loop = shared_loop()
    services = build_services(settings, loop)
    if call_engine is not None:
        services.call_engine = call_engine
    ui = KioskUi(services)
    ui.window.resize(*SCREEN_SIZE)
    try:
        yield RunningKiosk(services, ui, KioskDriver(ui.window), loop)
    finally:
        ui.close()
        loop.run_until_complete(services.aclose())
