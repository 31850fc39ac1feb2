"""Shared pieces of the printer tests: a fake ESC/POS printer and a real receipt."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from io import BytesIO

import pytest
from pypdf import PdfReader

from kiosk.i18n import load_strings
from kiosk.receipt import RECEIPT_LABEL_KEYS, Paper, ReceiptData, render_receipt
from tests.peripherals.printer.fake_escpos import FakeEscposPrinter

REFERENCE = "VG-7K3M-9QXT"
RECEIPT = ReceiptData(
    reference=REFERENCE,
    service_title="Déménagement — changement d'adresse",
    agency_name="Services Québec",
    site_name="Bureau de Rimouski",
    submitted_at=datetime(2026, 11, 22, 14, 5),
    tracking_url=f"https://services.example.org/suivi/{REFERENCE}",
    language="fr",
)


def receipt_labels() -> dict[str, str]:
    """The kiosk's own French receipt labels."""
    return load_strings().labels(RECEIPT_LABEL_KEYS, "fr")


def receipt_pdf(paper: Paper = "80mm") -> bytes:
    """The kiosk's receipt for :data:`RECEIPT`, as it would be printed."""
    return render_receipt(RECEIPT, receipt_labels(), paper=paper)


def pdf_text(pdf: bytes) -> str:
    """The text of every page, spaces normalised."""
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    return " ".join(text.split())


@pytest.fixture
async def fake_escpos() -> AsyncIterator[FakeEscposPrinter]:
    """A fake network ESC/POS printer on a loopback port, all well."""
    printer = await FakeEscposPrinter().start()
    yield printer
    await printer.stop()
