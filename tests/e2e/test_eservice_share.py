"""The e-service page itself shared with the agent, end to end: masked, pointed at, docked.

Back end with its hub, coturn on loopback, the kiosk (offscreen, simulated
devices, video counter) whose catalogue's one e-service is the fake agency site
on loopback, and the agent console in headless Chromium. The citizen opens the
e-service, goes to its payment page, asks for help and agrees to share; the
agent accepts. Nothing here shares a test screen: the share is the one
``EServiceShare`` starts from the real web view. What the agent's browser
decodes must show the page (its title and address as context) with the
password field, typed into on the on-screen keyboard, nothing but the mask's
grey, while the page's heading stays readable; the agent's click puts the
pointer on the web view at that spot; the call docks beside the page and the
share ends with the call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtQuick import QQuickItem

from kiosk.call_desk import CallPhase
from kiosk.ui.driver import KioskDriver
from kiosk.ui.eservice_share import EServiceShare
from kiosk.ui.eservice_viewmodel import EServiceViewModel
from kiosk.ui.harness import RunningKiosk, running_kiosk
from tests.e2e.screen_share_stack import ScreenAgent, near, rgb_pixels
from tests.e2e.test_keyboard import key
from tests.e2e.video_stack import (
    BrowserThread,
    VideoBackend,
    open_console,
    video_kiosk_settings,
)
from tests.eservices.catalogues import eservice_catalogue
from tests.eservices.webview import js, page_titled, touch_in_page, until, view_of
from tests.fixtures.coturn import coturn  # noqa: F401 (fixture)
from tests.fixtures.eservice_site import FakeEService, fake_eservice  # noqa: F401 (fixture)
from video.screen_share import MASK_RGB, share_size
from video.turnserver import TurnServer

SERVICE = "change-of-address"  # a service the back end's queue takes, as an e-service here
SECRET = "secret"  # typed on the on-screen keyboard (lower-case letters only)
POINTER_TOLERANCE_PX = 12  # kiosk pixels, as in test_screen_share.py


def rect_js(selector: str) -> str:
    """A script giving the element's viewport rectangle in CSS px."""
    return (
        f"(function () {{ var r = document.querySelector({selector!r}).getBoundingClientRect();"
        " return {x: r.left, y: r.top, w: r.width, h: r.height}; })()"
    )


def share_catalogue(folder: Path, origin: str) -> Path:
    """The e-service tests' catalogue, its e-service in the agency and service the queue takes."""
    path = eservice_catalogue(folder, origin)
    text = path.read_text(encoding="utf-8")
    text = text.replace('id = "agence"', 'id = "riviere-claire"')
    text = text.replace('agency = "agence"', 'agency = "riviere-claire"')
    text = text.replace('id = "permit-online"', f'id = "{SERVICE}"')
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def share_kiosk(
    qapp: object,
    tmp_path: Path,
    stack_backend: VideoBackend,
    coturn: TurnServer,  # noqa: F811
    fake_eservice: FakeEService,  # noqa: F811
) -> Iterator[RunningKiosk]:
    settings = video_kiosk_settings(
        tmp_path / "kiosk", stack_backend, coturn, width=640, height=360, fps=15
    )
    catalogue = share_catalogue(tmp_path / "catalogue", fake_eservice.site.origin)
    kiosk = settings.kiosk.model_copy(update={"catalogue": catalogue})
    with running_kiosk(settings.model_copy(update={"kiosk": kiosk})) as running:
        yield running


