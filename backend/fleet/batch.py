"""Group commit for heartbeats: those arriving within a few milliseconds share a transaction.

A heartbeat's own work is small (a token lookup, an upsert, an index probe);
what costs is around it: a trip to a worker thread, a connection, BEGIN and
COMMIT (an fsync on SQLite). A thousand kiosks every ten seconds is a hundred
heartbeats a second, so the writer collects them for ``window_s`` and stores
each batch in one transaction, in one trip, one batch at a time. A kiosk
waits at most ``window_s`` more for its answer; it is told to come back in
ten seconds anyway.

Nothing is kept between batches: every instance batches its own requests,
and the database stays the only shared state.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from sqlalchemy import Connection, Engine

from backend.auth import authenticate_on
from backend.fleet.store import record_heartbeat
from backend.ingest import describe_errors
from backend.settings import FleetSettings
from offline_queue.heartbeat import Heartbeat, KioskCommand

MAX_BATCH = 200  # beyond this, the rest waits for the next transaction


@dataclass(frozen=True)
class Refused:
    """A heartbeat not stored: the HTTP status and why (``invalid_token`` for a 401 challenge)."""

    status: int
    detail: str
    invalid_token: bool = False


Outcome = list[KioskCommand] | Refused
_Item = tuple[str, bytes, "asyncio.Future[Outcome]"]


def store_one(
    conn: Connection, token: str, body: bytes, *, now: datetime, settings: FleetSettings
) -> Outcome:
    """Authenticate, validate and store one heartbeat on ``conn``; refusals are answers."""
    kiosk = authenticate_on(conn, token)
    if kiosk is None:
        return Refused(401, "unknown or revoked token", invalid_token=True)
    if kiosk.role != "kiosk":
        return Refused(403, "this needs a kiosk token")
    try:
        beat = Heartbeat.model_validate_json(body)
    except ValidationError as err:
        return Refused(422, describe_errors(err))
    return record_heartbeat(conn, kiosk.client_id, beat, now=now, settings=settings)


class HeartbeatWriter:
    """Stores heartbeats in batches; :meth:`submit` answers each one with its outcome."""

    def __init__(self, engine: Engine, settings: FleetSettings) -> None:
        self._engine = engine
        self._settings = settings
        self._queue: list[_Item] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, token: str, body: bytes) -> Outcome:
        """Queue one heartbeat and wait for its batch to be stored."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._queue.append((token, body, future))
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._drain(), name="fleet-heartbeat-writer")
        return await future

    async def _drain(self) -> None:
        # One batch at a time: concurrent SQLite writers would only queue on the lock.
        while self._queue:
            await asyncio.sleep(self._settings.write_window_s)
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                outcomes = await run_in_threadpool(self._write, batch)
            except Exception as err:  # the database failed: every request of the batch says so
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(err)
                continue
            for (_, _, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():  # the kiosk may have hung up meanwhile
                    future.set_result(outcome)

    def _write(self, batch: list[_Item]) -> list[Outcome]:
        now = datetime.now(UTC)
        with self._engine.begin() as conn:
            return [
                store_one(conn, token, body, now=now, settings=self._settings)
                for token, body, _ in batch
            ]
