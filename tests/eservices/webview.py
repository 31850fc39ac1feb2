"""Driving the kiosk's e-service web view from tests: open it, read the page, touch in it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF
from PySide6.QtQuick import QQuickItem

from kiosk.ui.driver import KioskDriver
from kiosk.ui.eservice_viewmodel import EServiceViewModel
from kiosk.ui.harness import RunningKiosk, local_settings, running_kiosk
from tests.eservices.catalogues import eservice_catalogue

PAGE_TIMEOUT_S = 10.0


@contextmanager
def eservice_kiosk(root: Path, origin: str, **kiosk: object) -> Iterator[RunningKiosk]:
    """An offline kiosk whose catalogue has one e-service at ``origin``."""
    catalogue = eservice_catalogue(root / "catalogue", origin)
    settings = local_settings(
        root / "kiosk", "http://127.0.0.1:9", "no-backend", catalogue=catalogue, **kiosk
    )
    with running_kiosk(settings) as running:
        yield running


async def open_eservice(d: KioskDriver, language: str = "fr") -> None:
    """From the attract screen to the e-service screen."""
    await d.screen("attractScreen")
    await d.tap("attractTouchArea")
    await d.tap("languageFr" if language == "fr" else "languageEn")
    await d.screen("serviceScreen")
    await d.tap("service_permit-online")
    await d.screen("eserviceScreen")


async def page_titled(d: KioskDriver, eservice: EServiceViewModel, title: str) -> None:
    """Wait until the web view shows the page titled ``title``."""
    await d.wait_for(lambda: eservice.property("currentTitle") == title, f"page {title!r}")


def view_of(eservice: EServiceViewModel) -> QQuickItem:
    item = eservice.property("eserviceItem")
    assert isinstance(item, QQuickItem)
    return item


async def go(d: KioskDriver, eservice: EServiceViewModel, url: str, title: str) -> None:
    """Show ``url`` (as a pushed link would) and wait for its page."""
    assert eservice.openUrl(url)
    await page_titled(d, eservice, title)


async def js(eservice: EServiceViewModel, script: str) -> Any:
    return await eservice.run_javascript(script)


async def page_painted(eservice: EServiceViewModel) -> None:
    """Wait until the page shown has produced frames (two animation frames from now).

    Chromium drops input that arrives before a new page's first paint (a page
    cannot be touched before it is seen), so a touch right after the load is lost.
    """
    await js(
        eservice,
        "window.__vgFrames = 0; requestAnimationFrame(function () {"
        " requestAnimationFrame(function () { window.__vgFrames = 2; }); }); 0",
    )
    await until(lambda: js(eservice, "window.__vgFrames === 2"), "the page painted")


async def touch_in_page(d: KioskDriver, eservice: EServiceViewModel, selector: str) -> None:
    """A real touch (mouse press and release) on the page's element: a user gesture."""
    await page_painted(eservice)
    box = await js(
        eservice,
        f"(function () {{ var r = document.querySelector({selector!r}).getBoundingClientRect();"
        " return [r.left + r.width / 2, r.top + r.height / 2]; })()",
    )
    view = view_of(eservice)
    zoom = float(view.property("zoomFactor"))
    await d.touch_at(view.mapToScene(QPointF(box[0] * zoom, box[1] * zoom)).toPoint())


async def until(condition: Any, what: str, timeout_s: float = PAGE_TIMEOUT_S) -> Any:
    """Poll an async ``condition()`` until it gives a truthy value (bounded)."""
    async with asyncio.timeout(timeout_s):
        while True:
            value = await condition()
            if value:
                return value
            await asyncio.sleep(0.05)
    raise AssertionError(what)  # pragma: no cover (the timeout raises first)
