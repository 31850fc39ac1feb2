"""The video counter end to end: a citizen at the kiosk and an agent in real Chromium.

Back end with its hub (a process), the kiosk (offscreen QML, simulated devices,
synthetic camera, relay-only through coturn), and the agent console in
headless Chromium with fake media. The agent accepts; video flows both ways;
chat goes both ways; the agent sees a document capture; a print request comes
out of the kiosk's printer; the agent ends the call.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfgen.canvas import Canvas

from kiosk.call_desk import CallPhase
from kiosk.ui.harness import RunningKiosk
from tests.e2e.video_stack import (
    AgentConsole,
    BrowserThread,
    VideoBackend,
    citizen_reaches_agent,
    open_console,
)
from tests.fixtures.coturn import coturn  # noqa: F401 (fixture)
from video import playout_delay
from video.call import Call


def sample_pdf(path: Path) -> bytes:
    canvas = Canvas(str(path))
    canvas.drawString(72, 720, "Formulaire de changement d'adresse - a remplir")
    canvas.save()
    return path.read_bytes()


def test_agent_and_citizen_talk_chat_capture_and_print(
    video_kiosk: RunningKiosk, stack_backend: VideoBackend, browser: BrowserThread, tmp_path: Path
) -> None:
    d = video_kiosk.driver
    desk = video_kiosk.services.call_desk
    video = video_kiosk.services.video
    assert video is not None
    context = browser.open_chromium(fake_fps=15)
    pdf_bytes = sample_pdf(tmp_path / "form.pdf")
    spool = video_kiosk.services.settings.devices.printer_spool_dir
    view = video_kiosk.ui.call._view_item
    assert view is not None

    async def scenario() -> None:
        agent = await browser.call(open_console(context, stack_backend.url))
        # The citizen starts a change of address, then asks for a person, sharing answers.
        await citizen_reaches_agent(d, video.call, browser, agent, "fr")

        # Video both ways: decoded in the browser (getStats, stamps) and at the kiosk.
        stats = await browser.call(agent.wait_decoded(frames=20, stamped=5))
        assert stats["frameWidth"] == 640
        assert isinstance(stats["lastStampLatencyMs"], int | float)
        await d.wait_for(lambda: video.call.stats.frames_decoded > 20, "kiosk decodes the agent")
        await d.wait_for(lambda: view.property("framesShown") > 10, "the agent on screen")

        await low_latency_and_loss_protection(video.call, browser, agent)

        # Chat: the agent writes, the kiosk shows a caption; the citizen answers by a tap.
        await browser.call(agent.write("Bonjour, je suis Ana."))
        await d.wait_for(
            lambda: any(c.text == "Bonjour, je suis Ana." for c in desk.view.captions),
            "the agent's line as a caption",
        )
        await d.tap("reply_yes")
        await browser.call(agent.sees_citizen_line("Oui"))

        # Document capture at full resolution, shown in the agent's gallery.
        capture = await browser.call(agent.capture())
        assert capture["height"] >= 700  # the flattened page at camera resolution

        # Print at the kiosk: the PDF the agent picked comes out of the kiosk printer.
        before = set(spool.glob("*.pdf")) if spool.exists() else set()
        await browser.call(agent.print_at_kiosk(tmp_path / "form.pdf"))
        printed = set(spool.glob("*.pdf")) - before
        assert [path.read_bytes() for path in printed] == [pdf_bytes]

        # The citizen steps away: the agent covers the screen; back, one touch lifts it.
        await browser.call(agent.cover_screen())
        await d.wait_for(lambda: desk.curtained, "the privacy curtain")
        await d.tap("curtainTouchArea")
        await browser.call(agent.sees_citizen_back())
        assert not desk.curtained

        # The agent ends the call; the citizen is told and keeps their paperwork.
        await browser.call(agent.end_call("resolved"))
        await d.wait_for(lambda: desk.view.phase is CallPhase.ENDED, "the call ends")
        assert video_kiosk.services.journey.session.service_id == "change-of-address"

    video_kiosk.run(scenario())


async def low_latency_and_loss_protection(
    call: Call, browser: BrowserThread, agent: AgentConsole
) -> None:
    """The browser agreed to show the kiosk's frames as they come (playout-delay), and
    takes the copies loss protection sends on its RTX stream."""
    link = call.supervisor.link if call.supervisor else None
    assert link is not None
    assert link.pc.remoteDescription is not None
    assert f" {playout_delay.URI}\r\n" in link.pc.remoteDescription.sdp
    for _ in range(2):
        link.shield.update(0.2)  # two lossy seconds, as the receiver would report
    assert link.shield.on
    copied = await browser.call(agent.receives_retransmissions(packets=30))
    before = copied["framesDecoded"]  # and the picture goes on
    await browser.call(agent.wait_decoded(frames=before + 15, stamped=5))
