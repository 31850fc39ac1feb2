"""Captures: flattened, straightened, and refused when blurry or glary."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from peripherals.camera import (
    Calibration,
    NoPageError,
    PageBlurryError,
    PageGlareError,
    calibrate,
    decode_jpeg,
    inspect,
    scan,
)
from peripherals.camera.pipeline import estimate_skew_deg, flatten
from peripherals.camera.quality import calibration_from_samples
from peripherals.camera.synthetic import PAPER_BGR, lay_page, page_corners, render_desk, render_page
from tests.peripherals.camera.scenes import FRAME_SIZE, empty_desk, make_scene

CALIBRATION = Calibration()


@pytest.mark.parametrize("white_on_white", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_sharp_pages_are_captured_flat_at_their_aspect(seed: int, white_on_white: bool) -> None:
    scene = make_scene(seed, white_on_white=white_on_white)
    page = scan(scene.image, CALIBRATION)
    assert page.aspect == pytest.approx(np.sqrt(2), rel=0.01)
    assert page.sharpness >= 1.0
    assert page.glare <= CALIBRATION.glare_fraction_max
    image = decode_jpeg(page.jpeg)
    assert image.shape == (page.height, page.width, 3)
    # Flat and upright: the paper fills the border (no desk left), ink sits inside.
    border = np.concatenate([image[:3].reshape(-1, 3), image[-3:].reshape(-1, 3)])
    assert np.median(border, axis=0) == pytest.approx(PAPER_BGR, abs=12)


@pytest.mark.parametrize("seed", range(6))
def test_blurry_pages_are_refused_as_blurry(seed: int) -> None:
    scene = make_scene(seed, blur_sigma=3.0)
    with pytest.raises(PageBlurryError):
        scan(scene.image, CALIBRATION)
    assert inspect(scene.image, CALIBRATION).sharpness < CALIBRATION.preview_sharpness_min


@pytest.mark.parametrize("seed", range(6))
def test_pages_with_glare_are_refused_for_glare(seed: int) -> None:
    scene = make_scene(seed, glare=True)
    with pytest.raises(PageGlareError):
        scan(scene.image, CALIBRATION)
    assert inspect(scene.image, CALIBRATION).glare > CALIBRATION.glare_fraction_max


def test_no_page_no_capture() -> None:
    with pytest.raises(NoPageError):
        scan(empty_desk(0), CALIBRATION)


def test_text_printed_askew_is_straightened() -> None:
    sheet = render_page(11, 880)
    height, width = sheet.shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), -3.0, 1.0)  # 3° clockwise
    askew = np.asarray(
        cv2.warpAffine(sheet, turn, (width, height), borderValue=PAPER_BGR), np.uint8
    )
    corners = page_corners(FRAME_SIZE, height_fraction=0.9, angle_deg=6)
    frame = lay_page(render_desk(FRAME_SIZE, 1), askew, corners)

    assert estimate_skew_deg(_gray(flatten(frame, corners))) == pytest.approx(3.0, abs=0.3)
    page = decode_jpeg(scan(frame, CALIBRATION).jpeg)
    assert abs(estimate_skew_deg(_gray(page))) < 0.4


def test_calibration_follows_the_camera() -> None:
    frames = [make_scene(seed, page_seed=1, rotation_deg=3).image for seed in range(3)]
    calibration = calibrate(frames)
    capture, preview = (calibration.sharpness_min, calibration.preview_sharpness_min)
    assert 0 < capture < min(scan(f, calibration).sharpness * capture for f in frames)
    assert preview > 0
    assert calibration.glare_level == CALIBRATION.glare_level  # not measured: kept


def test_calibration_needs_pages_to_look_at() -> None:
    with pytest.raises(ValueError, match="at least"):
        calibrate([empty_desk(0), empty_desk(1), empty_desk(2)])
    with pytest.raises(ValueError, match="lens"):
        calibration_from_samples([(0.0, 0.0)] * 3)


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"sharpness_min": 0}, "positive"),
        ({"preview_sharpness_min": -1}, "positive"),
        ({"glare_level": 300}, "grey level"),
        ({"glare_fraction_max": 1.5}, "fraction"),
    ],
)
def test_calibration_values_are_checked(values: dict[str, float], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Calibration(**values)  # type: ignore[arg-type]


def _gray(image: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.uint8)
