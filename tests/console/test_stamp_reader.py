"""stamp.js, the console's twin of video/stamp.py: same bits, same reading, both ways."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from playwright.async_api import BrowserContext, Page

from tests.fixtures.chromium import chromium_peer_call, console_static_app, serve_app, wait_for_js
from video.stamp import read_stamp, stamp_bits, write_stamp

STAMP_TIME_MS = 1_723_456_789_012 % (1 << 40)

# Load an image (a data URL) into a canvas and read its stamp with stamp.js.
READ_IN_PAGE = """
async (url) => {
  const { readStamp, blockSide } = await import("/console/static/stamp.js");
  const image = new Image();
  image.src = url;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(image, 0, 0);
  const side = blockSide(canvas.width);
  return readStamp(ctx.getImageData(0, 0, canvas.width, side).data, canvas.width, side);
}
"""

# Draw a stamp with stamp.js's writer and hand the canvas back as a PNG data URL.
WRITE_IN_PAGE = """
async ([width, height, time]) => {
  const { writeStamp } = await import("/console/static/stamp.js");
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#808080";
  ctx.fillRect(0, 0, width, height);
  writeStamp(ctx, width, time);
  return canvas.toDataURL("image/png");
}
"""


def data_url(image: NDArray[np.uint8], ext: str) -> str:
    """An RGB image as a data URL (PNG is lossless; JPEG blurs like a video codec)."""
    ok, encoded = cv2.imencode(ext, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    assert ok
    mime = "image/png" if ext == ".png" else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(encoded.tobytes()).decode()}"


def picture(width: int, height: int) -> NDArray[np.uint8]:
    """A mid-grey frame with some texture below the stamp band."""
    rng = np.random.default_rng(7)
    image = np.full((height, width, 3), 128, dtype=np.uint8)
    image[height // 4 :] = rng.integers(
        0, 255, size=(height - height // 4, width, 3), dtype=np.uint8
    )
    return image


@pytest.fixture
async def page(chromium_context: BrowserContext) -> AsyncIterator[Page]:
    """A page on the console's static server (module imports need an http origin)."""
    async with serve_app(console_static_app()) as base_url:
        page = await chromium_context.new_page()
        await page.goto(f"{base_url}/console/static/peer.html")
        yield page


@pytest.mark.parametrize(("width", "height", "ext"), [(1280, 720, ".png"), (640, 360, ".jpg")])
async def test_reader_reads_the_python_writers_stamp(
    page: Page, width: int, height: int, ext: str
) -> None:
    image = picture(width, height)
    write_stamp(image, STAMP_TIME_MS)

    assert await page.evaluate(READ_IN_PAGE, data_url(image, ext)) == STAMP_TIME_MS


async def test_reader_finds_no_stamp_in_a_plain_or_corrupted_frame(page: Page) -> None:
    plain = picture(640, 360)
    corrupted = plain.copy()
    write_stamp(corrupted, STAMP_TIME_MS)
    side = 640 // 80
    corrupted[:side, 47 * side : 48 * side] = 255 - corrupted[:side, 47 * side : 48 * side]

    assert await page.evaluate(READ_IN_PAGE, data_url(plain, ".png")) is None
    assert await page.evaluate(READ_IN_PAGE, data_url(corrupted, ".png")) is None


async def test_writer_draws_what_the_python_reader_reads(page: Page) -> None:
    url = await page.evaluate(WRITE_IN_PAGE, [1280, 720, STAMP_TIME_MS])
    encoded = np.frombuffer(base64.b64decode(url.split(",", 1)[1]), dtype=np.uint8)
    decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    assert decoded is not None
    image = np.asarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), dtype=np.uint8)

    assert read_stamp(image) == STAMP_TIME_MS


async def test_bits_match_the_python_stamp(page: Page) -> None:
    bits = await page.evaluate(
        "async (t) => (await import('/console/static/stamp.js')).stampBits(t)", STAMP_TIME_MS
    )

    assert bits == stamp_bits(STAMP_TIME_MS).tolist()


async def test_browser_to_browser_call_decodes_stamped_frames(
    chromium_context: BrowserContext,
) -> None:
    async with (
        serve_app(console_static_app()) as base_url,
        chromium_peer_call(chromium_context, base_url, width=320, height=180, fps=15) as call,
    ):
        await wait_for_js(
            call.receiver,
            "(s => s.stampedFrames >= 5 && s.framesDecoded > 0)(window.visioPeer.stats())",
            timeout=20_000,
        )
        stats = await call.stats()

    assert stats["setupMs"] is not None
    assert stats["frameWidth"] == 320
    assert all(latency >= 0 for latency in stats["latencies"])