class SharedPage:
    """The shared web view's geometry: page CSS px -> view pixels -> shared frame pixels."""

    def __init__(self, eservice: EServiceViewModel) -> None:
        self.eservice = eservice
        self.view = view_of(eservice)

    @property
    def frame_size(self) -> tuple[int, int]:
        return share_size(round(self.view.width()), round(self.view.height()))

    def to_frame(self, x: float, y: float) -> tuple[float, float]:
        """A view point in frame pixels (the share's scale)."""
        width, height = self.frame_size
        return x * width / self.view.width(), y * height / self.view.height()

    async def element(self, selector: str) -> QRectF:
        """Where the page's element is, in the view's pixels (CSS px times the zoom)."""
        box: dict[str, float] = await js(self.eservice, rect_js(selector))
        zoom = float(self.view.property("zoomFactor") or 1.0)
        return QRectF(box["x"] * zoom, box["y"] * zoom, box["w"] * zoom, box["h"] * zoom)

    async def sensitive(self) -> list[QRectF]:
        """The page's own report, ``window.__vgSensitiveRects()``, in the view's pixels."""
        found = await self.eservice.sensitive_rects()
        assert found is not None, "the page script did not answer"
        zoom = float(self.view.property("zoomFactor") or 1.0)
        return [
            QRectF(r["x"] * zoom, r["y"] * zoom, r["w"] * zoom, r["h"] * zoom)
            for r in found["rects"]
        ]

    def frame_box(self, rect: QRectF, inset: int) -> tuple[int, int, int, int]:
        """``rect`` (view pixels) in frame pixels, ``inset`` from its edges (codec blur)."""
        x, y = self.to_frame(rect.x(), rect.y())
        right, bottom = self.to_frame(rect.right(), rect.bottom())
        return (
            round(x) + inset,
            round(y) + inset,
            round(right - x) - 2 * inset,
            round(bottom - y) - 2 * inset,
        )


def pointer_centre(share: EServiceShare, view: QQuickItem) -> tuple[float, float] | None:
    """Where the agent's pointer ring is centred, in the web view's pixels, if shown."""
    pointer = share.pointer
    overlay = pointer.overlay if pointer is not None else None
    if overlay is None or not overlay.isVisible():
        return None
    ring = overlay.findChild(QQuickItem, "agentPointerRing")
    assert ring is not None
    centre = ring.mapToItem(view, QPointF(ring.width() / 2, ring.height() / 2))
    return centre.x(), centre.y()


def test_the_agent_sees_the_e_service_page_masked_points_at_it_and_the_share_ends_with_the_call(
    share_kiosk: RunningKiosk,
    stack_backend: VideoBackend,
    browser: BrowserThread,
    fake_eservice: FakeEService,  # noqa: F811
) -> None:
    d = share_kiosk.driver
    desk = share_kiosk.services.call_desk
    eservice = share_kiosk.ui.eservice
    share = share_kiosk.ui.share
    video = share_kiosk.services.video
    assert share is not None  # the kiosk has a video counter
    context = browser.open_chromium(fake_fps=15)

    async def scenario() -> None:
        agent = await browser.call(open_console(context, stack_backend.url))
        screen_agent = ScreenAgent(agent.page)
        await the_citizen_opens_the_payment_page(d, eservice)
        assert not share.property("active")

        # Help from the page, with consent to share; the agent accepts.
        await d.tap("eserviceHelp")
        await d.tap("callShareButton")
        await browser.call(agent.accept_call_about(SERVICE))
        await d.wait_for(lambda: desk.view.phase is CallPhase.CONNECTED, "the call connects")
        await d.wait_for(lambda: share.property("active"), "the e-service page shared")
        page = SharedPage(eservice)
        await the_call_is_docked_beside_the_page(d, page)

        # (a) The console shows the page, with its title and address.
        stats = await browser.call(screen_agent.sees_share(frames=10))
        assert stats["title"] == "Paiement"
        assert stats["url"] == fake_eservice.url("/secure")
        assert (stats["frameWidth"], stats["frameHeight"]) == page.frame_size
        camera = await browser.call(agent.wait_decoded(frames=5, stamped=1))
        assert camera["frameWidth"] == 640  # the camera is still the first video

        # (b) The citizen types a password on the on-screen keyboard.
        await the_citizen_types_the_password(d, eservice)
        await agent_sees_the_password_masked_and_the_heading(browser, page, screen_agent)

        # (c) The agent points at the heading: the pointer shows there on the kiosk.
        heading = await page.element("h1")
        spot = (heading.x() + 40, heading.center().y())
        await browser.call(screen_agent.click(*page.to_frame(*spot)))
        await d.wait_for(lambda: pointer_centre(share, page.view) is not None, "the pointer")
        centre = pointer_centre(share, page.view)
        assert centre is not None
        assert abs(centre[0] - spot[0]) < POINTER_TOLERANCE_PX, (centre, spot)
        assert abs(centre[1] - spot[1]) < POINTER_TOLERANCE_PX, (centre, spot)

        # (d) The agent ends the call: the share stops and the call is no longer docked.
        await browser.call(agent.end_call("resolved"))
        await d.wait_for(lambda: desk.view.phase is CallPhase.ENDED, "the call ends")
        await d.wait_for(lambda: not share.property("active"), "the share stops")
        overlay = await d.item("callOverlay")
        assert not overlay.property("docked")
        assert video is not None
        assert not video.call.sharing

    async def hung_up_on_failure() -> None:
        # A failure mid-call would leave the call's media up, and aiortc's decoder thread
        # (not a daemon) would keep the test process from exiting: the kiosk hangs up first.
        try:
            await scenario()
        except BaseException:
            if video is not None:
                await video.call.hang_up()
            raise

    share_kiosk.run(hung_up_on_failure())


