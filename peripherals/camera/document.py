"""Scanned pages as files: JPEG for each page, one PDF for the document."""

from __future__ import annotations

import io
from collections.abc import Iterator

import cv2
import numpy as np

from peripherals.camera.errors import DuplicatePageError
from peripherals.camera.model import Image, ScannedPage
from peripherals.camera.phash import DUPLICATE_DISTANCE, is_same_page

JPEG_QUALITY = 90  # text edges stay clean; 85 shows ringing around small print
# A page is laid out so that its long side is that of an A4 sheet: the agent
# prints it at its real size, and an ID card's aspect still comes out right.
PDF_LONG_SIDE_PT = 297 / 25.4 * 72


def encode_jpeg(image: Image, quality: int = JPEG_QUALITY) -> bytes:
    """``image`` (BGR) as baseline JPEG bytes, which every browser and PDF reader takes."""
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # only for an empty or malformed array: a programming error
        raise ValueError("OpenCV could not encode the image as JPEG")
    return bytes(np.asarray(buffer).tobytes())


def decode_jpeg(data: bytes) -> Image:
    """JPEG bytes back to a BGR image (for previews, tests and the agent's zoom)."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("not a JPEG image")
    return np.asarray(image, dtype=np.uint8)


class ScannedDocument:
    """The pages a citizen scanned for one request, in order, without duplicates.

    It lives as long as the session (DESIGN rule 6): hold it in the session's
    state and drop it with the session; nothing is written to disk here.
    """

    def __init__(self, *, duplicate_distance: int = DUPLICATE_DISTANCE) -> None:
        self._pages: list[ScannedPage] = []
        self._duplicate_distance = duplicate_distance

    def add(self, page: ScannedPage) -> None:
        """Append ``page``; raises :class:`DuplicatePageError` if it is already here."""
        if any(is_same_page(page.phash, kept.phash, self._duplicate_distance) for kept in self):
            raise DuplicatePageError("this page is already in the document")
        self._pages.append(page)

    def remove(self, index: int) -> ScannedPage:
        """Take out the page at ``index`` (the citizen discarded it) and return it."""
        return self._pages.pop(index)

    def __len__(self) -> int:
        return len(self._pages)

    def __iter__(self) -> Iterator[ScannedPage]:
        return iter(self._pages)

    def __getitem__(self, index: int) -> ScannedPage:
        return self._pages[index]

    def to_pdf(self, *, title: str = "Document") -> bytes:
        """All pages as one PDF, one PDF page per scan at the scan's own aspect.

        The JPEG data is embedded as is (reportlab passes JPEG through), so the
        PDF costs no recompression and no quality. CPU-bound for long
        documents: call it through ``asyncio.to_thread`` from the event loop.
        Raises ``ValueError`` for an empty document.
        """
        if not self._pages:
            raise ValueError("a document needs at least one page")
        # Imported here: reportlab costs ~0.15 s of imports, paid only when a PDF is made.
        from reportlab.lib.utils import ImageReader
        from reportlab.pdfgen.canvas import Canvas

        out = io.BytesIO()
        pdf = Canvas(out, pageCompression=0, invariant=True)
        pdf.setTitle(title)
        pdf.setCreator("visioguichet document camera")
        for page in self._pages:
            scale = PDF_LONG_SIDE_PT / max(page.width, page.height)
            width, height = page.width * scale, page.height * scale
            pdf.setPageSize((width, height))
            pdf.drawImage(ImageReader(io.BytesIO(page.jpeg)), 0, 0, width, height)
            pdf.showPage()
        pdf.save()
        return out.getvalue()
