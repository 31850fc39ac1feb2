"""The kiosk's offer: its voice and its picture in separate streams (no lip-sync hold-back)."""

from __future__ import annotations

import re

from tests.video.offers import kiosk_offer
from video.media import ToneAudioTrack


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
    streams = _msid_streams(await kiosk_offer(audio=ToneAudioTrack()))
    assert set(streams) == {"audio", "video"}
    assert streams["audio"] != streams["video"]
