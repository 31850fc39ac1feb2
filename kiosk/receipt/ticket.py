"""The receipt as ESC/POS commands, for a receipt printer's own fonts (Qt-free).

Text goes in one single-byte code page the printer knows; CP858 (Epson ``ESC t
19``) has every French letter and the euro sign. Typographic punctuation that
the code page lacks is replaced by its plain equivalent, never by "?".
The QR code is the printer's own (``GS ( k``): sharp at any size and a few
dozen bytes instead of an image.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Mapping

from escpos.capabilities import get_profile  # type: ignore[import-untyped]
from escpos.printer import Dummy  # type: ignore[import-untyped]

from kiosk.receipt.model import ReceiptData, check_receipt

DEFAULT_CODEPAGE = "CP858"
DEFAULT_PROFILE = "TM-T20II"  # 80 mm, 48 columns in font A
QR_MODULE_DOTS = 6  # 6 dots of 0.125 mm: a 25 to 30 mm symbol for a tracking URL
_PLAIN = str.maketrans(
    {
        "\u2014": "-",  # em dash
        "\u2013": "-",  # en dash
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u202f": "\u00a0",  # narrow no-break space, before French ":" and "?"
        "\u0153": "oe",  # œ: not in CP858, and NFKD does not take it apart
        "\u0152": "OE",
    }
)


def render_receipt_escpos(
    data: ReceiptData,
    labels: Mapping[str, str],
    *,
    profile: str = DEFAULT_PROFILE,
    codepage: str = DEFAULT_CODEPAGE,
) -> bytes:
    """The receipt as ESC/POS bytes: text, the printer's QR code, then a cut.

    Same labels and checks as the PDF receipt (``ValueError`` for missing ones).
    """
    check_receipt(data, labels)
    columns = int(get_profile(profile).profile_data["fonts"]["0"]["columns"])
    printer = Dummy(profile=profile)
    printer.hw("INIT")
    printer.charcode(codepage)

    def line(text: str, *, width: int = columns) -> None:
        for part in textwrap.wrap(printable(text, codepage), width) or [""]:
            printer.text(part + "\n")

    printer.set(align="center", bold=True)
    line(labels["receipt.title"])
    printer.set(normal_textsize=True, align="center", bold=False)
    line("-" * columns)
    line(labels["receipt.reference"])
    printer.set(align="center", bold=True, double_width=True, double_height=True)
    line(data.reference, width=columns // 2)
    printer.set(normal_textsize=True, align="left", bold=False)
    line("-" * columns)
    for label, value in data.details(labels):
        printer.set(bold=False)
        line(label)
        printer.set(bold=True)
        line(value)
    printer.set(align="center", bold=False)
    line("-" * columns)
    line(labels["receipt.follow"])
    printer.qr(data.tracking_url, native=True, size=QR_MODULE_DOTS)
    line(data.tracking_url)
    printer.set(bold=True)
    line(labels["receipt.keep"])
    printer.set(normal_textsize=True, align="left", bold=False)
    printer.cut()
    output: bytes = printer.output
    return output


def printable(text: str, codepage: str) -> str:
    """``text`` with only characters ``codepage`` can print (accents kept where it has them)."""
    text = unicodedata.normalize("NFC", text).translate(_PLAIN)
    kept = []
    for char in text:
        try:
            char.encode(codepage)
        except UnicodeEncodeError:
            # Drop the accent rather than the letter: "ŝ" prints as "s", not "?".
            base = unicodedata.normalize("NFKD", char).encode(codepage, "ignore").decode(codepage)
            kept.append(base or "?")
        else:
            kept.append(char)
    return "".join(kept)
