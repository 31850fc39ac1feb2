"""The call overlay's view model: the :class:`~kiosk.call_desk.CallView` for QML.

Remote video does not go through properties: frames are handed straight to
the overlay's :class:`~kiosk.ui.video_view.VideoView`, on the UI thread, so 30
frames a second never re-evaluate a binding.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.call_desk import CallDesk, CallEngine, CallPhase, CallView, chat_text
from kiosk.dates import format_slot
from kiosk.i18n import Language, Strings
from kiosk.qr import qr_data_url
from kiosk.ui.video_view import VideoView

if TYPE_CHECKING:  # the video stack loads only when a call is configured
    from video.receiver import RemoteFrame

log = logging.getLogger(__name__)
PHONE_DIGITS = 15  # E.164 allows 15 digits; a keypad that takes more only invites mistakes


class CallViewModel(QObject):
    """State and gestures of the "talk to a person" overlay."""

    changed = Signal()
    phoneChanged = Signal()

    def __init__(
        self,
        desk: CallDesk,
        engine: CallEngine | None,
        strings: Strings,
        language: Callable[[], Language],
        service_id: Callable[[], str | None],
    ) -> None:
        super().__init__()
        self._desk = desk
        self._engine = engine
        self._strings = strings
        self._language = language
        self._service_id = service_id
        self._view_item: VideoView | None = None
        self._phone = ""
        self._tasks: set[asyncio.Task[None]] = set()
        self._request_hooks: list[Callable[[], None]] = []
        desk.on_change = self._on_view

    def add_request_hook(self, hook: Callable[[], None]) -> None:
        """Also run ``hook`` when the citizen places a call (the figures count escalations)."""
        self._request_hooks.append(hook)

    # -- properties --------------------------------------------------------
    @property
    def _view(self) -> CallView:
        return self._desk.view

    available = Property(bool, lambda self: self._engine is not None, constant=True)
    phase = Property(str, lambda self: self._view.phase.value, notify=changed)
    inCall = Property(bool, lambda self: self._desk.in_call, notify=changed)
    position = Property(int, lambda self: self._view.position, notify=changed)
    waitMinutes = Property(int, lambda self: self._view.wait_minutes, notify=changed)
    agentName = Property(str, lambda self: self._view.agent_name, notify=changed)
    # The citizen agreed to hand the agent their context (answers, the e-service page shown).
    shareContext = Property(bool, lambda self: self._view.share_context, notify=changed)
    quality = Property(str, lambda self: self._view.quality, notify=changed)
    microphoneMuted = Property(bool, lambda self: self._view.microphone_muted, notify=changed)
    cameraMuted = Property(bool, lambda self: self._view.camera_muted, notify=changed)
    callbackReference = Property(str, lambda self: self._view.callback_reference, notify=changed)
    curtain = Property(bool, lambda self: self._desk.curtained, notify=changed)
    phone = Property(str, lambda self: self._phone, notify=phoneChanged)

    def _get_captions(self) -> list[dict[str, str]]:
        return [{"sender": line.sender, "text": line.text} for line in self._view.captions]

    captions = Property(list, _get_captions, notify=changed)

    def _get_pushed(self) -> dict[str, str]:
        item = self._view.pushed
        if item is None:
            return {}
        qr = ""
        if item.url:
            try:
                qr = qr_data_url(item.url)
            except ValueError:
                log.warning("pushed link too long for a QR code; shown as text only")
        return {"kind": item.kind, "title": item.title, "url": item.url, "qr": qr}

    pushed = Property(dict, _get_pushed, notify=changed)

    def _get_slots(self) -> list[dict[str, Any]]:
        lang = self._language()
        return [
            {"index": index, "label": format_slot(slot, lang)}
            for index, slot in enumerate(self._view.callback_slots)
        ]

    callbackSlots = Property(list, _get_slots, notify=changed)

    def _get_booked(self) -> str:
        slot = self._view.callback_slot
        return format_slot(slot, self._language()) if slot is not None else ""

    callbackBooked = Property(str, _get_booked, notify=changed)

    def _get_error(self) -> str:
        code = self._view.error_code
        if not code:
            return ""
        key = code if self._strings.has(code) else "call.failed"
        return self._strings.text(key, self._language())

    errorText = Property(str, _get_error, notify=changed)

    # -- gestures --------------------------------------------------------------
    @Slot(bool)
    def call(self, share: bool) -> None:
        """Place the call; ``share`` is the citizen's consent to hand over their answers."""
        if self._engine is None or self._desk.in_call:
            return
        self._desk.requesting(share_context=share)
        for hook in self._request_hooks:
            hook()
        engine = self._engine
        self._spawn(engine.request(self._language(), self._service_id(), share))

    @Slot()
    def hangUp(self) -> None:
        """Leave the queue or end the call; the citizen's paperwork is kept."""
        if self._engine is not None and self._desk.in_call:
            self._desk.ended("citizen_left")
            self._spawn(self._engine.cancel())

    @Slot(str)
    def sendChat(self, typed: str) -> None:
        """A chat line or quick reply from the citizen."""
        text = chat_text(typed)
        if text is None or self._engine is None or self._view.phase is not CallPhase.CONNECTED:
            return
        self._desk.caption("citizen", text)
        self._spawn(self._engine.send_chat(text))

    @Slot()
    def toggleMicrophone(self) -> None:
        self._set_muted(microphone=not self._view.microphone_muted, camera=self._view.camera_muted)

    @Slot()
    def toggleCamera(self) -> None:
        self._set_muted(microphone=self._view.microphone_muted, camera=not self._view.camera_muted)

    @Slot(str)
    def pressKey(self, key: str) -> None:
        """The phone keypad: a digit, or "back" to erase one."""
        if key == "back":
            self._phone = self._phone[:-1]
        elif key.isdigit() and len(key) == 1 and len(self._phone) < PHONE_DIGITS:
            self._phone += key
        self.phoneChanged.emit()

    @Slot(int)
    def bookCallback(self, index: int) -> None:
        """Book the slot at ``index`` with the number typed on the keypad."""
        slots = self._view.callback_slots
        if self._engine is None or not 0 <= index < len(slots) or len(self._phone) < 10:
            return
        self._spawn(self._engine.book_callback(slots[index], self._phone))

    @Slot()
    def liftCurtain(self) -> None:
        """The citizen is back and touched the curtain: the screen shows again."""
        if not self._desk.curtained:
            return
        self._desk.curtain(False)
        if self._engine is not None:
            self._engine.lift_curtain()

    @Slot()
    def dismissPushed(self) -> None:
        self._desk.dismiss_pushed()

    @Slot()
    def close(self) -> None:
        """Back to the paperwork; a call still running is hung up first."""
        self.wipe()

    def wipe(self) -> None:
        """Nothing of the call survives: view, captions, typed phone number, last frame.

        A call still going is hung up: the next citizen must not inherit it.
        """
        for task in list(self._tasks):
            task.cancel()
        if self._engine is not None and self._desk.in_call:
            self._spawn(self._engine.cancel())
        self._phone = ""
        self._desk.wipe()
        self.phoneChanged.emit()
        if self._view_item is not None:
            self._view_item.clear()

    # -- video -------------------------------------------------------------------
    def attach_view(self, view: VideoView) -> None:
        """The item in the overlay where remote frames go."""
        self._view_item = view

    def show_frame(self, frame: RemoteFrame) -> None:
        """Show one remote frame; call on the UI thread."""
        if self._view_item is not None:
            self._view_item.show_frame(frame)

    # -- internals ---------------------------------------------------------------
    def _set_muted(self, *, microphone: bool, camera: bool) -> None:
        if self._engine is None:
            return
        self._engine.set_muted(microphone=microphone, camera=camera)
        self._desk.muted(microphone=microphone, camera=camera)

    def _on_view(self, _view: CallView) -> None:
        self.changed.emit()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call step failed", exc_info=task.exception())
            self._desk.failed("call.failed")

    def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
