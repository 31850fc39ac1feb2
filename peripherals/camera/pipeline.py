"""The document pipeline: a frame in, a flattened, checked page out.

Two paths share one detection. :func:`inspect` serves the live preview: it
finds the page on a downscaled copy and measures it there (a few milliseconds
at any camera resolution). :func:`scan` serves a capture: it flattens the page
from the full-resolution frame, straightens its text, checks it against the
calibration and encodes it. Both are plain blocking functions: the camera
adapter runs them on its worker thread, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from peripherals.camera.detect import ANALYSIS_WIDTH_PX, Analysis, analyse
from peripherals.camera.document import JPEG_QUALITY, encode_jpeg
from peripherals.camera.errors import NoPageError, PageBlurryError, PageGlareError
from peripherals.camera.geometry import flattening_transform, page_size
from peripherals.camera.model import Image, Quad, ScannedPage
from peripherals.camera.phash import phash
from peripherals.camera.quality import (
    SHARPNESS_WIDTH_PX,
    Calibration,
    calibration_from_samples,
    glare_fraction,
    sharpness,
    shrink_to_width,
)

# Text skew is corrected from this angle up: below, resampling again would
# blur more than the tilt bothers a reader. Above the maximum, the "lines" found
# are not text lines (a photo, a form in columns), so the page is left as is.
MIN_SKEW_DEG = 0.4
MAX_SKEW_DEG = 6.0
_SKEW_POINTS_MAX = 6_000  # ink pixels used to estimate the skew; more adds no precision


@dataclass(frozen=True, eq=False)
class FrameReport:
    """What the preview needs from one frame: the page (if any) and its quality.

    ``sharpness`` is raw (compare with ``Calibration.preview_sharpness_min``);
    ``glare`` is the washed-out share of the page; ``page_hash`` tells whether the
    sheet under the camera was already captured.
    """

    analysis: Analysis
    sharpness: float = 0.0
    glare: float = 0.0
    page_hash: int | None = None


def inspect(frame: Image, calibration: Calibration, width: int = ANALYSIS_WIDTH_PX) -> FrameReport:
    """Find the page in ``frame`` and measure it at analysis size (the preview path)."""
    analysis = analyse(frame, width)
    if analysis.quad is None:
        return FrameReport(analysis)
    gray = _gray(flatten(analysis.small, analysis.quad))
    return FrameReport(
        analysis,
        sharpness=sharpness(gray),
        glare=glare_fraction(gray, calibration.glare_level),
        page_hash=phash(gray),
    )


def scan(
    frame: Image,
    calibration: Calibration,
    analysis: Analysis | None = None,
    *,
    jpeg_quality: int = JPEG_QUALITY,
) -> ScannedPage:
    """Flatten, straighten, check and encode the page in ``frame`` (the capture path).

    ``analysis`` is reused when the preview path already found the page in this
    very frame. Raises :class:`NoPageError`, :class:`PageGlareError` or
    :class:`PageBlurryError`; sharpness in the result is relative to the
    calibrated minimum.
    """
    if analysis is None:
        analysis = analyse(frame)
    quad = analysis.frame_quad
    if quad is None:
        raise NoPageError("no page in the frame")
    page = flatten(frame, quad)
    gray = shrink_to_width(_gray(page), SHARPNESS_WIDTH_PX)
    skew = estimate_skew_deg(gray)
    if abs(skew) >= MIN_SKEW_DEG:
        page = straighten(page, skew)
        gray = shrink_to_width(_gray(page), SHARPNESS_WIDTH_PX)
    glare = glare_fraction(gray, calibration.glare_level)
    if glare > calibration.glare_fraction_max:
        raise PageGlareError(f"{glare:.1%} of the page is washed out")
    sharp = sharpness(gray)
    if sharp < calibration.sharpness_min:
        raise PageBlurryError(f"sharpness {sharp:.1f} below {calibration.sharpness_min:.1f}")
    height, width = page.shape[:2]
    return ScannedPage(
        jpeg=encode_jpeg(page, jpeg_quality),
        width=width,
        height=height,
        phash=phash(gray),
        sharpness=sharp / calibration.sharpness_min,
        glare=glare,
    )


def flatten(image: Image, quad: Quad) -> Image:
    """The page at ``quad`` in ``image``, seen square-on at its own aspect.

    The output has the resolution the page has in the frame (see
    :func:`~peripherals.camera.geometry.page_size`): nothing is invented, nothing lost.
    """
    size = page_size(quad)
    matrix = flattening_transform(quad, size)
    flat = cv2.warpPerspective(
        image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(flat, dtype=np.uint8)


def straighten(page: Image, skew_deg: float) -> Image:
    """``page`` turned back by its clockwise text skew, in the same size.

    The corners the turn uncovers repeat the page's own border (paper), not
    black wedges and not the desk.
    """
    height, width = page.shape[:2]
    turn = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), skew_deg, 1.0)
    straight = cv2.warpAffine(
        page, turn, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(straight, dtype=np.uint8)


def estimate_skew_deg(gray_page: Image) -> float:
    """The clockwise tilt of the text lines on a flattened page, in degrees (0 if unsure).

    Projection profiles: the ink pixels, projected across the lines at the right
    angle, pile up into sharp peaks (the lines) and empty valleys (the gaps);
    the angle with the peakiest profile wins. A coarse search at 1° is refined
    at 0.1°, on a sample of the ink. Positive means the lines go down to the
    right; :func:`straighten` takes the same angle.
    """
    _, ink = cv2.threshold(gray_page, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    ys, xs = np.nonzero(ink)
    if len(xs) < 200:
        return 0.0  # a blank page has no lines to go by
    if len(xs) > _SKEW_POINTS_MAX:
        pick = np.random.default_rng(0).choice(len(xs), _SKEW_POINTS_MAX, replace=False)
        xs, ys = xs[pick], ys[pick]
    x = xs.astype(np.float64)
    y = ys.astype(np.float64)

    def peakiness(angle_deg: float) -> float:
        """Sum of squared line counts: high when lines fall in few rows."""
        theta = np.radians(angle_deg)
        across = y * np.cos(theta) - x * np.sin(theta)
        counts = np.bincount((across - across.min()).astype(np.int64))
        return float(np.dot(counts, counts))

    coarse = max(np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 0.5, 1.0), key=peakiness)
    fine = max(np.arange(coarse - 0.5, coarse + 0.55, 0.1), key=peakiness)
    if abs(fine) > MAX_SKEW_DEG:
        return 0.0
    return round(float(fine), 2)


def calibrate(frames: Iterable[Image], base: Calibration | None = None) -> Calibration:
    """A :class:`Calibration` from frames of a sharp document lying still under the camera.

    Frames where no page is found are skipped; ``ValueError`` if too few remain.
    """
    reference = base or Calibration()
    samples: list[tuple[float, float]] = []
    for frame in frames:
        report = inspect(frame, reference)
        quad = report.analysis.frame_quad
        if quad is None:
            continue
        page = shrink_to_width(_gray(flatten(frame, quad)), SHARPNESS_WIDTH_PX)
        samples.append((sharpness(page), report.sharpness))
    return calibration_from_samples(samples, reference)


def _gray(image: Image) -> Image:
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
