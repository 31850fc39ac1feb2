"""The receipt as PDF: an 80 mm roll, or an A4 or Letter sheet (Qt-free).

The receipt carries no personal data beyond the reference, because receipts get
left at the printer. It is rendered with reportlab and embedded DejaVu Sans, so
accents print on any PDF printer; callers run :func:`render_receipt` off the UI
thread (it costs tens of milliseconds, mostly the QR code).
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Literal

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from kiosk.receipt.model import Paper, ReceiptData, check_receipt

log = logging.getLogger(__name__)

PAGE_WIDTH_PT = 80 * mm  # the roll
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
class Sheet:
    """Where the receipt's column sits on a paper. ``page_height=None``: a roll."""

    page_width: float
    page_height: float | None
    column_width: float
    top: float
    qr_size: float
    logo_max: tuple[float, float]

    @property
    def column_left(self) -> float:
        """The column is centred: on a roll that leaves the head's margins."""
        return (self.page_width - self.column_width) / 2


# On a sheet the same column as on the roll, a little wider and with a header:
# one layout to proofread, and it reads like the receipt people know.
SHEETS: dict[Paper, Sheet] = {
    "80mm": Sheet(PAGE_WIDTH_PT, None, CONTENT_WIDTH_PT, 7 * mm, QR_SIZE_PT, (50 * mm, 18 * mm)),
    "a4": Sheet(A4[0], A4[1], 120 * mm, 20 * mm, 35 * mm, (60 * mm, 25 * mm)),
    "letter": Sheet(LETTER[0], LETTER[1], 120 * mm, 20 * mm, 35 * mm, (60 * mm, 25 * mm)),
}


def render_receipt(data: ReceiptData, labels: Mapping[str, str], *, paper: Paper = "80mm") -> bytes:
    """The receipt as PDF bytes: on the roll one page as tall as its content, else one sheet.

    ``labels`` maps every key of ``RECEIPT_LABEL_KEYS`` to text in
    ``data.language``; missing or blank ones raise ``ValueError`` naming them.
    """
    check_receipt(data, labels)
    register_fonts()
    sheet = SHEETS[paper]
    layout = _compose(data, labels, sheet)
    page_height = sheet.page_height if sheet.page_height is not None else layout.height
    if layout.height > page_height:
        raise ValueError(f"the receipt does not fit on {paper}")
    buffer = BytesIO()
    # invariant: no creation timestamp or random ID, so equal receipts are equal bytes.
    canvas = Canvas(
        buffer,
        pagesize=(sheet.page_width, page_height),
        invariant=True,
        pageCompression=True,
        lang=data.language,
        initialFontName=FONT_REGULAR,  # else an unembedded Helvetica is referenced
    )
    canvas.setTitle(f"{labels['receipt.title']} {data.reference}")
    canvas.setSubject(data.service_title)
    canvas.setAuthor(data.agency_name)
    canvas.setCreator("visioguichet")
    layout.draw(canvas, page_height)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _compose(data: ReceiptData, labels: Mapping[str, str], sheet: Sheet) -> _Layout:
    layout = _Layout(sheet)
    layout.space(sheet.top)
    if data.logo_path is not None and layout.logo(data.logo_path):
        layout.space(3 * mm)
    if sheet.page_height is not None:
        # A sheet may leave the office with other papers: it says whose it is.
        layout.text(data.agency_name, FONT_BOLD, 14, align="center")
        layout.space(5 * mm)
    layout.text(labels["receipt.title"], FONT_BOLD, 12, align="center")
    layout.space(3 * mm)
    layout.rule()
    layout.space(3.5 * mm)
    layout.text(labels["receipt.reference"], FONT_REGULAR, 9, align="center")
    layout.space(1.5 * mm)
    reference_size = _fitting_size(data.reference, sheet.column_width)
    layout.text(data.reference, FONT_BOLD, reference_size, align="center")
    layout.space(3.5 * mm)
    layout.rule()
    layout.space(3 * mm)
    for label, value in data.details(labels):
        layout.text(label, FONT_REGULAR, 8)
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

    sheet: Sheet
    height: float = 0.0
    ops: list[_Op] = field(default_factory=list)

    def space(self, points: float) -> None:
        self.height += points

    def text(
        self, text: str, font: str, size: float, *, align: Literal["left", "center"] = "left"
    ) -> None:
        leading = size * 1.3
        for line in _wrap(text, font, size, self.sheet.column_width):
            # DejaVu's ascent is about 0.93 em: the baseline sits that far below the line top.
            baseline = self.height + size * 0.95
            self.ops.append(_text_op(self.sheet, line, font, size, align=align, baseline=baseline))
            self.height += leading

    def rule(self) -> None:
        top = self.height
        left, width = self.sheet.column_left, self.sheet.column_width

        def draw(canvas: Canvas, page_height: float) -> None:
            canvas.setLineWidth(0.6)
            y = page_height - top
            canvas.line(left, y, left + width, y)

        self.ops.append(draw)

    def logo(self, path: Path) -> bool:
        """Add the logo, scaled into the sheet's logo box; ``False`` if it cannot be read."""
        try:
            image = ImageReader(str(path))
            width, height = image.getSize()
        except Exception as err:  # reportlab and PIL raise anything on a bad file
            # A receipt without a logo beats no receipt: the citizen needs the reference.
            log.warning("agency logo %s not printed: %s", path, err)
            return False
        max_w, max_h = self.sheet.logo_max
        scale = min(max_w / width, max_h / height)
        w, h = width * scale, height * scale
        top = self.height
        left = (self.sheet.page_width - w) / 2

        def draw(canvas: Canvas, page_height: float) -> None:
            canvas.drawImage(image, left, page_height - top - h, w, h, mask="auto")

        self.ops.append(draw)
        self.height += h
        return True

    def qr(self, value: str) -> None:
        # Encode once: reportlab's QR encoder is pure Python and the slow part of a receipt.
        encoder = QrCodeWidget(value, barLevel="M").qr
        encoder.make()
        rows: list[list[bool]] = [[bool(dark) for dark in row] for row in encoder.modules]
        size = self.sheet.qr_size
        module = size / len(rows)
        self.height += QR_QUIET_MODULES * module
        top = self.height
        left = (self.sheet.page_width - size) / 2

        def draw(canvas: Canvas, page_height: float) -> None:
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
        self.height += size + QR_QUIET_MODULES * module

    def draw(self, canvas: Canvas, page_height: float) -> None:
        for op in self.ops:
            op(canvas, page_height)


def _text_op(
    sheet: Sheet, line: str, font: str, size: float, *, align: str, baseline: float
) -> _Op:
    def draw(canvas: Canvas, page_height: float) -> None:
        canvas.setFont(font, size)
        y = page_height - baseline
        if align == "center":
            canvas.drawCentredString(sheet.page_width / 2, y, line)
        else:
            canvas.drawString(sheet.column_left, y, line)

    return draw


def _fitting_size(reference: str, width: float) -> float:
    """The largest size, down to a floor, at which the reference holds on one line."""
    size = REFERENCE_MAX_SIZE_PT
    while size > REFERENCE_MIN_SIZE_PT and _width(reference, FONT_BOLD, size) > width:
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
def register_fonts() -> None:
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
