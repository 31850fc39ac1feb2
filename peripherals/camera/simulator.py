"""A document camera in software, for the demo and the tests, with failure knobs.

The simulator is the real adapter fed by a synthetic desk: the detection,
the auto-capture and the JPEG are the real ones, so the demo shows what the
kiosk will do, and the knobs act where a real camera fails (the frames).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np

from peripherals.camera.adapter import RECONNECT_INTERVAL_S, OpenCvDocumentCamera
from peripherals.camera.autocapture import CapturePolicy, Clock
from peripherals.camera.errors import CameraLostError, CameraUnavailableError
from peripherals.camera.model import Image, Quad
from peripherals.camera.quality import Calibration
from peripherals.camera.sources import FramePacer
from peripherals.camera.synthetic import lay_page, page_corners, render_desk, render_page

FRAME_SIZE = (1280, 960)  # a 4:3 document-camera mode; cheap enough for the demo
SIMULATOR_FPS = 15.0
SETTLE_FRAMES = 6  # frames a freshly laid sheet slides before it rests, as a hand lets go
_SLIDE_PX = 14.0  # how far the sheet is from its resting place on the first of them
_GLARE_BGR_GAIN = 1.6  # a lamp reflection bright enough to clip the sensor


@dataclass(frozen=True)
class _Sheet:
    """What lies on the simulated desk."""

    page: int
    angle_deg: float
    height_fraction: float
    blur: bool
    glare: bool


class SyntheticDeskSource:
    """A :class:`~peripherals.camera.sources.FrameSource` drawing a desk and a sheet on it.

    Knobs are called from the event loop and read by the camera's thread, so
    they only swap an immutable description under a lock; drawing happens in
    :meth:`read`. A resting sheet's frame is drawn once and reused.
    """

    def __init__(
        self, frame_size: tuple[int, int] = FRAME_SIZE, *, fps: float | None = SIMULATOR_FPS
    ) -> None:
        self._size = frame_size
        self._pacer = FramePacer(fps)
        self._lock = threading.Lock()
        self._sheet: _Sheet | None = None
        self._plugged = True
        self._open = False
        self._desk: Image | None = None
        self._drawn: tuple[_Sheet, int, Image] | None = None  # sheet, frames shown, frame
        self._rest: tuple[_Sheet, Image] | None = None  # sheet, its frame at rest
        self._frames_on_desk = 0

    @property
    def name(self) -> str:
        """A made-up device name for logs."""
        return "simulated document camera"

    @property
    def frame_size(self) -> tuple[int, int]:
        """(width, height) of the frames drawn."""
        return self._size

    # -- knobs (any thread) -----------------------------------------------

    def lay(self, sheet: _Sheet | None) -> None:
        """Put ``sheet`` on the desk (``None``: clear the desk)."""
        with self._lock:
            self._sheet = sheet
            self._frames_on_desk = 0

    def set_plugged(self, plugged: bool) -> None:
        """Unplug (reads and opens fail) or plug the camera back in."""
        with self._lock:
            self._plugged = plugged

    # -- the source (the camera's thread) ---------------------------------

    def open(self) -> None:
        """Refused while unplugged."""
        with self._lock:
            if not self._plugged:
                raise CameraUnavailableError("the simulated camera is unplugged")
            self._open = True
        if self._desk is None:
            self._desk = render_desk(self._size, seed=7)

    def read(self) -> Image:
        """The desk as it is now, paced to the configured frame rate."""
        self._pacer.wait()
        with self._lock:
            if not self._plugged:
                self._open = False
                raise CameraLostError("the simulated camera was unplugged")
            if not self._open or self._desk is None:
                raise CameraLostError("the simulated camera is not open")
            sheet, shown = self._sheet, self._frames_on_desk
            self._frames_on_desk += 1
        if sheet is None:
            return self._desk
        return self._draw(sheet, min(shown, SETTLE_FRAMES))

    def close(self) -> None:
        """Nothing to release."""
        with self._lock:
            self._open = False

    def _draw(self, sheet: _Sheet, settle: int) -> Image:
        if self._drawn is not None and self._drawn[:2] == (sheet, settle):
            return self._drawn[2]
        rest = self._resting(sheet)
        slide = _SLIDE_PX * (1 - settle / SETTLE_FRAMES)
        if slide == 0:
            frame = rest
        else:
            # The resting frame moved by `slide`: motion the steadiness check
            # sees, for a shift instead of a new 4K composite per frame (which
            # cost the camera thread most of a core while a sheet settled).
            height, width = rest.shape[:2]
            shift = np.array([[1, 0, slide], [0, 1, slide]], np.float32)
            frame = np.asarray(
                cv2.warpAffine(rest, shift, (width, height), borderMode=cv2.BORDER_REPLICATE),
                np.uint8,
            )
            frame.flags.writeable = False
        self._drawn = (sheet, settle, frame)
        return frame

    def _resting(self, sheet: _Sheet) -> Image:
        """The frame of ``sheet`` at rest, drawn once per sheet."""
        if self._rest is not None and self._rest[0] == sheet:
            return self._rest[1]
        assert self._desk is not None  # open() drew it
        corners = page_corners(
            self._size, height_fraction=sheet.height_fraction, angle_deg=sheet.angle_deg
        )
        height = round(float(np.linalg.norm(corners[3] - corners[0])))
        frame = lay_page(self._desk, render_page(sheet.page, height), corners)
        if sheet.glare:
            frame = _add_reflection(frame, corners)
        if sheet.blur:
            frame = np.asarray(cv2.GaussianBlur(frame, (0, 0), 3.0), np.uint8)
        frame.flags.writeable = False  # served again while the sheet rests
        self._rest = (sheet, frame)
        return frame


class SimulatedDocumentCamera(OpenCvDocumentCamera):
    """A :class:`~peripherals.camera.protocol.DocumentCamera` over a synthetic desk.

    Knobs: :meth:`lay_document` (a numbered page; different numbers are
    different pages, the same number is the same sheet again), with ``blur`` or
    ``glare`` to be refused; :meth:`remove_document`; :meth:`lose_camera` and
    :meth:`restore_camera`. A laid sheet slides for a few frames, then rests,
    so the guidance goes "hold still", then "ready", then "captured".
    """

    def __init__(
        self,
        *,
        frame_size: tuple[int, int] = FRAME_SIZE,
        fps: float | None = SIMULATOR_FPS,
        calibration: Calibration | None = None,
        policy: CapturePolicy | None = None,
        reconnect_interval_s: float | None = RECONNECT_INTERVAL_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self.desk = SyntheticDeskSource(frame_size, fps=fps)
        super().__init__(
            self.desk,
            calibration,
            policy=policy,
            reconnect_interval_s=reconnect_interval_s,
            clock=clock,
        )

    def lay_document(
        self,
        page: int = 1,
        *,
        angle_deg: float = -4.0,
        height_fraction: float = 0.8,
        blur: bool = False,
        glare: bool = False,
    ) -> None:
        """Lay page number ``page`` on the desk, replacing whatever lay there."""
        self.desk.lay(_Sheet(page, angle_deg, height_fraction, blur, glare))

    def remove_document(self) -> None:
        """Clear the desk."""
        self.desk.lay(None)

    def lose_camera(self) -> None:
        """Unplug the camera: frames stop, health turns FAULT, waiters get camera.lost."""
        self.desk.set_plugged(False)

    def restore_camera(self) -> None:
        """Plug the camera back in; the adapter reconnects at its next attempt."""
        self.desk.set_plugged(True)


def _add_reflection(frame: Image, corners: Quad) -> Image:
    """A lamp's clipped reflection in the upper middle of the sheet."""
    height, width = frame.shape[:2]
    # Drawn and blurred at an eighth of the size: a soft halo has no detail to lose.
    factor = 8
    centre = (corners.mean(axis=0) * 0.7 + corners[:2].mean(axis=0) * 0.3) / factor
    side = float(np.linalg.norm(corners[1] - corners[0])) / factor
    small = np.zeros((max(height // factor, 1), max(width // factor, 1)), np.float32)
    axes = (max(round(0.25 * side), 1), max(round(0.12 * side), 1))
    cv2.ellipse(small, (round(centre[0]), round(centre[1])), axes, 20, 0, 360, 255.0, -1)
    small = np.asarray(cv2.GaussianBlur(small, (0, 0), 0.08 * side), np.float32)
    light = np.asarray(cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR))
    lit = frame.astype(np.float32) + _GLARE_BGR_GAIN * light[:, :, None]
    return np.asarray(np.clip(lit, 0, 255), np.uint8)
