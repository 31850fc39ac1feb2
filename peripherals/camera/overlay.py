"""Drawing the detected outline over a frame, for the preview and the self-test."""

from __future__ import annotations

import cv2
import numpy as np

from peripherals.camera.document import encode_jpeg
from peripherals.camera.errors import CameraBlankError
from peripherals.camera.geometry import scale_quad
from peripherals.camera.model import Guidance, Image, Preview, Quad
from peripherals.camera.pipeline import inspect
from peripherals.camera.quality import Calibration, shrink_to_width

# BGR. Green says "this will be (or was) captured", amber "not yet": the two
# states a citizen must tell apart at a glance, and which stay apart for the
# common forms of colour blindness thanks to their different brightness.
READY_BGR = (80, 175, 0)
WAITING_BGR = (0, 170, 255)
_READY_STATES = (Guidance.READY, Guidance.CAPTURED)
SELF_TEST_WIDTH_PX = 1280  # the artifact is for a technician's eyes, not an archive
BLANK_STD_MAX = 2.0  # grey-level spread of a covered lens or a lamp that is off


def draw_outline(image: Image, quad: Quad | None, colour: tuple[int, int, int]) -> Image:
    """A copy of ``image`` with ``quad`` drawn as a closed, antialiased outline."""
    out = image.copy()
    if quad is None:
        return out
    thickness = max(2, round(image.shape[1] / 320))
    points = np.round(quad * 16).astype(np.int32).reshape(-1, 1, 2)  # 4 fractional bits
    cv2.polylines(out, [points], True, colour, thickness, cv2.LINE_AA, shift=4)
    return out


def outlined(preview: Preview) -> Image:
    """The preview's frame with the page outline, green when ready, amber otherwise."""
    colour = READY_BGR if preview.guidance in _READY_STATES else WAITING_BGR
    return draw_outline(preview.image, preview.quad, colour)


def self_test_picture(
    frame: Image, calibration: Calibration, analysis_width: int
) -> tuple[bytes, bool]:
    """The self-test's artifact: ``frame`` as JPEG with any page outlined, and whether one was.

    Raises :class:`CameraBlankError` for a uniform frame, which a camera
    delivers with its lens covered or its sensor dead: it "works" but sees nothing.
    """
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    spread = float(np.std(gray))
    if spread < BLANK_STD_MAX:
        raise CameraBlankError(f"uniform frame (grey-level spread {spread:.1f})")
    analysis = inspect(frame, calibration, analysis_width).analysis
    picture = shrink_to_width(frame, SELF_TEST_WIDTH_PX)
    quad = None
    if analysis.quad is not None:
        quad = scale_quad(analysis.quad, picture.shape[1] / analysis.small.shape[1])
    return encode_jpeg(draw_outline(picture, quad, READY_BGR)), quad is not None
