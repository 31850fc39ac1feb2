"""A page from the document camera, in the form a web page's file input accepts.

The camera gives a JPEG. A file input that takes only PDF gets the same page
wrapped in a one-page PDF (A4, the page fitted with its proportions).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

JPEG_TYPES = frozenset({"image/jpeg", "image/jpg", ".jpg", ".jpeg", "image/*"})
PDF_TYPES = frozenset({"application/pdf", ".pdf"})
A4_PT = (595.0, 842.0)
MARGIN_PT = 24.0


@dataclass(frozen=True)
class ScannedFile:
    """What the page receives: a file name, its type and its bytes."""

    name: str
    mime_type: str
    content: bytes


def file_for_input(accepted: Sequence[str], jpeg: bytes, number: int) -> ScannedFile:
    """The scanned page as the file input wants it (``accepted``: its ``accept`` list).

    JPEG when the input takes any file or an image; a PDF when it takes only PDF.
    """
    wanted = {kind.strip().lower() for kind in accepted if kind.strip()}
    if wanted and not wanted & JPEG_TYPES and wanted & PDF_TYPES:
        return ScannedFile(f"document-{number}.pdf", "application/pdf", jpeg_to_pdf(jpeg))
    return ScannedFile(f"document-{number}.jpg", "image/jpeg", jpeg)


def jpeg_to_pdf(jpeg: bytes) -> bytes:
    """A one-page A4 PDF showing the JPEG page, fitted inside the margins."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    image = ImageReader(io.BytesIO(jpeg))
    width, height = image.getSize()
    room_w, room_h = A4_PT[0] - 2 * MARGIN_PT, A4_PT[1] - 2 * MARGIN_PT
    scale = min(room_w / width, room_h / height)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4_PT)
    shown_w, shown_h = width * scale, height * scale
    x, y = (A4_PT[0] - shown_w) / 2, (A4_PT[1] - shown_h) / 2
    canvas.drawImage(image, x, y, shown_w, shown_h)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
