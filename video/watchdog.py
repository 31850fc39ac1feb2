"""Is the current peer connection still carrying the call? A pure verdict, tested alone.

Connection state is not enough with aiortc (PLATFORM-NOTES): after a cut the
call stays "connected" while video comes back seconds old, or not at all, and
a lost link closes only after about 30 s. So the verdict looks at what
arrives: fresh video frames (stale ones are dropped before they count), remote
audio and data-channel traffic.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkActivity:
    """What arrived on the current connection (``time.monotonic()`` values)."""

    started_at: float  # when the connection came up
    last_fresh_video_at: float | None  # last frame shown (not stale), on this connection
    last_traffic_at: float | None  # last remote frame of any kind, or data-channel message
    expect_video: bool  # the agent says it sends video (quality full or reduced)


def dead_link_reason(
    activity: LinkActivity, now: float, *, media_timeout_s: float, first_media_timeout_s: float
) -> str | None:
    """Why the connection should be replaced, or ``None`` while it is fine.

    - ``no_media``: nothing at all arrived within ``first_media_timeout_s`` of
      connecting (a wrong TURN path, a half-open DTLS).
    - ``video_stalled``: video flowed, and no fresh frame for ``media_timeout_s``
      although the agent still sends video; audio and data may have come back
      after a cut while the video jitter buffer stays stuck on old packets.
    - ``silent``: nothing at all for ``media_timeout_s`` (an audio-only call too).
    """
    if activity.last_traffic_at is None:
        if now - activity.started_at > first_media_timeout_s:
            return "no_media"
        return None
    if (
        activity.expect_video
        and activity.last_fresh_video_at is not None
        and now - activity.last_fresh_video_at > media_timeout_s
    ):
        return "video_stalled"
    if now - activity.last_traffic_at > media_timeout_s:
        return "silent"
    return None


def backoff_s(attempt: int, first_s: float, ceiling_s: float) -> float:
    """Delay before renegotiation number ``attempt`` (1, 2...): doubling up to a ceiling."""
    return float(min(first_s * 2.0 ** max(attempt - 1, 0), ceiling_s))
