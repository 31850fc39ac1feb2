"""The signalling hub: kiosks and agent consoles over WebSockets, calls routed in the database.

:class:`Hub` runs the routing operations of :mod:`backend.routing` for the
sockets of this instance; messages to a peer go through a fan-out
(:mod:`backend.hub.fanout`) so that several instances can share the work.
"""

from __future__ import annotations

from backend.hub.core import Hub
from backend.hub.fanout import Fanout, InProcessFanout
from backend.hub.routes import router

__all__ = ["Fanout", "Hub", "InProcessFanout", "router"]
