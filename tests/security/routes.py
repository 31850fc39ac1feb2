"""Every route of the app, including those of included routers (FastAPI >= 0.165 nests them)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute


@dataclass(frozen=True)
class Endpoint:
    """One method on one path (``WS`` for a WebSocket), or a static mount (``MOUNT``)."""

    method: str
    path: str


def endpoints(routes: Iterable[BaseRoute]) -> Iterator[Endpoint]:
    """Walk ``routes``, descending into included routers; HEAD is left out (GET's twin)."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from endpoints(nested.routes)
        elif isinstance(route, Mount):
            yield Endpoint("MOUNT", route.path)
        elif isinstance(route, WebSocketRoute) or type(route).__name__ == "APIWebSocketRoute":
            yield Endpoint("WS", getattr(route, "path", ""))
        elif isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield Endpoint(method, route.path)
