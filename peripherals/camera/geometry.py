"""Quadrilateral helpers: corner order, page size and the flattening transform."""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from peripherals.camera.model import Quad

# Paper formats a flattened page snaps to when its measured aspect is this close:
# a measured 1.40 is an A4 sheet seen slightly off-axis, not a new format.
PAPER_ASPECTS = {
    "iso_a": math.sqrt(2),  # A3, A4, A5
    "letter": 11 / 8.5,
    "legal": 14 / 8.5,
    "id_card": 85.6 / 53.98,  # ID-1: identity and health cards
}
ASPECT_SNAP_TOLERANCE = 0.03  # relative


def order_corners(points: NDArray[np.floating]) -> Quad:
    """Order four points top-left, top-right, bottom-right, bottom-left.

    Corners are first put in clockwise order around their centroid; the start is
    then the corner whose outgoing edge points most to the right. Unlike the
    usual "smallest x + y" rule, this keeps the page's own top-left corner for
    any rotation up to ±45°, so a page laid askew does not come out sideways.
    """
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    centre = pts.mean(axis=0)
    # Image y points down, so increasing atan2 angle is clockwise on screen.
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    clockwise = pts[np.argsort(angles)]
    edges = np.roll(clockwise, -1, axis=0) - clockwise
    edge_angles = np.abs(np.arctan2(edges[:, 1], edges[:, 0]))
    start = int(np.argmin(edge_angles))
    return np.roll(clockwise, -start, axis=0).astype(np.float32)


def quad_area(quad: Quad) -> float:
    """Area of a simple quadrilateral (shoelace formula), in square pixels."""
    x, y = quad[:, 0].astype(np.float64), quad[:, 1].astype(np.float64)
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def is_convex(quad: Quad) -> bool:
    """Whether the four corners, in order, make a convex quadrilateral."""
    edges = np.roll(quad, -1, axis=0) - quad
    following = np.roll(edges, -1, axis=0)
    cross = edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0]
    return bool(np.all(cross > 0) or np.all(cross < 0))


def corner_angles_deg(quad: Quad) -> NDArray[np.float64]:
    """Interior angle at each corner, in degrees."""
    before = np.roll(quad, 1, axis=0) - quad
    after = np.roll(quad, -1, axis=0) - quad
    cos = np.sum(before * after, axis=1) / (
        np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1) + 1e-9
    )
    return np.asarray(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))), dtype=np.float64)


def page_size(quad: Quad) -> tuple[int, int]:
    """The (width, height) in pixels of the flattened page.

    Each side is the longer of the two opposite edges: the far edge of a sheet
    seen off-axis is foreshortened, the near one is not (much), and taking it
    loses no detail. The aspect then snaps to a paper format when close.
    """
    top, right, bottom, left = (
        float(np.linalg.norm(quad[(i + 1) % 4] - quad[i])) for i in range(4)
    )
    width, height = max(top, bottom), max(left, right)
    aspect = snap_aspect(height / max(width, 1.0))
    # Keep the measured area: snapping changes the shape, not the resolution.
    area = width * height
    width = math.sqrt(area / aspect)
    return max(round(width), 1), max(round(width * aspect), 1)


def snap_aspect(aspect: float) -> float:
    """``aspect`` (height / width), snapped to a paper format in either orientation."""
    for ratio in PAPER_ASPECTS.values():
        for candidate in (ratio, 1 / ratio):
            if abs(aspect / candidate - 1) <= ASPECT_SNAP_TOLERANCE:
                return candidate
    return aspect


def flattening_transform(quad: Quad, size: tuple[int, int]) -> NDArray[np.float64]:
    """The homography taking ``quad`` to an upright rectangle of ``size`` (width, height)."""
    width, height = size
    target = np.array(
        [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32
    )
    return np.asarray(
        cv2.getPerspectiveTransform(quad.astype(np.float32), target), dtype=np.float64
    )


def scale_quad(quad: Quad, factor: float) -> Quad:
    """``quad`` in the coordinates of an image ``factor`` times larger.

    Pixel centres sit at integer coordinates, so scaling goes through the
    continuous frame (+0.5) to avoid a half-pixel drift at every resize.
    """
    return ((quad + 0.5) * factor - 0.5).astype(np.float32)
