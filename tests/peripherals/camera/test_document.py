"""Pages as JPEG, documents as PDF; one sheet is recognised in any capture of it."""

from __future__ import annotations

import io

import numpy as np
import pytest
from pypdf import PdfReader

from peripherals.camera import (
    Calibration,
    DuplicatePageError,
    ScannedDocument,
    ScannedPage,
    decode_jpeg,
    encode_jpeg,
    scan,
)
from peripherals.camera.phash import DUPLICATE_DISTANCE, hash_distance
from peripherals.camera.synthetic import render_page
from tests.peripherals.camera.scenes import make_scene


def page_of(seed: int, *, aspect: float = np.sqrt(2), phash: int | None = None) -> ScannedPage:
    """A scanned page without a camera: a rendered sheet, encoded."""
    image = render_page(seed, 400, aspect)
    height, width = image.shape[:2]
    return ScannedPage(
        jpeg=encode_jpeg(image),
        width=width,
        height=height,
        phash=seed if phash is None else phash,
        sharpness=2.0,
        glare=0.0,
    )


def test_jpeg_round_trip_keeps_the_picture() -> None:
    image = render_page(1, 300)
    back = decode_jpeg(encode_jpeg(image, 95))
    assert back.shape == image.shape
    assert float(np.mean(np.abs(back.astype(int) - image.astype(int)))) < 3


def test_decoding_garbage_is_refused() -> None:
    with pytest.raises(ValueError, match="JPEG"):
        decode_jpeg(b"not a picture")


def test_pdf_has_one_page_per_scan_at_the_scan_aspect() -> None:
    document = ScannedDocument()
    id_card = 85.6 / 53.98
    far_apart = (0, (1 << 255) - 1, int("5" * 64, 16))  # hashes of three different sheets
    pages = [page_of(1, phash=far_apart[0]), page_of(2, phash=far_apart[1])]
    pages.append(page_of(3, aspect=1 / id_card, phash=far_apart[2]))
    for page in pages:
        document.add(page)

    pdf = document.to_pdf(title="Pièces justificatives")

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3
    for pdf_page, scan_page in zip(reader.pages, pages, strict=True):
        box = pdf_page.mediabox
        assert float(box.height) / float(box.width) == pytest.approx(scan_page.aspect, rel=0.01)
        assert max(float(box.height), float(box.width)) == pytest.approx(842, abs=1)  # A4 long side
    # The JPEG goes in as is (DCTDecode): no recompression, no quality lost.
    for pdf_page, scan_page in zip(reader.pages, pages, strict=True):
        [image] = pdf_page["/Resources"]["/XObject"].values()  # type: ignore[index]
        assert "/DCTDecode" in image["/Filter"]
        assert image.get_data() == scan_page.jpeg


def test_an_empty_document_makes_no_pdf() -> None:
    with pytest.raises(ValueError, match="at least one page"):
        ScannedDocument().to_pdf()


def test_a_document_refuses_the_same_page_twice() -> None:
    document = ScannedDocument()
    document.add(page_of(1, phash=0b1011))
    with pytest.raises(DuplicatePageError):
        document.add(page_of(1, phash=0b1010))  # one bit apart: the same sheet
    assert len(document) == 1
    document.remove(0)
    document.add(page_of(1, phash=0b1010))  # discarded, so it may come back
    assert [page.phash for page in document] == [0b1010]


@pytest.mark.parametrize("sheet", [1, 2, 3])
def test_captures_of_one_sheet_hash_alike_and_other_sheets_do_not(sheet: int) -> None:
    calibration = Calibration()
    same = [
        scan(make_scene(seed, page_seed=sheet, white_on_white=seed % 2 == 0).image, calibration)
        for seed in (10 * sheet, 10 * sheet + 1, 10 * sheet + 2)
    ]
    other = scan(make_scene(10 * sheet + 3, page_seed=sheet + 40).image, calibration)
    for page in same[1:]:
        assert hash_distance(page.phash, same[0].phash) <= DUPLICATE_DISTANCE
    assert hash_distance(other.phash, same[0].phash) > DUPLICATE_DISTANCE
