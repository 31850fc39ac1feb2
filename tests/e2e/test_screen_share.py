"""The kiosk shares its screen with the agent in a live call, masked, and the agent points.

Back end with its hub, the kiosk (offscreen QML, relay-only through coturn),
and the agent console in headless Chromium. A test screen over the kiosk's
window holds a password field (green behind magenta dots) and a red marker.
What the agent's browser decodes must show the marker and, where the password
is, nothing but the mask's grey; a click on the shared video puts the pointer
on the kiosk at that spot; a pushed address opens only inside the allow-list.
"""

from __future__ import annotations

import asyncio

import pytest

from kiosk.call_desk import CallPhase
from kiosk.ui.driver import KioskDriver
from kiosk.ui.harness import RunningKiosk
from tests.e2e.screen_share_stack import (
    ALLOWED_ORIGIN,
    MARKER_BOX,
    PAGE_TITLE,
    PASSWORD_BOX,
    ScreenAgent,
    SharedScreen,
    near,
    rgb_pixels,
    share_test_screen,
)
from tests.e2e.video_stack import (
    BrowserThread,
    VideoBackend,
    citizen_reaches_agent,
    open_console,
)
from tests.fixtures.coturn import coturn  # noqa: F401 (fixture)
from video.screen_share import MASK_RGB

SECRET = "Zq7-SECRET-Zq7"
MARKER_CENTRE = (MARKER_BOX[0] + MARKER_BOX[2] / 2, MARKER_BOX[1] + MARKER_BOX[3] / 2)


def test_the_agent_sees_the_masked_screen_points_at_it_and_pushes_a_link(
    video_kiosk: RunningKiosk, stack_backend: VideoBackend, browser: BrowserThread
) -> None:
    d = video_kiosk.driver
    desk = video_kiosk.services.call_desk
    video = video_kiosk.services.video
    assert video is not None
    call = video.call
    context = browser.open_chromium(fake_fps=15)

    async def scenario() -> None:
        agent = await browser.call(open_console(context, stack_backend.url))
        screen_agent = ScreenAgent(agent.page)
        await citizen_reaches_agent(d, call, browser, agent, "en")
        await browser.call(agent.wait_decoded(frames=5, stamped=1))

        # The citizen is on an e-service page and types a password; the share starts.
        screen = share_test_screen(d.window, call, "The agent is showing you this")
        field = screen.child("sharedPassword")
        await d.type_into("sharedPassword", SECRET)
        await d.wait_for(lambda: field.property("text") == SECRET, "the password typed")

        stats = await browser.call(screen_agent.sees_share(frames=15))
        assert stats["title"] == PAGE_TITLE
        assert (stats["frameWidth"], stats["frameHeight"]) == screen.frame_size == (1280, 720)
        # The camera's figures are still the camera's (the screen is another track).
        camera = await browser.call(agent.wait_decoded(frames=5, stamped=1))
        assert camera["frameWidth"] == 640

        await d.wait_for(lambda: call.screen.frames_masked > 10, "masked frames sent")
        await agent_sees_the_password_masked_and_the_marker(browser, screen, screen_agent)
        await agent_points_at_the_marker(d, browser, screen, screen_agent)
        await agent_pushes_links(d, browser, screen, screen_agent)

        # The share stops: the console hides the screen.
        call.stop_share()
        await browser.call(
            agent.page.wait_for_function("() => window.visioScreen.sharing === false")
        )
        # The agent ends the call: nothing of it may outlive the kiosk's loop.
        await browser.call(agent.end_call("resolved"))
        await d.wait_for(lambda: desk.view.phase is CallPhase.ENDED, "the call ends")
        assert not call.sharing

    video_kiosk.run(scenario())


async def agent_sees_the_password_masked_and_the_marker(
    browser: BrowserThread, screen: SharedScreen, agent: ScreenAgent
) -> None:
    """Where the password is, the decoded frame is the mask's grey only; the marker shows."""
    x, y, w, h = PASSWORD_BOX
    fx, fy = screen.to_frame(x, y)
    fw, fh = screen.to_frame(w, h)
    inset = 4  # the codec blurs a block's edge with its neighbour
    box = (round(fx) + inset, round(fy) + inset, round(fw) - 2 * inset, round(fh) - 2 * inset)
    for _ in range(3):  # three different frames, half a second apart
        masked = rgb_pixels(await browser.call(agent.pixels(*box)))
        assert len(masked) == box[2] * box[3]
        off = [p for p in masked if not near(p, MASK_RGB)]
        assert off == [], f"{len(off)} pixels of the password field are not masked: {off[:5]}"
        await asyncio.sleep(0.5)
    # ...and the frames are not simply all masked: the red marker is there.
    mx, my = screen.to_frame(*MARKER_CENTRE)
    marker = rgb_pixels(await browser.call(agent.pixels(round(mx) - 20, round(my) - 20, 40, 40)))
    assert all(near(p, (255, 0, 0)) for p in marker), marker[:5]


async def agent_points_at_the_marker(
    d: KioskDriver, browser: BrowserThread, screen: SharedScreen, agent: ScreenAgent
) -> None:
    """A click on the marker's centre in the console: the pointer shows there on the kiosk."""
    await browser.call(agent.click(*screen.to_frame(*MARKER_CENTRE)))
    await d.wait_for(lambda: screen.pointer_centre() is not None, "the agent's pointer")
    centre = screen.pointer_centre()
    assert centre is not None
    assert abs(centre[0] - MARKER_CENTRE[0]) < 12
    assert abs(centre[1] - MARKER_CENTRE[1]) < 12
    assert screen.pointed[-1][0] == pytest.approx(MARKER_CENTRE[0] / 1920, abs=0.01)


async def agent_pushes_links(
    d: KioskDriver, browser: BrowserThread, screen: SharedScreen, agent: ScreenAgent
) -> None:
    """A link inside the service's allow-list opens; one outside is refused to the agent."""
    allowed = ALLOWED_ORIGIN + "passeport/aide"
    await browser.call(agent.push_url(allowed))
    await d.wait_for(lambda: screen.opened == [allowed], "the allowed link opened")
    await browser.call(agent.push_url("https://phishing.example/login"))
    refusal = await browser.call(agent.sees_refusal())
    assert "allow-list" in refusal
    await d.wait_for(lambda: len(screen.asked) == 2, "the kiosk checked the second link")
    assert screen.opened == [allowed]
