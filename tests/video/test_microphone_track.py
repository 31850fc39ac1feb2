"""The microphone track: captured samples go out in order, lag is capped, gaps are silence."""

from __future__ import annotations

import numpy as np

from video.media import AUDIO_RATE, MicrophoneTrack


async def test_fed_samples_come_out_in_order_then_silence() -> None:
    track = MicrophoneTrack()
    track.feed(np.arange(1, 1_501, dtype=np.int16))
    first = (await track.recv()).to_ndarray().ravel()
    second = (await track.recv()).to_ndarray().ravel()
    track.stop()
    assert first.tolist() == list(range(1, 961))  # 20 ms at 48 kHz
    assert second[:540].tolist() == list(range(961, 1_501))
    assert not second[540:].any()  # the device was late: silence, not a stall


def test_a_backlog_is_cut_to_the_newest_audio() -> None:
    track = MicrophoneTrack(max_buffer_s=0.1)
    for n in range(20):  # a second of audio while nobody sent any
        track.feed(np.full(AUDIO_RATE // 20, n, np.int16))
    out = track.next_samples(0, AUDIO_RATE // 10)
    assert set(out.tolist()) <= {18, 19}  # only the last 100 ms is kept
    track.stop()
