"""Frame sources: a video file, an image folder, a V4L2 device that is not there."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from peripherals.camera import (
    CameraLostError,
    CameraUnavailableError,
    ImageFolderSource,
    V4l2Source,
    VideoFileSource,
)
from peripherals.camera.sources import FramePacer

SIZE = (320, 240)


def frames(count: int) -> list[np.ndarray]:
    """Frames told apart by their brightness, which survives MJPEG."""
    return [np.full((SIZE[1], SIZE[0], 3), 40 + 40 * i, np.uint8) for i in range(count)]


def write_video(path: Path, images: list[np.ndarray]) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, SIZE)
    assert writer.isOpened()
    for image in images:
        writer.write(image)
    writer.release()
    return path


def brightness(image: np.ndarray) -> int:
    return round(float(image.mean()))


def test_a_video_file_plays_then_the_camera_is_lost(tmp_path: Path) -> None:
    source = VideoFileSource(write_video(tmp_path / "desk.avi", frames(3)))
    source.open()
    assert [brightness(source.read()) for _ in range(3)] == pytest.approx([40, 80, 120], abs=3)
    with pytest.raises(CameraLostError, match="end of"):
        source.read()
    source.close()
    source.open()  # reopening starts the file again
    assert brightness(source.read()) == pytest.approx(40, abs=3)
    source.close()


def test_a_looping_video_file_starts_over(tmp_path: Path) -> None:
    source = VideoFileSource(write_video(tmp_path / "desk.avi", frames(2)), loop=True)
    source.open()
    assert [brightness(source.read()) for _ in range(5)] == pytest.approx(
        [40, 80, 40, 80, 40], abs=3
    )
    source.close()


def test_a_missing_or_broken_video_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(CameraUnavailableError, match="no video file"):
        VideoFileSource(tmp_path / "missing.avi").open()
    broken = tmp_path / "broken.avi"
    broken.write_bytes(b"RIFF nonsense")
    with pytest.raises(CameraUnavailableError, match="cannot decode"):
        VideoFileSource(broken).open()


def test_reading_a_closed_source_is_a_lost_camera(tmp_path: Path) -> None:
    with pytest.raises(CameraLostError):
        VideoFileSource(tmp_path / "x.avi").read()
    with pytest.raises(CameraLostError):
        ImageFolderSource(tmp_path).read()


def test_an_image_folder_plays_in_name_order_and_loops(tmp_path: Path) -> None:
    for name, image in zip(["b.png", "a.png", "c.jpg"], frames(3), strict=True):
        cv2.imwrite(str(tmp_path / name), image)
    (tmp_path / "notes.txt").write_text("not an image", encoding="utf-8")
    source = ImageFolderSource(tmp_path)
    source.open()
    assert [brightness(source.read()) for _ in range(4)] == pytest.approx([80, 40, 120, 80], abs=2)
    source.close()


def test_an_image_folder_without_loop_runs_out(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "only.png"), frames(1)[0])
    source = ImageFolderSource(tmp_path, loop=False)
    source.open()
    source.read()
    with pytest.raises(CameraLostError, match="no more images"):
        source.read()


def test_an_unreadable_image_loses_the_camera(tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"\x89PNG garbage")
    source = ImageFolderSource(tmp_path)
    source.open()
    with pytest.raises(CameraLostError, match="cannot read"):
        source.read()


def test_an_empty_or_missing_folder_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(CameraUnavailableError, match="no images"):
        ImageFolderSource(tmp_path).open()
    with pytest.raises(CameraUnavailableError, match="no folder"):
        ImageFolderSource(tmp_path / "missing").open()


def test_a_v4l2_device_that_is_not_there_is_unavailable() -> None:
    source = V4l2Source(63)  # no /dev/video63 on a test machine
    with pytest.raises(CameraUnavailableError, match="/dev/video63"):
        source.open()
    with pytest.raises(CameraLostError):
        source.read()


def test_files_can_replay_at_the_camera_rate() -> None:
    pacer = FramePacer(fps=50.0)
    started = time.monotonic()
    for _ in range(6):
        pacer.wait()
    assert time.monotonic() - started >= 5 / 50 * 0.9
    with pytest.raises(ValueError, match="positive"):
        FramePacer(fps=0)
