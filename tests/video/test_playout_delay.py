"""The playout-delay extension: offered for video, written on every video packet once agreed."""

from __future__ import annotations

import pytest
from aiortc import rtp
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters

from tests.video.offers import kiosk_offer
from video import playout_delay


def test_the_delays_are_packed_in_tens_of_milliseconds() -> None:
    assert playout_delay.encode(0, 100) == bytes([0x00, 0x00, 0x0A])
    assert playout_delay.encode(40, 40950) == bytes([0x00, 0x4F, 0xFF])
    assert playout_delay.encode(0, 100) == playout_delay.PAYLOAD  # render as it comes
    with pytest.raises(ValueError, match="out of range"):
        playout_delay.encode(200, 100)
    with pytest.raises(ValueError, match="out of range"):
        playout_delay.encode(0, 41_000)


async def test_the_kiosk_offers_it_for_video_only() -> None:
    sdp = await kiosk_offer(audio=None)
    line = f"a=extmap:{playout_delay.EXTENSION_ID} {playout_delay.URI}"
    sections = {section.split(" ", 1)[0]: section for section in sdp.split("\r\nm=")[1:]}
    assert line in sections["video"].split("\r\n")
    assert playout_delay.URI not in sections["audio"]


def serialised_extensions(extensions: list[RTCRtpHeaderExtensionParameters]) -> dict[int, bytes]:
    playout_delay.install()
    playout_delay.install()  # idempotent: the extension is written once
    mapping = rtp.HeaderExtensionsMap()
    mapping.configure(RTCRtpParameters(headerExtensions=extensions))
    packet = rtp.RtpPacket(payload_type=96, sequence_number=1, timestamp=2)
    packet.extensions.mid = "0"
    data = packet.serialize(mapping)
    assert data[0] & 0x10  # the header's X bit: extensions follow the 12 fixed bytes
    profile = int.from_bytes(data[12:14], "big")
    length = int.from_bytes(data[14:16], "big") * 4  # in 32-bit words
    return dict(rtp.unpack_header_extensions(profile, data[16 : 16 + length]))


def test_an_agreed_extension_rides_on_each_packet_beside_the_others() -> None:
    mid = RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid")
    delay = RTCRtpHeaderExtensionParameters(id=9, uri=playout_delay.URI)  # the answer's id
    assert serialised_extensions([mid, delay]) == {1: b"0", 9: playout_delay.PAYLOAD}


def test_nothing_is_written_when_the_answer_left_it_out() -> None:
    mid = RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid")
    assert serialised_extensions([mid]) == {1: b"0"}
