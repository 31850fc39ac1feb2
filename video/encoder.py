"""VP8 encoding at the speed a kiosk's processor can afford.

aiortc's ``Vp8Encoder`` opens libvpx with temporal denoising on and
``cpu-used=-6``. On a two-core kiosk that also decodes the agent and draws the
screen, 1280x720 at 30 fps then takes most of a core. Measured on the
development machine (bench/call.py's kiosk, two-way call): denoising off saves
about 7 % of a core, ``cpu-used=-10`` about 4 % more, with no visible loss on a
face at this bitrate. The denoiser also adds nothing on a synthetic camera.

aiortc sets the options inline when it creates the codec, with no hook; the
encoder here hands aiortc a codec whose ``options`` setter applies ours on
top. Everything else (bitrate control, packetisation, key frames) stays
aiortc's.
"""

from __future__ import annotations

from typing import Any

from aiortc.codecs import vpx

# libvpx realtime speed: -16 (fastest) to -1; aiortc uses -6.
CPU_USED = "-10"
OVERRIDES = {"cpu-used": CPU_USED, "noise-sensitivity": "0"}
# The rate steps the encoder takes (see KioskVp8Encoder): a fall of 15 % is what a
# REMB overuse signal asks for; a rise of 25 % is a real change of the link.
FALL = 0.85
RISE = 1.25


class _TunedCodec:
    """A libvpx codec context whose options get :data:`OVERRIDES` when set."""

    __slots__ = ("_codec", "applied")

    def __init__(self, codec: Any) -> None:
        object.__setattr__(self, "_codec", codec)
        object.__setattr__(self, "applied", {})  # the options handed to libvpx

    def __getattr__(self, name: str) -> Any:
        return getattr(self._codec, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "options":
            value = {**value, **OVERRIDES}
            object.__setattr__(self, "applied", value)
        setattr(self._codec, name, value)


class KioskVp8Encoder(vpx.Vp8Encoder):
    """aiortc's VP8 encoder with :data:`OVERRIDES` applied to libvpx.

    It follows the receiver's bandwidth estimate (REMB) in steps rather than
    every wobble: libvpx (through FFmpeg) cannot change its rate once open, so
    aiortc reopens the codec whenever the target moves by 10 %, and every
    reopening starts on a key frame, several times a normal frame's size and
    cost. A browser's estimate wanders by more than that around a steady link
    (seen: a key frame every 2 s at 720p). The target follows a fall of
    :data:`FALL` or more at once (congestion must be obeyed) and a rise of
    :data:`RISE` or more (or up to aiortc's ceiling); smaller moves wait.

    It also takes only a share of the estimate when asked (:meth:`set_share`):
    loss protection sends every packet twice (``video/protection.py``), and the
    copies need the rest.
    """

    def __init__(self) -> None:
        self._share = 1.0
        self.estimate_bps = vpx.DEFAULT_BITRATE  # the last estimate given (REMB)
        self.openings = 0  # libvpx contexts opened: the first, then one per rate step
        super().__init__()

    @property
    def target_bitrate(self) -> int:
        return int(vpx.Vp8Encoder.target_bitrate.fget(self))  # type: ignore[attr-defined]

    @target_bitrate.setter
    def target_bitrate(self, bitrate: int) -> None:
        self.estimate_bps = bitrate
        self._retarget(force=False)

    def set_share(self, share: float) -> None:
        """Encode at ``share`` (0..1] of the bandwidth estimate from now on."""
        self._share = share
        self._retarget(force=True)

    def _retarget(self, *, force: bool) -> None:
        wanted = max(vpx.MIN_BITRATE, min(int(self.estimate_bps * self._share), vpx.MAX_BITRATE))
        current = self.target_bitrate
        if force or wanted <= current * FALL or wanted >= min(current * RISE, vpx.MAX_BITRATE):
            vpx.Vp8Encoder.target_bitrate.fset(self, wanted)  # type: ignore[attr-defined]

    @property
    def codec(self) -> Any:
        return self.__dict__.get("_tuned")

    @codec.setter
    def codec(self, value: Any) -> None:
        self.__dict__["_tuned"] = None if value is None else _TunedCodec(value)
        self.openings += value is not None


def install() -> None:
    """Make aiortc's senders use :class:`KioskVp8Encoder` for VP8 (idempotent)."""
    from aiortc import rtcrtpsender

    original = rtcrtpsender.get_encoder  # type: ignore[attr-defined]
    if getattr(original, "_kiosk_tuned", False):
        return

    def get_encoder(codec: Any) -> Any:
        if codec.mimeType.lower() == "video/vp8":
            return KioskVp8Encoder()
        return original(codec)

    get_encoder._kiosk_tuned = True  # type: ignore[attr-defined]
    rtcrtpsender.get_encoder = get_encoder  # type: ignore[attr-defined]
