"""Finding the page in a frame: a quadrilateral, in full-resolution coordinates.

Detection runs on a copy downscaled to :data:`ANALYSIS_WIDTH_PX` (a 4K frame
costs the same as a 720p one) and maps the corners back. Each side is then
re-fitted as a straight line through sub-pixel edge positions along it, so the
corners land within about a pixel of the analysis copy (under 0.3 % of the
page's diagonal on the test scenes) even where the paper's corner is
dog-eared, covered or rounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from peripherals.camera.geometry import (
    corner_angles_deg,
    is_convex,
    order_corners,
    quad_area,
    scale_quad,
)
from peripherals.camera.model import Image, Quad
from peripherals.camera.quality import shrink_to_width

ANALYSIS_WIDTH_PX = 640
MIN_PAGE_FRACTION = 0.02  # of the frame; an ID card under a camera framing A3 is about 4 %
MAX_PAGE_FRACTION = 0.97  # the whole frame's border is not a page
MIN_CORNER_ANGLE_DEG = 45.0  # even a steep view keeps a sheet's corners this square
# Contour-to-quad fit: a page fills its outline; a desk pattern or a hand does not.
MIN_FILL = 0.90
# Edge thresholds (Canny) for ordinary contrast, then for a white page on a pale desk.
EDGE_THRESHOLDS = ((30, 90), (6, 18))
TEXT_KERNEL = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
EDGE_KERNEL = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
# Sub-pixel refinement of each side: how far across it to look, how finely, how
# many profiles per side, and the smallest step (grey levels per sample) that counts.
REFINE_REACH_PX = 4.0
REFINE_STEP_PX = 0.5
REFINE_SAMPLES = 24
REFINE_MIN_STEP = 1.0


@dataclass(frozen=True, eq=False)
class Analysis:
    """A frame downscaled for detection, and the page found in it (if any)."""

    small: Image  # BGR, ANALYSIS_WIDTH_PX wide (or the frame itself if smaller)
    scale: float  # full-resolution pixels per ``small`` pixel
    quad: Quad | None  # in ``small`` coordinates
    frame_size: tuple[int, int]  # (width, height) of the full frame

    @property
    def frame_quad(self) -> Quad | None:
        """The page corners in full-resolution coordinates."""
        return None if self.quad is None else scale_quad(self.quad, self.scale)

    @property
    def page_fraction(self) -> float:
        """The page's share of the picture (0 without a page)."""
        if self.quad is None:
            return 0.0
        height, width = self.small.shape[:2]
        return quad_area(self.quad) / float(width * height)


def downscale(frame: Image, width: int = ANALYSIS_WIDTH_PX) -> tuple[Image, float]:
    """``frame`` at most ``width`` wide, and the scale factor back to full resolution.

    Averaging (see :func:`~peripherals.camera.quality.shrink_to_width`) keeps
    sensor noise and fine text from aliasing into false edges.
    """
    full_width = frame.shape[1]
    if full_width <= width:
        return frame, 1.0
    return shrink_to_width(frame, width), full_width / width


def analyse(frame: Image, width: int = ANALYSIS_WIDTH_PX) -> Analysis:
    """Downscale ``frame`` and look for the page in it."""
    small, scale = downscale(frame, width)
    height, full_width = frame.shape[:2]
    return Analysis(small, scale, find_page(small), (full_width, height))


def find_page(image: Image) -> Quad | None:
    """The page outline in ``image`` (BGR, analysis size), or ``None``.

    Text and desk grain are first erased with a morphological closing (dark
    strokes thinner than the kernel vanish, the page's outline does not). The
    page is the largest closed edge loop that a convex quadrilateral fits. The
    search runs at ordinary edge thresholds, then, only if nothing was found, at
    low ones for a white page on a pale desk, where the outline is a step of a
    few grey levels (the closing and the blur have removed the noise that low
    thresholds would otherwise pick up). Each side is finally re-fitted through
    the sub-pixel edge positions.
    """
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    smooth = cv2.GaussianBlur(cv2.morphologyEx(gray, cv2.MORPH_CLOSE, TEXT_KERNEL), (5, 5), 0)
    frame_area = float(image.shape[0] * image.shape[1])
    for low, high in EDGE_THRESHOLDS:
        edges = cv2.Canny(smooth, low, high)
        quad = _best_quad(np.asarray(cv2.dilate(edges, EDGE_KERNEL), np.uint8), frame_area)
        if quad is not None:
            return refine_sides(smooth.astype(np.float32), quad)
    return None


