"""One WebSocket peer of the hub: serialised sends, bounded reads, patience with bad frames."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from video.signaling import (
    MAX_ERROR_MESSAGE_CHARS,
    ErrorMessage,
    SignalingError,
    SignalMessage,
    dump_signal,
    parse_signal,
)

# A peer that sends this many bad frames in a row is broken or hostile: close 1008.
MAX_BAD_FRAMES = 10
# Frames per second a peer may send, and the burst it may save up. A console or a
# kiosk sends a few per call (SDP, ICE is in the SDP); a flood is answered
# ``signal.rate_limited`` and dropped, and a peer that keeps flooding is closed 1008.
RATE_PER_S = 20.0
RATE_BURST = 60.0
MAX_RATE_REFUSALS = 50
POLICY_VIOLATION = 1008
# The socket's credential was revoked (application range 4000-4999; 4401 echoes HTTP 401).
CREDENTIAL_REVOKED = 4401
_log = logging.getLogger(__name__)


class PeerClosedError(Exception):
    """The socket is gone (closed by the peer or by the hub)."""


class Peer:
    """A socket the hub reads messages from and writes messages to."""

    def __init__(self, websocket: WebSocket, credential_hash: str | None = None) -> None:
        self.websocket = websocket
        # The SHA-256 of the token a kiosk connected with: checked again while it stays.
        self.credential_hash = credential_hash
        self._send_lock = asyncio.Lock()
        self._bad_frames = 0
        self._allowance = RATE_BURST
        self._allowance_at = time.monotonic()
        self._rate_refusals = 0

    async def send_text(self, text: str) -> None:
        """Send one frame; concurrent senders (relay, tick) take turns."""
        async with self._send_lock:
            if self.websocket.application_state != WebSocketState.CONNECTED:
                raise PeerClosedError
            await self.websocket.send_text(text)

    async def send(self, message: SignalMessage) -> None:
        """Send one message; a closed socket is ignored (its handler is ending anyway)."""
        try:
            await self.send_text(dump_signal(message))
        except (PeerClosedError, WebSocketDisconnect, RuntimeError):
            _log.debug("message to a closed socket dropped")

    async def error(self, code: str, message: str) -> None:
        """Answer a refused message with an ``error`` (the text is cut to the schema's limit)."""
        await self.send(ErrorMessage(code=code, message=message[:MAX_ERROR_MESSAGE_CHARS]))

    async def receive(self) -> SignalMessage:
        """The next valid message. Bad frames are answered ``error`` and skipped.

        Raises :class:`PeerClosedError` when the socket closes, or after too many
        bad frames in a row (then the hub closes it with 1008).
        """
        while True:
            event = await self.websocket.receive()
            if event["type"] == "websocket.disconnect":
                raise PeerClosedError
            if not self._within_rate():
                self._rate_refusals += 1
                if self._rate_refusals >= MAX_RATE_REFUSALS:
                    await self.close(POLICY_VIOLATION, "too many messages")
                    raise PeerClosedError
                if self._rate_refusals == 1 or self._rate_refusals % 10 == 0:
                    await self.error("signal.rate_limited", f"at most {RATE_PER_S:g} messages/s")
                continue
            raw: str | bytes | None = event.get("text")
            if raw is None:
                raw = event.get("bytes") or b""
            try:
                message = parse_signal(raw)
            except SignalingError as err:
                self._bad_frames += 1
                await self.error(err.code, str(err))
                if self._bad_frames >= MAX_BAD_FRAMES:
                    await self.close(POLICY_VIOLATION)
                    raise PeerClosedError from None
                continue
            self._bad_frames = 0
            return message

    def _within_rate(self) -> bool:
        """A token bucket: True if this frame is within the peer's allowance."""
        now = time.monotonic()
        self._allowance = min(RATE_BURST, self._allowance + (now - self._allowance_at) * RATE_PER_S)
        self._allowance_at = now
        if self._allowance < 1.0:
            return False
        self._allowance -= 1.0
        self._rate_refusals = 0
        return True

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close the socket if it is still open."""
        if self.websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError):
                await self.websocket.close(code, reason)
