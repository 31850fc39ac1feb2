"""The kiosk's screen, shared with the agent as the call's second video track, masked.

A :class:`ScreenShareTrack` pulls frames from a frame source (the Qt side grabs
the screen) at a modest rate and blacks out every sensitive rectangle before
the frame leaves the process: a password or a card number never reaches the
encoder. The source hands over the pixels *and* the masks of the same moment
in one :class:`ScreenFrame`, so a mask can never lag behind the picture it
covers. A mask provider that cannot vouch for its rectangles (stale or unknown
data) reports the whole region it is responsible for, which is blacked out:
the share fails closed.

The track is negotiated in every offer of the call (a ``sendonly`` video
transceiver of its own stream), so starting or stopping the share never needs a
renegotiation; while not sharing, :meth:`recv` waits and nothing is sent.

A screen is still most of the time (a citizen reads a page), and every frame
sent costs about 13 ms of a core for a still 1280x720 frame (3 ms to build it,
10 ms to convert and encode it with the kiosk's VP8 settings, median). The track
still looks at the screen at the full rate, but sends what it sees only when
the masked picture changed, and a still one at :data:`SHARE_IDLE_FPS`: a
change goes out at the next slot, never after the keep-alive period.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

import av
import numpy as np
from numpy.typing import NDArray

from video.media import PacedVideoTrack
from video.settings import VideoFormat

SHARE_FPS = 12.0  # enough to follow a pointer and typing; a third of the camera's cost
# A still screen is sent again once a second, as WebRTC's own screen share does when its
# source goes quiet (FrameCadenceAdapter: kZeroHertzIdleRepeatRatePeriod = 1 s): well
# inside Chromium's receiver limits (VideoReceiveStream2 asks for a key frame after 3 s
# without a decodable frame, and calls the stream inactive after 5 s without a packet).
# It also bounds the wait for a key frame the agent's browser asks for after a loss:
# aiortc's sender puts it in the track's next frame.
SHARE_IDLE_FPS = 1.0
# After a large change, VP8 needs frames to sharpen the new picture: held at once to
# 1 fps, a new page (500 kbps) is 24 dB after 2 s against 32 dB at 12 fps; sent at the
# full rate for 1 s first, then at 1 fps, it is 34 dB (WebRTC also repeats at the full
# rate until the quality converged). A change of fewer rows (a caret, a typed letter, a
# line: up to 100 rows of 720 measured) is as sharp at 1 s without it.
SHARE_SETTLE_S = 1.0
SETTLE_ROWS_FRACTION = 0.2  # of the frame's rows: a change this large or larger is sharpened
MAX_SHARE_WIDTH = 1280
MAX_SHARE_HEIGHT = 720
# Opaque dark grey, not black: the agent tells "hidden on purpose" from "nothing drawn".
MASK_RGB = (40, 40, 40)
SCREEN_STREAM_PREFIX = "vg-screen-"  # the console recognises the share by its stream id


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle in pixels (or item units): ``x, y`` top-left, size."""

    x: float
    y: float
    width: float
    height: float

    def scaled(self, sx: float, sy: float) -> Rect:
        """This rectangle in a space scaled by ``sx`` horizontally and ``sy`` vertically."""
        return Rect(self.x * sx, self.y * sy, self.width * sx, self.height * sy)

    def moved(self, dx: float, dy: float) -> Rect:
        """This rectangle shifted by ``dx, dy``."""
        return Rect(self.x + dx, self.y + dy, self.width, self.height)


@dataclass(frozen=True)
class MaskReport:
    """What a mask provider knows about its region at one moment.

    ``rects`` are the sensitive rectangles. When ``fresh`` is false the provider
    cannot vouch for them, and the whole ``region`` it covers must be hidden
    (``region`` ``None`` with ``fresh`` false means: hide the whole frame).
    """

    rects: tuple[Rect, ...] = ()
    fresh: bool = True
    region: Rect | None = None

    def covering(self) -> tuple[Rect | None, ...]:
        """The rectangles to black out; ``None`` stands for the whole frame (fail closed)."""
        if self.fresh:
            return self.rects
        return (self.region,)


def combine(reports: Iterable[MaskReport]) -> MaskReport:
    """Several providers' reports as one (for a frame holding several regions).

    The result is fresh, its rectangles being what each report says to cover;
    a stale report without a region hides everything.
    """
    rects: list[Rect] = []
    for report in reports:
        for rect in report.covering():
            if rect is None:
                return MaskReport(fresh=False)
            rects.append(rect)
    return MaskReport(tuple(rects))


