"""Where frames come from: a V4L2 camera, a video file, or a folder of images.

A :class:`FrameSource` is blocking by nature (a camera read waits for the next
frame): only the camera's worker thread calls it, never the event loop. It
raises :class:`CameraUnavailableError` when it cannot open and
:class:`CameraLostError` when frames stop; OpenCV's own failures (``False``
from ``read``, ``None`` from ``imread``) never leave this module.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from peripherals.camera.errors import CameraLostError, CameraUnavailableError
from peripherals.camera.model import Image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


class FrameSource(Protocol):
    """A blocking supplier of BGR frames."""

    @property
    def name(self) -> str:
        """What the source is, for logs and health details (never shown to citizens)."""
        ...

    def open(self) -> None:
        """Get ready to read; raises ``CameraUnavailableError``. Opening twice is harmless."""
        ...

    def read(self) -> Image:
        """The next frame (BGR, uint8); raises ``CameraLostError`` if frames stopped."""
        ...

    def close(self) -> None:
        """Release the device or file; a later :meth:`open` starts again."""
        ...


class FramePacer:
    """Holds frames back to ``fps``, as a camera would, so files replay in real time."""

    def __init__(self, fps: float | None) -> None:
        if fps is not None and fps <= 0:
            raise ValueError("fps must be positive")
        self._period = None if fps is None else 1.0 / fps
        self._next = 0.0

    def wait(self) -> None:
        """Sleep until the next frame is due (at once without a rate)."""
        if self._period is None:
            return
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)
        # Behind schedule (a slow consumer), start afresh rather than burst to catch up.
        self._next = max(self._next, now) + self._period


class V4l2Source:
    """A camera on Linux through V4L2, by device index (0 for ``/dev/video0``).

    Document cameras deliver 4K only as MJPEG over USB 2, so MJPEG is asked for;
    the driver may settle on another mode, which :attr:`frame_size` reports. The
    driver's queue is kept to one frame, so a capture is of the page now, not of
    what lay there a few frames ago.
    """

    def __init__(
        self,
        index: int,
        *,
        width: int = 3840,
        height: int = 2160,
        fps: float = 15.0,
        fourcc: str = "MJPG",
    ) -> None:
        self._index = index
        self._mode = (width, height, fps, fourcc)
        self._capture: cv2.VideoCapture | None = None
        self.frame_size: tuple[int, int] | None = None

    @property
    def name(self) -> str:
        """The device path."""
        return f"/dev/video{self._index}"

    def open(self) -> None:
        """Open the device and ask for the configured mode."""
        if self._capture is not None:
            return
        capture = cv2.VideoCapture(self._index, cv2.CAP_V4L2)
        if not capture.isOpened():
            capture.release()
            raise CameraUnavailableError(f"cannot open {self.name}")
        width, height, fps, fourcc = self._mode
        capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*fourcc))
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        capture.set(cv2.CAP_PROP_FPS, fps)
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self.frame_size = (
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
        self._capture = capture

    def read(self) -> Image:
        """The next frame from the device."""
        if self._capture is None:
            raise CameraLostError(f"{self.name} is not open")
        ok, frame = self._capture.read()
        if not ok or frame is None:
            raise CameraLostError(f"{self.name} stopped delivering frames")
        return np.asarray(frame, dtype=np.uint8)

    def close(self) -> None:
        """Release the device."""
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class VideoFileSource:
    """A video file played as a camera (tests, demos, replaying a field problem).

    At the end of the file it starts over if ``loop``, otherwise the camera is
    "lost", as a camera that stops sending is. ``fps`` replays in real time;
    ``None`` reads as fast as the consumer asks.
    """

    def __init__(self, path: Path, *, loop: bool = False, fps: float | None = None) -> None:
        self._path = path
        self._loop = loop
        self._pacer = FramePacer(fps)
        self._capture: cv2.VideoCapture | None = None

    @property
    def name(self) -> str:
        """The file's path."""
        return str(self._path)

    def open(self) -> None:
        """Open the file for reading from its start."""
        if self._capture is not None:
            return
        if not self._path.is_file():
            raise CameraUnavailableError(f"no video file at {self._path}")
        capture = cv2.VideoCapture(str(self._path))
        if not capture.isOpened():
            capture.release()
            raise CameraUnavailableError(f"cannot decode {self._path}")
        self._capture = capture

    def read(self) -> Image:
        """The next frame of the file (or of its next round, when looping)."""
        if self._capture is None:
            raise CameraLostError(f"{self.name} is not open")
        self._pacer.wait()
        ok, frame = self._capture.read()
        if not ok and self._loop:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._capture.read()
        if not ok or frame is None:
            raise CameraLostError(f"end of {self.name}")
        return np.asarray(frame, dtype=np.uint8)

    def close(self) -> None:
        """Close the file."""
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class ImageFolderSource:
    """The images of a folder, in name order, played as a camera.

    Handy for tests and for demos made of stills. Loops by default, since a
    folder of stills is usually a scene to hold; ``loop=False`` loses the camera
    after the last image. An unreadable image also loses it: a camera that
    sends garbage is as good as gone.
    """

    def __init__(self, folder: Path, *, loop: bool = True, fps: float | None = None) -> None:
        self._folder = folder
        self._loop = loop
        self._pacer = FramePacer(fps)
        self._paths: Sequence[Path] = ()
        self._position = 0

    @property
    def name(self) -> str:
        """The folder's path."""
        return str(self._folder)

    def open(self) -> None:
        """List the images; the folder must hold at least one."""
        if not self._folder.is_dir():
            raise CameraUnavailableError(f"no folder at {self._folder}")
        self._paths = sorted(
            path for path in self._folder.iterdir() if path.suffix.lower() in IMAGE_SUFFIXES
        )
        if not self._paths:
            raise CameraUnavailableError(f"no images in {self._folder}")
        self._position = 0

    def read(self) -> Image:
        """The next image."""
        if not self._paths:
            raise CameraLostError(f"{self.name} is not open")
        if self._position >= len(self._paths):
            if not self._loop:
                raise CameraLostError(f"no more images in {self.name}")
            self._position = 0
        self._pacer.wait()
        path = self._paths[self._position]
        self._position += 1
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if frame is None:
            raise CameraLostError(f"cannot read {path.name}")
        return np.asarray(frame, dtype=np.uint8)

    def close(self) -> None:
        """Forget the listing (a later open sees images added since)."""
        self._paths = ()
        self._position = 0
