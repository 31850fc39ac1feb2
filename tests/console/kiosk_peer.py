"""An aiortc peer standing for the kiosk in the console's tests: it offers, sends a stamped
camera and speaks the ``visio`` data channel with the kiosk's own message and transfer modules.

Relay-only through a loopback coturn, since aioice never offers 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaBlackhole
from aiortc.rtcconfiguration import RTCIceTransportPolicy

from video.channel import ChannelError, ChannelMessage, dump_channel_message, parse_channel_message
from video.media import SyntheticCameraTrack
from video.settings import VideoFormat
from video.transfer import FileReceiver, TransferError, send_file
from video.turnserver import TurnServer

# Small frames: the machine's two cores are shared, and the stamp needs only 8 px blocks.
TEST_VIDEO = VideoFormat(width=640, height=360, fps=15)
WAIT_TIMEOUT_S = 15.0


class KioskPeer:
    """The kiosk's side of a call: offerer, creator of the ``visio`` channel."""

    def __init__(self, turn: TurnServer) -> None:
        server = turn.ice_server()
        config = RTCConfiguration(
            iceServers=[
                RTCIceServer(
                    urls=server.urls, username=server.username, credential=server.credential
                )
            ],
            iceTransportPolicy=RTCIceTransportPolicy.RELAY,
        )
        self.pc = RTCPeerConnection(config)
        self.camera = SyntheticCameraTrack(TEST_VIDEO)
        self.pc.addTrack(self.camera)
        self.channel: RTCDataChannel = self.pc.createDataChannel("visio")
        self.opened = asyncio.Event()
        self.messages: asyncio.Queue[ChannelMessage] = asyncio.Queue()
        self.refused: list[str] = []  # codes of text frames that failed validation
        self.files: asyncio.Queue[tuple[Any, bytes]] = asyncio.Queue()
        self.transfer_errors: list[str] = []
        self._receiver = FileReceiver()
        self._sink = MediaBlackhole()
        self.channel.on("open", self.opened.set)
        self.channel.on("message", self._on_message)
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        # The console's camera and microphone are decoded and dropped, not queued up.
        self._sink.addTrack(track)

    def _on_message(self, data: str | bytes) -> None:
        try:
            if isinstance(data, bytes):
                self._receiver.chunk(data)
                return
            message = parse_channel_message(data)
        except ChannelError as err:
            self.refused.append(err.code)
            return
        except TransferError as err:
            self.transfer_errors.append(err.code)
            return
        if message.type == "file_begin":
            self._receiver.begin(message)
        elif message.type == "file_end":
            try:
                self.files.put_nowait(self._receiver.end(message))
            except TransferError as err:
                self.transfer_errors.append(err.code)
        else:
            self.messages.put_nowait(message)

    async def offer(self) -> str:
        """The complete offer SDP (aiortc gathers before setLocalDescription returns)."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self._sink.start()
        return self.pc.localDescription.sdp

    async def accept_answer(self, sdp: str) -> None:
        """Apply the console's answer and wait for the data channel to open."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        async with asyncio.timeout(WAIT_TIMEOUT_S):
            await self.opened.wait()

    def send(self, message: ChannelMessage) -> None:
        """Send a validated channel message."""
        self.channel.send(dump_channel_message(message))

    def send_raw(self, payload: str | bytes) -> None:
        """Send a frame as is (malformed on purpose)."""
        self.channel.send(payload)

    async def send_file(
        self, transfer_id: str, purpose: str, name: str, mime: str, data: bytes
    ) -> None:
        """Send a transfer with the kiosk's sender (file_begin, 16 KiB chunks, file_end)."""
        await send_file(
            self.channel, transfer_id=transfer_id, purpose=purpose, name=name, mime=mime, data=data
        )

    async def next_message(self, kind: str) -> Any:
        """The next channel message of type ``kind`` from the console."""
        async with asyncio.timeout(WAIT_TIMEOUT_S):
            while True:
                message = await self.messages.get()
                if message.type == kind:
                    return message

    async def close(self) -> None:
        """Close the peer connection and the media sink."""
        await self._sink.stop()
        await self.pc.close()
