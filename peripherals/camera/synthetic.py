"""Synthetic desks and documents, for the simulator, the demo and the benchmarks.

The scenes are made to look like what an overhead document camera sees: a
textured desk, a sheet with text-like content (a letterhead, paragraphs, a
table, a signature) and soft edges. Everything is drawn from a seed, so the
same seed gives the same pixels.
"""

from __future__ import annotations

import string
from functools import lru_cache

import cv2
import numpy as np

from peripherals.camera.model import Image, Quad

A4_ASPECT = float(np.sqrt(2))
PAPER_BGR = (228, 232, 234)  # white paper under a daylight lamp, below saturation
INK_BGR = (40, 35, 30)
WOOD_BGR = (70, 105, 150)
PALE_DESK_BGR = (218, 221, 223)  # a white laminate desk, a few levels below the paper
_LETTERS = string.ascii_lowercase
REFERENCE_PAGE_HEIGHT_PX = 2000


def render_page(seed: int, height: int, aspect: float = A4_ASPECT) -> Image:
    """A sheet of ``height`` pixels with content drawn from ``seed``.

    Different seeds give visibly different layouts (heading length, paragraph
    breaks, table position), which is what tells two pages apart in a hash.
    The sheet is drawn once at a reference size and resampled, so one seed is
    one document at every size, as a real sheet is at every distance.
    """
    reference = _reference_page(seed, aspect)
    width = max(round(height / aspect), 8)
    interpolation = cv2.INTER_AREA if height < reference.shape[0] else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(reference, (width, height), interpolation=interpolation), np.uint8)


@lru_cache(maxsize=16)
def _reference_page(seed: int, aspect: float) -> Image:
    page = _draw_page(seed, REFERENCE_PAGE_HEIGHT_PX, aspect)
    page.flags.writeable = False  # shared by every size drawn from it
    return page


def _draw_page(seed: int, height: int, aspect: float) -> Image:
    rng = np.random.default_rng(seed)
    width = max(round(height / aspect), 8)
    page = np.empty((height, width, 3), np.uint8)
    page[:] = PAPER_BGR
    unit = height / 100  # layout unit: 1% of the page height
    margin = round(7 * unit)
    # Letterhead: a coloured block and a bold title.
    logo = tuple(int(c) for c in rng.integers(40, 200, 3))
    cv2.rectangle(
        page, (margin, margin), (margin + round(9 * unit), margin + round(6 * unit)), logo, -1
    )
    _text(
        page,
        rng,
        (margin + round(11 * unit), margin + round(4.5 * unit)),
        2.2 * unit,
        rng.integers(2, 4),
        bold=True,
    )
    y = margin + round(14 * unit)
    line_height = 2.6 * unit
    bottom = height - margin - round(12 * unit)
    table_at = rng.uniform(0.3, 0.7)
    while y < bottom:
        if rng.random() < 0.12:
            y += round(line_height)  # paragraph break
        if abs(y / height - table_at) < 0.01:
            y = _table(page, rng, margin, y, unit)
            continue
        words = int(rng.integers(4, 11)) if rng.random() < 0.15 else 10
        _text(page, rng, (margin, y), 1.1 * unit, words, right=width - margin)
        y += round(line_height)
    # A signature scribble at the bottom right.
    start = np.array([width - margin - 20 * unit, height - margin - 4 * unit])
    steps = rng.normal(0, 1.2 * unit, (14, 2)) + np.array([1.4 * unit, 0])
    scribble = (start + np.cumsum(steps, axis=0)).astype(np.int32)
    cv2.polylines(page, [scribble], False, (120, 60, 20), max(1, round(0.25 * unit)), cv2.LINE_AA)
    return page


