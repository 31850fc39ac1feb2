"""Remote media: decoded frames for the UI, their statistics, and audio to a sink.

A frame whose stamp shows it is stale (a jitter-buffer backlog after a cut,
see PLATFORM-NOTES) is dropped, never shown: the citizen must not watch the
agent of ten seconds ago. Frames without a stamp (a browser camera) are shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from numpy.typing import NDArray

from video.stamp import read_stamp, stamp_age_ms


@dataclass(frozen=True, eq=False)
class RemoteFrame:
    """One decoded remote frame; convert it only if you show it (conversion costs CPU)."""

    frame: av.VideoFrame
    received_at: float  # time.monotonic()
    latency_ms: int | None  # capture-to-decode, when the sender stamped the frame

    @property
    def width(self) -> int:
        """Width in pixels."""
        return int(self.frame.width)

    @property
    def height(self) -> int:
        """Height in pixels."""
        return int(self.frame.height)

    def to_rgb(self) -> NDArray[np.uint8]:
        """The picture as an (height, width, 3) RGB array (for a QImage: Format_RGB888)."""
        return np.asarray(self.frame.to_ndarray(format="rgb24"), dtype=np.uint8)

    def to_bgra(self, width: int, height: int) -> NDArray[np.uint8]:
        """The picture scaled to ``width`` x ``height``, BGRA, one row of bytes per line.

        One swscale pass converts and scales together, so a view can draw the
        result pixel for pixel: BGRA is, byte for byte, a little-endian
        QImage ``Format_RGB32``, the format raster painting copies fastest.
        The array is (height, bytes per line), contiguous and without a copy:
        lines may end in alignment padding beyond ``width * 4`` bytes.
        """
        scaled = self.frame.reformat(
            width=width, height=height, format="bgra", interpolation="BILINEAR"
        )
        plane = scaled.planes[0]
        rows = np.frombuffer(memoryview(plane), np.uint8)
        return rows[: height * plane.line_size].reshape(height, plane.line_size)


@dataclass
class FrameStats:
    """Statistics of the remote video, for the UI, the watchdog and the benchmark."""

    frames_decoded: int = 0
    frames_dropped_stale: int = 0
    last_frame_at: float | None = None  # time.monotonic() of the last decoded frame
    first_frame_wall_s: float | None = None  # time.time() of the call's first: setup time
    last_latency_ms: int | None = None
    latencies_ms: list[int] | None = None  # every stamped latency, when recording

    def reset(self) -> None:
        """Start counting again (a new call); the object is shared, so reset in place."""
        recording = self.latencies_ms is not None
        self.__init__(latencies_ms=[] if recording else None)  # type: ignore[misc]

    def frame_age_s(self, now: float | None = None) -> float | None:
        """Seconds since the last decoded frame (``None`` before the first)."""
        if self.last_frame_at is None:
            return None
        return (time.monotonic() if now is None else now) - self.last_frame_at


def luma_plane(frame: av.VideoFrame) -> NDArray[np.uint8]:
    """The Y plane of a decoded ``yuv420p`` frame, without a colour conversion."""
    plane = frame.planes[0]
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(frame.height, plane.line_size)
    return np.asarray(rows[:, : frame.width], dtype=np.uint8)


class AudioSink(Protocol):
    """Where remote audio goes (speakers in the kiosk, nothing in tests)."""

    async def write(self, frame: av.AudioFrame) -> None:
        """Play (or drop) one frame; must not block the loop."""
        ...

    async def close(self) -> None:
        """Release the output."""
        ...


class NullAudioSink:
    """An :class:`AudioSink` that counts frames and plays nothing."""

    def __init__(self) -> None:
        self.frames = 0

    async def write(self, frame: av.AudioFrame) -> None:
        """Count the frame."""
        self.frames += 1

    async def close(self) -> None:
        """Nothing to release."""


class RemoteVideo:
    """Consumes one remote video track: stamps, stale drops, stats and the latest frame."""

    def __init__(
        self,
        stats: FrameStats,
        *,
        stale_ms: int,
        on_frame: Callable[[RemoteFrame], None],
        on_media: Callable[[], None],
    ) -> None:
        self._stats = stats
        self._stale_ms = stale_ms
        self._on_frame = on_frame
        self._on_media = on_media
        self.latest: RemoteFrame | None = None
        self._fresh = asyncio.Condition()

    async def consume(self, track: MediaStreamTrack) -> None:
        """Read ``track`` until it ends (the peer connection closed)."""
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.VideoFrame)
                self._on_media()
                await self._accept(frame)

    async def _accept(self, frame: av.VideoFrame) -> None:
        now = time.monotonic()
        stamp = read_stamp(luma_plane(frame)) if frame.format.name == "yuv420p" else None
        latency = None if stamp is None else stamp_age_ms(stamp)
        if latency is not None and latency > self._stale_ms:
            self._stats.frames_dropped_stale += 1
            return
        stats = self._stats
        stats.frames_decoded += 1
        stats.last_frame_at = now
        if stats.first_frame_wall_s is None:
            stats.first_frame_wall_s = time.time()
        if latency is not None:
            stats.last_latency_ms = latency
            if stats.latencies_ms is not None:
                stats.latencies_ms.append(latency)
        remote = RemoteFrame(frame, now, latency)
        self.latest = remote
        self._on_frame(remote)
        async with self._fresh:
            self._fresh.notify_all()

    async def frames(self) -> AsyncIterator[RemoteFrame]:
        """The latest frame each time a new one arrives (slow readers skip frames)."""
        shown: list[RemoteFrame | None] = [None]  # a cell the predicate reads
        while True:
            async with self._fresh:
                await self._fresh.wait_for(lambda: self.latest is not shown[0])
            latest = self.latest
            assert latest is not None
            shown[0] = latest
            yield latest


async def play_audio(
    track: MediaStreamTrack, sink: AudioSink, on_media: Callable[[], None]
) -> None:
    """Feed remote audio to ``sink`` until the track ends."""
    with contextlib.suppress(MediaStreamError):
        while True:
            frame = await track.recv()
            assert isinstance(frame, av.AudioFrame)
            on_media()
            await sink.write(frame)
