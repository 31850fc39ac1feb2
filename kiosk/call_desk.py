"""The citizen's side of a call to a person, as the screen shows it (no Qt here).

The video engine (``video``) reports what happens on the network; this desk
keeps one immutable :class:`CallView` of it that the call overlay draws, and
forwards the citizen's gestures to the engine. The view holds captions and
pushed links only for the length of the call: :meth:`CallDesk.wipe` forgets
everything, like the rest of the session.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

from kiosk.i18n import Language

log = logging.getLogger(__name__)
MAX_CAPTIONS = 50  # the overlay shows the last few; older lines are gone for good
MAX_CHAT_CHARS = 1_000  # the data channel's limit (docs/VIDEO.md)


class CallPhase(StrEnum):
    """Where the citizen stands, in the order a call usually goes."""

    IDLE = "idle"  # not asked yet: the overlay offers to call (and to share answers)
    REQUESTING = "requesting"  # asking the back end
    QUEUED = "queued"  # waiting, with position and estimate
    CONNECTING = "connecting"  # an agent accepted; media is being set up
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"  # the link dropped; the kiosk is rebuilding it
    CALLBACK = "callback"  # no agent now: choose a time slot
    CALLBACK_BOOKED = "callback_booked"
    ENDED = "ended"
    FAILED = "failed"  # the call could not be placed; the help desk is shown instead


Sender = Literal["agent", "citizen"]
Quality = Literal["full", "reduced", "audio_only", "chat_only"]


@dataclass(frozen=True)
class Caption:
    """One chat line; the agent's lines double as captions for citizens who hear poorly."""

    sender: Sender
    text: str


@dataclass(frozen=True)
class Pushed:
    """A link, QR code or form the agent put on the kiosk screen."""

    kind: Literal["link", "qr", "form"]
    title: str
    url: str = ""
    form_id: str = ""


@dataclass(frozen=True)
class CallView:
    """Everything the call overlay shows, as one value."""

    phase: CallPhase = CallPhase.IDLE
    position: int = 0
    wait_minutes: int = 0
    agent_name: str = ""
    captions: tuple[Caption, ...] = ()
    pushed: Pushed | None = None
    quality: Quality = "full"
    microphone_muted: bool = False
    camera_muted: bool = False
    callback_slots: tuple[datetime, ...] = ()
    callback_reason: str = ""
    callback_slot: datetime | None = None
    callback_reference: str = ""
    error_code: str = ""
    outcome: str = ""
    share_context: bool = False
    # The agent saw the citizen step away: the screen is covered until they touch it.
    curtain: bool = False


class CallEngine(Protocol):
    """What the desk needs from the video engine; ``video.kiosk`` provides it."""

    async def request(self, language: Language, service_id: str | None, share: bool) -> None:
        """Ask for a person; events come back through the desk's handlers."""

    async def cancel(self) -> None:
        """Leave the queue, or hang up a call in progress."""

    async def send_chat(self, text: str) -> None:
        """Send one chat line to the agent."""

    async def book_callback(self, slot: datetime, phone: str) -> None:
        """Book the chosen slot."""

    def set_muted(self, *, microphone: bool, camera: bool) -> None:
        """Stop or resume sending the microphone and the camera."""

    def lift_curtain(self) -> None:
        """The citizen is back and touched the curtain: tell the agent."""


@dataclass
class CallDesk:
    """Holds the :class:`CallView` and turns engine events into new views."""

    on_change: Callable[[CallView], None] = lambda _view: None
    view: CallView = field(default_factory=CallView)

    # -- engine events --------------------------------------------------------
    def requesting(self, *, share_context: bool) -> None:
        self._set(replace(CallView(), phase=CallPhase.REQUESTING, share_context=share_context))

    def queued(self, position: int, estimated_wait_s: int) -> None:
        if self.view.phase in (CallPhase.REQUESTING, CallPhase.QUEUED):
            # Round up: "about 1 minute" is more honest than "0 minutes" for 20 s.
            minutes = max(1, math.ceil(estimated_wait_s / 60)) if estimated_wait_s else 0
            self._set(
                replace(self.view, phase=CallPhase.QUEUED, position=position, wait_minutes=minutes)
            )

    def accepted(self, agent_name: str) -> None:
        self._set(replace(self.view, phase=CallPhase.CONNECTING, agent_name=agent_name))

    def connected(self) -> None:
        if self.view.phase in (CallPhase.CONNECTING, CallPhase.RECONNECTING):
            self._set(replace(self.view, phase=CallPhase.CONNECTED))

    def reconnecting(self) -> None:
        if self.view.phase is CallPhase.CONNECTED:
            self._set(replace(self.view, phase=CallPhase.RECONNECTING))

    def caption(self, sender: Sender, text: str) -> None:
        captions = (*self.view.captions, Caption(sender, text))[-MAX_CAPTIONS:]
        self._set(replace(self.view, captions=captions))

    def pushed(self, item: Pushed) -> None:
        self._set(replace(self.view, pushed=item))

    def quality(self, level: Quality) -> None:
        self._set(replace(self.view, quality=level))

    def callback_offered(self, reason: str, slots: tuple[datetime, ...]) -> None:
        self._set(
            replace(
                self.view, phase=CallPhase.CALLBACK, callback_reason=reason, callback_slots=slots
            )
        )

    def callback_booked(self, slot: datetime, reference: str) -> None:
        self._set(
            replace(
                self.view,
                phase=CallPhase.CALLBACK_BOOKED,
                callback_slot=slot,
                callback_reference=reference,
            )
        )

    def ended(self, outcome: str) -> None:
        if self.view.phase not in (CallPhase.IDLE, CallPhase.FAILED, CallPhase.CALLBACK_BOOKED):
            self._set(replace(self.view, phase=CallPhase.ENDED, outcome=outcome))

    def failed(self, error_code: str) -> None:
        log.warning("call failed: %s", error_code)
        self._set(replace(self.view, phase=CallPhase.FAILED, error_code=error_code))

    # -- citizen gestures -----------------------------------------------------
    def muted(self, *, microphone: bool, camera: bool) -> None:
        self._set(replace(self.view, microphone_muted=microphone, camera_muted=camera))

    def dismiss_pushed(self) -> None:
        self._set(replace(self.view, pushed=None))

    @property
    def in_call(self) -> bool:
        """True while the citizen is queued or talking: closing must hang up first."""
        return self.view.phase in (
            CallPhase.REQUESTING,
            CallPhase.QUEUED,
            CallPhase.CONNECTING,
            CallPhase.CONNECTED,
            CallPhase.RECONNECTING,
        )

    @property
    def curtained(self) -> bool:
        """Whether the citizen's screen is covered (only ever during a call)."""
        return self.view.curtain and self.in_call

    def curtain(self, on: bool) -> None:
        """The agent covered the screen (the citizen stepped away), or it was lifted."""
        self._set(replace(self.view, curtain=on))

    def wipe(self) -> None:
        """Forget the call: captions, pushed links and the callback go with the session."""
        self._set(CallView())

    def _set(self, view: CallView) -> None:
        self.view = view
        self.on_change(view)


def chat_text(typed: str) -> str | None:
    """The line to send, or None when there is nothing to send (blank) ."""
    text = " ".join(typed.split())
    if not text:
        return None
    return text[:MAX_CHAT_CHARS]
