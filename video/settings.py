"""Settings of the kiosk's video call: ICE servers, video format, watchdog timeouts."""

from __future__ import annotations

from typing import Annotated

from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCBundlePolicy, RTCIceTransportPolicy
from pydantic import BaseModel, ConfigDict, Field

from video.signaling import IceServer


class VideoFormat(BaseModel):
    """A sent video format: size and frame rate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    width: Annotated[int, Field(ge=160, le=3840)] = 1280
    height: Annotated[int, Field(ge=90, le=2160)] = 720
    fps: Annotated[float, Field(gt=0, le=60)] = 30.0


class CallSettings(BaseModel):
    """Everything the call needs to know that is not the signalling link or a device.

    ``relay_only`` forces TURN (kiosks behind strict firewalls, and the loopback
    tests, since aioice never offers 127.0.0.1). ``media_timeout_s`` is the
    watchdog: once media flowed, this long without a remote frame and without
    data-channel traffic means the link is dead whatever ICE says.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    ice_servers: list[IceServer] = []
    relay_only: bool = False
    video: VideoFormat = VideoFormat()
    reduced_video: VideoFormat = VideoFormat(width=640, height=360, fps=15.0)
    send_audio: bool = True
    adapt: bool = True
    media_timeout_s: Annotated[float, Field(gt=0)] = 2.0
    # A fresh peer connection must be connected this long after its offer went out.
    connect_timeout_s: Annotated[float, Field(gt=0)] = 10.0
    # Before a relay-only renegotiation: a TURN server that has not answered a
    # STUN request within this is unreachable, and the probe is tried again.
    turn_probe_timeout_s: Annotated[float, Field(gt=0)] = 1.0
    reconnect_backoff_s: tuple[float, float] = (0.5, 5.0)  # first delay, ceiling
    # A remote frame whose stamp is older than this is stale (a jitter-buffer backlog).
    stale_frame_ms: Annotated[int, Field(gt=0)] = 1_000

    def rtc_configuration(self) -> RTCConfiguration:
        """The aiortc configuration for a new peer connection."""
        servers = [
            RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
            for s in self.ice_servers
        ]
        policy = RTCIceTransportPolicy.RELAY if self.relay_only else RTCIceTransportPolicy.ALL
        # Balanced, not max-bundle: with max-bundle aiortc 1.16 never checks the candidates
        # of Chromium's answer (seen in the console end-to-end test). Chromium accepts the
        # offered BUNDLE group anyway, so media and data still share one transport.
        return RTCConfiguration(
            iceServers=servers, iceTransportPolicy=policy, bundlePolicy=RTCBundlePolicy.BALANCED
        )