def _best_quad(edges: NDArray[np.uint8], frame_area: float) -> Quad | None:
    """The largest plausible quad among the holes of the edge map.

    Holes (the insides of closed edge loops) rather than outer boundaries: desk
    grain that touches the sheet's edge sticks out of the loop, not into it.
    """
    contours, hierarchy = cv2.findContours(edges, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return None
    best: Quad | None = None
    best_area = MIN_PAGE_FRACTION * frame_area
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0], strict=True):
        if parent < 0:
            continue  # an outer boundary
        area = float(cv2.contourArea(contour))
        if area <= best_area or area > MAX_PAGE_FRACTION * frame_area:
            continue
        quad = _contour_quad(np.asarray(contour, np.int32), area)
        if quad is not None:
            best, best_area = quad, area
    return best


def _contour_quad(contour: NDArray[np.int32], area: float) -> Quad | None:
    """A convex, roughly rectangular quad that ``contour`` fills, or ``None``."""
    hull = cv2.convexHull(contour).reshape(-1, 2).astype(np.float32)
    if len(hull) >= 4:
        quad = order_corners(_simplify_to_four(hull))
        if _plausible(quad, area):
            return quad
    # Fallback: the smallest enclosing rectangle, accepted only if the contour
    # nearly fills it (a sheet seen square-on with a corner lost in glare).
    quad = order_corners(np.asarray(cv2.boxPoints(cv2.minAreaRect(hull)), np.float32))
    return quad if _plausible(quad, area) else None


def _plausible(quad: Quad, area: float) -> bool:
    """Convex, no corner sharper than a steep view allows, and filled by the contour."""
    if not is_convex(quad) or np.min(corner_angles_deg(quad)) < MIN_CORNER_ANGLE_DEG:
        return False
    quad_size = quad_area(quad)
    return quad_size > 0 and min(area, quad_size) / max(area, quad_size) >= MIN_FILL


def _simplify_to_four(hull: NDArray[np.float32]) -> NDArray[np.float32]:
    """Reduce a convex hull to the four corners of the sheet it outlines.

    Each step takes the hull's cheapest simplification: either drop a vertex
    (the one whose triangle with its neighbours is smallest, as Visvalingam's
    algorithm does) or drop an edge by extending its two neighbours until they
    meet. The second is what a corner hidden under a thumb or folded over
    needs: the sheet's sides are straight, and their meeting point is the
    corner, wherever the outline was clipped.
    """
    perimeter = cv2.arcLength(hull, True)
    # A light approxPolyDP first: the hull of a long edge has dozens of points.
    points = cv2.approxPolyDP(hull, 0.005 * perimeter, True).reshape(-1, 2).astype(np.float64)
    if len(points) < 4:
        points = hull.astype(np.float64)
    while len(points) > 4:
        count = len(points)
        before = points - np.roll(points, 1, axis=0)
        after = np.roll(points, -1, axis=0) - points
        drop_costs = np.abs(before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0]) / 2
        best_drop = int(np.argmin(drop_costs))
        best_extension, extension_cost, meeting = -1, np.inf, None
        for i in range(count):
            corner = _extend_edges(
                points[i - 1], points[i], points[(i + 1) % count], points[(i + 2) % count]
            )
            if corner is None:
                continue
            cost = _triangle_area(points[i], corner, points[(i + 1) % count])
            if cost < extension_cost:
                best_extension, extension_cost, meeting = i, cost, corner
        if meeting is not None and extension_cost <= drop_costs[best_drop]:
            points[best_extension] = meeting
            points = np.delete(points, (best_extension + 1) % count, axis=0)
        else:
            points = np.delete(points, best_drop, axis=0)
    return points.astype(np.float32)


def _extend_edges(
    a: NDArray[np.float64], b: NDArray[np.float64], c: NDArray[np.float64], d: NDArray[np.float64]
) -> NDArray[np.float64] | None:
    """Where edge a→b, carried on past b, meets edge d→c carried on past c (or ``None``)."""
    forward, backward = b - a, c - d
    det = forward[0] * backward[1] - forward[1] * backward[0]
    if abs(det) < 1e-9:
        return None
    delta = c - b
    t = (delta[0] * backward[1] - delta[1] * backward[0]) / det
    s = (delta[0] * forward[1] - delta[1] * forward[0]) / det
    if t <= 0 or s <= 0:
        return None  # the edges diverge: extending them does not close the gap
    return np.asarray(b + t * forward, dtype=np.float64)


