"""The printed receipt: an 80 mm wide PDF a citizen takes home (Qt-free).

The receipt carries no personal data beyond the reference, because receipts get
left at the printer. It is rendered with reportlab and embedded DejaVu Sans, so
accents print on any PDF printer; callers run :func:`render_receipt` off the UI
thread (it costs tens of milliseconds, mostly the QR code).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Literal

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from kiosk.dates import format_timestamp

Language = Literal["fr", "en"]

RECEIPT_LABEL_KEYS: tuple[str, ...] = (
    "receipt.title",
    "receipt.reference",
    "receipt.date",
    "receipt.service",
    "receipt.agency",
    "receipt.follow",
    "receipt.keep",
    "receipt.site",
)

PAGE_WIDTH_PT = 80 * mm
# Thermal heads print about 72 mm of an 80 mm roll: keep everything inside it.
MARGIN_PT = 5 * mm
CONTENT_WIDTH_PT = PAGE_WIDTH_PT - 2 * MARGIN_PT
QR_SIZE_PT = 30 * mm  # the symbol itself; phones read it from arm's length
QR_QUIET_MODULES = 4  # white modules around the symbol that the QR standard requires
REFERENCE_MAX_SIZE_PT = 20.0
REFERENCE_MIN_SIZE_PT = 12.0

FONT_REGULAR = "ReceiptSans"
FONT_BOLD = "ReceiptSans-Bold"
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FONT_FILES = {FONT_REGULAR: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}
# reportlab ships Bitstream Vera, the typeface DejaVu grew from (Latin-1 accents
# included): a development machine without fonts-dejavu-core still renders French.
_VERA_FILES = {FONT_REGULAR: "Vera.ttf", FONT_BOLD: "VeraBd.ttf"}


@dataclass(frozen=True)
class ReceiptData:
    """What a receipt says, already in the citizen's language (labels aside).

    ``submitted_at``: a naive time is printed as given; an aware one is shown in
    the kiosk's local time zone, which is the time on the office clock.
    """

    reference: str
    service_title: str
    agency_name: str
    site_name: str
    submitted_at: datetime
    tracking_url: str
    language: Language


def render_receipt(data: ReceiptData, labels: Mapping[str, str]) -> bytes:
    """The receipt as PDF bytes, one 80 mm wide page as tall as its content.

    ``labels`` maps every key of :data:`RECEIPT_LABEL_KEYS` to text in
    ``data.language``; missing or blank ones raise ``ValueError`` naming them.
    """
    missing = [key for key in RECEIPT_LABEL_KEYS if not labels.get(key, "").strip()]
    if missing:
        raise ValueError(f"missing receipt labels: {', '.join(missing)}")
    if not data.reference.strip() or not data.tracking_url.strip():
        raise ValueError("a receipt needs a reference and a tracking URL")
    _register_fonts()
    layout = _compose(data, labels)
    buffer = BytesIO()
    # invariant: no creation timestamp or random ID, so equal receipts are equal bytes.
    canvas = Canvas(
        buffer,
        pagesize=(PAGE_WIDTH_PT, layout.height),
        invariant=True,
        pageCompression=True,
        lang=data.language,
        initialFontName=FONT_REGULAR,  # else an unembedded Helvetica is referenced
    )
    canvas.setTitle(f"{labels['receipt.title']} {data.reference}")
    canvas.setSubject(data.service_title)
    canvas.setAuthor(data.agency_name)
    canvas.setCreator("visioguichet")
    layout.draw(canvas)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _compose(data: ReceiptData, labels: Mapping[str, str]) -> _Layout:
    layout = _Layout()
    layout.space(7 * mm)
    layout.text(labels["receipt.title"], FONT_BOLD, 12, align="center")
    layout.space(3 * mm)
    layout.rule()
    layout.space(3.5 * mm)
    layout.text(labels["receipt.reference"], FONT_REGULAR, 9, align="center")
    layout.space(1.5 * mm)
    layout.text(data.reference, FONT_BOLD, _fitting_size(data.reference), align="center")
    layout.space(3.5 * mm)
    layout.rule()
    layout.space(3 * mm)
    moment = data.submitted_at
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    details = (
        ("receipt.date", format_timestamp(moment, data.language)),
        ("receipt.service", data.service_title),
        ("receipt.agency", data.agency_name),
        ("receipt.site", data.site_name),
    )
    for key, value in details:
        layout.text(labels[key], FONT_REGULAR, 8)
        layout.space(0.5 * mm)
        layout.text(value, FONT_BOLD, 10)
        layout.space(2.5 * mm)
    layout.space(0.5 * mm)
    layout.rule()
    layout.space(3 * mm)
    layout.text(labels["receipt.follow"], FONT_REGULAR, 9, align="center")
    layout.qr(data.tracking_url)
    layout.text(data.tracking_url, FONT_REGULAR, 7.5, align="center")
    layout.space(4 * mm)
    layout.rule()
    layout.space(3 * mm)
    layout.text(labels["receipt.keep"], FONT_BOLD, 10, align="center")
    # Room below the last line for the cutter, which sits a few millimetres past the head.
    layout.space(10 * mm)
    return layout


# Only ordinary spaces break a line: French puts a no-break space before ":" so
# that the colon never starts a line.
_BREAKABLE_SPACE = re.compile(r"[ \t\r\n]+")
_Op = Callable[[Canvas, float], None]  # draws given the page height


@dataclass
class _Layout:
    """A top-down column of lines measured first, drawn once the page height is known."""

    height: float = 0.0
    ops: list[_Op] = field(default_factory=list)

    def space(self, points: float) -> None:
        self.height += points

    def text(
        self, text: str, font: str, size: float, *, align: Literal["left", "center"] = "left"
    ) -> None:
        leading = size * 1.3
        for line in _wrap(text, font, size, CONTENT_WIDTH_PT):
            # DejaVu's ascent is about 0.93 em: the baseline sits that far below the line top.
            baseline = self.height + size * 0.95
            self.ops.append(_text_op(line, font, size, align, baseline))
            self.height += leading

    def rule(self) -> None:
        top = self.height

        def draw(canvas: Canvas, page_height: float) -> None:
            canvas.setLineWidth(0.6)
            y = page_height - top
            canvas.line(MARGIN_PT, y, PAGE_WIDTH_PT - MARGIN_PT, y)

        self.ops.append(draw)

    def qr(self, value: str) -> None:
        # Encode once: reportlab's QR encoder is pure Python and the slow part of a receipt.
        encoder = QrCodeWidget(value, barLevel="M").qr
        encoder.make()
        rows: list[list[bool]] = [[bool(dark) for dark in row] for row in encoder.modules]
        module = QR_SIZE_PT / len(rows)
        self.height += QR_QUIET_MODULES * module
        top = self.height

        def draw(canvas: Canvas, page_height: float) -> None:
            left = (PAGE_WIDTH_PT - QR_SIZE_PT) / 2
            # One path for all dark runs: filled at once, so no hairlines between modules.
            path = canvas.beginPath()
            for r, row in enumerate(rows):
                y = page_height - top - (r + 1) * module
                c = 0
                for dark, run in itertools.groupby(row):
                    length = len(list(run))
                    if dark:
                        path.rect(left + c * module, y, length * module, module)
                    c += length
            canvas.drawPath(path, stroke=0, fill=1)

        self.ops.append(draw)
        self.height += QR_SIZE_PT + QR_QUIET_MODULES * module

    def draw(self, canvas: Canvas) -> None:
        for op in self.ops:
            op(canvas, self.height)


def _text_op(line: str, font: str, size: float, align: str, baseline: float) -> _Op:
    def draw(canvas: Canvas, page_height: float) -> None:
        canvas.setFont(font, size)
        y = page_height - baseline
        if align == "center":
            canvas.drawCentredString(PAGE_WIDTH_PT / 2, y, line)
        else:
            canvas.drawString(MARGIN_PT, y, line)

    return draw


def _fitting_size(reference: str) -> float:
    """The largest size, down to a floor, at which the reference holds on one line."""
    size = REFERENCE_MAX_SIZE_PT
    while size > REFERENCE_MIN_SIZE_PT and _width(reference, FONT_BOLD, size) > CONTENT_WIDTH_PT:
        size -= 0.5
    return size


def _width(text: str, font: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line (a URL) is cut between characters."""

    def fits(candidate: str) -> bool:
        return _width(candidate, font, size) <= width

    lines: list[str] = []
    line = ""
    for word in _BREAKABLE_SPACE.split(text.strip()):
        candidate = f"{line} {word}" if line else word
        if fits(candidate):
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while not fits(line):
            cut = max([1, *(n for n in range(len(line) + 1) if fits(line[:n]))])
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    return lines


@functools.cache
def _register_fonts() -> None:
    """Register the receipt's two faces with reportlab, once per process.

    Cached: parsing a TTF costs milliseconds. A race on the very first call
    only registers the same fonts twice, which reportlab tolerates.
    """
    files = _FONT_FILES
    folder = DEJAVU_DIR
    if not all((folder / name).is_file() for name in files.values()):
        import reportlab

        files = _VERA_FILES
        folder = Path(reportlab.__file__).parent / "fonts"
    for face, file_name in files.items():
        pdfmetrics.registerFont(TTFont(face, str(folder / file_name)))
