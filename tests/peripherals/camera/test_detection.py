"""The page is found where it lies: corners within 2 % of its diagonal, in order."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from peripherals.camera.detect import analyse
from peripherals.camera.geometry import order_corners, page_size, snap_aspect
from peripherals.camera.model import Quad
from tests.peripherals.camera.scenes import Scene, empty_desk, make_scene

MAX_CORNER_ERROR = 0.02  # of the page's diagonal, the acceptance bound
SEEDS = range(24)


def corner_error(found: Quad | None, scene: Scene) -> float:
    """Worst corner distance over the page diagonal, corners compared in order."""
    assert found is not None, "no page found"
    return float(np.max(np.linalg.norm(found - scene.corners, axis=1))) / scene.diagonal


@pytest.mark.parametrize("seed", SEEDS)
def test_corners_on_a_wooden_desk(seed: int) -> None:
    scene = make_scene(seed)
    assert corner_error(analyse(scene.image).frame_quad, scene) < MAX_CORNER_ERROR


@pytest.mark.parametrize("seed", SEEDS)
def test_corners_of_a_white_page_on_a_white_desk(seed: int) -> None:
    scene = make_scene(seed, white_on_white=True)
    assert corner_error(analyse(scene.image).frame_quad, scene) < MAX_CORNER_ERROR


@pytest.mark.parametrize("rotation", [-40, -25, -10, 0, 10, 25, 40])
def test_rotated_pages_keep_their_own_top_left_corner(rotation: int) -> None:
    scene = make_scene(100 + rotation, rotation_deg=rotation, tilt=0.05)
    assert corner_error(analyse(scene.image).frame_quad, scene) < MAX_CORNER_ERROR


@pytest.mark.parametrize("tilt", [0.0, 0.1, 0.2, 0.3])
def test_steep_perspective(tilt: float) -> None:
    scene = make_scene(200, tilt=tilt, rotation_deg=8)
    assert corner_error(analyse(scene.image).frame_quad, scene) < MAX_CORNER_ERROR


@pytest.mark.parametrize("corner", range(4))
def test_a_thumb_over_a_corner_does_not_move_it(corner: int) -> None:
    """Citizens hold the sheet down: the corner is where the straight sides meet."""
    scene = make_scene(400 + corner, noise=2)
    image = scene.image.copy()
    tip = scene.corners[corner] + 0.06 * (scene.corners.mean(axis=0) - scene.corners[corner])
    thumb = (round(float(tip[0])), round(float(tip[1])))
    cv2.ellipse(image, thumb, (45, 28), 35 + 90 * corner, 0, 360, (90, 120, 170), -1)
    assert corner_error(analyse(image).frame_quad, scene) < MAX_CORNER_ERROR / 4


def test_noisy_compressed_frames() -> None:
    scene = make_scene(300, noise=7, jpeg_quality=60)
    assert corner_error(analyse(scene.image).frame_quad, scene) < MAX_CORNER_ERROR


def test_sub_pixel_accuracy_on_clean_frames() -> None:
    """Not the acceptance bound: what the edge refinement actually achieves."""
    errors = [
        corner_error(analyse(scene.image).frame_quad, scene)
        for scene in (make_scene(seed, noise=0, jpeg_quality=None) for seed in range(6))
    ]
    assert max(errors) < 0.004  # about 3 px on a 1280x960 frame


def test_detection_runs_on_a_downscaled_copy_and_maps_back() -> None:
    scene = make_scene(5, size=(2560, 1920))
    analysis = analyse(scene.image)
    assert analysis.small.shape[1] == 640
    assert analysis.scale == pytest.approx(4.0)
    assert corner_error(analysis.frame_quad, scene) < MAX_CORNER_ERROR


@pytest.mark.parametrize("pale", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_an_empty_desk_has_no_page(seed: int, pale: bool) -> None:
    assert analyse(empty_desk(seed, pale=pale)).quad is None


def test_corner_order_is_top_left_clockwise() -> None:
    shuffled = np.array([[90, 80], [10, 10], [10, 80], [90, 12]], np.float32)
    assert order_corners(shuffled).tolist() == [[10, 10], [90, 12], [90, 80], [10, 80]]


def test_flattened_size_snaps_to_paper_formats() -> None:
    a4_seen_off_axis = np.array([[0, 0], [100, 0], [100, 139], [0, 139]], np.float32)
    width, height = page_size(a4_seen_off_axis)
    assert height / width == pytest.approx(np.sqrt(2), rel=0.01)
    assert snap_aspect(1.2) == 1.2  # no paper format near: left alone
