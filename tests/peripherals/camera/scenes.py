"""Generated camera scenes with known page corners, for the pipeline tests.

A scene is what the document camera would see: a desk, a sheet at a known pose
(rotation, keystone), then what optics and sensors add (blur, glare, noise,
MJPEG compression). The sheet's true corners come with it, so detection is
measured against ground truth rather than eyeballed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from peripherals.camera.model import Image, Quad
from peripherals.camera.synthetic import lay_page, page_corners, render_desk, render_page

FRAME_SIZE = (1280, 960)  # a common 4:3 document-camera mode
EDGE_MARGIN = 0.03  # of the frame: the sheet stays fully in view


@dataclass(frozen=True, eq=False)
class Scene:
    """A frame and the true corners (TL, TR, BR, BL) of the sheet in it."""

    image: Image
    corners: Quad
    page_seed: int

    @property
    def diagonal(self) -> float:
        """The sheet's diagonal in pixels (mean of its two diagonals)."""
        first = np.linalg.norm(self.corners[2] - self.corners[0])
        second = np.linalg.norm(self.corners[3] - self.corners[1])
        return float(first + second) / 2


@lru_cache(maxsize=8)
def _desk(size: tuple[int, int], seed: int, pale: bool) -> Image:
    desk = render_desk(size, seed, pale=pale)
    desk.flags.writeable = False  # shared between scenes
    return desk


def make_scene(
    seed: int,
    *,
    size: tuple[int, int] = FRAME_SIZE,
    page_seed: int | None = None,
    rotation_deg: float | None = None,
    tilt: float | None = None,
    height_fraction: float | None = None,
    noise: float | None = None,
    blur_sigma: float = 0.0,
    glare: bool = False,
    white_on_white: bool = False,
    jpeg_quality: int | None = 85,
) -> Scene:
    """A scene drawn from ``seed``; any pose or sensor parameter may be pinned.

    Unpinned, the sheet is rotated up to ±30°, keystoned up to 12 %, fills 50–85 %
    of the frame's height and sits anywhere it fits; noise is up to 5 grey levels.
    """
    rng = np.random.default_rng(seed)
    rotation = rotation_deg if rotation_deg is not None else float(rng.uniform(-30, 30))
    keystone = tilt if tilt is not None else float(rng.uniform(0, 0.12))
    fraction = height_fraction if height_fraction is not None else float(rng.uniform(0.5, 0.85))
    corners = _fitting_corners(size, rng, fraction, rotation, keystone)
    height = round(float(np.linalg.norm(corners[3] - corners[0])))
    page = render_page(page_seed if page_seed is not None else seed, max(height, 64))
    desk = _desk(size, seed % 4, white_on_white)
    image = lay_page(desk, page, corners, shadow=0.12 if white_on_white else 0.25)
    if blur_sigma > 0:
        image = np.asarray(cv2.GaussianBlur(image, (0, 0), blur_sigma), np.uint8)
    if glare:
        image = _add_glare(image, corners, rng)
    sigma = noise if noise is not None else float(rng.uniform(0, 5))
    if sigma > 0:
        grain = rng.normal(0, sigma, image.shape).astype(np.float32)
        image = np.clip(image.astype(np.float32) + grain, 0, 255).astype(np.uint8)
    if jpeg_quality is not None:
        ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        assert ok
        image = np.asarray(cv2.imdecode(buffer, cv2.IMREAD_COLOR), np.uint8)
    return Scene(np.asarray(image, np.uint8), corners, page_seed if page_seed is not None else seed)


def empty_desk(seed: int, *, size: tuple[int, int] = FRAME_SIZE, pale: bool = False) -> Image:
    """The desk with nothing on it."""
    return np.array(_desk(size, seed % 4, pale))


def _fitting_corners(
    size: tuple[int, int],
    rng: np.random.Generator,
    fraction: float,
    rotation: float,
    keystone: float,
) -> Quad:
    """Corners at the given pose, shrunk and placed so the sheet stays in frame."""
    width, height = size
    for _ in range(20):
        corners = page_corners(size, height_fraction=fraction, angle_deg=rotation, tilt=keystone)
        low, high = corners.min(axis=0), corners.max(axis=0)
        room_x = (width * (1 - 2 * EDGE_MARGIN) - (high[0] - low[0])) / 2
        room_y = (height * (1 - 2 * EDGE_MARGIN) - (high[1] - low[1])) / 2
        if room_x >= 0 and room_y >= 0:
            shift = np.array([rng.uniform(-room_x, room_x), rng.uniform(-room_y, room_y)])
            return np.asarray(corners + shift, np.float32)
        fraction *= 0.92
    raise ValueError("the sheet cannot fit in the frame at this pose")


def _add_glare(image: Image, corners: Quad, rng: np.random.Generator) -> Image:
    """A lamp's reflection: a clipped white ellipse with a soft halo, on the sheet."""
    height, width = image.shape[:2]
    weights = rng.dirichlet(np.ones(4))
    centre = weights @ corners * 0.6 + corners.mean(axis=0) * 0.4
    side = float(np.linalg.norm(corners[1] - corners[0]))
    axes = np.array([rng.uniform(0.18, 0.28), rng.uniform(0.10, 0.18)]) * side
    angle = np.radians(rng.uniform(0, 180))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    dx, dy = xx - centre[0], yy - centre[1]
    u = (dx * np.cos(angle) + dy * np.sin(angle)) / axes[0]
    v = (-dx * np.sin(angle) + dy * np.cos(angle)) / axes[1]
    light = 2.0 * np.exp(-(u**2 + v**2)) * 255
    return np.asarray(np.clip(image.astype(np.float32) + light[:, :, None], 0, 255), np.uint8)
