"""Is the page good enough to keep? Sharpness and glare, against a camera's calibration.

Sharpness is the variance of the Laplacian (how much fine detail the page
shows) measured on a page shrunk to :data:`SHARPNESS_WIDTH_PX`, after a light
blur that takes sensor noise out of the count. The number depends on the
camera's optics and resolution and on the kind of document, so what counts as
sharp comes from a :class:`Calibration`, made on site with
:func:`peripherals.camera.pipeline.calibrate`.
Glare is the share of the page's pixels at sensor saturation: there the ink
is gone and no processing brings it back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import cv2
import numpy as np
from numpy.typing import NDArray

from peripherals.camera.model import Image

SHARPNESS_WIDTH_PX = 640
# A capture is refused below this share of the calibration frames' median
# sharpness. Measured on generated 1280x960 scenes: sharp pages range from 0.7
# to 1.25 times their median, a 1 px blur brings them to 0.26, 1.5 px to 0.12.
CALIBRATION_MARGIN = 0.35
MIN_CALIBRATION_FRAMES = 3


@dataclass(frozen=True)
class Calibration:
    """What one camera, at its height over the desk, needs to call a page good.

    ``sharpness_min`` applies to captures (the page at full resolution),
    ``preview_sharpness_min`` to the preview (the page as seen at analysis size,
    where a blur costs less detail). ``glare_level`` is the grey level from which
    a pixel counts as washed out; ``glare_fraction_max`` the share of the page
    that may be. The defaults suit the simulator and a 1080p–4K camera about
    40 cm above an A4 sheet; run :func:`peripherals.camera.pipeline.calibrate` on site.
    """

    sharpness_min: float = 50.0
    preview_sharpness_min: float = 50.0
    glare_level: int = 250
    glare_fraction_max: float = 0.015

    def __post_init__(self) -> None:
        if self.sharpness_min <= 0 or self.preview_sharpness_min <= 0:
            raise ValueError("sharpness thresholds must be positive")
        if not 0 < self.glare_level <= 255:
            raise ValueError("glare_level is a grey level, 1 to 255")
        if not 0 <= self.glare_fraction_max <= 1:
            raise ValueError("glare_fraction_max is a fraction")


def sharpness(gray_page: Image) -> float:
    """Variance of the Laplacian of a (grayscale) page, at :data:`SHARPNESS_WIDTH_PX`.

    Pages wider than that are shrunk first (by averaging, which does not
    alias: see :func:`shrink_to_width`), so the figure does not grow with the
    camera's resolution.
    """
    page = shrink_to_width(gray_page, SHARPNESS_WIDTH_PX)
    # The light blur keeps pixel noise (which looks like detail) out of the figure.
    smooth = cv2.GaussianBlur(page, (3, 3), 0)
    return float(np.var(cv2.Laplacian(smooth, cv2.CV_32F)))


def glare_fraction(gray_page: Image, level: int) -> float:
    """The share of a (grayscale) page's pixels at or above ``level``."""
    if gray_page.size == 0:
        return 0.0
    return float(np.count_nonzero(gray_page >= level)) / gray_page.size


def shrink_to_width(image: Image, width: int) -> Image:
    """``image`` shrunk to ``width`` pixels wide (aspect kept), or as is if narrower.

    Exact halvings first, by INTER_AREA (each output pixel averages a 2x2
    block: no aliasing, and OpenCV's fast path); then one last step of less
    than a factor of two by INTER_LINEAR, which aliases little after the
    averaging. On a 4K frame this is 4 ms where a single INTER_AREA takes 9.
    """
    height, current = image.shape[:2]
    if current <= width:
        return image
    size = (width, max(round(height * width / current), 1))
    while image.shape[1] >= 2 * width:
        # An odd last row or column would push OpenCV off its exact-halving path.
        even = image[: image.shape[0] // 2 * 2, : image.shape[1] // 2 * 2]
        half = (even.shape[1] // 2, even.shape[0] // 2)
        image = np.asarray(cv2.resize(even, half, interpolation=cv2.INTER_AREA), np.uint8)
    if (image.shape[1], image.shape[0]) == size:
        return image
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_LINEAR), dtype=np.uint8)


def calibration_from_samples(
    sharpness_samples: Iterable[tuple[float, float]],
    base: Calibration | None = None,
    *,
    margin: float = CALIBRATION_MARGIN,
) -> Calibration:
    """A calibration from measurements of sharp pages under the installed camera.

    ``sharpness_samples`` holds ``(capture, preview)`` sharpness pairs, one per
    frame of a well-focused document lying still (see
    :func:`peripherals.camera.pipeline.calibrate`, which measures
    frames). Thresholds become ``margin`` times the median, so one odd frame
    does not move them; glare settings come from ``base``.
    """
    samples: NDArray[np.float64] = np.array(list(sharpness_samples), dtype=np.float64)
    if samples.ndim != 2 or len(samples) < MIN_CALIBRATION_FRAMES:
        raise ValueError(f"need at least {MIN_CALIBRATION_FRAMES} frames showing a page")
    capture, preview = np.median(samples, axis=0)
    if capture <= 0 or preview <= 0:
        raise ValueError("the calibration frames show no detail: is the lens covered?")
    return replace(
        base or Calibration(),
        sharpness_min=float(capture) * margin,
        preview_sharpness_min=float(preview) * margin,
    )
