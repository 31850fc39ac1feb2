"""What a printer adapter may learn from a PDF without a PDF library.

Every adapter refuses the same broken documents with the same error, and the
CUPS adapter asks for the paper the document was laid out on (an 80 mm roll
receipt must not be cropped to fit an A4 default).
"""

from __future__ import annotations

import math
import re

from peripherals.printer.errors import PrintRejectedError

PT_PER_MM = 72 / 25.4
_PDF_MAGIC = b"%PDF-"
_PDF_TAIL_BYTES = 1024  # %%EOF must sit near the end, after an optional trailing newline
# Counts page objects in uncompressed cross-reference streams (what reportlab writes);
# a PDF whose pages hide in object streams reports ``None``.
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_MEDIA_BOX = re.compile(rb"/MediaBox\s*\[\s*(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s*\]")
# Named sizes CUPS knows, in millimetres (portrait); anything else becomes Custom.WxHmm.
_NAMED_MEDIA_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4), "Legal": (215.9, 355.6)}
_MEDIA_TOLERANCE_MM = 1.0


def check_pdf(pdf: bytes) -> None:
    """Raise ``PrintRejectedError`` unless ``pdf`` looks like a whole PDF document."""
    if not pdf.startswith(_PDF_MAGIC):
        raise PrintRejectedError("the document is not a PDF")
    if b"%%EOF" not in pdf[-_PDF_TAIL_BYTES:]:
        raise PrintRejectedError("the PDF is truncated")


def count_pages(pdf: bytes) -> int | None:
    """The number of pages, or ``None`` when they cannot be counted cheaply."""
    return len(_PAGE_OBJECT.findall(pdf)) or None


def page_size_mm(pdf: bytes) -> tuple[float, float] | None:
    """Width and height of the first page box found, in millimetres, if readable."""
    match = _MEDIA_BOX.search(pdf)
    if match is None:
        return None
    x0, y0, x1, y1 = (float(value) for value in match.groups())
    width, height = abs(x1 - x0) / PT_PER_MM, abs(y1 - y0) / PT_PER_MM
    if width <= 0 or height <= 0:
        return None
    return width, height


def media_keyword(pdf: bytes) -> str | None:
    """The CUPS ``media`` option matching the document's first page, if it can be read.

    A4, Letter and Legal pages (either orientation) get their names; any other
    size, such as a receipt 80 mm wide and as tall as its content, is asked for
    as ``Custom.WxHmm`` so that a roll printer cuts it at the right length.
    """
    size = page_size_mm(pdf)
    if size is None:
        return None
    width, height = size
    for name, (named_w, named_h) in _NAMED_MEDIA_MM.items():
        for w, h in ((named_w, named_h), (named_h, named_w)):
            if abs(width - w) <= _MEDIA_TOLERANCE_MM and abs(height - h) <= _MEDIA_TOLERANCE_MM:
                return name
    # Rounded up: a page a fraction too small makes CUPS shrink the whole receipt.
    return f"Custom.{_ceil_mm(width)}x{_ceil_mm(height)}mm"


def _ceil_mm(length_mm: float) -> int:
    # Points written with few decimals land a hair above whole millimetres: not a new one.
    return math.ceil(length_mm - 0.05)
