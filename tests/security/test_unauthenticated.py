"""Every route of the app refuses a request without credentials, except the few listed here.

The routes are enumerated from the application itself (HTTP and WebSocket,
included routers and static mounts), so a new endpoint is covered the day it
is added: open by mistake, it fails this test until it is refused or listed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import websockets
from websockets.asyncio.client import connect

from tests.backend.hub_helpers import live_backend
from tests.fixtures.backend import InProcessBackend
from tests.security.routes import Endpoint, endpoints

# Each open endpoint and why it may be.
OPEN: dict[Endpoint, str] = {
    Endpoint("GET", "/healthz"): "liveness probe of the load balancer; says only ok/unavailable",
    Endpoint("POST", "/console/login"): "logging in is how one gets a credential",
    Endpoint("POST", "/console/logout"): "ends the caller's own session, if any; clears the cookie",
    Endpoint("GET", "/openapi.json"): "the API's description (no data; public with the source)",
    Endpoint("GET", "/console/"): "the console's page: its sign-in form; data comes by the API",
    Endpoint("GET", "/fleet/"): "the fleet page: its sign-in form; data comes by the API",
    Endpoint("MOUNT", "/console/static"): "scripts and styles the sign-in page needs",
    Endpoint("MOUNT", "/fleet/static"): "scripts and styles the sign-in page needs",
    Endpoint("MOUNT", "/analytics/static"): "scripts and styles the sign-in page needs",
}
REFUSED = (401, 403)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "0" * 64, path)


async def test_every_http_route_refuses_a_stranger(backend_app: InProcessBackend) -> None:
    found = list(endpoints(backend_app.app.routes))
    assert sum(1 for e in found if e.method not in ("WS", "MOUNT")) > 20
    opened: set[Endpoint] = set()
    async with backend_app.client() as client:
        for endpoint in found:
            if endpoint.method == "WS":
                continue
            if endpoint.method == "MOUNT":
                answer = await client.get(f"{endpoint.path}/staff.css")
                if answer.status_code == 404:
                    answer = await client.get(f"{endpoint.path}/index.html")
            else:
                answer = await client.request(
                    endpoint.method,
                    _concrete(endpoint.path),
                    json={},
                    headers={"Origin": backend_app.base_url},
                )
            if answer.status_code not in REFUSED:
                opened.add(endpoint)
    # Exactly the listed ones are open: a new open endpoint, or a listed one now closed,
    # both mean this list (and docs/SECURITY.md) must be brought up to date.
    assert opened == set(OPEN), sorted(opened ^ set(OPEN), key=str)


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/ws/kiosk", {}),
        ("/ws/kiosk", {"Authorization": "Bearer vg_not-a-real-token-at-all"}),
        ("/ws/agent", {"Origin": "http://backend.test"}),
        ("/ws/agent", {"Origin": "http://backend.test", "Cookie": "vg_agent=vga_forged-cookie"}),
    ],
)
async def test_every_websocket_refuses_a_stranger(
    backend_app: InProcessBackend, tmp_path: Path, path: str, headers: dict[str, str]
) -> None:
    sockets = {e.path for e in endpoints(backend_app.app.routes) if e.method == "WS"}
    assert sockets == {"/ws/kiosk", "/ws/agent"}  # a new socket must be added above
    # SQLite: the refusal does not depend on the database, and a back end started and
    # stopped within milliseconds races PostgreSQL's fan-out connecting.
    async with live_backend(tmp_path / "live", f"sqlite:///{tmp_path / 'live.db'}") as backend:
        origin = headers.pop("Origin", None)
        if origin is not None:
            origin = backend.http
        # Refused before the handshake completes: the stranger never gets a socket (HTTP 403).
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with connect(
                f"ws://127.0.0.1:{backend.port}{path}",
                additional_headers=headers,
                origin=origin,  # type: ignore[arg-type]
            ):
                pass
    assert refused.value.response.status_code == 403
