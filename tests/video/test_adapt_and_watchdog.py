"""The adaptation decision and the dead-link verdict, as pure functions."""

from __future__ import annotations

from video.adapt import AdaptState, Policy, Sample, decide
from video.channel import QualityLevel
from video.quality import CPU_WARMUP_S, settled
from video.watchdog import LinkActivity, backoff_s, dead_link_reason

BAD = Sample(loss=0.2, rtt_s=0.05, cpu=0.3)
GOOD = Sample(loss=0.0, rtt_s=0.05, cpu=0.3)


def run(state: AdaptState, samples: list[Sample]) -> tuple[AdaptState, list[str]]:
    reasons = []
    for sample in samples:
        state, reason = decide(state, sample)
        if reason:
            reasons.append(reason)
    return state, reasons


def test_steps_down_one_level_after_a_few_bad_seconds() -> None:
    policy = Policy()
    state, reasons = run(AdaptState(), [BAD] * (policy.down_after - 1))
    assert state.level is QualityLevel.FULL
    state, reasons = run(state, [BAD])
    assert state.level is QualityLevel.REDUCED
    assert reasons == ["loss"]
    state, _ = run(state, [BAD] * policy.down_after)
    assert state.level is QualityLevel.AUDIO_ONLY


def test_audio_only_needs_heavy_loss_to_drop_to_chat_only() -> None:
    state = AdaptState(QualityLevel.AUDIO_ONLY)
    state, _ = run(state, [BAD] * 10)  # 20 % loss: audio copes
    assert state.level is QualityLevel.AUDIO_ONLY
    state, reasons = run(state, [Sample(loss=0.5)] * 3)
    assert state.level is QualityLevel.CHAT_ONLY
    assert reasons == ["loss"]


def test_steps_up_only_after_a_long_good_run_hysteresis() -> None:
    state = AdaptState(QualityLevel.REDUCED)
    state, _ = run(state, [GOOD] * 9 + [BAD] + [GOOD] * 9)  # a bad second restarts the count
    assert state.level is QualityLevel.REDUCED
    state, reasons = run(state, [GOOD])
    assert state.level is QualityLevel.FULL
    assert reasons == ["recovered"]


def test_cpu_and_bandwidth_also_step_down() -> None:
    state, reasons = run(AdaptState(), [Sample(cpu=1.2)] * 3)
    assert (state.level, reasons) == (QualityLevel.REDUCED, ["cpu"])
    state, reasons = run(AdaptState(), [Sample(bitrate_bps=200_000)] * 3)
    assert (state.level, reasons) == (QualityLevel.REDUCED, ["bandwidth"])


def test_a_link_that_needs_copied_packets_gets_the_reduced_picture_and_keeps_it() -> None:
    protected = Sample(loss=0.0, rtt_s=0.05, cpu=0.3, protected=True)  # copies repair all
    state, reasons = run(AdaptState(), [protected])  # at once: copies of 720p overflow
    assert (state.level, reasons) == (QualityLevel.REDUCED, ["loss"])
    state, reasons = run(state, [protected] * 60)  # however clean the repaired link looks
    assert (state.level, reasons) == (QualityLevel.REDUCED, [])
    state, reasons = run(state, [GOOD] * 10)  # copies off: the full picture comes back
    assert (state.level, reasons) == (QualityLevel.FULL, ["recovered"])


def activity(**changes: object) -> LinkActivity:
    base = {
        "started_at": 0.0,
        "last_fresh_video_at": None,
        "last_traffic_at": None,
        "expect_video": True,
    }
    return LinkActivity(**{**base, **changes})  # type: ignore[arg-type]


def verdict(act: LinkActivity, now: float) -> str | None:
    return dead_link_reason(act, now, media_timeout_s=2.0, first_media_timeout_s=10.0)


def test_a_busy_start_does_not_shrink_the_picture_for_the_whole_call() -> None:
    state = AdaptState()
    busy = Sample(loss=0.0, cpu=1.2)
    for second in range(int(CPU_WARMUP_S)):
        state, reason = decide(state, settled(busy, link_age_s=float(second)))
        assert reason is None
    assert state.level is QualityLevel.FULL
    # Past the warm-up, a processor that stays busy is a reason to send less.
    for second in range(3):
        state, reason = decide(state, settled(busy, link_age_s=CPU_WARMUP_S + second))
    assert (state.level, reason) == (QualityLevel.REDUCED, "cpu")
    # Loss counts from the first second: the warm-up is about the processor only.
    lossy = Sample(loss=0.3)
    assert settled(lossy, link_age_s=0.0) == lossy


def test_watchdog_verdicts() -> None:
    assert verdict(activity(), 5.0) is None
    assert verdict(activity(), 11.0) == "no_media"
    flowing = activity(last_fresh_video_at=10.0, last_traffic_at=10.0)
    assert verdict(flowing, 11.5) is None
    assert verdict(flowing, 12.5) == "video_stalled"
    # Audio and data came back after a cut, the video did not: still dead.
    assert verdict(activity(last_fresh_video_at=10.0, last_traffic_at=20.0), 20.1) == (
        "video_stalled"
    )
    # The agent went audio-only: no video is fine while audio flows.
    audio_only = activity(last_fresh_video_at=10.0, last_traffic_at=20.0, expect_video=False)
    assert verdict(audio_only, 20.1) is None
    assert verdict(audio_only, 22.5) == "silent"


def test_backoff_doubles_to_a_ceiling() -> None:
    assert [backoff_s(n, 0.5, 5.0) for n in (1, 2, 3, 4, 5, 6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
