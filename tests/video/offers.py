"""The kiosk's offer, made by a :class:`PeerLink` that is closed at once."""

from __future__ import annotations

from aiortc.mediastreams import MediaStreamTrack

from video.media import SyntheticCameraTrack
from video.peer import PeerLink
from video.receiver import FrameStats, NullAudioSink, RemoteVideo
from video.settings import CallSettings, VideoFormat


async def kiosk_offer(audio: MediaStreamTrack | None) -> str:
    """The SDP of a small call's first offer, with ``audio`` as the citizen's voice."""
    settings = CallSettings(video=VideoFormat(width=160, height=120, fps=10))
    remote = RemoteVideo(FrameStats(), stale_ms=500, on_frame=lambda _: None, on_media=lambda: None)
    link = PeerLink(
        settings,
        video=SyntheticCameraTrack(settings.video),
        audio=audio,
        remote_video=remote,
        audio_sink=NullAudioSink(),
        on_media=lambda: None,
    )
    try:
        return await link.offer()
    finally:
        await link.close()
