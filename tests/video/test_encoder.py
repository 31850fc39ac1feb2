"""The kiosk's VP8 encoder: aiortc's, with libvpx set for a two-core kiosk."""

from __future__ import annotations

import fractions

import numpy as np
from aiortc import rtcrtpsender
from aiortc.codecs import vpx
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from av import VideoFrame

from video.encoder import OVERRIDES, KioskVp8Encoder, install


def frame(index: int) -> VideoFrame:
    picture = np.full((360, 640, 3), (index * 7) % 255, dtype=np.uint8)
    out = VideoFrame.from_ndarray(picture, format="rgb24")
    out.pts = index * 3000
    out.time_base = fractions.Fraction(1, 90000)
    return out


def test_frames_are_encoded_with_the_kiosk_settings() -> None:
    encoder = KioskVp8Encoder()
    payloads, _ = encoder.encode(frame(0), force_keyframe=True)
    for index in range(1, 5):
        more, _ = encoder.encode(frame(index))
        payloads += more
    assert payloads  # real VP8 packets came out
    options = encoder.codec.applied
    assert {key: options[key] for key in OVERRIDES} == OVERRIDES
    assert options["deadline"] == "realtime"  # aiortc's own settings are kept


def test_senders_use_it_for_vp8_only() -> None:
    install()
    install()  # idempotent
    vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    opus = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, payloadType=111)
    assert isinstance(rtcrtpsender.get_encoder(vp8), KioskVp8Encoder)  # type: ignore[attr-defined]
    assert not isinstance(rtcrtpsender.get_encoder(opus), vpx.Vp8Encoder)  # type: ignore[attr-defined]
