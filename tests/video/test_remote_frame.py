"""A remote frame converted for the screen: scaled and turned to BGRA in one pass."""

from __future__ import annotations

import av
import numpy as np

from video.receiver import RemoteFrame


def decoded(rgb: tuple[int, int, int], width: int = 1280, height: int = 720) -> RemoteFrame:
    picture = np.full((height, width, 3), rgb, np.uint8)
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
    return RemoteFrame(frame, received_at=0.0, latency_ms=None)


def test_a_frame_is_scaled_and_converted_to_bgra_rows() -> None:
    pixels = decoded((200, 40, 30)).to_bgra(610, 342)
    assert pixels.flags["C_CONTIGUOUS"]
    assert pixels.shape[0] == 342
    assert pixels.shape[1] >= 610 * 4  # lines may carry alignment padding
    blue, green, red, _ = (int(v) for v in pixels[171, 4 * 305 : 4 * 305 + 4])
    # YUV 4:2:0 rounds colours a little; the channel order is what matters.
    assert abs(red - 200) < 8
    assert abs(green - 40) < 8
    assert abs(blue - 30) < 8
