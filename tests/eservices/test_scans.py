"""The document camera's page goes to a file input as JPEG, or as PDF when only PDF is taken."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfReader

from kiosk.eservices.scans import file_for_input


def jpeg(width: int = 300, height: int = 400) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format="JPEG")
    return out.getvalue()


@pytest.mark.parametrize(
    "accepted",
    [[], ["image/jpeg"], ["image/*"], [".jpg", ".pdf"], ["image/jpeg", "application/pdf"]],
)
def test_a_page_that_takes_images_gets_the_jpeg_itself(accepted: list[str]) -> None:
    page = jpeg()
    scanned = file_for_input(accepted, page, 3)
    assert (scanned.name, scanned.mime_type, scanned.content) == (
        "document-3.jpg",
        "image/jpeg",
        page,
    )


@pytest.mark.parametrize("accepted", [["application/pdf"], [".pdf"], [" .PDF "]])
def test_a_page_that_takes_only_pdf_gets_a_one_page_pdf_of_the_scan(accepted: list[str]) -> None:
    scanned = file_for_input(accepted, jpeg(600, 300), 1)
    assert scanned.name == "document-1.pdf"
    assert scanned.mime_type == "application/pdf"
    pdf = PdfReader(io.BytesIO(scanned.content))
    assert len(pdf.pages) == 1
    assert len(pdf.pages[0].images) == 1
