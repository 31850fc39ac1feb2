"""A second lock on the e-service's allow-list: frames, as the profile's network sees them.

The web view refuses a main-frame navigation off the allow-list with a message
(``EServiceView.qml``), but a page's embedded frames (``<iframe>``) never pass
through that check. The profile's request interceptor sees every request the
pages make; it blocks any frame document, main or embedded, whose address the
allow-list refuses, before a byte is sent. Images, scripts and styles of an
allowed page may still come from elsewhere (an agency's CDN): they cannot take
the citizen off the service.

Imported only when the first e-service profile is made: a kiosk whose citizens
never open an e-service never loads WebEngine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtWebEngineCore import QWebEngineUrlRequestInfo, QWebEngineUrlRequestInterceptor

from kiosk.eservices.policy import origin_of

log = logging.getLogger(__name__)
_Type = QWebEngineUrlRequestInfo.ResourceType
FRAME_TYPES = frozenset(
    {
        _Type.ResourceTypeMainFrame,
        _Type.ResourceTypeSubFrame,
        _Type.ResourceTypeNavigationPreloadMainFrame,
        _Type.ResourceTypeNavigationPreloadSubFrame,
    }
)


class FrameGuard(QWebEngineUrlRequestInterceptor):
    """Blocks every frame document the allow-list refuses (called on the UI thread)."""

    def __init__(self, allows: Callable[[str], bool]) -> None:
        super().__init__()
        self._allows = allows
        self.blocked = 0

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 (Qt API)
        if info.resourceType() not in FRAME_TYPES:
            return
        url = info.requestUrl().toString()
        if not self._allows(url):
            info.block(True)
            self.blocked += 1
            # The origin only: a path or a query may carry the citizen's data.
            log.info("e-service frame refused: %s", origin_of(url) or "(no origin)")
