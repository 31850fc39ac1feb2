"""The page a technician's self-test prints: proof of paper, fonts and accents.

It carries no personal data and is the same on every adapter, so a technician
compares like with like. The accents line is the check that matters: a wrong
code page or a missing font shows there first.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from peripherals.health import SelfTestResult
from peripherals.printer.errors import PrinterError
from peripherals.printer.protocol import SELFTEST_OK_CODE

TEST_PAGE_TITLE = "visioguichet test page"
TEST_PAGE_WIDTH_MM = 80.0  # fits roll and page printers alike
TEST_PAGE_HEIGHT_MM = 70.0
ACCENTS_LINE = "Accents : é è ê à â ç ô ù û ï « » €"
_FONT = "TestPageSans"
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def selftest_page_lines(printer_name: str, now: datetime) -> list[str]:
    """The text of the test page, top to bottom (also what a text-only printer prints)."""
    return [
        "visioguichet",
        "Page de test / Test page",
        f"Imprimante / Printer : {printer_name}",
        now.strftime("%Y-%m-%d %H:%M:%S"),
        ACCENTS_LINE,
        "Si ce texte est lisible, l'impression fonctionne.",
        "If you can read this, printing works.",
    ]


def render_selftest_page(printer_name: str, now: datetime) -> bytes:
    """A one-page PDF, 80 mm wide, with the lines of :func:`selftest_page_lines`."""
    _register_font()
    buffer = BytesIO()
    width, height = TEST_PAGE_WIDTH_MM * mm, TEST_PAGE_HEIGHT_MM * mm
    canvas = Canvas(buffer, pagesize=(width, height), invariant=True, initialFontName=_FONT)
    canvas.setTitle(TEST_PAGE_TITLE)
    canvas.setCreator("visioguichet")
    y = height - 10 * mm
    for number, line in enumerate(selftest_page_lines(printer_name, now)):
        canvas.setFont(_FONT, 11 if number < 2 else 7.5)
        canvas.drawString(5 * mm, y, line)
        y -= 7 * mm
    # A frame inside the printable width: a cut side shows a misaligned head or roll.
    canvas.setLineWidth(0.5)
    canvas.rect(4 * mm, 4 * mm, width - 8 * mm, height - 8 * mm)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


async def run_selftest(
    printer_name: str, print_page: Callable[[bytes], Awaitable[bytes | None]]
) -> SelfTestResult:
    """Render the test page, hand it to ``print_page`` and report what happened.

    ``print_page`` prints the PDF it is given and returns what the printer
    produced if the adapter can read it back (``None`` otherwise: the page sent
    is then the artifact). A ``PrinterError`` becomes a failed result with its code.
    """
    started = time.perf_counter()
    # PDF rendering stays off the UI thread (DESIGN rule 2), even for a small page.
    page = await asyncio.to_thread(
        render_selftest_page, printer_name, datetime.now(UTC).astimezone()
    )
    try:
        produced = await print_page(page)
    except PrinterError as err:
        return SelfTestResult(
            passed=False,
            code=err.code,
            detail=err.detail,
            duration_ms=(time.perf_counter() - started) * 1000,
            artifact=page,
        )
    return SelfTestResult(
        passed=True,
        code=SELFTEST_OK_CODE,
        detail=f"test page printed on {printer_name}",
        duration_ms=(time.perf_counter() - started) * 1000,
        artifact=produced if produced is not None else page,
    )


@functools.cache
def _register_font() -> None:
    """DejaVu when the system has it, else the Vera face reportlab ships (Latin-1 + €)."""
    path = _DEJAVU
    if not path.is_file():
        import reportlab

        path = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    pdfmetrics.registerFont(TTFont(_FONT, str(path)))
