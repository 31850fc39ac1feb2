"""A real kiosk on its qasync loop, wired to a real back end process on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.ui.harness import RunningKiosk, close_shared_loop, local_settings, running_kiosk
from tests.e2e.video_stack import BrowserThread, VideoBackend, video_backend, video_kiosk_settings
from tests.fixtures.backend import RunningBackend
from tests.fixtures.coturn import coturn  # noqa: F401 (fixture of the video stack below)
from video.turnserver import TurnServer


@pytest.fixture(scope="session", autouse=True)
def shared_loop_closed(qapp: object) -> Iterator[None]:
    """Close the kiosk's shared loop while Qt is still there (before qapp goes)."""
    yield
    close_shared_loop()


@pytest.fixture
def kiosk(qapp: object, tmp_path: Path, backend_server: RunningBackend) -> Iterator[RunningKiosk]:
    settings = local_settings(tmp_path / "kiosk", backend_server.url, backend_server.kiosk_token)
    with running_kiosk(settings) as running:
        yield running


@pytest.fixture
def offline_kiosk(qapp: object, tmp_path: Path) -> Iterator[RunningKiosk]:
    """A kiosk whose back end does not answer (port 9 on loopback)."""
    settings = local_settings(tmp_path / "kiosk", "http://127.0.0.1:9", "no-backend")
    with running_kiosk(settings) as running:
        yield running


# The video counter's stack: back end with its hub, a kiosk in a call, the agent's browser.
@pytest.fixture
def stack_backend(tmp_path: Path, coturn: TurnServer) -> Iterator[VideoBackend]:  # noqa: F811
    with video_backend(tmp_path / "backend", coturn) as backend:
        yield backend


@pytest.fixture
def video_kiosk(
    qapp: object,
    tmp_path: Path,
    stack_backend: VideoBackend,
    coturn: TurnServer,  # noqa: F811
) -> Iterator[RunningKiosk]:
    settings = video_kiosk_settings(
        tmp_path / "kiosk", stack_backend, coturn, width=640, height=360, fps=15
    )
    with running_kiosk(settings) as kiosk:
        yield kiosk


@pytest.fixture
def browser() -> Iterator[BrowserThread]:
    thread = BrowserThread()
    try:
        yield thread
    finally:
        thread.close()
