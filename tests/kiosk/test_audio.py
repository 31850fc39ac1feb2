"""Remote audio reaches the speaker as 48 kHz mono 16-bit, whatever the decoder gave."""

from __future__ import annotations

import av
import numpy as np

from kiosk.ui.audio import to_voice_pcm


def test_a_stereo_frame_becomes_mono_pcm_of_the_same_length() -> None:
    stereo = np.zeros((1, 960 * 2), np.int16)
    stereo[0, 0::2] = 1_000  # left
    stereo[0, 1::2] = 3_000  # right
    frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
    frame.sample_rate = 48_000
    resampler = av.AudioResampler(format="s16", layout="mono", rate=48_000)
    pcm = np.frombuffer(to_voice_pcm(frame, resampler), np.int16)
    assert pcm.size == 960
    assert abs(int(np.median(pcm)) - 2_000) < 200  # the two channels mixed down
