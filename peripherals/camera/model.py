"""What the document camera hands to the kiosk: previews, scanned pages, guidance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.uint8]
"""A BGR (or, where said, grayscale) 8-bit image as OpenCV hands it over."""

Quad = NDArray[np.float32]
"""Four page corners, shape (4, 2), ordered top-left, top-right, bottom-right, bottom-left."""


class Guidance(StrEnum):
    """What the citizen should do next, shown over the live preview.

    The values double as translation keys under ``camera.guidance.`` for the UI.
    """

    NO_PAGE = "no_page"  # put a page under the camera
    OUT_OF_FRAME = "out_of_frame"  # part of the page is outside the picture
    MOVE_CLOSER = "move_closer"  # the page is too small in the picture
    HOLD_STILL = "hold_still"  # the page moves; wait for it to settle
    TOO_BLURRY = "too_blurry"  # steady but out of focus
    GLARE = "glare"  # a reflection hides part of the page
    READY = "ready"  # steady and sharp: the capture happens now
    CAPTURED = "captured"  # this page is scanned: turn it or lay the next one


@dataclass(frozen=True, eq=False)
class Preview:
    """One analysed frame for the live preview.

    ``image`` is the downscaled frame the detection ran on; ``quad`` is the page
    outline in its coordinates (``None`` without a page). ``sharpness`` is relative
    to the camera's calibrated minimum (1.0 is just sharp enough); ``glare`` is the
    fraction of the page washed out; ``steady`` goes from 0 to 1 while the page
    holds still, so the UI can show a progress ring before the auto-capture.
    """

    image: Image
    quad: Quad | None
    guidance: Guidance
    sharpness: float
    glare: float
    steady: float
    frame_size: tuple[int, int]  # (width, height) of the full-resolution frame
    index: int  # frames analysed since start(), to tell previews apart

    @property
    def scale(self) -> float:
        """Full-resolution pixels per preview pixel."""
        return float(self.frame_size[0]) / float(self.image.shape[1])


@dataclass(frozen=True)
class ScannedPage:
    """A captured, flattened and deskewed page, ready to send or print.

    ``phash`` is a perceptual hash (see :mod:`peripherals.camera.phash`): two
    captures of the same sheet have nearby hashes, which is how duplicates are
    refused. ``sharpness`` is relative to the calibrated minimum, like in
    :class:`Preview`.
    """

    jpeg: bytes = field(repr=False)
    width: int
    height: int
    phash: int
    sharpness: float
    glare: float
    captured_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def aspect(self) -> float:
        """Height over width."""
        return self.height / self.width
