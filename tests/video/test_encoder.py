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


def test_the_rate_follows_the_estimate_in_steps_not_every_wobble() -> None:
    encoder = KioskVp8Encoder()
    encoder.target_bitrate = 1_000_000  # twice aiortc's start: a real rise
    assert encoder.target_bitrate == 1_000_000
    for wobble in (920_000, 1_080_000, 900_000, 1_200_000):  # within -15 % / +25 %
        encoder.target_bitrate = wobble
        assert encoder.target_bitrate == 1_000_000
    encoder.target_bitrate = 840_000  # congestion: obeyed
    assert encoder.target_bitrate == 840_000
    encoder.target_bitrate = 1_100_000  # a rise of 31 %
    assert encoder.target_bitrate == 1_100_000
    encoder.target_bitrate = 1_300_000  # +18 %: waits
    assert encoder.target_bitrate == 1_100_000
    encoder.target_bitrate = 2_000_000  # a rise to aiortc's ceiling
    assert encoder.target_bitrate == vpx.MAX_BITRATE
    encoder.target_bitrate = 10_000  # never below aiortc's floor
    assert encoder.target_bitrate == vpx.MIN_BITRATE


def test_a_wobbling_estimate_does_not_reopen_the_codec() -> None:
    encoder = KioskVp8Encoder()
    encoder.target_bitrate = 400_000
    for index in range(12):
        encoder.target_bitrate = 400_000 + (index % 3) * 40_000  # +-10 %, as REMB wanders
        encoder.encode(frame(index), force_keyframe=index == 0)
    assert encoder.openings == 1  # one key frame, not one per wobble


def test_a_share_of_the_estimate_while_packets_are_copied() -> None:
    encoder = KioskVp8Encoder()
    encoder.target_bitrate = 1_000_000
    encoder.set_share(0.45)
    assert encoder.target_bitrate == 450_000
    assert encoder.estimate_bps == 1_000_000  # what adaptation reads stays the estimate
    encoder.set_share(1.0)
    assert encoder.target_bitrate == 1_000_000
