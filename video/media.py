"""Local media sources: the synthetic face camera, a real camera, a tone.

Every video track produces ``av.VideoFrame`` with a 90 kHz ``pts`` taken from
the wall clock and is paced by it: a slow consumer makes the track skip frames,
never queue them, so latency cannot build up at the source. The synthetic
camera stamps each frame with its capture time (see :mod:`video.stamp`).
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import math
import time
from collections.abc import Awaitable, Callable

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from numpy.typing import NDArray

from video.settings import VideoFormat
from video.stamp import now_ms, write_stamp

VIDEO_CLOCK_RATE = 90_000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
AUDIO_RATE = 48_000
AUDIO_PTIME_S = 0.020


class PacedVideoTrack(MediaStreamTrack):
    """A video track paced by the wall clock, with a changeable format and a pause.

    Subclasses implement :meth:`draw` (which may let a slot pass with nothing
    to send). :meth:`set_format` takes effect at the next frame (aiortc's VP8
    encoder restarts itself on a size change); :meth:`pause` makes
    :meth:`recv` wait, so no video is sent (``audio_only``).
    """

    kind = "video"

    def __init__(
        self,
        video_format: VideoFormat,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__()
        self._format = video_format
        self._clock = clock  # the pacing's time; tests give a fake one and its sleep
        self._sleep = sleep
        self._start: float | None = None
        self._next_at = 0.0
        self._running = asyncio.Event()
        self._running.set()
        self.frames_sent = 0

    @property
    def format(self) -> VideoFormat:
        """The format of the frames produced now."""
        return self._format

    def set_format(self, video_format: VideoFormat) -> None:
        """Produce frames of ``video_format`` from the next one."""
        self._format = video_format

    @property
    def paused(self) -> bool:
        """Whether frames are held back (muted camera, audio-only quality)."""
        return not self._running.is_set()

    def pause(self, paused: bool) -> None:
        """Hold frames back (``True``) or let them flow again."""
        if paused:
            self._running.clear()
        else:
            self._running.set()

    def stop(self) -> None:
        """End the track; a ``recv`` waiting in a pause wakes up and raises."""
        super().stop()
        self._running.set()

    async def recv(self) -> av.VideoFrame:
        """The next frame, at the configured rate; raises ``MediaStreamError`` once stopped."""
        while True:
            await self._running.wait()
            if self.readyState != "live":
                raise MediaStreamError
            captured = await self._next_slot()
            frame = await self.draw(self._format)
            if frame is not None:
                break
        assert self._start is not None  # set by the first slot
        frame.pts = round((captured - self._start) * VIDEO_CLOCK_RATE)
        frame.time_base = VIDEO_TIME_BASE
        self.frames_sent += 1
        return frame

    async def _next_slot(self) -> float:
        """Wait for the next frame's time on the schedule; the time it is taken at."""
        now = self._clock()
        if self._start is None:
            self._start = self._next_at = now
        period = 1.0 / self._format.fps
        if self._next_at > now:
            await self._sleep(self._next_at - now)
        else:
            # Late (a pause, a busy loop): restart the schedule, never burst to catch up.
            self._next_at = now
        self._next_at += period
        return self._clock()

    async def draw(self, video_format: VideoFormat) -> av.VideoFrame | None:
        """Produce one frame of ``video_format`` now, or ``None``: nothing worth sending.

        On ``None`` the slot passes and :meth:`recv` draws again at the next one
        (the screen share holds back a screen that has not changed).
        """
        raise NotImplementedError


