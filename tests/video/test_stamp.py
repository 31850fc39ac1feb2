"""The frame stamp survives writing, reading and a real VP8 encode/decode."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest

from video.receiver import luma_plane
from video.stamp import TIME_MODULUS, read_stamp, stamp_age_ms, write_stamp

T = 1_754_000_123_456 % TIME_MODULUS


@pytest.mark.parametrize("width", [320, 640, 1280])
def test_round_trip_on_rgb_and_luma(width: int) -> None:
    rgb = np.full((width * 9 // 16, width, 3), 100, np.uint8)
    write_stamp(rgb, T)
    assert read_stamp(rgb) == T
    luma = np.full((120, width), 100, np.uint8)
    write_stamp(luma, T + 1)
    assert read_stamp(luma) == T + 1


def test_a_damaged_or_absent_stamp_reads_as_none() -> None:
    image = np.zeros((90, 640), np.uint8)
    assert read_stamp(image) is None  # all black: a dark picture, not time 0
    write_stamp(image, T)
    image[:8, 8 * 5 : 8 * 6] = 255 - image[:8, 8 * 5 : 8 * 6]  # flip one bit
    assert read_stamp(image) is None


def test_age_crosses_the_wrap() -> None:
    assert stamp_age_ms(TIME_MODULUS - 10, at_ms=TIME_MODULUS + 5) == 15
    assert stamp_age_ms(100, at_ms=90) == -10


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (640, 360)])
def test_round_trip_through_vp8(width: int, height: int) -> None:
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height = width, height
    encoder.pix_fmt = "yuv420p"
    encoder.bit_rate = 500_000  # aiortc's default: a modest quality, as on a real call
    encoder.time_base = fractions.Fraction(1, 30)
    decoder = av.CodecContext.create("libvpx", "r")
    rng = np.random.default_rng(1)
    sent: list[int] = []
    decoded: list[int | None] = []
    for index in range(8):
        planes = rng.integers(0, 256, (height * 3 // 2, width), dtype=np.uint8)
        stamp = T + index * 33
        write_stamp(planes[:height], stamp)
        sent.append(stamp)
        frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        frame.pts = index
        for packet in encoder.encode(frame):
            decoded.extend(read_stamp(luma_plane(f)) for f in decoder.decode(packet))
    for packet in encoder.encode(None):
        decoded.extend(read_stamp(luma_plane(f)) for f in decoder.decode(packet))
    assert decoded == sent
