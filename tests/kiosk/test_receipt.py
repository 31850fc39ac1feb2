"""The printed receipt and pages: what the citizen holds in hand, in both languages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from kiosk.dates import format_timestamp
from kiosk.receipt import (
    DEJAVU_DIR,
    PAPERS,
    RECEIPT_LABEL_KEYS,
    PageDocument,
    Paper,
    ReceiptData,
    render_page_document,
    render_receipt,
)
from kiosk.receipt.ticket import printable, render_receipt_escpos

MM_PT = 72 / 25.4
LABELS = {
    "fr": {
        "receipt.title": "Reçu de votre demande",
        "receipt.reference": "Numéro de référence",
        "receipt.date": "Date",
        "receipt.service": "Service",
        "receipt.agency": "Organisme",
        "receipt.site": "Lieu",
        # A no-break space before the colon, as French typography wants.
        "receipt.follow": (
            "Suivez votre demande en ligne\u00a0: balayez ce code avec votre téléphone."
        ),
        "receipt.keep": "Conservez ce reçu.",
    },
    "en": {
        "receipt.title": "Receipt for your request",
        "receipt.reference": "Reference number",
        "receipt.date": "Date",
        "receipt.service": "Service",
        "receipt.agency": "Agency",
        "receipt.site": "Place",
        "receipt.follow": "Follow your request online: scan this code with your phone.",
        "receipt.keep": "Keep this receipt.",
    },
}
FRENCH = ReceiptData(
    reference="VG-7K3M-9QXT",
    service_title="Déménagement — changement d'adresse",
    agency_name="Services Québec",
    site_name="Bureau de Rimouski",
    submitted_at=datetime(2026, 11, 22, 14, 5),
    tracking_url="https://services.example.org/suivi/VG-7K3M-9QXT",
    language="fr",
)
ENGLISH = replace(FRENCH, service_title="Moving — change of address", language="en")
LONG = replace(
    FRENCH,
    reference="SAAQ1234-7K3M-9QXT",
    service_title="Demande de remplacement d'un certificat d'immatriculation perdu ou volé",
    agency_name="Société de l'assurance automobile du Québec",
    site_name="Centre de services de Saint-Jean-sur-Richelieu",
    tracking_url="https://services.example.gouv.qc.ca/suivi/demandes/SAAQ1234-7K3M-9QXT?langue=fr&source=borne",
)


def text_of(pdf: bytes) -> str:
    """The receipt's text with every kind of space made ordinary, as a reader hears it."""
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    return " ".join(text.split())


def test_french_receipt_says_what_the_citizen_needs() -> None:
    text = text_of(render_receipt(FRENCH, LABELS["fr"]))
    for expected in (
        "Numéro de référence",
        "VG-7K3M-9QXT",
        "22 novembre 2026, 14 h 05",
        "Déménagement — changement d'adresse",
        "Services Québec",
        "Bureau de Rimouski",
        "Conservez ce reçu.",
        "https://services.example.org/suivi/VG-7K3M-9QXT",
    ):
        assert expected in text


def test_english_receipt_uses_english_dates_and_labels() -> None:
    text = text_of(render_receipt(ENGLISH, LABELS["en"]))
    assert "November 22, 2026, 2:05 PM" in text
    assert "Moving — change of address" in text
    assert "Keep this receipt." in text


def test_long_texts_wrap_instead_of_disappearing() -> None:
    text = text_of(render_receipt(LONG, LABELS["fr"]))
    assert "SAAQ1234-7K3M-9QXT" in text
    assert "perdu ou volé" in text
    assert "Saint-Jean-sur-Richelieu" in text
    # The URL is cut between characters to fit; all of it is there.
    assert LONG.tracking_url in text.replace(" ", "")


def test_missing_labels_are_named() -> None:
    labels = dict(LABELS["fr"])
    del labels["receipt.keep"]
    labels["receipt.site"] = "  "
    with pytest.raises(ValueError, match=r"receipt\.keep, receipt\.site"):
        render_receipt(FRENCH, labels)


def test_label_keys_are_the_published_ones() -> None:
    assert set(RECEIPT_LABEL_KEYS) == set(LABELS["fr"]) == set(LABELS["en"])


def test_page_is_80_mm_wide_and_one_page() -> None:
    reader = PdfReader(BytesIO(render_receipt(FRENCH, LABELS["fr"])))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(80 * MM_PT, abs=0.01)
    assert 100 * MM_PT < float(box.height) < 250 * MM_PT


