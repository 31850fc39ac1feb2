"""The kiosk's offer: its voice and its picture in separate streams (no lip-sync hold-back)."""

from __future__ import annotations

import re

from video.media import SyntheticCameraTrack, ToneAudioTrack
from video.peer import PeerLink
from video.receiver import FrameStats, NullAudioSink, RemoteVideo
from video.settings import CallSettings, VideoFormat


def _msid_streams(sdp: str) -> dict[str, str]:
    """The msid stream id of each media section, by kind."""
    streams: dict[str, str] = {}
    for section in sdp.split("\r\nm=")[1:]:
        kind = section.split(" ", 1)[0]
        found = re.search(r"^a=msid:(\S+) ", section, re.MULTILINE)
        if found:
            streams[kind] = found.group(1)
    return streams


async def test_audio_and_video_are_offered_as_two_streams() -> None:
    settings = CallSettings(video=VideoFormat(width=160, height=120, fps=10))
    remote = RemoteVideo(FrameStats(), stale_ms=500, on_frame=lambda _: None, on_media=lambda: None)
    link = PeerLink(
        settings,
        video=SyntheticCameraTrack(settings.video),
        audio=ToneAudioTrack(),
        remote_video=remote,
        audio_sink=NullAudioSink(),
        on_media=lambda: None,
    )
    try:
        streams = _msid_streams(await link.offer())
    finally:
        await link.close()
    assert set(streams) == {"audio", "video"}
    assert streams["audio"] != streams["video"]
