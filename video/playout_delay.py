"""Ask the agent's browser to show the kiosk's video as it arrives: the playout-delay extension.

A browser holds received video in a jitter buffer whose delay it sizes for
smooth playback: the frame-size variation of the stream, plus most of a round
trip once frames have needed retransmissions. For a conversation the
sender can ask otherwise: WebRTC's ``playout-delay`` RTP header extension
carries the playout delay range the sender wants (RFC-style draft, in libwebrtc
and Chromium since 2016). With a minimum of 0 and a maximum of at most 500 ms,
libwebrtc decodes and renders each frame as soon as it is complete
(``VCMTiming::UseLowLatencyRendering``); a maximum above 0 keeps it from
dropping frames that become decodable together, which a maximum of 0 does.

aiortc neither offers nor writes the extension. :func:`install` adds it to the
video header extensions aiortc offers, and writes it on every video packet
when the answer kept it (4 bytes a packet). A browser that does not know it
leaves it out of its answer, and nothing is sent.
"""

from __future__ import annotations

from typing import Any

from aiortc import codecs, rtp
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters

URI = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"
EXTENSION_ID = 6  # free in aiortc's offer: mid is 1, audio level 2, abs-send-time 3
MIN_DELAY_MS = 0
MAX_DELAY_MS = 100
GRANULARITY_MS = 10  # the extension's unit


def encode(min_ms: int, max_ms: int) -> bytes:
    """The extension's 3 bytes: two 12-bit delays in units of 10 ms."""
    low, high = min_ms // GRANULARITY_MS, max_ms // GRANULARITY_MS
    if not 0 <= low <= high <= 0xFFF:
        raise ValueError(f"playout delay {min_ms}-{max_ms} ms is out of range")
    return (low << 12 | high).to_bytes(3, "big")


PAYLOAD = encode(MIN_DELAY_MS, MAX_DELAY_MS)
_ATTRIBUTE = "_visio_playout_delay_id"


def install() -> None:
    """Offer the extension for video and write it when negotiated (idempotent)."""
    video = codecs.HEADER_EXTENSIONS["video"]
    if any(extension.uri == URI for extension in video):
        return
    video.append(RTCRtpHeaderExtensionParameters(id=EXTENSION_ID, uri=URI))
    configure, serialise = rtp.HeaderExtensionsMap.configure, rtp.HeaderExtensionsMap.set

    def configure_with_delay(self: Any, parameters: Any) -> None:
        configure(self, parameters)
        for extension in parameters.headerExtensions:
            if extension.uri == URI:
                setattr(self, _ATTRIBUTE, extension.id)

    def set_with_delay(self: Any, values: Any) -> tuple[int, bytes]:
        profile, data = serialise(self, values)
        extension_id = getattr(self, _ATTRIBUTE, None)
        if extension_id is None:
            return profile, data
        extensions = rtp.unpack_header_extensions(profile, data)
        return rtp.pack_header_extensions([*extensions, (extension_id, PAYLOAD)])

    rtp.HeaderExtensionsMap.configure = configure_with_delay  # type: ignore[method-assign]
    rtp.HeaderExtensionsMap.set = set_with_delay  # type: ignore[method-assign]
