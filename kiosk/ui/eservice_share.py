"""The e-service page shared with the agent during a call asked from it.

When a call is live while the citizen has an e-service open (and agreed to share
their context with the agent), the web view is shared as the call's second video:
masked by the page's own report of its sensitive fields
(``window.__vgSensitiveRects()``, polled every :data:`MASK_POLL_S`, the whole view
when the answer is missing or late) and by the on-screen keyboard's area whenever
it is up (its highlighted keys would spell a password typed into the page). The
agent's pointer is drawn on the web view; a link the agent pushes opens only if
the service's allow-list accepts it. The share stops when the call ends, when the
e-service closes, and at the wipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Property, QObject, QRectF, Signal
from PySide6.QtQuick import QQuickItem

from kiosk.ui.screen_share import AgentPointer, ScreenShareSource, WebSensitiveRects, all_of
from video.screen_share import MaskReport, Rect, ShareBinding

if TYPE_CHECKING:
    from kiosk.ui.call_viewmodel import CallViewModel
    from kiosk.ui.eservice_viewmodel import EServiceViewModel
    from video.call import Call

log = logging.getLogger(__name__)
MASK_POLL_S = 0.1  # well inside WebSensitiveRects' 250 ms: a late answer masks the whole page
LIVE_PHASES = ("connected", "reconnecting")


class KeyboardMask:
    """The on-screen keyboard's area over the shared item, while the keyboard is up."""

    def __init__(self, item: QQuickItem, keyboard: QQuickItem | None) -> None:
        self._item = item
        self._keyboard = keyboard

    def __call__(self) -> MaskReport:
        keyboard = self._keyboard
        if keyboard is None or not keyboard.isVisible():
            return MaskReport()
        box = keyboard.mapRectToItem(self._item, QRectF(0, 0, keyboard.width(), keyboard.height()))
        return MaskReport((Rect(box.x(), box.y(), box.width(), box.height()),))


class EServiceShare(QObject):
    """Starts and stops the e-service page's share with the call's phase and the page.

    QML context property ``share``: ``active`` (notify ``activeChanged``) docks the
    call beside the page and shows the citizen that the agent sees it.
    """

    activeChanged = Signal()

    def __init__(
        self,
        eservice: EServiceViewModel,
        call_vm: CallViewModel,
        call: Call,
        keyboard: Callable[[], QQuickItem | None],
        pointer_label: Callable[[], str],
    ) -> None:
        super().__init__()
        self._eservice = eservice
        self._call_vm = call_vm
        self._call = call
        self._keyboard = keyboard
        self._pointer_label = pointer_label
        self._item: QQuickItem | None = None
        self._poller: asyncio.Task[None] | None = None
        self._pointer: AgentPointer | None = None
        self._binding: ShareBinding | None = None
        call_vm.changed.connect(self._follow)
        eservice.itemChanged.connect(self._follow)
        eservice.pageChanged.connect(self._page_changed)

    active = Property(bool, lambda self: self._item is not None, notify=activeChanged)

    @property
    def pointer(self) -> AgentPointer | None:
        """The agent's pointer on the shared page while sharing (tests read its overlay)."""
        return self._pointer

    def _wanted(self) -> QQuickItem | None:
        """The web view to share now, if a live call and the citizen's consent allow it."""
        vm = self._call_vm
        if vm.property("phase") not in LIVE_PHASES or not vm.property("shareContext"):
            return None
        item = self._eservice.property("eserviceItem")
        return item if isinstance(item, QQuickItem) else None

    def _follow(self) -> None:
        item = self._wanted()
        if item is self._item:
            return
        self.stop()
        if item is not None:
            self._start(item)

    def _start(self, item: QQuickItem) -> None:
        eservice = self._eservice
        page = WebSensitiveRects(
            self._rects_of_page,
            lambda: QRectF(0, 0, item.width(), item.height()),
            css_scale=lambda: float(item.property("zoomFactor") or 1.0),
        )
        self._poller = asyncio.ensure_future(page.run(MASK_POLL_S))
        source = ScreenShareSource(item, all_of(page, KeyboardMask(item, self._keyboard())))
        self._pointer = AgentPointer(item, self._pointer_label)
        self._item = item
        self._binding = ShareBinding(
            source=source,
            title=eservice.property("currentTitle") or None,
            url=eservice.property("currentUrl") or None,
            allows_url=eservice.allows,
            open_url=eservice.openUrl,
            show_pointer=self._pointer.show,
        )
        self._call.start_share(self._binding)
        log.info("the e-service page is shared with the agent")
        self.activeChanged.emit()

    async def _rects_of_page(self, _script: str) -> Any:
        found = await self._eservice.sensitive_rects()
        return None if found is None else found.get("rects")

    def _page_changed(self) -> None:
        # The agent's context follows the page: the same share, announced again.
        if self._binding is None:
            return
        eservice = self._eservice
        self._binding = dataclasses.replace(
            self._binding,
            title=eservice.property("currentTitle") or None,
            url=eservice.property("currentUrl") or None,
        )
        self._call.session.set_share(self._binding)

    def stop(self) -> None:
        """Stop sharing (the call's end, the e-service closed, the wipe)."""
        if self._item is None:
            return
        self._item = None
        self._binding = None
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        with contextlib.suppress(Exception):  # a call already torn down has nothing to stop
            self._call.stop_share()
        if self._pointer is not None:
            self._pointer.deleteLater()
            self._pointer = None
        log.info("the e-service page is no longer shared")
        self.activeChanged.emit()
