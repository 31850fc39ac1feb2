"""Errors of the document camera port; ``code`` is the translation key the UI shows.

Two families: the camera itself failing (unavailable, lost, blank), and a page
being refused (no page, blurry, glare, already scanned). The second family is
what the citizen can fix, so its messages say how.
"""

from __future__ import annotations

from peripherals.errors import DeviceError


class CameraError(DeviceError):
    """Any document camera failure."""

    code = "camera.error"


class CameraUnavailableError(CameraError):
    """The camera cannot be opened, was not started, or was closed."""

    code = "camera.unavailable"


class CameraLostError(CameraError):
    """The camera stopped delivering frames (unplugged, driver crash, end of a video file)."""

    code = "camera.lost"


class CameraBlankError(CameraError):
    """The camera delivers a uniform frame (lens covered, lamp off): found by the self-test."""

    code = "camera.blank"


class PageRefusedError(CameraError):
    """A capture was refused because of the page, not the camera; the citizen can fix it."""

    code = "camera.refused"


class NoPageError(PageRefusedError):
    """No page (or only part of one) is in view."""

    code = "camera.no_page"


class PageBlurryError(PageRefusedError):
    """The page is out of focus or moved during the capture."""

    code = "camera.blurry"


class PageGlareError(PageRefusedError):
    """A reflection washes out part of the page."""

    code = "camera.glare"


class DuplicatePageError(PageRefusedError):
    """This page was already scanned in the current document."""

    code = "camera.duplicate"
