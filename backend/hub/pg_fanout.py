"""Fan-out across back-end instances with PostgreSQL LISTEN/NOTIFY.

Each instance delivers to its own sockets at once and NOTIFYs the others on
one channel; every instance LISTENs and delivers what others sent to its
local sockets. No broker to run: the database the instances share already
carries the messages (DESIGN.md, "Scale beyond one machine").

A NOTIFY payload is limited to 8000 bytes and an SDP may be 100 kB, so a
frame travels as numbered chunks sent in one transaction: PostgreSQL delivers
a transaction's notifications together and in order, and the receiver joins
them. Notifications are not stored: a frame for an instance that is down is
lost, as it would be for a socket that is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from typing import Any

import psycopg
from sqlalchemy import make_url

from backend.hub.fanout import InProcessFanout, Sink

CHANNEL = "vg_hub"
# Characters per chunk: at most 4 UTF-8 bytes each, plus the envelope, under 8000 bytes.
CHUNK_CHARS = 1_500
RECONNECT_S = 1.0
_log = logging.getLogger(__name__)


def psycopg_dsn(database_url: str) -> str:
    """The libpq URI of a SQLAlchemy ``postgresql+psycopg://`` URL."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresFanout:
    """:class:`backend.hub.fanout.Fanout` over LISTEN/NOTIFY on the shared database."""

    def __init__(self, database_url: str) -> None:
        self._dsn = psycopg_dsn(database_url)
        self._local = InProcessFanout()
        self._origin = secrets.token_hex(8)  # this instance, to skip its own notifications
        self._serial = 0
        self._sender: psycopg.AsyncConnection[Any] | None = None
        self._send_lock = asyncio.Lock()
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._partial: dict[tuple[str, int], list[str]] = {}

    def subscribe(self, target: str, sink: Sink) -> None:
        """Add a local sink."""
        self._local.subscribe(target, sink)

    def unsubscribe(self, target: str, sink: Sink) -> None:
        """Remove a local sink."""
        self._local.unsubscribe(target, sink)

    async def publish(self, target: str, text: str) -> None:
        """Deliver locally now, and to the other instances through NOTIFY."""
        await self._local.publish(target, text)
        self._serial += 1
        chunks = [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)] or [""]
        payloads = [
            json.dumps(
                {
                    "o": self._origin,
                    "s": self._serial,
                    "i": i,
                    "n": len(chunks),
                    "t": target,
                    "d": c,
                }
            )
            for i, c in enumerate(chunks)
        ]
        try:
            async with self._send_lock:
                sender = await self._sender_connection()
                async with sender.transaction():
                    for payload in payloads:
                        await sender.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
        except psycopg.Error:
            # The database is away: other instances miss this frame (their peers will
            # time out or retry); the next publish reconnects.
            _log.warning("could not notify other instances", exc_info=True)
            await self._drop_sender()

    async def _sender_connection(self) -> psycopg.AsyncConnection[Any]:
        if self._sender is None or self._sender.closed:
            self._sender = await psycopg.AsyncConnection.connect(self._dsn)
        return self._sender

    async def _drop_sender(self) -> None:
        if self._sender is not None:
            with contextlib.suppress(psycopg.Error):
                await self._sender.close()
        self._sender = None

    async def start(self) -> None:
        """LISTEN (returns once listening, so nothing sent afterwards is missed)."""
        self._listener = asyncio.create_task(self._listen_forever())
        await self._listening.wait()

    async def stop(self) -> None:
        """Stop listening and close the connections."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._drop_sender()

    async def _listen_forever(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._dsn, autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    async for notification in conn.notifies():
                        await self._received(notification.payload)
            except psycopg.Error:
                _log.warning("LISTEN connection lost; reconnecting", exc_info=True)
                self._listening.set()  # do not hold up start() while the database is down
                await asyncio.sleep(RECONNECT_S)

    async def _received(self, payload: str) -> None:
        try:
            envelope = json.loads(payload)
            origin, serial = str(envelope["o"]), int(envelope["s"])
            index, count = int(envelope["i"]), int(envelope["n"])
            target, data = str(envelope["t"]), str(envelope["d"])
        except (ValueError, KeyError, TypeError):
            _log.warning("ignored a malformed notification on %s", CHANNEL)
            return
        if origin == self._origin:
            return
        key = (origin, serial)
        parts = self._partial.setdefault(key, [])
        if index != len(parts):  # a gap: only after a lost connection; drop the frame
            self._partial.pop(key, None)
            return
        parts.append(data)
        if len(parts) == count:
            del self._partial[key]
            await self._local.publish(target, "".join(parts))
