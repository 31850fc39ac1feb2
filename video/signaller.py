"""The signalling link the call talks through, and an in-memory pair for tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol

from video.signaling import SignalMessage, dump_signal, parse_signal


class Signaller(Protocol):
    """Sends signalling messages and yields the ones that arrive (already validated)."""

    async def send(self, message: SignalMessage) -> None:
        """Send ``message``; raises ``ConnectionError`` when it cannot go now."""
        ...

    def messages(self) -> AsyncIterator[SignalMessage]:
        """Every message received, in order, for as long as the link lives."""
        ...


class MemorySignaller:
    """One end of an in-memory link; messages go through JSON, as on the wire."""

    def __init__(self) -> None:
        self._inbox: asyncio.Queue[str] = asyncio.Queue()
        self.peer: MemorySignaller | None = None
        self.sent: list[SignalMessage] = []

    async def send(self, message: SignalMessage) -> None:
        """Deliver ``message`` to the other end."""
        if self.peer is None:
            raise ConnectionError("not linked")
        self.sent.append(message)
        self.peer._inbox.put_nowait(dump_signal(message))

    async def messages(self) -> AsyncIterator[SignalMessage]:
        """Messages from the other end, parsed as the hub client parses them."""
        while True:
            yield parse_signal(await self._inbox.get())


def memory_pair() -> tuple[MemorySignaller, MemorySignaller]:
    """Two linked ends: the kiosk's and the hub's (or a test agent's)."""
    kiosk, hub = MemorySignaller(), MemorySignaller()
    kiosk.peer, hub.peer = hub, kiosk
    return kiosk, hub
