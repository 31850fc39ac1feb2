"""The hub: routing operations on the database, messages to kiosks and consoles.

Every instance runs the same :meth:`Hub.tick` every second (dispatch, the
no-answer and wrap-up sweeps), and again at once after anything that may
allow an offer (a request, an agent becoming available). Messages to one
peer go through the fan-out, so they reach the instance holding its socket;
the per-second updates (queue positions, queue snapshots) are computed by
each instance for its own sockets only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from backend.auth import still_valid
from backend.hub.fanout import Fanout, InProcessFanout, agent_target, kiosk_target
from backend.hub.peer import CREDENTIAL_REVOKED, Peer
from backend.hub.views import agent_snapshot, offer_message, position_of, waiting_board
from backend.routing import (
    Released,
    RoutingConfig,
    dispatch,
    sweep_no_answer,
    sweep_wrap_up,
)
from backend.settings import CallSettings
from video.signaling import (
    AgentState,
    AgentStateMessage,
    CallOffered,
    CallTaken,
    IceServer,
    QueuePosition,
    SignalMessage,
    dump_signal,
)

T = TypeVar("T")
TICK_S = 1.0
# How often the kiosk sockets' credentials are checked again in the database: well
# inside one heartbeat (10 s), so a revoked kiosk loses its socket within one.
REVALIDATE_S = 3.0
_log = logging.getLogger(__name__)


class Hub:
    """Routing state in the database, sockets in this process, messages through a fan-out."""

    def __init__(
        self,
        engine: Engine,
        config: RoutingConfig,
        settings: CallSettings,
        fanout: Fanout | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.settings = settings
        self.fanout: Fanout = fanout if fanout is not None else InProcessFanout()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.ice_servers = [
            IceServer(urls=s.urls, username=s.username, credential=s.credential)
            for s in settings.ice_servers
        ]
        # This instance's sockets: what it pushes positions and snapshots to.
        self.kiosks: dict[str, Peer] = {}
        self.agents: dict[str, set[Peer]] = {}
        self._last_sent: dict[Peer, str] = {}
        self._tick_lock = asyncio.Lock()
        self._loop_task: asyncio.Task[None] | None = None
        self._revalidate_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._in_flight: set[asyncio.Future[Any]] = set()  # database work in worker threads

    # --- running database work -------------------------------------------------------

    async def run(self, operation: Callable[[Connection], T]) -> T:
        """Run ``operation`` in one transaction, in a worker thread (the loop never blocks)."""

        def in_transaction() -> T:
            with self.engine.begin() as conn:
                return operation(conn)

        # A thread cannot be cancelled: a caller cancelled at shutdown leaves its
        # transaction running, holding a connection. stop() waits for these, so the
        # engine is disposed with every connection back in its pool (none left open).
        work = asyncio.ensure_future(run_in_threadpool(in_transaction))
        self._in_flight.add(work)
        work.add_done_callback(self._in_flight.discard)
        return await asyncio.shield(work)

    def now(self) -> datetime:
        """The hub's clock (replaced in tests)."""
        return self.clock()

    # --- sending -----------------------------------------------------------------------

    async def to_kiosk(self, kiosk_id: str, message: SignalMessage) -> None:
        """Send to the kiosk's socket, on whichever instance holds it."""
        await self.fanout.publish(kiosk_target(kiosk_id), dump_signal(message))

    async def to_agent(self, agent_id: str, message: SignalMessage) -> None:
        """Send to the agent's console sockets, on whichever instances hold them."""
        await self.fanout.publish(agent_target(agent_id), dump_signal(message))

    async def tell_state(self, agent_id: str, state: str) -> None:
        """Tell the agent's consoles the state the hub now holds for them."""
        await self.to_agent(agent_id, AgentStateMessage(state=AgentState(state)))

    # --- the periodic work -------------------------------------------------------------

    async def tick(self) -> None:
        """Sweep, dispatch, then refresh what this instance's sockets show."""
        async with self._tick_lock:
            try:
                await self._route()
                await self._refresh()
            except SQLAlchemyError:
                # A lost database or a lost race (unique agent): the next tick retries.
                _log.warning("hub tick failed; retrying next tick", exc_info=True)
            except Exception:
                # A bug must not stop routing for everybody: log it loudly, go on.
                _log.exception("hub tick crashed; retrying next tick")

    async def _route(self) -> None:
        def work(
            conn: Connection,
        ) -> tuple[list[Released], list[str], list[tuple[str, CallOffered]]]:
            now = self.now()
            unanswered = sweep_no_answer(conn, self.config, now)
            rested = sweep_wrap_up(conn, self.config, now)
            offered = [
                (
                    offer.agent_id,
                    offer_message(conn, offer.call_id, now, self.config.no_answer_timeout_s),
                )
                for offer in dispatch(conn, self.config, now)
            ]
            return unanswered, rested, offered

        unanswered, rested, offered = await self.run(work)
        for released in unanswered:
            await self.to_agent(released.agent_id, CallTaken(call_id=released.call_id))
            await self.tell_state(released.agent_id, "away")
        for agent_id in rested:
            await self.tell_state(agent_id, "available")
        for agent_id, message in offered:
            await self.to_agent(agent_id, message)

    async def _refresh(self) -> None:
        kiosk_ids = list(self.kiosks)
        agent_ids = list(self.agents)
        if not kiosk_ids and not agent_ids:
            return

        def read(conn: Connection) -> tuple[dict[str, QueuePosition | None], dict[str, str]]:
            now = self.now()
            positions = {k: position_of(conn, self.config, k, now) for k in kiosk_ids}
            board = waiting_board(conn, self.config, now) if agent_ids else None
            snapshots = {a: dump_signal(agent_snapshot(conn, board, a)) for a in agent_ids if board}
            return positions, snapshots

        positions, snapshots = await self.run(read)
        for kiosk_id, position in positions.items():
            peer = self.kiosks.get(kiosk_id)
            if peer is not None and position is not None:
                await self._send_if_changed(peer, dump_signal(position))
        for agent_id, text in snapshots.items():
            for peer in list(self.agents.get(agent_id, ())):
                await self._send_if_changed(peer, text)

    async def _send_if_changed(self, peer: Peer, text: str) -> None:
        if self._last_sent.get(peer) != text:
            self._last_sent[peer] = text
            with contextlib.suppress(Exception):
                await peer.send_text(text)

    def remember_sent(self, peer: Peer, text: str) -> None:
        """Note a frame sent outside the tick, so the tick does not repeat it."""
        self._last_sent[peer] = text

    def forget(self, peer: Peer) -> None:
        """Drop what was remembered about a closed socket."""
        self._last_sent.pop(peer, None)

    def kick(self) -> None:
        """Run a tick soon, without waiting for the next second."""
        self.later(self.tick())

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine in the background, keeping a reference until it ends."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _loop(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(TICK_S)

    # --- credentials of open sockets -----------------------------------------------------

    async def revalidate(self) -> list[str]:
        """Close the kiosk sockets whose credential was revoked or replaced; their ids.

        Asked of the database, not of this process's memory: a revocation made
        on another instance (or with the CLI) is seen just the same.
        """
        held = {
            kiosk_id: peer.credential_hash
            for kiosk_id, peer in self.kiosks.items()
            if peer.credential_hash is not None
        }
        if not held:
            return []
        valid = await self.run(lambda conn: still_valid(conn, held))
        closed = []
        for kiosk_id in held.keys() - valid:
            peer = self.kiosks.get(kiosk_id)
            if peer is not None and peer.credential_hash == held[kiosk_id]:
                _log.warning("closing the hub socket of kiosk %s: credential revoked", kiosk_id)
                await peer.close(CREDENTIAL_REVOKED, "credential revoked")
                closed.append(kiosk_id)
        return closed

    async def _revalidate_loop(self) -> None:
        while True:
            await asyncio.sleep(REVALIDATE_S)
            try:
                await self.revalidate()
            except SQLAlchemyError:
                _log.warning("credential check of hub sockets failed; retrying", exc_info=True)

    async def start(self) -> None:
        """Start the fan-out, the one-second tick and the sockets' credential check."""
        await self.fanout.start()
        self._loop_task = asyncio.create_task(self._loop())
        self._revalidate_task = asyncio.create_task(self._revalidate_loop())

    async def stop(self) -> None:
        """Stop the tick, background work and the fan-out."""
        tasks = [
            t for t in (self._loop_task, self._revalidate_task, *self._background) if t is not None
        ]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        await self.fanout.stop()