class SyntheticCameraTrack(PacedVideoTrack):
    """A face camera in software: a moving pattern with the capture time stamped on top.

    Frames are built directly as ``yuv420p`` (what the encoder wants), so no
    colour conversion is spent on a test picture; the moving bars and the
    drifting gradient give the encoder real work, like a person in front of it.
    """

    def __init__(self, video_format: VideoFormat | None = None, *, stamp: bool = True) -> None:
        super().__init__(video_format or VideoFormat())
        self._stamp = stamp
        self._pattern: tuple[VideoFormat, NDArray[np.uint8]] | None = None
        self._index = 0

    async def draw(self, video_format: VideoFormat) -> av.VideoFrame:
        """One frame: the pattern shifted by the frame index, stamped with the time now."""
        width, height = video_format.width & ~1, video_format.height & ~1
        pattern = self._pattern_for(video_format, width, height)
        self._index += 1
        shift = (self._index * 4) % width
        planes = np.empty((height * 3 // 2, width), np.uint8)
        planes[:height] = np.roll(pattern, shift, axis=1)
        planes[height:] = 128  # neutral chroma: a grey-scale picture
        # A block whose brightness follows the frame index: changes even where bars repeat.
        size = max(height // 6, 8)
        planes[height // 2 : height // 2 + size, width // 2 : width // 2 + size] = (
            self._index * 7
        ) % 256
        if self._stamp:
            write_stamp(planes[:height], now_ms())
        return av.VideoFrame.from_ndarray(planes, format="yuv420p")

    def _pattern_for(self, video_format: VideoFormat, width: int, height: int) -> NDArray[np.uint8]:
        if self._pattern is None or self._pattern[0] != video_format:
            x = np.arange(width, dtype=np.float32)
            y = np.arange(height, dtype=np.float32)[:, None]
            bars = 80 + 60 * np.sign(np.sin(x * (2 * math.pi * 6 / width)))
            wave = 30 * np.sin(y * (2 * math.pi * 3 / height) + x * (2 * math.pi / width))
            self._pattern = (video_format, np.clip(bars + wave, 16, 235).astype(np.uint8))
        return self._pattern[1]


class OpenCvCameraTrack(PacedVideoTrack):
    """A real camera (device index) or a video file, read with ``cv2.VideoCapture``.

    Reads run in a worker thread (a USB camera blocks for a frame period); a
    file loops at its end so that a demo never runs dry. Frames are resized to
    the configured format when the device gives another size.
    """

    def __init__(self, source: int | str, video_format: VideoFormat | None = None) -> None:
        super().__init__(video_format or VideoFormat())
        import cv2  # OpenCV only where a real camera is used

        self._cv2 = cv2
        self._capture = cv2.VideoCapture(source)
        if not self._capture.isOpened():
            raise MediaStreamError(f"cannot open camera {source!r}")
        self._is_file = isinstance(source, str)

    async def draw(self, video_format: VideoFormat) -> av.VideoFrame:
        """The device's latest frame, resized to ``video_format``."""
        image = await asyncio.to_thread(self._read, video_format)
        return av.VideoFrame.from_ndarray(image, format="bgr24")

    def _read(self, video_format: VideoFormat) -> NDArray[np.uint8]:
        ok, image = self._capture.read()
        if not ok and self._is_file:
            self._capture.set(self._cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._capture.read()
        if not ok:
            raise MediaStreamError("the camera stopped delivering frames")
        size = (video_format.width & ~1, video_format.height & ~1)
        if (image.shape[1], image.shape[0]) != size:
            image = self._cv2.resize(image, size, interpolation=self._cv2.INTER_AREA)
        return np.ascontiguousarray(image, dtype=np.uint8)

    def stop(self) -> None:
        """Stop the track and release the device."""
        super().stop()
        self._capture.release()


class PacedAudioTrack(MediaStreamTrack):
    """48 kHz mono audio in 20 ms frames paced by the clock; subclasses say what is heard."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._samples = int(AUDIO_RATE * AUDIO_PTIME_S)
        self._sent = 0
        self._start: float | None = None
        self._running = asyncio.Event()
        self._running.set()

    def pause(self, paused: bool) -> None:
        """Hold audio back (muted microphone, chat-only quality) or resume it."""
        if paused:
            self._running.clear()
        else:
            self._running.set()

    @property
    def paused(self) -> bool:
        """Whether audio is held back."""
        return not self._running.is_set()

    def stop(self) -> None:
        """End the track; a ``recv`` waiting in a pause wakes up and raises."""
        super().stop()
        self._running.set()

    def next_samples(self, first: int, count: int) -> NDArray[np.int16]:
        """``count`` samples starting at sample number ``first`` (silence by default)."""
        del first
        return np.zeros(count, np.int16)

    async def recv(self) -> av.AudioFrame:
        """The next 20 ms; raises ``MediaStreamError`` once stopped."""
        await self._running.wait()
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = self._start + self._sent / AUDIO_RATE
        if due > now:
            await asyncio.sleep(due - now)
        elif now - due > 0.2:
            # After a pause: jump the clock, so the resumed audio is not a burst.
            self._sent = round((now - self._start) * AUDIO_RATE)
        samples = self.next_samples(self._sent, self._samples).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._sent
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self._sent += self._samples
        return frame


class ToneAudioTrack(PacedAudioTrack):
    """A quiet 440 Hz tone (or silence): the demo's and the tests' microphone."""

    def __init__(self, *, amplitude: float = 0.02, frequency_hz: float = 440.0) -> None:
        super().__init__()
        self._amplitude = amplitude
        self._frequency = frequency_hz

    def next_samples(self, first: int, count: int) -> NDArray[np.int16]:
        t = (first + np.arange(count)) / AUDIO_RATE
        wave = self._amplitude * np.sin(2 * math.pi * self._frequency * t)
        return (wave * 32767).astype(np.int16)


class MicrophoneTrack(PacedAudioTrack):
    """A microphone fed from outside (the Qt audio input) through a short buffer.

    :meth:`feed` takes 48 kHz mono 16-bit samples as the device delivers them.
    The buffer holds at most ``max_buffer_s``: if the sender falls behind, the
    oldest audio goes, so the conversation never lags; if the device is late
    or absent, silence fills the gap.
    """

    def __init__(self, *, max_buffer_s: float = 0.2) -> None:
        super().__init__()
        self._buffer: collections.deque[NDArray[np.int16]] = collections.deque()
        self._buffered = 0
        self._max = int(max_buffer_s * AUDIO_RATE)

    def feed(self, samples: NDArray[np.int16]) -> None:
        """Samples captured just now."""
        if samples.size == 0:
            return
        self._buffer.append(samples)
        self._buffered += samples.size
        while self._buffered - self._buffer[0].size >= self._max:
            self._buffered -= self._buffer.popleft().size

    def next_samples(self, first: int, count: int) -> NDArray[np.int16]:
        del first
        out = np.zeros(count, np.int16)
        filled = 0
        while filled < count and self._buffer:
            chunk = self._buffer[0]
            take = min(count - filled, chunk.size)
            out[filled : filled + take] = chunk[:take]
            filled += take
            self._buffered -= take
            if take == chunk.size:
                self._buffer.popleft()
            else:
                self._buffer[0] = chunk[take:]
        return out


class TrackTap(MediaStreamTrack):
    """A per-connection view of a long-lived source track.

    aiortc's sender stops the track it sent when its connection closes; the
    kiosk's camera and microphone outlive every connection of a call (each
    renegotiation is a new ``RTCPeerConnection``), so each connection gets a
    tap, and stopping the tap leaves the source running.
    """

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.kind = source.kind
        self._source = source

    async def recv(self) -> av.VideoFrame | av.AudioFrame:
        """The source's next frame; ``MediaStreamError`` once this tap is stopped."""
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self._source.recv()
        assert isinstance(frame, av.VideoFrame | av.AudioFrame)
        return frame
