"""Page documents an agent pushes to the kiosk's printer: A4 or Letter (Qt-free).

An agent sends text (a summary, instructions, a list of documents to bring);
the kiosk lays it out under the agency's name and logo, in the same embedded
fonts as the receipts, over as many pages as it needs. A PDF the agent already
has is printed as it is and does not come through here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from kiosk.receipt.model import Language
from kiosk.receipt.pdf import FONT_BOLD, FONT_REGULAR, register_fonts

log = logging.getLogger(__name__)

PageFormat = Literal["a4", "letter"]
_SIZES = {"a4": A4, "letter": LETTER}
MARGIN_PT = 20 * mm
HEADER_PT = 25 * mm  # logo and agency name, on every page
LOGO_MAX_PT = (40 * mm, 15 * mm)
_BODY = ParagraphStyle("body", fontName=FONT_REGULAR, fontSize=11, leading=15, spaceAfter=8)
_TITLE = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=16, leading=20, spaceAfter=10)


@dataclass(frozen=True)
class PageDocument:
    """A text document to print: a title and paragraphs, in the citizen's language.

    ``reference`` (the transaction it belongs to) is printed at the foot of
    every page, so that loose pages find their way back together.
    """

    title: str
    paragraphs: tuple[str, ...]
    agency_name: str
    language: Language
    reference: str | None = None
    logo_path: Path | None = None


def render_page_document(document: PageDocument, *, paper: PageFormat = "a4") -> bytes:
    """The document as a PDF on ``paper``, paginated, with header and page numbers."""
    if not document.title.strip():
        raise ValueError("a page document needs a title")
    register_fonts()
    logo = _read_logo(document.logo_path)
    buffer = BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=_SIZES[paper],
        leftMargin=MARGIN_PT,
        rightMargin=MARGIN_PT,
        topMargin=MARGIN_PT + HEADER_PT,
        bottomMargin=MARGIN_PT,
        title=document.title,
        author=document.agency_name,
        creator="visioguichet",
        lang=document.language,
        invariant=True,
        initialFontName=FONT_REGULAR,
    )

    def decorate(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        _draw_header_and_footer(canvas, document, logo, doc.page)

    story = [Paragraph(escape(document.title), _TITLE), Spacer(1, 2 * mm)]
    story += [Paragraph(_paragraph_markup(text), _BODY) for text in document.paragraphs]
    template.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _paragraph_markup(text: str) -> str:
    # Agents type plain text: escape it, and keep their line breaks.
    return escape(text.strip()).replace("\n", "<br/>")


def _draw_header_and_footer(
    canvas: Canvas, document: PageDocument, logo: ImageReader | None, page: int
) -> None:
    width, height = canvas._pagesize
    top = height - MARGIN_PT
    canvas.saveState()
    text_left, band = MARGIN_PT, 10 * mm
    if logo is not None:
        logo_w, logo_h = logo.getSize()
        scale = min(LOGO_MAX_PT[0] / logo_w, LOGO_MAX_PT[1] / logo_h)
        w, band = logo_w * scale, logo_h * scale
        canvas.drawImage(logo, MARGIN_PT, top - band, w, band, mask="auto")
        text_left += w + 5 * mm
    canvas.setFont(FONT_BOLD, 13)
    # The name's x-height centred on the logo's band.
    canvas.drawString(text_left, top - band / 2 - 4.5, document.agency_name)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN_PT, top - HEADER_PT + 5 * mm, width - MARGIN_PT, top - HEADER_PT + 5 * mm)
    canvas.setFont(FONT_REGULAR, 8)
    if document.reference:
        canvas.drawString(MARGIN_PT, MARGIN_PT / 2, document.reference)
    canvas.drawRightString(width - MARGIN_PT, MARGIN_PT / 2, str(page))
    canvas.restoreState()


def _read_logo(path: Path | None) -> ImageReader | None:
    if path is None:
        return None
    try:
        logo = ImageReader(str(path))
        logo.getSize()
    except Exception as err:  # reportlab and PIL raise anything on a bad file
        log.warning("agency logo %s not printed: %s", path, err)
        return None
    return logo