def test_every_font_is_embedded_dejavu() -> None:
    reader = PdfReader(BytesIO(render_receipt(FRENCH, LABELS["fr"])))
    resources: Any = reader.pages[0]["/Resources"]
    fonts: dict[str, Any] = resources["/Font"]
    names = []
    for reference in fonts.values():
        font = reference.get_object()
        assert "/FontFile2" in font["/FontDescriptor"], font["/BaseFont"]
        names.append(str(font["/BaseFont"]))
    if (DEJAVU_DIR / "DejaVuSans.ttf").is_file():
        assert {name.split("+")[-1] for name in names} == {"DejaVuSans", "DejaVuSans-Bold"}


def test_metadata_title_names_the_receipt() -> None:
    reader = PdfReader(BytesIO(render_receipt(FRENCH, LABELS["fr"])))
    assert reader.metadata is not None
    assert reader.metadata.title == "Reçu de votre demande VG-7K3M-9QXT"


def test_the_same_receipt_gives_the_same_bytes() -> None:
    assert render_receipt(FRENCH, LABELS["fr"]) == render_receipt(FRENCH, LABELS["fr"])


@pytest.mark.parametrize(
    ("moment", "french", "english"),
    [
        (datetime(2026, 11, 22, 14, 5), "22 novembre 2026, 14 h 05", "November 22, 2026, 2:05 PM"),
        (datetime(2026, 1, 1, 0, 7), "1er janvier 2026, 0 h 07", "January 1, 2026, 12:07 AM"),
        (datetime(2026, 8, 15, 12, 0), "15 août 2026, 12 h 00", "August 15, 2026, 12:00 PM"),
        (datetime(2026, 2, 3, 9, 30), "3 février 2026, 9 h 30", "February 3, 2026, 9:30 AM"),
    ],
)
def test_dates_are_written_as_people_write_them(
    moment: datetime, french: str, english: str
) -> None:
    assert format_timestamp(moment, "fr") == french
    assert format_timestamp(moment, "en") == english


