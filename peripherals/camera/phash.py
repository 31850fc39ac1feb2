"""Perceptual hashes of pages, to recognise a sheet that was already scanned.

A pHash keeps the signs of the lowest spatial frequencies of a small
greyscale copy, so it survives what changes between two captures of the same
sheet (pose, lighting, noise, compression) and changes with the layout. Text
pages all look alike at 8x8 frequencies (grey bands of lines), so this hash
keeps 16x16 of them: 255 bits that see where paragraphs, tables and headings
sit. Written with OpenCV's DCT, so no image-hashing dependency is needed.
"""

from __future__ import annotations

import cv2
import numpy as np

from peripherals.camera.model import Image

HASH_SIDE = 16  # frequencies kept per axis
HASH_BITS = HASH_SIDE * HASH_SIDE - 1  # the DC term (mean brightness) is left out
_SAMPLE_SIDE = 64  # the page is shrunk to this square before the DCT
# Measured on generated documents that share one template (letterhead, text,
# table, signature): two captures of one sheet differ in under 5 % of the bits,
# two different sheets in over 20 %. An eighth sits between with margin.
DUPLICATE_DISTANCE = HASH_BITS // 8


def phash(gray_page: Image) -> int:
    """The perceptual hash of a flattened page (grayscale), as an integer.

    The page is squashed to a square whatever its aspect: the hash describes
    the layout relative to the sheet, which is what stays the same.
    """
    small = cv2.resize(gray_page, (_SAMPLE_SIDE, _SAMPLE_SIDE), interpolation=cv2.INTER_AREA)
    spectrum = cv2.dct(np.asarray(small, dtype=np.float32))
    low = spectrum[:HASH_SIDE, :HASH_SIDE].reshape(-1)[1:]
    bits = low > np.median(low)
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def hash_distance(first: int, second: int) -> int:
    """How many bits two hashes differ in (0: same picture)."""
    return (first ^ second).bit_count()


def is_same_page(first: int, second: int, max_distance: int = DUPLICATE_DISTANCE) -> bool:
    """Whether two hashes are of the same sheet."""
    return hash_distance(first, second) <= max_distance