@dataclass(frozen=True)
class ScreenFrame:
    """One grabbed screen: pixels and the masks computed for those very pixels.

    ``pixels`` is ``height x width x 4`` (``bgra``, what a Qt RGB32 image is on a
    little-endian machine) or ``height x width x 3`` (``rgb24``); ``masks`` are
    in the pixels' coordinates. ``version`` changes when the screen changed
    (the Qt source counts grabs, so it changes every time: the track compares
    pixels instead). The track takes the pixels over and masks them in place:
    a source hands a fresh array each time (a copy out of the grabbed image).
    """

    pixels: NDArray[np.uint8]
    masks: MaskReport = field(default_factory=MaskReport)
    version: int = 0


FrameSource = Callable[[], ScreenFrame | None]


def apply_masks(pixels: NDArray[np.uint8], masks: MaskReport) -> NDArray[np.uint8]:
    """Fill every rectangle ``masks`` covers with :data:`MASK_RGB`, in place; returns ``pixels``.

    Rectangles are rounded outwards (a half-covered pixel is covered) and
    clipped to the frame.
    """
    height, width = pixels.shape[:2]
    fill = _fill_value(pixels)
    for rect in masks.covering():
        if rect is None:
            pixels[:, :] = fill
            continue
        x0, y0 = max(int(np.floor(rect.x)), 0), max(int(np.floor(rect.y)), 0)
        x1 = min(int(np.ceil(rect.x + rect.width)), width)
        y1 = min(int(np.ceil(rect.y + rect.height)), height)
        if x1 > x0 and y1 > y0:
            pixels[y0:y1, x0:x1] = fill
    return pixels


def _fill_value(pixels: NDArray[np.uint8]) -> NDArray[np.uint8]:
    r, g, b = MASK_RGB
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ValueError(f"a screen frame is HxWx3 (rgb) or HxWx4 (bgra), not {pixels.shape}")
    if pixels.shape[2] == 4:
        return np.array([b, g, r, 255], np.uint8)
    return np.array([r, g, b], np.uint8)


def changed_rows(before: NDArray[np.uint8] | None, after: NDArray[np.uint8]) -> int:
    """How many rows of ``after`` differ from ``before`` (all of them if sizes differ).

    0.6 ms for two 1280x720 bgra frames on the development machine (2 cores), the
    same as ``np.array_equal``: cheap next to the 83 ms between two frames.
    """
    if before is None or before.shape != after.shape:
        return int(after.shape[0])
    rows = after.shape[0]
    return int(np.count_nonzero((before.reshape(rows, -1) != after.reshape(rows, -1)).any(1)))


def to_video_frame(pixels: NDArray[np.uint8]) -> av.VideoFrame:
    """A frame for the encoder, cropped to even sides (yuv420p needs them)."""
    height, width = pixels.shape[0] & ~1, pixels.shape[1] & ~1
    image = np.ascontiguousarray(pixels[:height, :width])
    return av.VideoFrame.from_ndarray(image, format="bgra" if image.shape[2] == 4 else "rgb24")


def share_size(width: int, height: int) -> tuple[int, int]:
    """The size a ``width x height`` screen is shared at: at most 1280x720, ratio kept.

    720p keeps a form's text readable for the agent at a cost the kiosk's
    processor affords next to the call; the result has even sides.
    """
    scale = min(1.0, MAX_SHARE_WIDTH / width, MAX_SHARE_HEIGHT / height)
    return max(int(width * scale) & ~1, 2), max(int(height * scale) & ~1, 2)


