"""The frame stamp: a capture time written into the top rows of a video frame.

See docs/VIDEO.md ("The frame stamp"): 48 bits, most significant first, the
capture time in milliseconds since the epoch modulo 2^40 (40 bits) then a
checksum byte (the sum of those five bytes modulo 256). Bit ``i`` is a square
block of side ``b = width // 80`` at ``x = i*b, y = 0``, white for 1, black
for 0. A reader samples the mean luma of the central half of each block and
thresholds at 128; a checksum failure means "no stamp", never a guess, and so
does an all-black band (it would pass as time 0: a dark camera picture).

Both functions work on a luma plane (2-D) or on an RGB/BGR image (3-D), so a
sender can stamp the Y plane of a ``yuv420p`` frame it is building and a
receiver can read the Y plane of a decoded frame without a colour conversion.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

STAMP_BITS = 48
TIME_BITS = 40
TIME_MODULUS = 1 << TIME_BITS
BLOCKS_PER_WIDTH = 80
_SHIFTS = np.arange(STAMP_BITS - 1, -1, -1, dtype=np.uint64)
# BT.601 luma weights; for black and white blocks the weighting hardly matters, but a
# reader sampling a colour image should agree with the console's canvas reader.
_LUMA_RGB = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def block_side(width: int) -> int:
    """The side of one bit's block for a frame ``width`` pixels wide (16 at 1280)."""
    return width // BLOCKS_PER_WIDTH


def now_ms() -> int:
    """The current wall-clock time in the stamp's unit (ms since the epoch, mod 2^40)."""
    return time.time_ns() // 1_000_000 % TIME_MODULUS


def stamp_bits(time_ms: int) -> NDArray[np.uint8]:
    """The 48 stamp bits (0 or 1), most significant first, for ``time_ms``."""
    value = time_ms % TIME_MODULUS
    payload = value.to_bytes(5, "big")
    word = (value << 8) | (sum(payload) % 256)
    return ((np.uint64(word) >> _SHIFTS) & np.uint64(1)).astype(np.uint8)


def write_stamp(image: NDArray[np.uint8], time_ms: int) -> None:
    """Write the stamp for ``time_ms`` into ``image`` in place (luma plane or RGB/BGR).

    Raises ``ValueError`` when the image is too small to hold the stamp band.
    """
    height, width = image.shape[:2]
    side = block_side(width)
    if side < 2 or height < side:
        raise ValueError(f"a {width}x{height} frame is too small for a stamp")
    row = np.repeat(stamp_bits(time_ms) * np.uint8(255), side)
    band = np.broadcast_to(row, (side, row.size))
    if image.ndim == 3:
        image[:side, : row.size, :] = band[:, :, None]
    else:
        image[:side, : row.size] = band


def read_stamp(image: NDArray[np.uint8], *, rgb: bool = True) -> int | None:
    """The stamped time in ms (mod 2^40), or ``None`` if no valid stamp is there.

    ``rgb`` tells the channel order of a 3-D image (``False`` for BGR); it is
    ignored for a luma plane.
    """
    height, width = image.shape[:2]
    side = block_side(width)
    if side < 2 or height < side:
        return None
    quarter = side // 4
    inner = max(side // 2, 1)
    # The central half of every block at once: cut the band, reshape to
    # (rows, bits, columns-in-block) and keep the middle rows and columns.
    band = image[quarter : quarter + inner, : STAMP_BITS * side]
    if band.ndim == 3:
        weights = _LUMA_RGB if rgb else _LUMA_RGB[::-1]
        luma = band.astype(np.float32) @ weights
    else:
        luma = band.astype(np.float32)
    blocks = luma.reshape(inner, STAMP_BITS, side)[:, :, quarter : quarter + inner]
    bits = (blocks.mean(axis=(0, 2)) >= 128.0).astype(np.uint64)
    word = int((bits << _SHIFTS).sum())
    value, checksum = word >> 8, word & 0xFF
    # An all-black band passes the checksum as time 0: a dark picture, not a stamp.
    if word == 0 or sum(value.to_bytes(5, "big")) % 256 != checksum:
        return None
    return value


def stamp_age_ms(stamp_ms: int, at_ms: int | None = None) -> int:
    """Milliseconds from ``stamp_ms`` to ``at_ms`` (default now), across the 2^40 wrap."""
    now = now_ms() if at_ms is None else at_ms % TIME_MODULUS
    age = (now - stamp_ms) % TIME_MODULUS
    # A stamp slightly in the future (clock steps) shows as a huge age: fold it back.
    return age - TIME_MODULUS if age > TIME_MODULUS // 2 else age
