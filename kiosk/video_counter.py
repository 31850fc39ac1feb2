"""The video counter wired from the kiosk's settings: hub link, call, cameras, engine.

Only built when ``[video] enabled = true``; without it "talk to a person" says
where the desk and the phone line are.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from kiosk.call_desk import CallDesk
from kiosk.call_engine import VideoCallEngine, journey_context
from kiosk.config import KioskSettings, VideoSection
from kiosk.i18n import Strings
from kiosk.journey import Journey
from peripherals.camera.errors import CameraError
from peripherals.camera.protocol import DocumentCamera
from peripherals.printer import Printer
from video.call import Call
from video.hub_client import HubClient
from video.media import MicrophoneTrack, OpenCvCameraTrack, PacedVideoTrack, SyntheticCameraTrack
from video.settings import CallSettings, VideoFormat
from video.signaling import IceServer
from video.stills import DocumentCameraStills


@dataclass
class VideoCounter:
    """The kiosk's video counter: the hub link, the call, and the engine the UI drives."""

    engine: VideoCallEngine
    call: Call
    hub: HubClient
    camera: DocumentCamera
    # Fed by the UI's audio input when ``[video] audio = "system"``.
    microphone: MicrophoneTrack | None = None

    async def run(self) -> None:
        """Keep the hub link up and read the call's signalling; returns only when cancelled."""
        self.call.start()
        try:
            await self.hub.run()
        finally:
            # No call task may outlive the loop's run: qasync would step it with no loop.
            await self.call.suspend()

    async def aclose(self) -> None:
        """End any call and release the tracks and the camera."""
        await self.call.close()
        with contextlib.suppress(CameraError):
            await self.camera.stop()


def call_settings(video: VideoSection) -> CallSettings:
    """The call's settings from the kiosk's ``[video]`` section."""
    return CallSettings(
        ice_servers=[
            IceServer(urls=entry.urls, username=entry.username, credential=entry.credential)
            for entry in video.ice_servers
        ],
        relay_only=video.relay_only,
        video=VideoFormat(width=video.width, height=video.height, fps=float(video.fps)),
    )


def face_camera(video: VideoSection) -> PacedVideoTrack:
    """The citizen-facing camera the configuration names."""
    fmt = VideoFormat(width=video.width, height=video.height, fps=float(video.fps))
    source = video.face_camera
    if source == "synthetic":
        return SyntheticCameraTrack(fmt)
    return OpenCvCameraTrack(int(source) if source.isdigit() else source, fmt)


def build_video_counter(
    settings: KioskSettings,
    *,
    desk: CallDesk,
    journey: Journey,
    strings: Strings,
    printer: Printer,
    camera: DocumentCamera,
    token: str,
) -> VideoCounter:
    """Wire the video counter from the settings (only when ``video.enabled``).

    ``camera`` is the kiosk's document camera, shared with the forms' scan step.
    """
    engine = VideoCallEngine(desk, lambda: journey_context(journey, strings))
    hub_url = settings.video.hub_for(str(settings.backend.url))
    # The hub is the back end: the same pinned context guards its socket.
    context = settings.backend.ssl_context() if hub_url.startswith("wss://") else None
    hub = HubClient(hub_url, token, ssl_context=context)
    microphone = MicrophoneTrack() if settings.video.audio == "system" else None
    call = Call(
        hub,
        call_settings(settings.video),
        kiosk_id=settings.kiosk.id,
        listener=engine,
        video=face_camera(settings.video),
        audio=microphone,
        stills=DocumentCameraStills(camera),
        printer=printer,
    )
    engine.attach(call)
    return VideoCounter(engine, call, hub, camera, microphone)
