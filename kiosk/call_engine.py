"""The video engine behind the call overlay: ``video.call.Call`` seen by a :class:`CallDesk`.

This is the only place where the kiosk meets the video package: it turns the
call's states, chat lines, pushed links and frames into the desk's events,
and the citizen's gestures into calls on the ``Call``. What the citizen filled
in goes to the agent only if they said yes (``share``), and only as the
label/value pairs they saw on screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from kiosk.call_desk import CallDesk, Pushed, Quality
from kiosk.i18n import Language, Strings
from kiosk.journey import Journey, Step
from kiosk.presenters import review_rows
from video.call import Call
from video.channel import Chat, Curtain, Push, QualityLevel
from video.channel import Quality as QualityNotice
from video.listener import CallListener
from video.receiver import RemoteFrame
from video.signaling import MAX_CONTEXT_FIELDS, CallContext, HangupOutcome
from video.state import CallState, Phase

log = logging.getLogger(__name__)
FrameSink = Callable[[RemoteFrame], None]
ContextSource = Callable[[], CallContext]

_LEVELS: dict[QualityLevel, Quality] = {
    QualityLevel.FULL: "full",
    QualityLevel.REDUCED: "reduced",
    QualityLevel.AUDIO_ONLY: "audio_only",
    QualityLevel.CHAT_ONLY: "chat_only",
}
# Outcomes that mean "the call could not be placed" rather than "it ended".
_FAILURES = {"failed", "connection_lost"}


class VideoCallEngine(CallListener):
    """Implements :class:`~kiosk.call_desk.CallEngine` over one :class:`~video.call.Call`."""

    def __init__(self, desk: CallDesk, context: ContextSource) -> None:
        self._desk = desk
        self._context = context
        self._call: Call | None = None
        self._frame_sink: FrameSink | None = None
        self._was_live = False

    def attach(self, call: Call) -> None:
        """The call this engine drives (made after the engine, as it needs its listener)."""
        self._call = call

    def show_frames_on(self, sink: FrameSink | None) -> None:
        """Where remote frames go (the overlay's video view), or nowhere."""
        self._frame_sink = sink

    @property
    def call(self) -> Call:
        if self._call is None:
            raise RuntimeError("the engine has no call attached")
        return self._call

    # -- CallEngine: the citizen's gestures ------------------------------------
    async def request(self, language: Language, service_id: str | None, share: bool) -> None:
        self._was_live = False
        await self.call.request(
            language, service_id=service_id, context=self._context() if share else None
        )

    async def cancel(self) -> None:
        if self.call.state.phase in (Phase.CONNECTING, Phase.CONNECTED, Phase.RECONNECTING):
            await self.call.hang_up(HangupOutcome.CITIZEN_LEFT)
        elif self.call.state.phase is not Phase.ENDED:
            await self.call.cancel()

    async def send_chat(self, text: str) -> None:
        try:
            self.call.send_chat(text)
        except ConnectionError:
            # The line is already on screen as sent; say plainly that it did not go.
            log.info("chat line not sent: the data channel is closed")

    async def book_callback(self, slot: datetime, phone: str) -> None:
        await self.call.book_callback(slot, phone)

    def set_muted(self, *, microphone: bool, camera: bool) -> None:
        self.call.mute_microphone(microphone)
        self.call.mute_camera(camera)

    def lift_curtain(self) -> None:
        self.call.session.send(Curtain(on=False))

    # -- CallListener: what the network says -----------------------------------
    def state_changed(self, state: CallState) -> None:
        desk = self._desk
        match state.phase:
            case Phase.QUEUED:
                desk.queued(state.position or 0, state.estimated_wait_s or 0)
            case Phase.CALLBACK_OFFERED:
                desk.callback_offered(state.callback_reason or "closed", state.slots)
            case Phase.CONNECTING:
                desk.accepted(state.agent_name or "")
            case Phase.CONNECTED:
                self._was_live = True
                desk.connected()
            case Phase.RECONNECTING:
                desk.reconnecting()
            case Phase.ENDED:
                self._ended(state)
            case _:
                pass

    def chat_received(self, chat: Chat) -> None:
        self._desk.caption("agent", chat.text)

    def curtain(self, on: bool) -> None:
        self._desk.curtain(on)

    def push_received(self, push: Push) -> None:
        self._desk.pushed(
            Pushed(kind=push.kind, title=push.title, url=push.url or "", form_id=push.form_id or "")
        )

    def remote_quality(self, quality: QualityNotice) -> None:
        self._desk.quality(_LEVELS[quality.level])

    def local_quality(self, level: QualityLevel, reason: str) -> None:
        self._desk.quality(_LEVELS[level])

    def remote_frame(self, frame: RemoteFrame) -> None:
        sink = self._frame_sink
        if sink is not None:
            sink(frame)

    def _ended(self, state: CallState) -> None:
        outcome = state.outcome or ""
        if outcome == "callback_booked" and state.callback_slot is not None:
            self._desk.callback_booked(state.callback_slot, state.callback_reference or "")
        elif outcome in _FAILURES and not self._was_live:
            self._desk.failed("call.unavailable")
        elif outcome.startswith(("call.", "signal.")):
            self._desk.failed(outcome)  # the hub refused the request: its code says why
        else:
            self._desk.ended(outcome)


def journey_context(journey: Journey, strings: Strings) -> CallContext:
    """What the citizen has done so far, as they saw it, for the agent (with consent only).

    Empty answers are left out: the agent needs what is known, not the blanks.
    """
    session = journey.session
    if session.service_id is None:
        return CallContext(step=journey.step.value)
    service = journey.service
    rows = review_rows(service, session, strings)
    blank = strings.text("review.not_given", session.language)
    fields = [
        (str(row["label"])[:80], str(row["value"])[:500])
        for row in rows
        if row["value"] and row["value"] != blank
    ]
    page = session.eservice_page
    if journey.step is Step.ESERVICE and page is not None:
        # Help asked from the web view: the agent opens the same page.
        label = strings.text("eservice.context_page", session.language)
        fields.insert(0, (label[:80], f"{page[0]} — {page[1]}"[:500]))
    fields = fields[:MAX_CONTEXT_FIELDS]
    return CallContext(agency_id=service.agency, step=journey.step.value, fields=fields)
