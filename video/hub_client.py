"""The kiosk's signalling link to the hub: ``wss://.../ws/kiosk`` over ``websockets``.

Authenticated with ``Authorization: Bearer <token>``; reconnects with
exponential backoff for as long as it runs; every frame received goes through
:func:`~video.signaling.parse_signal`, and an invalid one is logged and
dropped (the hub's bugs must not crash a kiosk).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect

from video.signaling import SignalingError, SignalMessage, dump_signal, parse_signal
from video.watchdog import backoff_s

_log = logging.getLogger(__name__)


class HubClient:
    """A :class:`~video.signaller.Signaller` over a reconnecting WebSocket.

    Run :meth:`run` as a task for the kiosk's lifetime; :meth:`send` raises
    ``ConnectionError`` while the socket is down (the call treats that like a
    lost message and retries on its own schedule).
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        backoff: tuple[float, float] = (0.5, 30.0),
        open_timeout_s: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._url = url
        # For wss://: the kiosk's pinned context; its handshake checks the key before the
        # HTTP upgrade (and its Authorization header) is sent.
        self._ssl = ssl_context
        self._token = token
        self._backoff = backoff
        self._open_timeout_s = open_timeout_s
        self._socket: ClientConnection | None = None
        self._inbox: asyncio.Queue[SignalMessage] = asyncio.Queue()
        self.connected = asyncio.Event()
        self.dropped = 0  # invalid frames received

    async def send(self, message: SignalMessage) -> None:
        """Send one message; ``ConnectionError`` when the hub is unreachable now."""
        socket = self._socket
        if socket is None:
            raise ConnectionError("not connected to the hub")
        try:
            await socket.send(dump_signal(message))
        except websockets.ConnectionClosed as err:
            raise ConnectionError("the hub connection closed") from err

    async def messages(self) -> AsyncIterator[SignalMessage]:
        """Every valid message received, across reconnections."""
        while True:
            yield await self._inbox.get()

    async def run(self) -> None:
        """Connect, read, reconnect with backoff; returns only by cancellation."""
        attempt = 0
        while True:
            try:
                async with connect(
                    self._url,
                    additional_headers={"Authorization": f"Bearer {self._token}"},
                    open_timeout=self._open_timeout_s,
                    **self._tls(),
                ) as socket:
                    attempt = 0
                    self._socket = socket
                    self.connected.set()
                    _log.info("connected to the hub")
                    await self._read(socket)
            except (OSError, TimeoutError, websockets.WebSocketException) as err:
                _log.warning("hub connection failed: %s", err)
            finally:
                self._socket = None
                self.connected.clear()
            attempt += 1
            await asyncio.sleep(backoff_s(attempt, *self._backoff))

    def _tls(self) -> dict[str, Any]:
        # Only with a context: websockets refuses ``ssl`` for a ws:// URL.
        return {} if self._ssl is None else {"ssl": self._ssl}

    async def _read(self, socket: ClientConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in socket:
                try:
                    message = parse_signal(frame)
                except SignalingError as err:
                    self.dropped += 1
                    _log.warning("dropped an invalid frame from the hub: %s", err)
                    continue
                self._inbox.put_nowait(message)
