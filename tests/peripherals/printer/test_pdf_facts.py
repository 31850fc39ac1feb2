"""What the adapters read from a PDF: validity, pages and the paper it was made for."""

from __future__ import annotations

from io import BytesIO

import pytest
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from peripherals.printer import PrintRejectedError
from peripherals.printer.pdf import check_pdf, count_pages, media_keyword, page_size_mm
from tests.peripherals.printer.conftest import receipt_pdf


def pdf_of_size(width: float, height: float, pages: int = 1) -> bytes:
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=True)
    for _ in range(pages):
        canvas.drawString(10, 10, "x")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("size", "media"),
    [
        (A4, "A4"),
        (landscape(A4), "A4"),
        (LETTER, "Letter"),
        ((80 * mm, 150 * mm), "Custom.80x150mm"),
        ((80 * mm, 150.4 * mm), "Custom.80x151mm"),  # rounded up: never shrink the receipt
    ],
)
def test_media_follows_the_page(size: tuple[float, float], media: str) -> None:
    assert media_keyword(pdf_of_size(*size)) == media


def test_the_kiosk_receipt_asks_for_80_mm_paper() -> None:
    document = receipt_pdf()
    size = page_size_mm(document)
    assert size is not None
    assert size[0] == pytest.approx(80, abs=0.01)
    assert media_keyword(document) == f"Custom.80x{int(-(-size[1] // 1))}mm"
    assert media_keyword(receipt_pdf("letter")) == "Letter"


def test_pages_are_counted() -> None:
    assert count_pages(pdf_of_size(A4[0], A4[1], pages=3)) == 3


def test_unreadable_size_asks_for_nothing() -> None:
    assert media_keyword(b"%PDF-1.7 no boxes here %%EOF") is None


@pytest.mark.parametrize("document", [b"", b"GIF89a", b"%PDF-1.4 cut"])
def test_broken_documents_are_rejected(document: bytes) -> None:
    with pytest.raises(PrintRejectedError):
        check_pdf(document)
