"""Quality adaptation: what the kiosk sends, from loss, round-trip time and CPU.

:func:`decide` is a pure function of the previous state and one sample per
second, tested on its own. The levels go ``full`` -> ``reduced`` ->
``audio_only`` -> ``chat_only`` one step at a time: down after a few bad
seconds, up only after a longer run of good ones (hysteresis), so the picture
does not flap on a link at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from video.channel import QualityLevel

LEVELS: tuple[QualityLevel, ...] = (
    QualityLevel.FULL,
    QualityLevel.REDUCED,
    QualityLevel.AUDIO_ONLY,
    QualityLevel.CHAT_ONLY,
)


PROTECTED = "protected"  # the problem of a full picture under loss protection


@dataclass(frozen=True)
class Sample:
    """One second of measurements; ``None`` where nothing was measured."""

    loss: float | None = None  # fraction of our packets lost, 0..1 (receiver reports)
    rtt_s: float | None = None
    cpu: float | None = None  # process CPU time / wall time (1.0 = one core)
    bitrate_bps: int | None = None  # the REMB estimate aiortc's encoder follows
    # Loss protection is copying every packet (video/protection.py): the link needs
    # twice the bytes per picture, which only the reduced format leaves room for.
    protected: bool = False


@dataclass(frozen=True)
class Policy:
    """Thresholds; the defaults suit a kiosk on a shared office link."""

    bad_loss: float = 0.10
    good_loss: float = 0.02
    bad_rtt_s: float = 0.6
    good_rtt_s: float = 0.3
    bad_cpu: float = 0.9
    good_cpu: float = 0.6
    # The full format needs this estimate; below it the reduced one fits better.
    min_full_bitrate_bps: int = 400_000
    down_after: int = 3  # consecutive bad seconds before stepping down
    up_after: int = 10  # consecutive good seconds before stepping up
    # audio_only -> chat_only needs loss this bad: audio survives a lot.
    chat_only_loss: float = 0.35


@dataclass(frozen=True)
class AdaptState:
    """The level sent now and the runs of bad and good seconds behind it."""

    level: QualityLevel = QualityLevel.FULL
    bad_run: int = 0
    good_run: int = 0


def _problem(level: QualityLevel, sample: Sample, policy: Policy) -> str | None:
    """Why ``sample`` is bad for ``level``, or ``None``."""
    if level is QualityLevel.AUDIO_ONLY:
        # Video is off already: only a link that cannot carry audio goes further down.
        if sample.loss is not None and sample.loss >= policy.chat_only_loss:
            return "loss"
        return None
    if sample.loss is not None and sample.loss >= policy.bad_loss:
        return "loss"
    if sample.rtt_s is not None and sample.rtt_s >= policy.bad_rtt_s:
        return "rtt"
    if sample.cpu is not None and sample.cpu >= policy.bad_cpu:
        return "cpu"
    if level is QualityLevel.FULL and sample.protected:
        return PROTECTED
    if (
        level is QualityLevel.FULL
        and sample.bitrate_bps is not None
        and sample.bitrate_bps < policy.min_full_bitrate_bps
    ):
        return "bandwidth"
    return None


def _good(level: QualityLevel, sample: Sample, policy: Policy) -> bool:
    """Whether ``sample`` leaves room for the level above ``level``."""
    if sample.loss is not None and sample.loss > policy.good_loss:
        return False
    if sample.rtt_s is not None and sample.rtt_s > policy.good_rtt_s:
        return False
    if sample.cpu is not None and sample.cpu > policy.good_cpu:
        return False
    if level is QualityLevel.REDUCED and sample.protected:
        return False
    return not (
        level is QualityLevel.REDUCED
        and sample.bitrate_bps is not None
        and sample.bitrate_bps < policy.min_full_bitrate_bps
    )


def decide(
    state: AdaptState, sample: Sample, policy: Policy = Policy()
) -> tuple[AdaptState, str | None]:
    """The next state and, when the level changed, the reason (``loss``, ``recovered``...)."""
    index = LEVELS.index(state.level)
    problem = _problem(state.level, sample, policy)
    if problem is not None:
        bad = state.bad_run + 1
        # Copies at the full size overflow the link within a second or two: at once.
        if (bad >= policy.down_after or problem == PROTECTED) and index + 1 < len(LEVELS):
            return AdaptState(LEVELS[index + 1]), "loss" if problem == PROTECTED else problem
        return replace(state, bad_run=bad, good_run=0), None
    if index > 0 and _good(state.level, sample, policy):
        good = state.good_run + 1
        if good >= policy.up_after:
            return AdaptState(LEVELS[index - 1]), "recovered"
        return replace(state, bad_run=0, good_run=good), None
    return replace(state, bad_run=0, good_run=0), None
