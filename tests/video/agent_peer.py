"""A small agent console in aiortc, for the kiosk's call tests.

It plays the hub and the console at once on an in-memory signalling link:
queues the call, accepts it, answers every offer by replacing its peer
connection (as the real console does), sends a stamped synthetic camera and a
tone, and speaks the data-channel protocol (chat, capture requests, prints).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable

from aiortc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from video.channel import (
    CaptureRequest,
    ChannelMessage,
    Chat,
    FileBegin,
    FileEnd,
    FileError,
    PrintDone,
    dump_channel_message,
    parse_channel_message,
)
from video.media import SyntheticCameraTrack, ToneAudioTrack, TrackTap
from video.peer import close_peer_connection, settle_turn_allocations
from video.receiver import FrameStats, NullAudioSink, RemoteVideo, play_audio
from video.settings import CallSettings, VideoFormat
from video.signaling import (
    Answer,
    CallAccepted,
    CallRequest,
    Hangup,
    Offer,
    QueuePosition,
    SignalMessage,
)
from video.signaller import MemorySignaller
from video.transfer import FileReceiver, send_file


class AgentPeer:
    """The far end of a kiosk call; run :meth:`serve` as a task, :meth:`close` after."""

    def __init__(
        self, hub: MemorySignaller, settings: CallSettings, video_format: VideoFormat
    ) -> None:
        self._hub = hub
        self._settings = settings
        self.video = SyntheticCameraTrack(video_format)
        self.audio = ToneAudioTrack()
        self.stats = FrameStats(latencies_ms=[])
        self._remote = RemoteVideo(
            self.stats,
            stale_ms=settings.stale_frame_ms,
            on_frame=lambda f: None,
            on_media=lambda: None,
        )
        self.sink = NullAudioSink()
        self.pc: RTCPeerConnection | None = None
        self.channel: RTCDataChannel | None = None
        self.received: list[ChannelMessage] = []
        self.files: dict[str, tuple[FileBegin, bytes]] = {}
        self.signals: list[SignalMessage] = []
        self.offers = 0
        self._receiver = FileReceiver()
        self._tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self.call_id = "call-1"

    async def serve(self) -> None:
        """Answer the kiosk's signalling until cancelled."""
        async for message in self._hub.messages():
            self.signals.append(message)
            match message:
                case CallRequest():
                    await self._hub.send(
                        QueuePosition(call_id=self.call_id, position=1, estimated_wait_s=20)
                    )
                    await self._hub.send(CallAccepted(call_id=self.call_id, agent_name="Alex"))
                case Offer():
                    await self._answer(message.sdp)
                case Hangup():
                    await self._close_pc()

    async def _answer(self, sdp: str) -> None:
        await self._close_pc()  # every offer replaces the connection, as the console does
        self.offers += 1
        pc = RTCPeerConnection(self._settings.rtc_configuration())
        self.pc = pc
        pc.on("datachannel", self._on_channel)
        pc.on("track", self._on_track)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        for transceiver in pc.getTransceivers():
            track: MediaStreamTrack = self.video if transceiver.kind == "video" else self.audio
            pc.addTrack(TrackTap(track))
        await pc.setLocalDescription(await pc.createAnswer())
        assert pc.localDescription is not None
        await self._hub.send(Answer(call_id=self.call_id, sdp=pc.localDescription.sdp))

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "video":
            self._spawn(self._remote.consume(track))
        else:
            self._spawn(play_audio(track, self.sink, lambda: None))

    def _on_channel(self, channel: RTCDataChannel) -> None:
        self.channel = channel
        channel.on("message", self._on_message)

    def _on_message(self, data: str | bytes) -> None:
        if isinstance(data, bytes):
            self._receiver.chunk(data)
            return
        message = parse_channel_message(data)
        self.received.append(message)
        if isinstance(message, FileBegin):
            self._receiver.begin(message)
        elif isinstance(message, FileEnd):
            begin, content = self._receiver.end(message)
            self.files[begin.id] = (begin, content)

    # -- actions of the test ----------------------------------------------

    def send(self, message: ChannelMessage) -> None:
        """Send on the current data channel."""
        assert self.channel is not None
        assert self.channel.readyState == "open"
        self.channel.send(dump_channel_message(message))

    def chat(self, text: str) -> None:
        """Send a chat line."""
        self.send(Chat(id=f"a{next(self._ids)}", text=text))

    def request_capture(self) -> str:
        """Ask the kiosk for a still; the transfer id."""
        transfer_id = f"cap{next(self._ids)}"
        self.send(CaptureRequest(id=transfer_id))
        return transfer_id

    async def print_pdf(self, pdf: bytes, name: str = "form.pdf") -> str:
        """Send a PDF to print; the transfer id."""
        transfer_id = f"pr{next(self._ids)}"
        assert self.channel is not None
        await send_file(
            self.channel,
            transfer_id=transfer_id,
            purpose="print",
            name=name,
            mime="application/pdf",
            data=pdf,
        )
        return transfer_id

    def messages_of(self, kind: type[ChannelMessage]) -> list[ChannelMessage]:
        """Received data-channel messages of one type."""
        return [m for m in self.received if isinstance(m, kind)]

    def answer_for(self, transfer_id: str) -> PrintDone | FileError | None:
        """The kiosk's print_done or file_error for ``transfer_id``, if it came."""
        for message in self.received:
            if isinstance(message, PrintDone | FileError) and message.id == transfer_id:
                return message
        return None

    async def close(self) -> None:
        """Close the connection, tasks and tracks."""
        await self._close_all()
        await settle_turn_allocations()
        self.video.stop()
        self.audio.stop()

    async def _close_pc(self) -> None:
        pc, self.pc = self.pc, None
        self.channel = None
        if pc is not None:
            # In the background, as a browser does: on a dead path aiortc takes seconds.
            self._spawn(close_peer_connection(pc))

    async def _close_all(self) -> None:
        await self._close_pc()
        tasks, self._tasks = list(self._tasks), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, work: object) -> None:
        task = asyncio.get_running_loop().create_task(work)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def eventually(
    check: Callable[[], bool], timeout_s: float = 30.0, what: str = "condition"
) -> None:
    """Poll ``check`` until true; fail after a generous deadline (not a timing assertion)."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout_s} s")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running(agent: AgentPeer):  # type: ignore[no-untyped-def]
    """Serve ``agent`` for the duration of the block."""
    task = asyncio.get_running_loop().create_task(agent.serve())
    try:
        yield agent
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await agent.close()
