"""One peer connection of the call: built fresh for the first offer and every renegotiation.

aiortc has no ``restartIce``: recovering from a dead link means a new
``RTCPeerConnection`` (fresh ICE, DTLS, jitter buffers and data channel). A
:class:`PeerLink` is that one connection and the tasks that read its remote
tracks; :meth:`close` ends all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from aiortc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from video.encoder import install as install_encoder
from video.media import TrackTap
from video.playout_delay import install as install_playout_delay
from video.protection import LossShield
from video.receiver import AudioSink, RemoteVideo, play_audio
from video.screen_share import SCREEN_STREAM_PREFIX
from video.settings import CallSettings

_log = logging.getLogger(__name__)
CHANNEL_LABEL = "visio"


class PeerLink:
    """A peer connection with the kiosk's tracks and the ``visio`` data channel.

    ``failed`` is set when ICE or the connection fails or closes; ``connected``
    when the connection is up.
    """

    def __init__(
        self,
        settings: CallSettings,
        *,
        video: MediaStreamTrack,
        audio: MediaStreamTrack | None,
        remote_video: RemoteVideo,
        audio_sink: AudioSink,
        on_media: Callable[[], None],
        screen: MediaStreamTrack | None = None,
    ) -> None:
        install_encoder()  # VP8 at the speed a kiosk can afford (video/encoder.py)
        install_playout_delay()  # the agent's browser shows our frames as they come
        self.pc = RTCPeerConnection(settings.rtc_configuration())
        self.connected = asyncio.Event()
        self.failed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._remote_video = remote_video
        self._audio_sink = audio_sink
        self._on_media = on_media
        # Taps: aiortc stops a sent track when its connection closes; the sources live on.
        camera = self.pc.addTrack(TrackTap(video))
        self.shield = LossShield(camera)  # copies on a lossy link (video/protection.py)
        if audio is not None:
            voice = self.pc.addTrack(TrackTap(audio))
            # A stream of its own (its own msid): a browser lip-syncs the tracks of
            # one stream, delaying the picture to the audio's playout buffer, which
            # added up to 100 ms of video latency at the console. aiortc has no
            # streams argument to addTrack; its sender keeps the id in `_stream_id`.
            voice._stream_id = str(uuid.uuid4())
        else:  # still receive the agent's voice
            self.pc.addTransceiver("audio", direction="recvonly")
        if screen is not None:
            # The screen share, negotiated from the first offer (aiortc renegotiates
            # only by a fresh connection): send-only, a stream of its own whose id
            # tells the console it is the screen. It sends nothing until shared.
            shared = self.pc.addTransceiver(TrackTap(screen), direction="sendonly")
            shared.sender._stream_id = f"{SCREEN_STREAM_PREFIX}{uuid.uuid4()}"
        self.channel: RTCDataChannel = self.pc.createDataChannel(CHANNEL_LABEL, ordered=True)
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)
        self.pc.on("iceconnectionstatechange", self._on_state)

    async def offer(self) -> str:
        """Create the offer with every candidate gathered (no trickle): its SDP."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        description = self.pc.localDescription
        assert description is not None  # set just above
        return description.sdp

    async def accept_answer(self, sdp: str) -> None:
        """Apply the agent's answer; ICE and DTLS start."""
        answer = RTCSessionDescription(sdp=with_candidates_everywhere(sdp), type="answer")
        await self.pc.setRemoteDescription(answer)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` as long as this connection lives."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Close the connection and end its tasks (idempotent)."""
        self.failed.set()
        await close_peer_connection(self.pc)
        tasks, self._tasks = list(self._tasks), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "video":
            self.spawn(self._remote_video.consume(track))
        elif track.kind == "audio":
            self.spawn(play_audio(track, self._audio_sink, self._on_media))

    def _on_state(self) -> None:
        state, ice = self.pc.connectionState, self.pc.iceConnectionState
        _log.debug("connection %s, ice %s", state, ice)
        if state == "connected":
            self.connected.set()
        if state in ("failed", "closed") or ice in ("failed", "closed"):
            self.failed.set()


def with_candidates_everywhere(sdp: str) -> str:
    """``sdp`` with the first media section's ICE candidates copied to sections that have none.

    A bundling browser lists its candidates in the first section only. aiortc
    keys the remote candidates by ICE transport and keeps the *last* section of
    each: the camera and the screen share share one video transport, so the
    screen's section (without candidates) would leave it none to check, and the
    call would never connect. The candidates are the transport's either way.
    """
    head, *sections = sdp.split("\r\nm=")
    candidates = next(
        (
            [line for line in section.split("\r\n") if line.startswith(_CANDIDATE_LINES)]
            for section in sections
            if "\r\na=candidate:" in section
        ),
        [],
    )
    if not candidates:
        return sdp
    patched = [
        section
        if "\r\na=candidate:" in section or section.split(" ", 2)[1] == "0"  # 0: rejected
        else _append_lines(section, candidates)
        for section in sections
    ]
    return "\r\nm=".join([head, *patched])


_CANDIDATE_LINES = ("a=candidate:", "a=end-of-candidates")


def _append_lines(section: str, lines: list[str]) -> str:
    ending = "\r\n" if section.endswith("\r\n") else ""  # the last section ends the SDP
    return "\r\n".join([section.removesuffix("\r\n"), *lines]) + ending


async def close_peer_connection(pc: RTCPeerConnection) -> None:
    """Close ``pc`` to the end even if the caller is cancelled meanwhile.

    A cancelled ``await pc.close()`` cancels aiortc's shared "closed" future,
    and the close running in aiortc's own task then fails with
    ``InvalidStateError``: shield it, finish it, then let the cancellation go on.
    """
    closing = asyncio.ensure_future(pc.close())
    try:
        await asyncio.shield(closing)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await closing
        raise
    except Exception:  # closing a half-built pc may raise inside aiortc
        _log.debug("error while closing a peer connection", exc_info=True)


async def settle_turn_allocations(timeout_s: float = 2.0) -> None:
    """Wait for aioice's background TURN deletions, so their sockets close now.

    ``RTCPeerConnection.close()`` returns before aioice has deleted its TURN
    allocations (a REFRESH with lifetime 0, in a task of its own). At shutdown,
    and between tests, that task must finish or be cancelled (it closes its
    socket either way), or the socket outlives the event loop.
    """
    tasks = [task for task in asyncio.all_tasks() if _is_turn_close(task)]
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=timeout_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _is_turn_close(task: asyncio.Task[Any]) -> bool:
    code = getattr(task.get_coro(), "cr_code", None)
    return getattr(code, "co_qualname", "") == "TurnTransport._close"
