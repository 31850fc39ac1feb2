"""Loss protection: when it turns on and off, and what it sends while on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from video.protection import ENCODER_SHARE, LossShield, Policy, ShieldState, decide

POLICY = Policy()


def run(losses: Sequence[float | None], state: ShieldState | None = None) -> ShieldState:
    state = state or ShieldState()
    for loss in losses:
        state = decide(state, loss, POLICY)
    return state


def test_it_turns_on_after_two_lossy_seconds_not_one() -> None:
    assert not run([0.05]).on
    assert run([0.05, 0.05]).on
    assert not run([0.05, 0.0, 0.05]).on  # a clean second in between starts over


def test_it_stays_on_through_a_short_clean_spell_and_turns_off_after_a_long_one() -> None:
    on = run([0.05, 0.05])
    assert run([0.0] * (POLICY.off_after - 1), on).on
    assert not run([0.0] * POLICY.off_after, on).on
    # One lossy second resets the clean run.
    assert run([0.0] * 10 + [0.03] + [0.0] * 10, on).on


def test_a_second_without_a_report_changes_nothing() -> None:
    assert run([0.05, None, 0.05]).on
    on = run([0.05, 0.05])
    assert run([None] * 100, on).on


@given(st.lists(st.one_of(st.none(), st.floats(0.0, 1.0)), max_size=60))
def test_the_run_never_reaches_the_threshold_without_flipping(losses: list[float | None]) -> None:
    state = ShieldState()
    for loss in losses:
        state = decide(state, loss, POLICY)
        assert state.run < (POLICY.off_after if state.on else POLICY.on_after)


CAMERA_SSRC = 0x11223344
OTHER_SSRC = 0x55667788


def rtp(ssrc: int, seq: int, payload_type: int = 96) -> bytes:
    return (
        bytes([0x80, payload_type])
        + seq.to_bytes(2, "big")
        + (1000).to_bytes(4, "big")
        + ssrc.to_bytes(4, "big")
        + b"vp8 payload"
    )


class FakeTransport:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def _send_rtp(self, data: bytes) -> None:
        self.sent.append(data)


class FakeEncoder:
    def __init__(self) -> None:
        self.shares: list[float] = []

    def set_share(self, share: float) -> None:
        self.shares.append(share)


class FakeSender:
    """The parts of aiortc's RTCRtpSender the shield uses (its private names included)."""

    def __init__(self, rtx_payload_type: int | None = 97) -> None:
        self._ssrc = CAMERA_SSRC
        self.transport = FakeTransport()
        self._RTCRtpSender__rtx_payload_type = rtx_payload_type
        self._RTCRtpSender__encoder = FakeEncoder()
        self.retransmitted: list[int] = []

    async def _retransmit(self, sequence_number: int) -> None:
        self.retransmitted.append(sequence_number)


def shield_for(sender: FakeSender) -> LossShield:
    return LossShield(sender, Policy(on_after=1, off_after=1))  # type: ignore[arg-type]


def test_while_on_each_camera_packet_gets_its_copy_and_nothing_else_does() -> None:
    sender = FakeSender()
    shield = shield_for(sender)

    async def scenario() -> None:
        send: Any = sender.transport._send_rtp
        await send(rtp(CAMERA_SSRC, 1))
        shield.update(0.05)
        assert shield.on
        assert shield.attached
        send = sender.transport._send_rtp
        await send(rtp(CAMERA_SSRC, 2))
        await send(rtp(CAMERA_SSRC, 65535))
        await send(rtp(OTHER_SSRC, 3))  # the screen share or the voice, bundled
        await send(bytes([0x80, 200]) + bytes(26))  # an RTCP sender report
        shield.update(0.0)
        assert not shield.on
        await send(rtp(CAMERA_SSRC, 4))

    asyncio.run(scenario())
    assert sender.retransmitted == [2, 65535]  # through aiortc's RTX path, in order
    assert shield.copies == 2
    assert len(sender.transport.sent) == 6  # every packet still went out once
    assert sender._RTCRtpSender__encoder.shares == [ENCODER_SHARE, 1.0]


def test_without_rtx_it_stays_off() -> None:
    sender = FakeSender(rtx_payload_type=None)
    shield = shield_for(sender)
    shield.update(0.2)
    assert not shield.on
    assert not shield.attached
    assert sender._RTCRtpSender__encoder.shares == []


def test_what_is_left_after_the_copies_is_what_the_receiver_still_asks_for() -> None:
    sender = FakeSender()
    shield = shield_for(sender)

    async def scenario() -> None:
        shield.update(0.05)
        send: Any = sender.transport._send_rtp
        for seq in range(200):
            await send(rtp(CAMERA_SSRC, seq))
        nack: Any = sender._retransmit  # what aiortc calls when a NACK names a packet
        await nack(17)
        await nack(18)

    assert shield.residual_loss() is None  # nothing sent yet
    asyncio.run(scenario())
    assert shield.residual_loss() == 2 / 200
    assert shield.residual_loss() is None  # a new window: nothing since
    assert sender.retransmitted[-2:] == [17, 18]  # the NACKed packets were resent
