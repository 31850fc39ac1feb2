"""The document camera port: find the page, flatten it, capture it once, make a PDF.

Faces: :class:`DocumentCamera` (the protocol), :class:`OpenCvDocumentCamera`
(the real adapter over a V4L2 device, a video file or an image folder) and
:class:`SimulatedDocumentCamera` (a synthetic desk with failure knobs). The
pipeline, the auto-capture and the document are plain, testable modules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Loaded on first use: OpenCV and NumPy cost a kiosk about 30 MB, and a kiosk whose
# citizens never scan (nor call) should not pay for them.
_HOMES = {
    "OpenCvDocumentCamera": "peripherals.camera.adapter",
    "AutoCapture": "peripherals.camera.autocapture",
    "CapturePolicy": "peripherals.camera.autocapture",
    "Decision": "peripherals.camera.autocapture",
    "Observation": "peripherals.camera.autocapture",
    "ScannedDocument": "peripherals.camera.document",
    "decode_jpeg": "peripherals.camera.document",
    "encode_jpeg": "peripherals.camera.document",
    "CameraBlankError": "peripherals.camera.errors",
    "CameraError": "peripherals.camera.errors",
    "CameraLostError": "peripherals.camera.errors",
    "CameraUnavailableError": "peripherals.camera.errors",
    "DuplicatePageError": "peripherals.camera.errors",
    "NoPageError": "peripherals.camera.errors",
    "PageBlurryError": "peripherals.camera.errors",
    "PageGlareError": "peripherals.camera.errors",
    "PageRefusedError": "peripherals.camera.errors",
    "Guidance": "peripherals.camera.model",
    "Preview": "peripherals.camera.model",
    "ScannedPage": "peripherals.camera.model",
    "outlined": "peripherals.camera.overlay",
    "calibrate": "peripherals.camera.pipeline",
    "inspect": "peripherals.camera.pipeline",
    "scan": "peripherals.camera.pipeline",
    "DocumentCamera": "peripherals.camera.protocol",
    "Calibration": "peripherals.camera.quality",
    "SimulatedDocumentCamera": "peripherals.camera.simulator",
    "FrameSource": "peripherals.camera.sources",
    "ImageFolderSource": "peripherals.camera.sources",
    "V4l2Source": "peripherals.camera.sources",
    "VideoFileSource": "peripherals.camera.sources",
}

if TYPE_CHECKING:
    from peripherals.camera.adapter import OpenCvDocumentCamera
    from peripherals.camera.autocapture import AutoCapture, CapturePolicy, Decision, Observation
    from peripherals.camera.document import ScannedDocument, decode_jpeg, encode_jpeg
    from peripherals.camera.errors import (
        CameraBlankError,
        CameraError,
        CameraLostError,
        CameraUnavailableError,
        DuplicatePageError,
        NoPageError,
        PageBlurryError,
        PageGlareError,
        PageRefusedError,
    )
    from peripherals.camera.model import Guidance, Preview, ScannedPage
    from peripherals.camera.overlay import outlined
    from peripherals.camera.pipeline import calibrate, inspect, scan
    from peripherals.camera.protocol import DocumentCamera
    from peripherals.camera.quality import Calibration
    from peripherals.camera.simulator import SimulatedDocumentCamera
    from peripherals.camera.sources import (
        FrameSource,
        ImageFolderSource,
        V4l2Source,
        VideoFileSource,
    )


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` when it is first asked for."""
    try:
        home = _HOMES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return getattr(importlib.import_module(home), name)


__all__ = [
    "AutoCapture",
    "Calibration",
    "CameraBlankError",
    "CameraError",
    "CameraLostError",
    "CameraUnavailableError",
    "CapturePolicy",
    "Decision",
    "DocumentCamera",
    "DuplicatePageError",
    "FrameSource",
    "Guidance",
    "ImageFolderSource",
    "NoPageError",
    "Observation",
    "OpenCvDocumentCamera",
    "PageBlurryError",
    "PageGlareError",
    "PageRefusedError",
    "Preview",
    "ScannedDocument",
    "ScannedPage",
    "SimulatedDocumentCamera",
    "V4l2Source",
    "VideoFileSource",
    "calibrate",
    "decode_jpeg",
    "encode_jpeg",
    "inspect",
    "outlined",
    "scan",
]
