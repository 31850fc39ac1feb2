"""An agent console's socket: state, offers, transfers, the end of calls, SDP answers.

Answers and hangups are relayed only to the kiosk of the call this agent is
connected with, checked in the database on every message.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Connection

from backend.hub.core import Hub
from backend.hub.fanout import agent_target
from backend.hub.peer import Peer, PeerClosedError
from backend.hub.views import agent_snapshot, offer_message, waiting_board
from backend.routing import (
    RoutingError,
    accept,
    choose_state,
    console_closed,
    console_lost,
    console_opened,
    decline,
    end_call,
    transfer_to_agent,
    transfer_to_queue,
    wrap_up_done,
)
from backend.routing.records import call_row
from video.signaling import (
    AcceptCall,
    AgentState,
    AgentStateMessage,
    Answer,
    CallAccepted,
    CallTaken,
    DeclineCall,
    EndCall,
    Hangup,
    HangupOutcome,
    QueuePosition,
    SignalMessage,
    TransferCall,
    Welcome,
    WrapUpDone,
    dump_signal,
    kiosk_outcome,
)

_log = logging.getLogger(__name__)


async def serve_agent(hub: Hub, peer: Peer, agent_id: str) -> None:
    """Handle one accepted console socket until it closes."""
    row = await hub.run(lambda conn: console_opened(conn, agent_id, hub.now()))
    hub.agents.setdefault(agent_id, set()).add(peer)
    hub.fanout.subscribe(agent_target(agent_id), peer.send_text)
    try:
        await peer.send(
            Welcome(
                agent_id=agent_id,
                name=row.display_name,
                state=AgentState(row.state),
                ice_servers=hub.ice_servers,
            )
        )

        def first_view(conn: Connection) -> str:
            board = waiting_board(conn, hub.config, hub.now())
            return dump_signal(agent_snapshot(conn, board, agent_id))

        snapshot = await hub.run(first_view)
        await peer.send_text(snapshot)
        hub.remember_sent(peer, snapshot)
        while True:
            message = await peer.receive()
            try:
                await _handle(hub, peer, agent_id, message)
            except RoutingError as err:
                await peer.error(err.code, str(err))
    except PeerClosedError:
        pass
    finally:
        hub.fanout.unsubscribe(agent_target(agent_id), peer.send_text)
        hub.forget(peer)
        peers = hub.agents.get(agent_id, set())
        peers.discard(peer)
        if not peers:
            hub.agents.pop(agent_id, None)
        await _console_gone(hub, agent_id)


async def _handle(hub: Hub, peer: Peer, agent_id: str, message: SignalMessage) -> None:
    match message:
        case AgentStateMessage():
            released = await hub.run(
                lambda conn: choose_state(conn, agent_id, message.state.value, hub.now())
            )
            if released is not None:
                await hub.to_agent(agent_id, CallTaken(call_id=released.call_id))
            await hub.tell_state(agent_id, message.state.value)
            hub.kick()
        case AcceptCall():
            connected = await hub.run(
                lambda conn: accept(conn, message.call_id, agent_id, hub.now())
            )
            await hub.tell_state(agent_id, "busy")
            await hub.to_kiosk(
                connected.kiosk_id,
                CallAccepted(call_id=connected.call_id, agent_name=connected.agent_name),
            )
        case DeclineCall():
            await hub.run(lambda conn: decline(conn, message.call_id, agent_id, hub.now()))
            await hub.to_agent(agent_id, CallTaken(call_id=message.call_id))
            hub.kick()
        case TransferCall():
            await _transfer(hub, agent_id, message)
        case EndCall() | Hangup():
            notes = message.notes if isinstance(message, EndCall) else None
            finished = await hub.run(
                lambda conn: end_call(
                    conn,
                    message.call_id,
                    message.outcome.value,
                    hub.now(),
                    agent_id=agent_id,
                    notes=notes,
                )
            )
            outcome = (
                kiosk_outcome(message.outcome) if isinstance(message, EndCall) else message.outcome
            )
            await hub.to_kiosk(finished.kiosk_id, Hangup(call_id=finished.call_id, outcome=outcome))
            await hub.tell_state(agent_id, "wrap_up")
        case WrapUpDone():
            await hub.run(lambda conn: wrap_up_done(conn, agent_id, hub.now()))
            await hub.tell_state(agent_id, "available")
            hub.kick()
        case Answer():
            kiosk_id = await hub.run(lambda conn: _kiosk_of(conn, message.call_id, agent_id))
            await hub.to_kiosk(kiosk_id, message)
        case _ if message.type == "error":
            _log.info("console of %s reported an error", agent_id)
        case _:
            await peer.error("signal.unexpected", f"a console does not send {message.type}")


async def _transfer(hub: Hub, agent_id: str, message: TransferCall) -> None:
    call_id = message.call_id
    to_agent = message.to_agent_id
    if to_agent is not None:

        def to_colleague(conn: Connection) -> tuple[str, SignalMessage]:
            now = hub.now()
            kiosk_id = transfer_to_agent(conn, call_id, agent_id, to_agent, now)
            return kiosk_id, offer_message(conn, call_id, now, hub.config.no_answer_timeout_s)

        kiosk_id, offer = await hub.run(to_colleague)
        await hub.to_agent(to_agent, offer)
    else:
        to_queue = message.to_queue_id or ""
        kiosk_id = await hub.run(
            lambda conn: transfer_to_queue(
                conn, hub.config, call_id, agent_id, to_queue, now=hub.now()
            )
        )
    await hub.tell_state(agent_id, "wrap_up")
    # The kiosk waits again: a queue position during a call means "being transferred".
    await hub.to_kiosk(kiosk_id, QueuePosition(call_id=call_id, position=0, estimated_wait_s=0))
    hub.kick()


def _kiosk_of(conn: Connection, call_id: str, agent_id: str) -> str:
    call = call_row(conn, call_id)
    if call is None or call.agent_id != agent_id or call.state != "connected":
        raise RoutingError("call.not_yours", "this call is not connected with you")
    return str(call.kiosk_id)


async def _console_gone(hub: Hub, agent_id: str) -> None:
    try:
        released = await hub.run(lambda conn: console_closed(conn, agent_id, hub.now()))
    except Exception:
        _log.warning("could not record that %s left", agent_id, exc_info=True)
        return
    if released is not None:
        hub.kick()
    hub.later(_end_if_not_back(hub, agent_id))


async def _end_if_not_back(hub: Hub, agent_id: str) -> None:
    # The console may be reloading: the kiosk hears "connection lost" only after the grace.
    await asyncio.sleep(hub.settings.agent_grace_s)

    def lost(conn: Connection) -> tuple[str, str] | None:
        call_id = console_lost(conn, agent_id, hub.now())
        if call_id is None:
            return None
        call = call_row(conn, call_id)
        return (call_id, str(call.kiosk_id)) if call is not None else None

    ended = await hub.run(lost)
    if ended is not None:
        call_id, kiosk_id = ended
        await hub.to_kiosk(kiosk_id, Hangup(call_id=call_id, outcome=HangupOutcome.CONNECTION_LOST))
