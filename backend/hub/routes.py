"""The hub's WebSocket endpoints: who may connect, then hand the socket to its handler.

A refused socket is closed before the handshake completes (HTTP 403 for the
client): an unauthenticated peer never gets a WebSocket at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from backend.auth import authenticate, hash_token
from backend.hub.agent import serve_agent
from backend.hub.core import Hub
from backend.hub.kiosk import serve_kiosk
from backend.hub.peer import POLICY_VIOLATION, Peer
from backend.roles import Permission
from backend.staff import SESSION_COOKIE, session_member

router = APIRouter()


def _hub(websocket: WebSocket) -> Hub:
    hub: Hub = websocket.app.state.hub
    return hub


@router.websocket("/ws/kiosk")
async def kiosk_socket(websocket: WebSocket) -> None:
    """A kiosk, authenticated by its bearer token (role ``kiosk``)."""
    header = websocket.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    engine: Engine = websocket.app.state.engine
    principal = None
    if scheme.lower() == "bearer" and token:
        principal = await run_in_threadpool(authenticate, engine, token.strip())
    if principal is None or principal.role != "kiosk":
        await websocket.close(POLICY_VIOLATION)
        return
    await websocket.accept()
    peer = Peer(websocket, credential_hash=hash_token(token.strip()))
    await serve_kiosk(_hub(websocket), peer, principal.client_id)


def same_origin(websocket: WebSocket) -> bool:
    """True if the ``Origin`` header names this very host (cross-site WebSocket hijacking)."""
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    if not origin or not host:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


@router.websocket("/ws/agent")
async def agent_socket(websocket: WebSocket) -> None:
    """An agent console, authenticated by the ``vg_agent`` session cookie."""
    token = websocket.cookies.get(SESSION_COOKIE)
    if not same_origin(websocket) or not token:
        await websocket.close(POLICY_VIOLATION)
        return
    engine: Engine = websocket.app.state.engine

    def lookup() -> str | None:
        with engine.connect() as conn:
            member = session_member(conn, token, now=datetime.now(UTC))
        # A technician's or manager's session is a real one, but not for taking calls.
        return member.agent_id if member and member.may(Permission.TAKE_CALLS) else None

    agent_id = await run_in_threadpool(lookup)
    if agent_id is None:
        await websocket.close(POLICY_VIOLATION)
        return
    await websocket.accept()
    await serve_agent(_hub(websocket), Peer(websocket), agent_id)
