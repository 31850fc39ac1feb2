"""Auto-capture: once per steady, sharp, new page; never the same page twice."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from peripherals.camera import (
    AutoCapture,
    Calibration,
    CapturePolicy,
    Decision,
    Guidance,
    Observation,
)
from peripherals.camera.model import Quad
from peripherals.camera.phash import HASH_BITS

FRAME = (640, 480)
PAGE: Quad = np.array([[160, 60], [460, 70], [450, 430], [150, 420]], np.float32)
SHEET_A = 0  # two page hashes as far apart as hashes of different sheets are
SHEET_B = (1 << HASH_BITS) - 1
POLICY = CapturePolicy(steady_frames=5, steady_s=0.5)
FRAME_S = 0.125  # exact in binary, so the test's sums of time are exact too
SHARP = Calibration().preview_sharpness_min * 3


class FakeClock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def seen(
    quad: Quad | None = PAGE,
    *,
    page_hash: int | None = SHEET_A,
    sharpness: float = SHARP,
    glare: float = 0.0,
) -> Observation:
    return Observation(quad, FRAME, sharpness, glare, page_hash)


def run(
    auto: AutoCapture, clock: FakeClock, frames: int, frame_s: float = FRAME_S, **kw: object
) -> list[Decision]:
    """Feed ``frames`` identical observations ``frame_s`` apart; return the decisions."""
    decisions = []
    for _ in range(frames):
        decisions.append(auto.observe(seen(**kw)))  # type: ignore[arg-type]
        clock.now += frame_s
    return decisions


def test_fires_once_when_the_page_has_been_steady_long_enough() -> None:
    clock = FakeClock()
    auto = AutoCapture(policy=POLICY, clock=clock)
    decisions = run(auto, clock, 12)
    fired = [i for i, d in enumerate(decisions) if d.fire]
    assert fired == [4]  # five frames over 0.5 s
    assert [d.guidance for d in decisions[:4]] == [Guidance.HOLD_STILL] * 4
    assert decisions[4].guidance is Guidance.READY
    assert [d.steady for d in decisions[:5]] == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_a_fast_camera_still_waits_the_steady_time() -> None:
    clock = FakeClock()
    auto = AutoCapture(policy=POLICY, clock=clock)
    decisions = run(auto, clock, 20, frame_s=1 / 64)
    assert not any(d.fire for d in decisions)
    clock.now += 0.25
    assert run(auto, clock, 1)[0].fire is True


def test_a_moving_page_is_not_captured() -> None:
    clock = FakeClock()
    auto = AutoCapture(policy=POLICY, clock=clock)
    for step in range(20):
        decision = auto.observe(seen(PAGE + np.float32(step % 2 * 6)))
        clock.now += FRAME_S
        assert decision.guidance is Guidance.HOLD_STILL
        assert not decision.fire


def test_small_jitter_counts_as_steady() -> None:
    clock = FakeClock()
    auto = AutoCapture(policy=POLICY, clock=clock)
    rng = np.random.default_rng(0)
    fired = 0
    for _ in range(10):
        fired += auto.observe(seen(PAGE + rng.normal(0, 0.7, PAGE.shape).astype(np.float32))).fire
        clock.now += FRAME_S
    assert fired == 1


def test_the_captured_page_is_never_captured_again() -> None:
    clock = FakeClock()
    auto = AutoCapture(policy=POLICY, clock=clock)
    assert sum(d.fire for d in run(auto, clock, 6)) == 1
    auto.remember(SHEET_A)
    later = run(auto, clock, 30)
    assert not any(d.fire for d in later)
    assert {d.guidance for d in later} == {Guidance.CAPTURED}
    # Taken away and laid again: still the same sheet.
    run(auto, clock, 3, quad=None)
    assert not any(d.fire for d in run(auto, clock, 30))


def test_a_different_page_is_captured() -> None:
    clock = FakeClock()
    auto = AutoCapture(policy=POLICY, clock=clock)
    run(auto, clock, 6)
    auto.remember(SHEET_A)
    run(auto, clock, 2, quad=None)
    decisions = run(auto, clock, 8, page_hash=SHEET_B)
    assert sum(d.fire for d in decisions) == 1
    assert auto.captured_hashes == (SHEET_A,)


def test_a_new_document_forgets_the_pages() -> None:
    clock = FakeClock()
    auto = AutoCapture(policy=POLICY, clock=clock)
    run(auto, clock, 6)
    auto.remember(SHEET_A)
    auto.reset()
    assert sum(d.fire for d in run(auto, clock, 8)) == 1


def test_glare_and_blur_hold_the_capture_with_their_reason() -> None:
    clock = FakeClock()
    auto = AutoCapture(policy=POLICY, clock=clock)
    glary = run(auto, clock, 10, glare=0.2)
    assert {d.guidance for d in glary[1:]} == {Guidance.GLARE}
    blurry = run(auto, clock, 10, sharpness=1.0)
    assert {d.guidance for d in blurry} == {Guidance.TOO_BLURRY}
    assert not any(d.fire for d in glary + blurry)
    assert sum(d.fire for d in run(auto, clock, 3)) == 1  # cleared up while steady


def test_a_refused_capture_is_retried_after_another_steady_spell() -> None:
    clock = FakeClock()
    auto = AutoCapture(policy=POLICY, clock=clock)
    assert run(auto, clock, 5)[-1].fire
    auto.refused(Guidance.TOO_BLURRY)
    decisions = run(auto, clock, 6)
    assert decisions[0].guidance is Guidance.TOO_BLURRY
    assert [i for i, d in enumerate(decisions) if d.fire] == [4]


def test_where_the_page_is() -> None:
    auto = AutoCapture(policy=POLICY, clock=FakeClock())
    assert auto.observe(seen(None)).guidance is Guidance.NO_PAGE
    far = PAGE * 0.2 + np.float32(200)
    assert auto.observe(seen(far)).guidance is Guidance.MOVE_CLOSER
    cut = PAGE.copy()
    cut[0] = (0, 0)
    assert auto.observe(seen(cut)).guidance is Guidance.OUT_OF_FRAME


jitter = st.floats(min_value=-3.0, max_value=3.0)
frame_gaps = st.floats(min_value=0.0, max_value=0.5)


@settings(max_examples=60, deadline=None)
@given(
    frames=st.lists(
        st.tuples(jitter, frame_gaps, st.booleans(), st.sampled_from([SHEET_A, SHEET_B])),
        max_size=80,
    )
)
def test_each_sheet_is_captured_at_most_once(frames: list[tuple[float, float, bool, int]]) -> None:
    """Whatever the camera shows, in whatever rhythm: one capture per sheet at most."""
    clock = FakeClock()
    auto = AutoCapture(policy=POLICY, clock=clock)
    captured: list[int] = []
    for shift, gap, present, sheet in frames:
        quad = PAGE + np.float32(shift) if present else None
        if auto.observe(seen(quad, page_hash=sheet)).fire:
            captured.append(sheet)
            auto.remember(sheet)  # what the camera does after a successful capture
        clock.now += gap
    assert len(captured) == len(set(captured))
