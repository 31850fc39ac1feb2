"""The adaptation loop: sample the peer connection once a second, apply :func:`decide`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.stats import RTCRemoteInboundRtpStreamStats

from video.adapt import AdaptState, Policy, Sample, decide
from video.channel import QualityLevel
from video.media import PacedAudioTrack, PacedVideoTrack
from video.protection import LossShield
from video.settings import CallSettings

_log = logging.getLogger(__name__)
SAMPLE_PERIOD_S = 1.0
# A link's first seconds cost what the call itself will not (DTLS, encoders starting
# on key frames, the document camera warming up): CPU read then is no reason to
# send a smaller picture for the rest of the call.
CPU_WARMUP_S = 6.0


def settled(sample: Sample, link_age_s: float) -> Sample:
    """``sample`` as adaptation should read it, ``link_age_s`` into a connection."""
    return replace(sample, cpu=None) if link_age_s < CPU_WARMUP_S else sample


class CpuMeter:
    """This process's CPU use between two calls, 1.0 being one core busy."""

    def __init__(self) -> None:
        self._cpu = time.process_time()
        self._wall = time.monotonic()

    def sample(self) -> float | None:
        """CPU fraction since the last sample (``None`` if no time passed)."""
        cpu, wall = time.process_time(), time.monotonic()
        spent, elapsed = cpu - self._cpu, wall - self._wall
        self._cpu, self._wall = cpu, wall
        return spent / elapsed if elapsed > 0 else None


async def sample_peer(pc: RTCPeerConnection, cpu: CpuMeter) -> Sample:
    """Loss and RTT from the agent's receiver reports, the REMB estimate, and CPU."""
    report = await pc.getStats()
    loss: float | None = None
    rtt: float | None = None
    for stats in report.values():
        # Receiver reports about what we send: the video ones when there are any.
        if isinstance(stats, RTCRemoteInboundRtpStreamStats) and (
            loss is None or stats.kind == "video"
        ):
            loss = stats.fractionLost / 256.0  # the RTCP field is a fraction of 256
            rtt = stats.roundTripTime
    return Sample(loss=loss, rtt_s=rtt, cpu=cpu.sample(), bitrate_bps=_remb_bitrate(pc))


def _remb_bitrate(pc: RTCPeerConnection) -> int | None:
    """The bitrate the VP8 encoder follows (set from REMB); aiortc keeps it private."""
    for sender in pc.getSenders():
        if isinstance(sender, RTCRtpSender) and sender.kind == "video":
            encoder = getattr(sender, "_RTCRtpSender__encoder", None)
            # The estimate itself: under loss protection the encoder takes only a share.
            bitrate = getattr(encoder, "estimate_bps", getattr(encoder, "target_bitrate", None))
            if isinstance(bitrate, int):
                return bitrate
    return None


class QualityController:
    """Applies quality levels to the local tracks and tells both sides.

    ``announce`` sends the ``quality`` message on the data channel and tells the
    UI. A muted camera or microphone stays muted whatever the level says.
    """

    def __init__(
        self,
        settings: CallSettings,
        video: PacedVideoTrack,
        audio: PacedAudioTrack | None,
        announce: Callable[[QualityLevel, str], None],
        policy: Policy | None = None,
    ) -> None:
        self._settings = settings
        self._video = video
        self._audio = audio
        self._announce = announce
        self._policy = policy or Policy()
        self.state = AdaptState()
        self.camera_muted = False
        self.microphone_muted = False

    @property
    def level(self) -> QualityLevel:
        """The level sent now."""
        return self.state.level

    def set_level(self, level: QualityLevel, reason: str) -> None:
        """Switch to ``level`` now (adaptation, or the UI forcing chat-only)."""
        self.state = AdaptState(level)
        self.apply()
        self._announce(level, reason)

    def apply(self) -> None:
        """Make the tracks match the level and the mute switches."""
        level = self.state.level
        if level is QualityLevel.FULL:
            self._video.set_format(self._settings.video)
        elif level is QualityLevel.REDUCED:
            self._video.set_format(self._settings.reduced_video)
        video_off = level in (QualityLevel.AUDIO_ONLY, QualityLevel.CHAT_ONLY)
        self._video.pause(video_off or self.camera_muted)
        if self._audio is not None:
            self._audio.pause(level is QualityLevel.CHAT_ONLY or self.microphone_muted)

    async def run(self, pc: RTCPeerConnection, shield: LossShield | None = None) -> None:
        """Sample ``pc`` every second and adapt, until cancelled.

        ``shield``, the camera's loss protection, follows the same reports.
        """
        cpu = CpuMeter()
        started = time.monotonic()
        while True:
            await asyncio.sleep(SAMPLE_PERIOD_S)
            try:
                sample = await sample_peer(pc, cpu)
            except Exception:  # a closing pc: stats are best effort
                _log.debug("stats unavailable", exc_info=True)
                continue
            if shield is not None:
                shield.update(sample.loss)
                if shield.on:  # copies stand in for most losses: judge what is left
                    sample = replace(sample, loss=shield.residual_loss(), protected=True)
            sample = settled(sample, time.monotonic() - started)
            state, reason = decide(self.state, sample, self._policy)
            changed = state.level is not self.state.level
            self.state = state
            if changed and reason is not None:
                _log.info("quality %s (%s): %s", state.level, reason, sample)
                self.apply()
                self._announce(state.level, reason)