@pytest.fixture
def montreal_clock() -> Iterator[None]:
    """The kiosk's local zone set to Eastern time (POSIX rule: no tzdata needed)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "EST5EDT,M3.2.0,M11.1.0"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.usefixtures("montreal_clock")
def test_an_aware_time_is_printed_on_the_office_clock() -> None:
    data = replace(FRENCH, submitted_at=datetime(2026, 11, 22, 19, 5, tzinfo=UTC))
    assert "22 novembre 2026, 14 h 05" in text_of(render_receipt(data, LABELS["fr"]))


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize("data", [FRENCH, LONG], ids=["usual", "long"])
def test_printed_receipt_keeps_its_margins_and_a_scannable_qr(
    tmp_path: Path, data: ReceiptData
) -> None:
    cv2 = pytest.importorskip("cv2")
    pdf_path = tmp_path / "receipt.pdf"
    pdf_path.write_bytes(render_receipt(data, LABELS["fr"]))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", pdf_path, tmp_path / "receipt"],
        check=True,
        timeout=30,
    )
    image = cv2.imread(str(tmp_path / "receipt.png"), cv2.IMREAD_GRAYSCALE)
    assert image.shape[1] == pytest.approx(80 / 25.4 * 150, abs=2)

    # Nothing spills into the outer 4 mm, where a thermal head does not print.
    edge_px = round(4 / 25.4 * 150)
    assert image[:, :edge_px].min() > 200
    assert image[:, -edge_px:].min() > 200

    decoded, corners, _ = cv2.QRCodeDetector().detectAndDecode(image)
    assert decoded == data.tracking_url
    side_mm = (corners[0][:, 0].max() - corners[0][:, 0].min()) / 150 * 25.4
    assert side_mm == pytest.approx(30, abs=1.5)


# -- sheets, logo, ESC/POS and agents' page documents -------------------------


@pytest.fixture
def logo(tmp_path: Path) -> Path:
    """A small agency logo, as a PNG."""
    from PIL import Image

    path = tmp_path / "logo.png"
    Image.new("RGB", (300, 100), (0, 80, 160)).save(path)
    return path


def image_count(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    ("paper", "width_mm", "height_mm"), [("a4", 210, 297), ("letter", 215.9, 279.4)]
)
def test_sheet_receipts_are_one_sheet_with_the_agency_on_top(
    paper: Paper, width_mm: float, height_mm: float
) -> None:
    pdf = render_receipt(LONG, LABELS["fr"], paper=paper)
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(width_mm * MM_PT, abs=0.1)
    assert float(box.height) == pytest.approx(height_mm * MM_PT, abs=0.1)
    text = text_of(pdf)
    assert text.startswith("Société de l'assurance automobile du Québec")
    assert "SAAQ1234-7K3M-9QXT" in text
    assert "Conservez ce reçu." in text


def test_the_roll_stays_the_default_paper() -> None:
    assert render_receipt(FRENCH, LABELS["fr"]) == render_receipt(
        FRENCH, LABELS["fr"], paper="80mm"
    )


@pytest.mark.parametrize("paper", PAPERS)
def test_the_agency_logo_is_printed_on_every_paper(logo: Path, paper: Paper) -> None:
    assert image_count(render_receipt(FRENCH, LABELS["fr"], paper=paper)) == 0
    with_logo = render_receipt(replace(FRENCH, logo_path=logo), LABELS["fr"], paper=paper)
    assert image_count(with_logo) == 1
    assert "VG-7K3M-9QXT" in text_of(with_logo)


def test_a_broken_logo_does_not_cost_the_citizen_the_receipt(tmp_path: Path) -> None:
    broken = tmp_path / "logo.png"
    broken.write_bytes(b"not an image")
    pdf = render_receipt(replace(FRENCH, logo_path=broken), LABELS["fr"])
    assert image_count(pdf) == 0
    assert "VG-7K3M-9QXT" in text_of(pdf)


def test_escpos_receipt_speaks_the_printers_code_page() -> None:
    ticket = render_receipt_escpos(FRENCH, LABELS["fr"])
    assert ticket.startswith(b"\x1b@\x1bt\x13")  # initialise, then code page 19: CP858
    for text in ("Reçu de votre demande", "Numéro de référence", "Services Québec"):
        assert text.encode("cp858") in ticket
    # The em dash is not in CP858: a plain hyphen, never a "?".
    assert "Déménagement - changement d'adresse".encode("cp858") in ticket
    assert b"?" not in ticket.replace(b"?langue", b"")
    assert FRENCH.tracking_url.encode() in ticket  # in the printer's own QR command
    assert b"\x1d(k" in ticket
    assert ticket.endswith(b"\x1dV\x00")  # cut


def test_escpos_receipt_in_english_and_wrapped_to_the_roll() -> None:
    ticket = render_receipt_escpos(LONG, LABELS["en"])
    # Text lines without their style commands (ESC x n), the QR code aside.
    lines = [
        re.sub(rb"\x1b[@]|\x1b[Eat!].", b"", line)
        for line in ticket.split(b"\n")
        if b"\x1d(k" not in line
    ]
    assert max(len(line) for line in lines) <= 48
    assert b"Demande de remplacement d'un certificat" in ticket
    assert b"Keep this receipt." in ticket
    assert b"SAAQ1234-7K3M-9QXT" in ticket


def test_escpos_receipt_checks_its_labels() -> None:
    with pytest.raises(ValueError, match=r"receipt\.keep"):
        render_receipt_escpos(
            FRENCH, {k: v for k, v in LABELS["fr"].items() if k != "receipt.keep"}
        )


@given(st.text())
def test_any_text_becomes_printable_in_cp858(text: str) -> None:
    printable(text, "cp858").encode("cp858")


def test_printable_keeps_french_and_drops_only_what_it_must() -> None:
    assert printable("Élève à l'œuvre — 5 €", "cp858") == "Élève à l'oeuvre - 5 €"


def test_a_long_page_document_flows_over_pages_with_header_and_reference(logo: Path) -> None:
    document = PageDocument(
        title="Documents à apporter <pour> votre rendez-vous",
        paragraphs=tuple(f"Pièce n° {n} & justificatif.\nDeuxième ligne." for n in range(60)),
        agency_name="Services Québec",
        language="fr",
        reference="VG-7K3M-9QXT",
        logo_path=logo,
    )
    pdf = render_page_document(document, paper="letter")
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) >= 2
    assert float(reader.pages[0].mediabox.width) == pytest.approx(215.9 * MM_PT, abs=0.1)
    for page in reader.pages:
        text = page.extract_text()
        assert "Services Québec" in text
        assert "VG-7K3M-9QXT" in text
    whole = text_of(pdf)
    assert "Documents à apporter <pour> votre rendez-vous" in whole
    assert "Pièce n° 59 & justificatif." in whole
    assert reader.metadata is not None
    assert reader.metadata.title == document.title
    assert image_count(pdf) == len(reader.pages)


def test_a_page_document_needs_a_title() -> None:
    with pytest.raises(ValueError, match="title"):
        render_page_document(PageDocument("  ", (), "Services Québec", "fr"))