async def the_citizen_opens_the_payment_page(d: KioskDriver, eservice: EServiceViewModel) -> None:
    """From the attract screen to the e-service's page with the password field."""
    await d.tap("attractTouchArea")
    await d.tap("languageEn")
    await d.tap(f"service_{SERVICE}")
    await d.screen("eserviceScreen")
    await page_titled(d, eservice, "Accueil du service")
    await touch_in_page(d, eservice, "#to-secure")
    await page_titled(d, eservice, "Paiement")


async def the_citizen_types_the_password(d: KioskDriver, eservice: EServiceViewModel) -> None:
    """A touch in the page's password field, then its letters on the on-screen keyboard."""
    await touch_in_page(d, eservice, "#pw")
    keyboard = await d.item("keyboard")
    await d.wait_for(lambda: keyboard.property("active"), "the on-screen keyboard")
    await d.settle()
    for letter in SECRET:
        # Through the driver (from the loop, not inside a task): Qt's input handling runs
        # loop callbacks, and nested inside a task it would strand the call's own tasks.
        pressed = key(keyboard, letter)
        centre = pressed.mapToScene(QPointF(pressed.width() / 2, pressed.height() / 2))
        await d.touch_at(centre.toPoint())
    typed = await until(
        lambda: js(eservice, "document.getElementById('pw').value"), "the password typed"
    )
    assert typed == SECRET


async def the_call_is_docked_beside_the_page(d: KioskDriver, page: SharedPage) -> None:
    """The call narrows to a column on the right; the web view is not under it."""
    overlay = await d.item("callOverlay")
    await d.wait_for(lambda: overlay.property("docked"), "the call docked")
    await d.settle()
    window_width = d.window.width()
    assert overlay.width() < window_width / 2, (overlay.width(), window_width)
    left = overlay.mapToScene(QPointF(0, 0)).x()
    view_right = page.view.mapToScene(QPointF(page.view.width(), 0)).x()
    assert view_right <= left + 1, (view_right, left)
    notice = await d.item("shareNotice")
    assert notice.isVisible()


async def agent_sees_the_password_masked_and_the_heading(
    browser: BrowserThread, page: SharedPage, agent: ScreenAgent
) -> None:
    """Where the page says the password is, the decoded frames are the mask's grey only."""
    rects = await page.sensitive()
    assert len(rects) == 4  # the password, the card number, its code, the marked field
    password = await page.element("#pw")
    assert rects[0] == password  # the page's report is where the field is
    box = page.frame_box(password, inset=2)
    assert box[2] > 20, box
    assert box[3] > 5, box
    heading = page.frame_box(await page.element("h1"), inset=2)
    for _ in range(3):  # three different frames, half a second apart
        masked = rgb_pixels(await browser.call(agent.pixels(*box)))
        assert len(masked) == box[2] * box[3]
        off = [p for p in masked if not near(p, MASK_RGB)]
        assert off == [], f"{len(off)} pixels of the password field are not masked: {off[:5]}"
        # ...and not everything is masked: the heading (white page, dark text) shows. A
        # frame may be masked whole (the page's mask report came late: the fail-safe);
        # the next ones show the page again.
        await the_heading_shows(browser, agent, heading)
        await asyncio.sleep(0.5)


async def the_heading_shows(
    browser: BrowserThread, agent: ScreenAgent, heading: tuple[int, int, int, int]
) -> None:
    grey: list[tuple[int, int, int]] = []
    shown: list[tuple[int, int, int]] = []
    for _ in range(30):  # 3 s
        shown = rgb_pixels(await browser.call(agent.pixels(*heading)))
        grey = [p for p in shown if near(p, MASK_RGB)]
        if len(grey) < len(shown) / 4:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the heading stays masked: {len(grey)}/{len(shown)}")
