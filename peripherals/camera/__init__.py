"""The document camera port: find the page, flatten it, capture it once, make a PDF.

Faces: :class:`DocumentCamera` (the protocol), :class:`OpenCvDocumentCamera`
(the real adapter over a V4L2 device, a video file or an image folder) and
:class:`SimulatedDocumentCamera` (a synthetic desk with failure knobs). The
pipeline, the auto-capture and the document are plain, testable modules.
"""

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
