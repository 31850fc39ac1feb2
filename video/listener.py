"""What the call tells its user interface: one listener with a no-op default per event.

A Qt view model subclasses :class:`CallListener` and overrides what it shows;
every method is called on the event loop, promptly, and must not block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from video.channel import Chat, Push, Quality, QualityLevel
    from video.receiver import RemoteFrame
    from video.state import CallState


class CallListener:
    """No-op callbacks; override the ones the UI needs."""

    def state_changed(self, state: CallState) -> None:
        """The call moved to ``state`` (idle, requesting, queued, connected...)."""

    def chat_received(self, chat: Chat) -> None:
        """A chat line from the agent: show it in the chat and as a caption."""

    def push_received(self, push: Push) -> None:
        """The agent pushed a link, a QR code or a form to show."""

    def remote_quality(self, quality: Quality) -> None:
        """The agent's side changed what it sends."""

    def local_quality(self, level: QualityLevel, reason: str) -> None:
        """The kiosk changed what it sends (adaptation)."""

    def capture_done(self, transfer_id: str, ok: bool, code: str | None) -> None:
        """A still requested by the agent was sent (or could not be taken)."""

    def print_done(self, transfer_id: str, ok: bool, code: str | None) -> None:
        """A document sent by the agent was printed (or not)."""

    def curtain(self, on: bool) -> None:
        """The agent covered the citizen's screen (the citizen stepped away), or not."""

    def remote_frame(self, frame: RemoteFrame) -> None:
        """A fresh decoded frame of the agent's camera (called for every shown frame)."""
