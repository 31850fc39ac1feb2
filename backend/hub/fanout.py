"""Fan-out of hub messages to whichever instance holds the recipient's socket.

A message is addressed to a *target* (``kiosk:<kiosk id>`` or ``agent:<agent id>``)
and handed to every socket subscribed to that target, on any instance. One
process needs only :class:`InProcessFanout`; several instances behind a load
balancer use :class:`backend.hub.pg_fanout.PostgresFanout` (LISTEN/NOTIFY).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

Sink = Callable[[str], Awaitable[None]]
_log = logging.getLogger(__name__)


def kiosk_target(kiosk_id: str) -> str:
    """The target of a kiosk's sockets."""
    return f"kiosk:{kiosk_id}"


def agent_target(agent_id: str) -> str:
    """The target of an agent's console sockets (an agent may have two tabs open)."""
    return f"agent:{agent_id}"


class Fanout(Protocol):
    """Deliver text frames to the sockets subscribed to a target, wherever they are."""

    async def publish(self, target: str, text: str) -> None:
        """Send ``text`` to every socket subscribed to ``target`` (none: dropped)."""

    def subscribe(self, target: str, sink: Sink) -> None:
        """Have ``sink`` receive what is published to ``target``."""

    def unsubscribe(self, target: str, sink: Sink) -> None:
        """Stop delivering to ``sink``."""

    async def start(self) -> None:
        """Connect (for fan-outs across processes)."""

    async def stop(self) -> None:
        """Disconnect."""


class InProcessFanout:
    """Targets and sinks in one process: the default, and the local half of the others."""

    def __init__(self) -> None:
        self._sinks: dict[str, list[Sink]] = {}

    async def publish(self, target: str, text: str) -> None:
        """Deliver to the local sinks of ``target``; a closed socket is skipped, not fatal."""
        for sink in list(self._sinks.get(target, ())):
            try:
                await sink(text)
            except Exception:  # a socket closing mid-send must not stop the others
                _log.debug("dropped a frame for %s", target, exc_info=True)

    def subscribe(self, target: str, sink: Sink) -> None:
        """Add a local sink."""
        self._sinks.setdefault(target, []).append(sink)

    def unsubscribe(self, target: str, sink: Sink) -> None:
        """Remove a local sink (nothing happens if it is not there)."""
        sinks = self._sinks.get(target, [])
        with contextlib.suppress(ValueError):
            sinks.remove(sink)
        if not sinks:
            self._sinks.pop(target, None)

    def has_local(self, target: str) -> bool:
        """True if this process holds a socket for ``target``."""
        return bool(self._sinks.get(target))

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to disconnect."""
