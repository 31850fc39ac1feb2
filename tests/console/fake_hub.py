"""A scripted stand-in for the hub's console side: login, ``/ws/agent``, the static page.

Test scaffolding only: the real hub (backend/) replaces it in the end-to-end
test. The test plays the server's part: it pushes messages to the console with
:meth:`FakeHub.send` and waits for the console's with :meth:`FakeHub.expect`.
Messages keep the shapes of video/signaling.py, and what the console sends is
checked with ``parse_signal``, the hub's own validator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request, Response, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from tests.fixtures.chromium import CONSOLE_STATIC_DIR
from video.signaling import SignalingError, parse_signal

SESSION_COOKIE = "vg_agent"
EXPECT_TIMEOUT_S = 15.0


@dataclass
class FakeHub:
    """The server side of the console protocol, driven by the test."""

    agent_id: str = "alice"
    name: str = "Alice Martin"
    password: str = "correct horse"
    state: str = "available"
    ice_servers: list[dict[str, Any]] = field(default_factory=list)
    logins: list[dict[str, list[str]]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    _token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    _outbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    _inbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, message: dict[str, Any]) -> None:
        """Send a message to the console (``v: 1`` is added)."""
        await self._outbox.put(json.dumps({"v": 1, **message}))

    async def send_raw(self, text: str) -> None:
        """Send a frame as is (malformed on purpose)."""
        await self._outbox.put(text)

    async def expect(self, kind: str, timeout_s: float = EXPECT_TIMEOUT_S) -> dict[str, Any]:
        """The next message of type ``kind`` from the console (others are kept in ``received``)."""
        async with asyncio.timeout(timeout_s):
            while True:
                message = await self._inbox.get()
                if message["type"] == "refused":
                    raise AssertionError(f"the hub would refuse a console message: {message}")
                if message["type"] == kind:
                    return message

    def app(self) -> FastAPI:
        """The ASGI app: ``/console/``, ``/console/static/``, ``/console/login``, ``/ws/agent``."""
        app = FastAPI()
        app.mount("/console/static", StaticFiles(directory=CONSOLE_STATIC_DIR), name="static")

        @app.get("/console/")
        def page() -> FileResponse:
            return FileResponse(Path(CONSOLE_STATIC_DIR) / "index.html", media_type="text/html")

        @app.post("/console/login")
        async def login(request: Request) -> Response:
            fields = parse_qs((await request.body()).decode())
            self.logins.append(fields)
            agent = (fields.get("agent_id") or fields.get("username") or [""])[0]
            if agent != self.agent_id or fields.get("password", [""])[0] != self.password:
                return JSONResponse({"detail": "wrong agent id or password"}, status_code=401)
            response = JSONResponse({"agent_id": self.agent_id, "name": self.name})
            response.set_cookie(SESSION_COOKIE, self._token, httponly=True, samesite="strict")
            return response

        @app.websocket("/ws/agent")
        async def agent_socket(websocket: WebSocket) -> None:
            if websocket.cookies.get(SESSION_COOKIE) != self._token:
                await websocket.close(1008)
                return
            await websocket.accept()
            await websocket.send_text(
                json.dumps(
                    {
                        "v": 1,
                        "type": "welcome",
                        "agent_id": self.agent_id,
                        "name": self.name,
                        "state": self.state,
                        "ice_servers": self.ice_servers,
                    }
                )
            )
            self.connected.set()
            forward = asyncio.create_task(self._forward(websocket))
            try:
                while True:
                    text = await websocket.receive_text()
                    # The hub's own validator: a message the hub would refuse fails the test.
                    try:
                        message = parse_signal(text).model_dump(mode="json", exclude_none=True)
                    except SignalingError as err:
                        message = {"type": "refused", "code": err.code, "text": text[:500]}
                    self.received.append(message)
                    await self._inbox.put(message)
            except WebSocketDisconnect:
                pass
            finally:
                forward.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await forward

        return app

    async def _forward(self, websocket: WebSocket) -> None:
        while True:
            await websocket.send_text(await self._outbox.get())