def _triangle_area(a: NDArray[np.float64], b: NDArray[np.float64], c: NDArray[np.float64]) -> float:
    u, v = b - a, c - a
    return abs(float(u[0] * v[1] - u[1] * v[0])) / 2


def refine_sides(image: NDArray[np.float32], quad: Quad) -> Quad:
    """``quad`` with each side moved onto the strongest nearby edge, at sub-pixel precision.

    Along each side, brightness profiles are sampled across it; the steepest
    step of each profile (interpolated between samples) is an edge point, and a
    robust line through those points is the side. Corners are where adjacent
    sides meet, so a curled, dog-eared or covered corner does not pull them.
    The middle 80 % of each side is used, as corners are where paper curls and
    fingers hold.
    """
    offsets = np.arange(-REFINE_REACH_PX, REFINE_REACH_PX + 1e-6, REFINE_STEP_PX)
    lines: list[NDArray[np.float64]] = []
    for i in range(4):
        start, end = quad[i].astype(np.float64), quad[(i + 1) % 4].astype(np.float64)
        length = float(np.linalg.norm(end - start))
        direction = (end - start) / max(length, 1e-9)
        normal = np.array([-direction[1], direction[0]])
        along = start + np.linspace(0.1, 0.9, REFINE_SAMPLES)[:, None] * (end - start)
        grid = along[:, None, :] + offsets[None, :, None] * normal
        profiles = cv2.remap(
            image,
            grid[..., 0].astype(np.float32),
            grid[..., 1].astype(np.float32),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        values = profiles.astype(np.float64)
        # Offsets grow inwards (the quad runs clockwise). Only steps of the sign the
        # sheet has against the desk count, which rules out half of what text
        # remnants and desk grain offer.
        half = len(offsets) // 2
        contrast = float(np.median(values[:, half:]) - np.median(values[:, :half]))
        steps = np.maximum(np.diff(values, axis=1) * (1.0 if contrast >= 0 else -1.0), 0.0)
        peak = np.clip(np.argmax(steps, axis=1), 1, steps.shape[1] - 2)
        rows = np.arange(len(peak))
        left, centre, right = steps[rows, peak - 1], steps[rows, peak], steps[rows, peak + 1]
        curvature = left - 2 * centre + right
        shift = np.where(
            curvature < 0, 0.5 * (left - right) / np.where(curvature < 0, curvature, -1), 0
        )
        position = offsets[0] + (peak + 0.5 + np.clip(shift, -0.5, 0.5)) * REFINE_STEP_PX
        strong = centre >= REFINE_MIN_STEP
        if np.count_nonzero(strong) < REFINE_SAMPLES // 3:
            lines.append(np.concatenate([direction, start]))  # no clear edge: keep the side
            continue
        points = (along + position[:, None] * normal)[strong].astype(np.float32)
        lines.append(
            cv2.fitLine(points, cv2.DIST_HUBER, 0, 0.01, 0.01).reshape(4).astype(np.float64)
        )
    corners = [_intersect(lines[i - 1], lines[i]) for i in range(4)]
    if any(corner is None for corner in corners):
        return quad
    refined = np.array(corners, dtype=np.float32)
    # Sides that were not straight edges can swing a corner far: keep the coarse quad.
    if float(np.max(np.linalg.norm(refined - quad, axis=1))) > 2 * REFINE_REACH_PX:
        return quad
    return refined


def _intersect(
    first: NDArray[np.float64], second: NDArray[np.float64]
) -> NDArray[np.float64] | None:
    """Where two lines (vx, vy, x0, y0) cross, or ``None`` if they are nearly parallel."""
    d1, p1, d2, p2 = first[:2], first[2:], second[:2], second[2:]
    det = d2[0] * d1[1] - d1[0] * d2[1]
    if abs(det) < 1e-6:
        return None
    delta = p2 - p1
    t = float((d2[0] * delta[1] - d2[1] * delta[0]) / det)
    return np.asarray(p1 + t * d1, dtype=np.float64)