class ScreenShareTrack(PacedVideoTrack):
    """The shared screen as a video track: paused (nothing sent) until :meth:`share`.

    ``frames_masked`` counts frames sent that had at least one rectangle hidden;
    a source that yields nothing (the screen is gone) makes the track send a
    fully masked frame of the last size rather than a stale picture.

    The source is asked for the screen at ``fps``; a masked frame equal to the
    last one sent (pixels and masks) goes out only every ``1 / idle_fps`` s, or
    at the full rate for ``settle_s`` after a change of many rows. ``idle_fps``
    ``None`` sends every frame (the benchmark's "before"; it may be changed
    while sharing). ``clock`` and ``sleep`` pace the track and time the hold
    (tests give a fake clock).
    """

    def __init__(
        self,
        fps: float = SHARE_FPS,
        *,
        idle_fps: float | None = SHARE_IDLE_FPS,
        settle_s: float = SHARE_SETTLE_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        share_format = VideoFormat(width=MAX_SHARE_WIDTH, height=MAX_SHARE_HEIGHT, fps=fps)
        super().__init__(share_format, clock=clock, sleep=sleep)
        self._source: FrameSource | None = None
        self._last_shape: tuple[int, ...] = (MAX_SHARE_HEIGHT, MAX_SHARE_WIDTH, 4)
        self.frames_masked = 0
        self.idle_fps = idle_fps
        self._settle_s = settle_s
        self._sent: tuple[NDArray[np.uint8], MaskReport] | None = None  # the last frame sent
        self._sent_at = 0.0
        self._settle_until = 0.0
        self.pause(True)

    @property
    def sharing(self) -> bool:
        """Whether frames are being sent."""
        return self._source is not None

    def share(self, source: FrameSource) -> None:
        """Start sending what ``source`` returns, masked, at the track's rate."""
        self._source = source
        self._sent = None  # a new share starts with a frame at once
        self.pause(False)

    def stop_sharing(self) -> None:
        """Stop sending; the transceiver stays negotiated for the next share."""
        self._source = None
        self._sent = None
        self.pause(True)

    async def draw(self, video_format: VideoFormat) -> av.VideoFrame | None:
        """The source's screen, masked (blank if it has none); ``None`` if not due yet."""
        del video_format
        source = self._source
        frame = source() if source is not None else None
        if frame is None:
            masks = MaskReport(fresh=False)
            pixels = apply_masks(np.zeros(self._last_shape, np.uint8), masks)
        else:
            masks = frame.masks
            pixels = frame.pixels
            if not pixels.flags.writeable:  # a read-only view: mask a copy, never skip the mask
                pixels = pixels.copy()
            self._last_shape = pixels.shape
            apply_masks(pixels, masks)
        if not self._due(pixels, masks):
            return None
        if frame is not None and masks.covering():
            self.frames_masked += 1
        return to_video_frame(pixels)

    def _due(self, pixels: NDArray[np.uint8], masks: MaskReport) -> bool:
        """Whether this masked frame is to be sent now; remembers it if so."""
        if self.idle_fps is None:  # every frame, as before the hold: not even compared
            self._sent = None
            return True
        # Deadlines half a slot early rather than a whole slot late: slots only approach them.
        half_slot_s = 0.5 / self.format.fps
        now = self._clock()
        last = self._sent
        rows = changed_rows(last[0] if last is not None else None, pixels)
        # The masks are compared too: a mask that appears goes out at once, privacy first.
        if rows > 0 or last is None or masks != last[1]:
            # A copy: a source reusing its buffer would make the next frame compare equal.
            self._sent = (pixels.copy(), masks)
            if rows >= SETTLE_ROWS_FRACTION * pixels.shape[0]:
                self._settle_until = now + self._settle_s - half_slot_s
        elif now >= self._settle_until and now - self._sent_at < 1 / self.idle_fps - half_slot_s:
            return False  # still, and sharp: only the keep-alive goes
        self._sent_at = now
        return True


def masks_in_frame(
    rects: Sequence[Rect], *, origin: tuple[float, float], scale: tuple[float, float]
) -> tuple[Rect, ...]:
    """Rectangles in item units as frame pixels: shifted by ``origin``, then scaled."""
    return tuple(rect.moved(-origin[0], -origin[1]).scaled(*scale) for rect in rects)


def _refuse(url: str) -> bool:
    del url
    return False


def _ignore(*args: object) -> None:
    del args


@dataclass(frozen=True)
class ShareBinding:
    """What is shared and who answers the agent about it.

    ``source`` gives the frames; ``title`` and ``url`` are the page shown (sent
    to the agent as context); ``show_pointer`` receives the agent's pointer
    (0..1 of the shared frame); ``open_url`` an address the agent pushed, only
    once ``allows_url`` (the current service's allow-list) accepted it.
    """

    source: FrameSource
    title: str | None = None
    url: str | None = None
    allows_url: Callable[[str], bool] = _refuse
    open_url: Callable[[str], object] = _ignore
    show_pointer: Callable[[float, float], None] = _ignore
