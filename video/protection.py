"""Loss protection: on a lossy link, each camera packet is sent twice, the copy as RTX.

Why: on a link that loses 5 % of packets, a third of 360p frames miss one.
Such a frame cannot be decoded until the browser has asked for the packet
(NACK) and received it again: a round trip later, and the frames behind it
wait too. Worse, libwebrtc's jitter estimator, once three frames within a
minute have waited so, adds 0.9 of a round trip (up to 200 ms) to the delay of
*every* frame, unless the sender asked for no playout delay
(``video/playout_delay.py``). aiortc has no forward error correction; what it
does have is the RTX stream negotiated for retransmissions. Sending every
packet's copy on it at once, ahead of any NACK, fills the hole before the
receiver sees a gap: a packet is lost only if both copies are (0.25 % at 5 %
loss), and frames rarely wait.

The copies cost bandwidth, so while protection is on the encoder gets
:data:`ENCODER_SHARE` of the receiver's bandwidth estimate (REMB); the rest
carries the copies. Copies travel on the RTX stream's own SSRC: the receiver's
reports on the camera stream still count what the link loses, so protection
can tell when the link is clean again.

:func:`decide` is pure and tested alone; :class:`LossShield` applies it to one
aiortc sender.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiortc import RTCRtpSender

_log = logging.getLogger(__name__)
# While copying, the encoder's share of the bandwidth estimate: the copies take as
# much, and the rest is headroom for audio, RTCP and headers.
ENCODER_SHARE = 0.45
RTP_HEADER = 12


@dataclass(frozen=True)
class Policy:
    """When protection turns on and off, from the loss the receiver reports each second."""

    on_loss: float = 0.02  # 2 %: a third of 360p frames already miss a packet at 5 %
    off_loss: float = 0.005
    on_after: int = 2  # consecutive lossy seconds
    off_after: int = 15  # consecutive clean seconds: a clean spell is often short


@dataclass(frozen=True)
class ShieldState:
    """Whether copies are sent, and the run of seconds pointing the other way."""

    on: bool = False
    run: int = 0


def decide(state: ShieldState, loss: float | None, policy: Policy = Policy()) -> ShieldState:
    """The next state after one second in which the receiver reported ``loss`` (0..1)."""
    if loss is None:  # no report this second: nothing to go by
        return state
    flipping = loss < policy.off_loss if state.on else loss >= policy.on_loss
    if not flipping:
        return ShieldState(state.on)
    run = state.run + 1
    if run >= (policy.off_after if state.on else policy.on_after):
        return ShieldState(not state.on)
    return ShieldState(state.on, run)


def _is_rtp_of(data: bytes, ssrc: bytes) -> bool:
    """Whether ``data`` is an RTP packet (not RTCP: types 192-223) of ``ssrc``."""
    return len(data) > RTP_HEADER and not 192 <= data[1] <= 223 and data[8:12] == ssrc


class LossShield:
    """Copies one aiortc sender's packets onto its RTX stream while :attr:`on`.

    It hooks the sender's transport at the first :meth:`update` that finds the
    sender sending (aiortc starts its senders once DTLS is up) with RTX agreed;
    browsers always offer RTX with VP8. Without it the shield stays off.
    """

    def __init__(self, sender: RTCRtpSender, policy: Policy | None = None) -> None:
        self._sender = sender
        self._policy = policy or Policy()
        self.state = ShieldState()
        self.attached = False
        self.copies = 0  # packets sent twice, for diagnostics and tests
        self.repairs = 0  # packets the receiver still asked for (NACK) while copies went
        self._window = (0, 0)  # copies and repairs at the last residual_loss()

    @property
    def on(self) -> bool:
        return self.state.on

    def attach(self) -> bool:
        """Hook the sender's transport; ``False`` if it sends no RTX (yet)."""
        if self.attached:
            return True
        if getattr(self._sender, "_RTCRtpSender__rtx_payload_type", None) is None:
            return False
        sender: Any = self._sender
        transport: Any = sender.transport
        send, retransmit = transport._send_rtp, sender._retransmit
        ssrc = sender._ssrc.to_bytes(4, "big")

        async def send_with_copy(data: bytes) -> None:
            await send(data)
            # The camera's own packets only: not RTCP, not the copies (RTX SSRC), not
            # the other senders bundled on this transport.
            if self.state.on and _is_rtp_of(data, ssrc):
                self.copies += 1
                await retransmit(int.from_bytes(data[2:4], "big"))

        async def retransmit_on_nack(sequence_number: int) -> None:
            # aiortc calls this for each packet a NACK names: both copies were lost.
            self.repairs += self.state.on
            await retransmit(sequence_number)

        transport._send_rtp = send_with_copy
        sender._retransmit = retransmit_on_nack
        self.attached = True
        return True

    def residual_loss(self) -> float | None:
        """The share of packets lost despite their copy since the last call, while on.

        The receiver's reports count the original packets a copy replaced as lost:
        what the picture suffers is what it still asks to have resent.
        """
        copies, repairs = self.copies - self._window[0], self.repairs - self._window[1]
        self._window = (self.copies, self.repairs)
        if not self.state.on or copies == 0:
            return None
        return min(1.0, repairs / copies)

    def update(self, loss: float | None) -> None:
        """Apply one second's loss report: turn copies on or off, share the bitrate."""
        state = decide(self.state, loss, self._policy)
        if state.on and not self.attach():
            state = ShieldState()  # no RTX stream to copy onto
        if state.on != self.state.on:
            _log.info("loss protection %s (loss %s)", "on" if state.on else "off", loss)
            encoder = getattr(self._sender, "_RTCRtpSender__encoder", None)
            share = getattr(encoder, "set_share", None)
            if share is not None:
                share(ENCODER_SHARE if state.on else 1.0)
        self.state = state
