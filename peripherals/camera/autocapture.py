"""When to capture: the page is in view, steady, sharp, free of glare, and new.

:class:`AutoCapture` is pure logic over a stream of :class:`Observation` s,
with an injectable clock, so every rule is testable without a camera or a
thread. It fires once per steady spell of a new page; a page already captured
(by perceptual hash) is never captured again, however long it stays there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from peripherals.camera.geometry import quad_area
from peripherals.camera.model import Guidance, Quad
from peripherals.camera.phash import DUPLICATE_DISTANCE, is_same_page
from peripherals.camera.quality import Calibration

Clock = Callable[[], float]


@dataclass(frozen=True)
class CapturePolicy:
    """How patient the auto-capture is.

    The page is steady once no corner has moved more than ``steady_tolerance``
    (a fraction of the frame's diagonal) for ``steady_frames`` frames spanning
    at least ``steady_s`` seconds: frames alone would fire early on a fast camera,
    time alone on a stalled one. A page below ``min_page_fraction`` of the frame
    is too far away; one with a corner within ``edge_margin`` (fraction of the
    frame) of the border is probably cut by it.
    """

    steady_frames: int = 5
    steady_s: float = 0.4
    steady_tolerance: float = 0.006
    min_page_fraction: float = 0.03
    edge_margin: float = 0.005
    duplicate_distance: int = DUPLICATE_DISTANCE

    def __post_init__(self) -> None:
        if self.steady_frames < 1 or self.steady_s < 0 or self.steady_tolerance <= 0:
            raise ValueError("steadiness needs at least one frame and a positive tolerance")


@dataclass(frozen=True, eq=False)
class Observation:
    """One analysed frame, as the auto-capture sees it.

    ``quad`` is in the coordinates of a ``frame_size`` (width, height) image;
    ``sharpness`` is the raw preview figure, ``glare`` the washed-out share of
    the page, ``page_hash`` the page's perceptual hash.
    """

    quad: Quad | None
    frame_size: tuple[int, int]
    sharpness: float = 0.0
    glare: float = 0.0
    page_hash: int | None = None


@dataclass(frozen=True)
class Decision:
    """What to tell the citizen, how far the steadiness got (0–1), and whether to capture."""

    guidance: Guidance
    steady: float = 0.0
    fire: bool = False


class AutoCapture:
    """Decides, frame by frame, when to capture; remembers what was captured.

    Call :meth:`observe` for every analysed frame. When a decision says
    ``fire``, capture that frame at full resolution, then report back: either
    :meth:`remember` the page's hash (it is never captured again) or
    :meth:`refused` with the guidance the full check gave (blur or glare that
    the preview did not see). Not thread-safe: use it from one thread.
    """

    def __init__(
        self,
        calibration: Calibration | None = None,
        policy: CapturePolicy | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._calibration = calibration or Calibration()
        self._policy = policy or CapturePolicy()
        self._clock = clock
        self._captured: list[int] = []
        self._anchor: Quad | None = None  # where the page settled; movement is measured from it
        self._since = 0.0
        self._frames = 0
        self._fired = False
        self._refusal: Guidance | None = None

    @property
    def captured_hashes(self) -> tuple[int, ...]:
        """Hashes of the pages captured since the last :meth:`reset`, oldest first."""
        return tuple(self._captured)

    def observe(self, seen: Observation) -> Decision:
        """The guidance for this frame, and whether to capture it."""
        policy = self._policy
        quad = seen.quad
        if quad is None:
            self._settle(None)
            return Decision(Guidance.NO_PAGE)
        if self._touches_border(quad, seen.frame_size):
            self._settle(None)
            return Decision(Guidance.OUT_OF_FRAME)
        width, height = seen.frame_size
        if quad_area(quad) < policy.min_page_fraction * width * height:
            self._settle(None)
            return Decision(Guidance.MOVE_CLOSER)
        moved = self._track(quad, seen.frame_size)
        if seen.page_hash is not None and self.is_known(seen.page_hash):
            return Decision(Guidance.CAPTURED)
        if moved:
            return Decision(Guidance.HOLD_STILL)
        steady = self._progress()
        if seen.glare > self._calibration.glare_fraction_max:
            return Decision(Guidance.GLARE, steady)
        if seen.sharpness < self._calibration.preview_sharpness_min:
            return Decision(Guidance.TOO_BLURRY, steady)
        if self._refusal is not None:
            guidance = self._refusal
            if steady >= 1.0 and not self._fired:
                # The full check refused a capture: try again after each steady spell
                # (autofocus settles, a hand moves out of the lamp's reflection).
                self._fired = True
                return Decision(guidance, steady, fire=True)
            return Decision(guidance, steady)
        if steady < 1.0:
            return Decision(Guidance.HOLD_STILL, steady)
        if self._fired:
            return Decision(Guidance.READY, 1.0)
        self._fired = True
        return Decision(Guidance.READY, 1.0, fire=True)

    def remember(self, page_hash: int) -> None:
        """A page was captured (automatically or on request): never capture it again."""
        self._captured.append(page_hash)
        self._refusal = None

    def refused(self, guidance: Guidance) -> None:
        """The full-resolution check refused the capture; show ``guidance`` and retry later."""
        self._refusal = guidance
        self._since = self._clock()
        self._frames = 0
        self._fired = False

    def is_known(self, page_hash: int) -> bool:
        """Whether a page with this hash was captured since the last :meth:`reset`."""
        distance = self._policy.duplicate_distance
        return any(is_same_page(page_hash, known, distance) for known in self._captured)

    def reset(self) -> None:
        """Start a new document: forget the captured pages (the next citizen's are new)."""
        self._captured.clear()
        self._settle(None)

    # -- internals --------------------------------------------------------

    def _touches_border(self, quad: Quad, frame_size: tuple[int, int]) -> bool:
        width, height = frame_size
        margin_x = self._policy.edge_margin * width
        margin_y = self._policy.edge_margin * height
        xs, ys = quad[:, 0], quad[:, 1]
        return bool(
            np.any(xs < margin_x)
            or np.any(xs > width - 1 - margin_x)
            or np.any(ys < margin_y)
            or np.any(ys > height - 1 - margin_y)
        )

    def _track(self, quad: Quad, frame_size: tuple[int, int]) -> bool:
        """Count the frame towards steadiness; ``True`` if the page moved (or just arrived)."""
        tolerance = self._policy.steady_tolerance * float(np.hypot(*frame_size))
        if self._anchor is not None:
            shift = float(np.max(np.linalg.norm(quad - self._anchor, axis=1)))
            if shift <= tolerance:
                self._frames += 1
                return False
        self._settle(quad)
        return True

    def _settle(self, quad: Quad | None) -> None:
        """Start a new steady spell at ``quad`` (``None``: no page to follow)."""
        self._anchor = None if quad is None else quad.copy()
        self._since = self._clock()
        self._frames = 1 if quad is not None else 0
        self._fired = False
        self._refusal = None

    def _progress(self) -> float:
        policy = self._policy
        by_frames = self._frames / policy.steady_frames
        by_time = 1.0 if policy.steady_s == 0 else (self._clock() - self._since) / policy.steady_s
        return float(min(1.0, by_frames, by_time))
