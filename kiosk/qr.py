"""QR codes for the screen, as SVG data URLs that a QML ``Image`` shows crisply at any size."""

from __future__ import annotations

import functools
import io
import urllib.parse

import qrcode
import qrcode.image.svg

MAX_QR_TEXT = 1_000  # a phone camera reads a dense code poorly beyond a few hundred characters


@functools.lru_cache(maxsize=64)  # bindings re-read it on every screen update
def qr_data_url(text: str) -> str:
    """The QR code of ``text`` as ``data:image/svg+xml``; raises ValueError if too long."""
    if not text or len(text) > MAX_QR_TEXT:
        raise ValueError(f"a QR code holds 1 to {MAX_QR_TEXT} characters")
    # Medium error correction survives a scratched screen protector; border 2 is the
    # quiet zone inside the image, the card around it gives the rest.
    code = qrcode.QRCode(
        border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        image_factory=qrcode.image.svg.SvgPathFillImage,
    )
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return "data:image/svg+xml;utf8," + urllib.parse.quote(buffer.getvalue().decode("utf-8"))