def _text(
    page: Image,
    rng: np.random.Generator,
    origin: tuple[int, int],
    size_px: float,
    words: int | np.integer,
    *,
    ink: tuple[int, int, int] = INK_BGR,
    bold: bool = False,
    right: int | None = None,
) -> None:
    """A line of random words, ``size_px`` tall, stopping at ``right``."""
    scale = size_px / 22  # Hershey simplex capitals are about 22 px at scale 1
    thickness = max(1, round(size_px / (5 if bold else 9)))
    x, y = origin
    for _ in range(int(words)):
        word = "".join(rng.choice(list(_LETTERS), int(rng.integers(2, 10))))
        (w, _), _ = cv2.getTextSize(word + " ", cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        if right is not None and x + w > right:
            break
        cv2.putText(
            page, word, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, ink, thickness, cv2.LINE_AA
        )
        x += w


def _table(
    page: Image,
    rng: np.random.Generator,
    margin: int,
    y: int,
    unit: float,
    *,
    ink: tuple[int, int, int] = INK_BGR,
) -> int:
    """A ruled table; returns the y below it."""
    width = page.shape[1]
    rows, cols = int(rng.integers(3, 6)), int(rng.integers(2, 5))
    row_h = round(3.2 * unit)
    thickness = max(1, round(0.15 * unit))
    x_edges = np.linspace(margin, width - margin, cols + 1).astype(int)
    for r in range(rows + 1):
        cv2.line(page, (margin, y + r * row_h), (width - margin, y + r * row_h), ink, thickness)
    for x in x_edges:
        cv2.line(page, (int(x), y), (int(x), y + rows * row_h), ink, thickness)
    for r in range(rows):
        for c in range(cols):
            _text(
                page,
                rng,
                (int(x_edges[c]) + round(unit), y + r * row_h + round(2.2 * unit)),
                1.0 * unit,
                2,
                ink=ink,
                right=int(x_edges[c + 1]) - round(unit),
            )
    return y + rows * row_h + round(3 * unit)


def render_desk(size: tuple[int, int], seed: int, *, pale: bool = False) -> Image:
    """A desk of ``size`` (width, height): wood grain, or a pale laminate if ``pale``."""
    width, height = size
    rng = np.random.default_rng(seed)
    # Grain: noise stretched along x, plus a slow light falloff across the desk.
    grain = rng.normal(0, 1, (max(height // 6, 2), max(width // 120, 2))).astype(np.float32)
    grain = np.asarray(
        cv2.resize(grain, (width, height), interpolation=cv2.INTER_CUBIC), np.float32
    )
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    falloff = 1 - 0.12 * (((xx / width - 0.5) ** 2 + (yy / height - 0.5) ** 2) * 2)
    base = np.array(PALE_DESK_BGR if pale else WOOD_BGR, np.float32)
    amplitude = 2.0 if pale else 14.0
    desk = (base[None, None, :] + amplitude * grain[:, :, None]) * falloff[:, :, None]
    return np.asarray(np.clip(desk, 0, 255), dtype=np.uint8)


def lay_page(desk: Image, page: Image, corners: Quad, *, shadow: float = 0.25) -> Image:
    """``desk`` with ``page`` laid at ``corners`` (TL, TR, BR, BL), edges antialiased.

    A faint shadow along the sheet's edge is what a real lamp gives and what
    separates a white sheet from a white desk; ``shadow=0`` removes it.
    """
    height, width = desk.shape[:2]
    ph, pw = page.shape[:2]
    source = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32) - 0.5
    matrix = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    warped = cv2.warpPerspective(
        page, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    # Coverage mask: a padded sheet of ones warped like the page. Linear
    # interpolation crosses 0.5 exactly on the sheet's edge, which antialiases it.
    ones = np.zeros((ph + 2, pw + 2), np.float32)
    ones[1:-1, 1:-1] = 255
    shift = np.array([[1, 0, 1], [0, 1, 1], [0, 0, 1]], np.float64)
    padded = matrix @ np.linalg.inv(shift)
    coverage = cv2.warpPerspective(ones, padded, (width, height), flags=cv2.INTER_LINEAR)
    mask = np.asarray(coverage, np.float32)[:, :, None] / 255
    out = desk.astype(np.float32)
    if shadow > 0:
        blur = max(width, height) / 300
        spread = np.asarray(cv2.GaussianBlur(mask[:, :, 0], (0, 0), blur), np.float32)
        out = np.asarray(out * (1 - shadow * spread[:, :, None]), np.float32)
    blended = out * (1 - mask) + np.asarray(warped, np.float32) * mask
    return np.asarray(np.clip(blended, 0, 255), dtype=np.uint8)


def page_corners(
    frame_size: tuple[int, int],
    *,
    height_fraction: float = 0.75,
    angle_deg: float = 0.0,
    centre: tuple[float, float] = (0.5, 0.5),
    tilt: float = 0.0,
    aspect: float = A4_ASPECT,
) -> Quad:
    """Where a sheet lies: TL, TR, BR, BL corners in a frame of ``frame_size``.

    ``height_fraction`` is the sheet's height over the frame's, ``angle_deg``
    its clockwise rotation on the desk, ``centre`` its centre as fractions of the
    frame, ``tilt`` a keystone (the camera not quite overhead): the top edge
    shrinks by that fraction.
    """
    width, height = frame_size
    h = height_fraction * height
    w = h / aspect
    half = np.array(
        [
            [-w / 2 * (1 - tilt), -h / 2],
            [w / 2 * (1 - tilt), -h / 2],
            [w / 2, h / 2],
            [-w / 2, h / 2],
        ],
        np.float64,
    )
    theta = np.radians(angle_deg)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    corners = half @ rotation.T + np.array([centre[0] * width, centre[1] * height])
    return np.asarray(corners, dtype=np.float32)
