"""A real back end on a loopback port for the hub tests, and small WebSocket helpers."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from backend.app import create_app
from backend.auth import issue_credential
from backend.console_auth import add_agent
from backend.routing import Skills
from backend.settings import BackendSettings, CallSettings

# A safety net so that a broken hub fails the test instead of hanging it; no test
# asserts anything about time.
RECEIVE_LIMIT_S = 30.0
PASSWORD = "correct horse battery"
ALWAYS_OPEN = """
[[queue]]
id = "rc-fr"
agency = "riviere-claire"
services = ["change-of-address", "appointment"]
languages = ["fr"]
[queue.hours]
mon = "00:00-24:00"
tue = "00:00-24:00"
wed = "00:00-24:00"
thu = "00:00-24:00"
fri = "00:00-24:00"
sat = "00:00-24:00"
sun = "00:00-24:00"
"""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveBackend:
    """The back end served by uvicorn in the test's event loop."""

    port: int
    settings: BackendSettings
    engine: Any

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kiosk_token(self, kiosk_id: str) -> str:
        return issue_credential(self.engine, kiosk_id, "kiosk")

    def agent(self, agent_id: str, skills: str = "agency:riviere-claire,language:fr") -> None:
        with self.engine.begin() as conn:
            add_agent(
                conn,
                agent_id,
                agent_id.title(),
                PASSWORD,
                Skills.parse(skills),
                now=datetime.now(UTC),
            )

    async def login(self, agent_id: str) -> str:
        async with httpx.AsyncClient(base_url=self.http) as client:
            answer = await client.post(
                "/console/login", json={"agent_id": agent_id, "password": PASSWORD}
            )
        assert answer.status_code == 200, answer.text
        return str(answer.cookies["vg_agent"])

    def kiosk_socket(self, token: str | None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return connect(f"ws://127.0.0.1:{self.port}/ws/kiosk", additional_headers=headers)

    def agent_socket(self, cookie: str | None, origin: str | None = None) -> Any:
        headers = {"Cookie": f"vg_agent={cookie}"} if cookie else {}
        return connect(
            f"ws://127.0.0.1:{self.port}/ws/agent",
            additional_headers=headers,
            origin=origin or self.http,  # type: ignore[arg-type]
        )


def write_queues(folder: Path) -> Path:
    """A queue file whose one French queue never closes."""
    folder.mkdir(parents=True, exist_ok=True)
    queues = folder / "queues.toml"
    queues.write_text(ALWAYS_OPEN, encoding="utf-8")
    return queues


@asynccontextmanager
async def live_backend(tmp_path: Path, database_url: str) -> AsyncIterator[LiveBackend]:
    """Serve the real app (lifespan included: the hub's tick runs) on a free port."""
    queues = write_queues(tmp_path)
    settings = BackendSettings(
        data_dir=tmp_path / "backend",
        database_url=database_url,
        calls=CallSettings(queues_file=queues, agent_grace_s=0),
    )
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, ws="websockets-sansio", log_level="warning"
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield LiveBackend(port, settings, app.state.engine)
    finally:
        server.should_exit = True
        await task


async def receive(ws: ClientConnection, kind: str, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The next message of type ``kind``, skipping the periodic ones (positions, snapshots)."""
    periodic = ("welcome", "queue_snapshot", "queue_position", "agent_state", *skip)
    async with asyncio.timeout(RECEIVE_LIMIT_S):
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == kind:
                return dict(message)
            assert message["type"] in periodic, message


async def send(ws: ClientConnection, **fields: Any) -> None:
    """Send one v1 message."""
    await ws.send(json.dumps({"v": 1, **fields}))


async def become_available(agent: ClientConnection) -> None:
    """Make the agent available and wait for the hub to say so.

    The agent's and the kiosk's sockets are separate connections: without
    this wait, a call request can reach the hub before the agent's state
    and be offered a callback because nobody is available.
    """
    await send(agent, type="agent_state", state="available")
    while (await receive(agent, "agent_state"))["state"] != "available":
        pass
