"""A real aiortc-to-aiortc call on loopback: kiosk Call <-> test agent, through coturn."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from peripherals.camera.simulator import SimulatedDocumentCamera
from peripherals.printer.simulator import SimulatedPrinter
from peripherals.printer.testpage import render_selftest_page
from tests.video.agent_peer import AgentPeer, eventually, running
from video.call import Call
from video.channel import Chat, FileBegin, FileEnd, FileError, PrintDone
from video.listener import CallListener
from video.settings import CallSettings, VideoFormat
from video.signaling import Hangup, HangupOutcome
from video.signaller import memory_pair
from video.state import CallState, Phase
from video.stills import DocumentCameraStills
from video.transfer import sha256_hex
from video.turnserver import TurnServer

SMALL = VideoFormat(width=320, height=240, fps=15)


class Recorder(CallListener):
    """Keeps what the call told the UI."""

    def __init__(self) -> None:
        self.states: list[CallState] = []
        self.chats: list[Chat] = []
        self.prints: list[tuple[str, bool, str | None]] = []

    def state_changed(self, state: CallState) -> None:
        self.states.append(state)

    def chat_received(self, chat: Chat) -> None:
        self.chats.append(chat)

    def print_done(self, transfer_id: str, ok: bool, code: str | None) -> None:
        self.prints.append((transfer_id, ok, code))


def settings_for(coturn: TurnServer) -> CallSettings:
    return CallSettings(
        ice_servers=[coturn.ice_server()],
        relay_only=True,
        video=SMALL,
        reduced_video=VideoFormat(width=160, height=120, fps=10),
        adapt=False,
    )


async def test_a_call_carries_media_chat_captures_and_prints(  # noqa: PLR0915 one call's story
    coturn: TurnServer, tmp_path: Path
) -> None:
    settings = settings_for(coturn)
    kiosk_link, hub_link = memory_pair()
    camera = SimulatedDocumentCamera(reconnect_interval_s=None)
    camera.lay_document(3)
    printer = SimulatedPrinter(tmp_path / "spool")
    recorder = Recorder()
    agent = AgentPeer(hub_link, settings, SMALL)
    stills = DocumentCameraStills(camera)
    warmed_in: list[Phase] = []
    warm = stills.ready

    async def ready() -> None:
        warmed_in.append(call.state.phase)
        await warm()

    stills.ready = ready  # type: ignore[method-assign]
    call = Call(
        kiosk_link,
        settings,
        kiosk_id="kiosk-1",
        listener=recorder,
        stills=stills,
        printer=printer,
    )
    try:
        async with running(agent), call:
            await call.request("fr", service_id="etat-civil")
            await eventually(lambda: call.state.phase is Phase.CONNECTED, what="connected")
            phases = [s.phase for s in recorder.states]
            assert phases[:4] == [Phase.REQUESTING, Phase.QUEUED, Phase.CONNECTING, Phase.CONNECTED]
            assert recorder.states[1].position == 1
            assert call.state.agent_name == "Alex"
            # The document camera warms once the link is up, not during its setup.
            await eventually(lambda: bool(warmed_in), what="camera warmed")
            assert warmed_in == [Phase.CONNECTED]

            # Media both ways, with stamps read back on both sides.
            await eventually(lambda: call.stats.frames_decoded >= 10, what="kiosk frames")
            await eventually(lambda: agent.stats.frames_decoded >= 10, what="agent frames")
            assert call.stats.last_latency_ms is not None
            assert agent.stats.last_latency_ms is not None
            latest = call.latest_frame
            assert latest is not None
            assert latest.to_rgb().shape == (240, 320, 3)
            await eventually(lambda: call.audio_sink.frames > 0, what="kiosk audio")  # type: ignore[attr-defined]

            # Chat both ways.
            await eventually(lambda: call.session.is_open, what="channel open")
            call.send_chat("Bonjour, j'ai une question")
            agent.chat("Je vous écoute")
            await eventually(lambda: bool(recorder.chats), what="chat at the kiosk")
            assert recorder.chats[0].text == "Je vous écoute"
            await eventually(lambda: bool(agent.messages_of(Chat)), what="chat at the agent")
            assert agent.messages_of(Chat)[0].text == "Bonjour, j'ai une question"  # type: ignore[union-attr]

            # A capture arrives whole, at the page's full resolution.
            capture_id = agent.request_capture()
            await eventually(lambda: capture_id in agent.files, what="capture")
            begin, jpeg = agent.files[capture_id]
            assert begin.purpose == "capture"
            assert begin.mime == "image/jpeg"
            assert sha256_hex(jpeg) == begin.sha256
            image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
            assert image is not None
            # The sheet covers 80% of the 960-pixel-high desk: far more than any preview.
            assert image.shape[0] >= 700

            # A print request reaches the printer and is answered.
            pdf = render_selftest_page("agent form", datetime.now(UTC))
            print_id = await agent.print_pdf(pdf)
            await eventually(lambda: agent.answer_for(print_id) is not None, what="print_done")
            done = agent.answer_for(print_id)
            assert isinstance(done, PrintDone)
            assert done.ok
            assert len(printer.jobs) == 1
            assert printer.job_path(printer.jobs[0].job_id).read_bytes() == pdf
            assert recorder.prints == [(print_id, True, None)]

            # Hang up: the agent's side hears it.
            await call.hang_up()
            assert call.state.phase is Phase.ENDED
            assert call.state.outcome == HangupOutcome.CITIZEN_LEFT.value
            await eventually(
                lambda: any(isinstance(s, Hangup) for s in agent.signals), what="hangup"
            )
            assert agent.offers == 1  # no renegotiation on a clean link
    finally:
        await camera.close()


async def test_bad_data_channel_messages_are_refused_not_fatal(
    coturn: TurnServer, tmp_path: Path
) -> None:
    settings = settings_for(coturn)
    kiosk_link, hub_link = memory_pair()
    agent = AgentPeer(hub_link, settings, SMALL)
    call = Call(kiosk_link, settings, kiosk_id="kiosk-1", printer=SimulatedPrinter(tmp_path))
    async with running(agent), call:
        await call.request("en")
        await eventually(lambda: call.session.is_open, what="channel open")
        await eventually(lambda: agent.channel is not None, what="agent channel")
        assert agent.channel is not None
        agent.channel.send('{"type": "chat", "id": "x", "text": ""}')
        agent.channel.send("not json")
        agent.channel.send(b"\x00" * 10)  # a chunk outside any transfer
        # A print whose bytes do not match the hash.
        agent.send(
            FileBegin(
                id="p1",
                purpose="print",
                name="a.pdf",
                mime="application/pdf",
                size=4,
                sha256="0" * 64,
            )
        )
        agent.channel.send(b"%PDF")
        agent.send(FileEnd(id="p1"))
        # No camera here: a capture request gets a clean failure.
        capture_id = agent.request_capture()
        await eventually(lambda: agent.answer_for(capture_id) is not None, what="file_error")
        failure = agent.answer_for(capture_id)
        assert isinstance(failure, FileError)
        assert failure.code == "capture.no_camera"
        codes = [m.code for m in agent.received if m.type == "error"]  # type: ignore[union-attr]
        assert "channel.invalid" in codes
        assert "channel.bad_json" in codes
        assert "file.unexpected_chunk" in codes
        bad_print = agent.answer_for("p1")
        assert isinstance(bad_print, FileError)
        assert bad_print.code == "file.bad_hash"
        # The call is still up and carries chat.
        agent.chat("still there?")
        assert call.state.phase is Phase.CONNECTED
        await call.hang_up()
