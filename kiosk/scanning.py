"""Scanning one page for a form: the document camera asked, with a time limit.

Qt-free, so the rules are tested without a window: the citizen's request
always takes the sheet in view (even one scanned before), the camera watches
the desk only while a scan runs, and every failure comes back as the
translation key of a message the citizen can act on.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from peripherals.camera.errors import CameraError, NoPageError

if TYPE_CHECKING:
    from peripherals.camera.protocol import DocumentCamera

# Long enough to lay a page flat and hold it still; then the citizen is told why not.
SCAN_TIMEOUT_S = 20.0


class ScanError(Exception):
    """No page: ``key`` is the message to show (``error.camera.*``)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


async def scan_page(camera: DocumentCamera, timeout_s: float = SCAN_TIMEOUT_S) -> bytes:
    """The JPEG of the page under ``camera``, once it is steady and sharp."""
    try:
        await camera.new_document()  # the citizen asked: this sheet, even if seen before
        await camera.start()
        async with asyncio.timeout(timeout_s):
            page = await camera.next_page()
    except TimeoutError as err:
        raise ScanError(f"error.{NoPageError.code}") from err
    except CameraError as err:
        raise ScanError(f"error.{err.code}") from err
    finally:
        with contextlib.suppress(CameraError):
            await camera.stop()
    return page.jpeg
