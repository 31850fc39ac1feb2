"""A kiosk's socket: the kiosk <-> hub table of docs/VIDEO.md.

The kiosk id comes from the kiosk's credential, never from a message. SDP
offers and hangups are relayed only to the agent connected with that very
call, after checking in the database that the call is this kiosk's.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import Connection

from backend.hub.core import Hub
from backend.hub.fanout import kiosk_target
from backend.hub.peer import Peer, PeerClosedError
from backend.routing import (
    CallbackProposed,
    Finished,
    RoutingError,
    book_callback,
    cancel_call,
    end_call,
    kiosk_active_calls,
    request_call,
)
from backend.routing.records import call_row
from video.signaling import (
    BookCallback,
    CallbackBooked,
    CallbackOffer,
    CallOutcome,
    CallRequest,
    CallTaken,
    CancelCall,
    Hangup,
    Offer,
    QueuePosition,
    SignalMessage,
    dump_signal,
    kiosk_outcome,
)

_log = logging.getLogger(__name__)


async def serve_kiosk(hub: Hub, peer: Peer, kiosk_id: str) -> None:
    """Handle one accepted kiosk socket until it closes."""
    previous = hub.kiosks.get(kiosk_id)
    hub.kiosks[kiosk_id] = peer
    hub.fanout.subscribe(kiosk_target(kiosk_id), peer.send_text)
    if previous is not None:
        # A kiosk has one socket: a reconnect replaces the old one.
        hub.fanout.unsubscribe(kiosk_target(kiosk_id), previous.send_text)
        await previous.close()
    try:
        while True:
            message = await peer.receive()
            try:
                await _handle(hub, peer, kiosk_id, message)
            except RoutingError as err:
                await peer.error(err.code, str(err))
    except PeerClosedError:
        pass
    finally:
        hub.fanout.unsubscribe(kiosk_target(kiosk_id), peer.send_text)
        hub.forget(peer)
        if hub.kiosks.get(kiosk_id) is peer:
            del hub.kiosks[kiosk_id]
            await _kiosk_gone(hub, kiosk_id)


async def _handle(hub: Hub, peer: Peer, kiosk_id: str, message: SignalMessage) -> None:
    match message:
        case CallRequest():
            await _request(hub, peer, kiosk_id, message)
        case BookCallback():
            reference = await hub.run(
                lambda conn: book_callback(
                    conn,
                    hub.config,
                    message.call_id,
                    kiosk_id,
                    slot=message.slot,
                    phone=message.phone,
                    now=hub.now(),
                )
            )
            await peer.send(
                CallbackBooked(call_id=message.call_id, slot=message.slot, reference=reference)
            )
        case CancelCall():
            finished = await hub.run(
                lambda conn: cancel_call(conn, message.call_id, kiosk_id, hub.now())
            )
            await _tell_agent_finished(hub, finished)
            hub.kick()
        case Offer():
            agent_id = await hub.run(lambda conn: _agent_of(conn, message.call_id, kiosk_id))
            await hub.to_agent(agent_id, message)
        case Hangup():
            finished = await hub.run(
                lambda conn: end_call(
                    conn, message.call_id, message.outcome.value, hub.now(), kiosk_id=kiosk_id
                )
            )
            await _tell_agent_finished(hub, finished)
            hub.kick()
        case _ if message.type == "error":
            _log.info("kiosk %s reported an error", kiosk_id)
        case _:
            await peer.error("signal.unexpected", f"a kiosk does not send {message.type}")


async def _request(hub: Hub, peer: Peer, kiosk_id: str, request: CallRequest) -> None:
    result = await hub.run(
        lambda conn: request_call(conn, hub.config, kiosk_id, request, hub.now())
    )
    if isinstance(result, CallbackProposed):
        await peer.send(
            CallbackOffer(call_id=result.call_id, reason=result.reason, slots=result.slots)
        )
        return
    queue = hub.config.queues.by_id[result.queue_id]
    position = QueuePosition(
        call_id=result.call_id,
        position=result.position,
        estimated_wait_s=min(result.estimated_wait_s, queue.max_wait_s),
    )
    await peer.send(position)
    hub.remember_sent(peer, dump_signal(position))
    hub.kick()


def _agent_of(conn: Connection, call_id: str, kiosk_id: str) -> str:
    """The agent connected with the kiosk's call; refuses anything else."""
    call = call_row(conn, call_id)
    if call is None or call.kiosk_id != kiosk_id:
        raise RoutingError("call.unknown", f"no call {call_id!r} for this kiosk")
    if call.state != "connected" or call.agent_id is None:
        raise RoutingError("call.not_connected", "no agent is connected with this call")
    return str(call.agent_id)


async def _tell_agent_finished(hub: Hub, finished: Finished) -> None:
    if finished.agent_id is None:
        return
    if finished.state == "cancelled":
        await hub.to_agent(finished.agent_id, CallTaken(call_id=finished.call_id))
    else:
        outcome = kiosk_outcome(CallOutcome(finished.outcome))
        await hub.to_agent(finished.agent_id, Hangup(call_id=finished.call_id, outcome=outcome))
        await hub.tell_state(finished.agent_id, "wrap_up")


async def _kiosk_gone(hub: Hub, kiosk_id: str) -> None:
    """The socket closed: a waiting call is cancelled; a connected one gets a grace period."""

    def cancel_waiting(conn: Connection) -> tuple[list[Finished], bool]:
        now: datetime = hub.now()
        finished = []
        connected = False
        for call in kiosk_active_calls(conn, kiosk_id):
            if call.state == "connected":
                connected = True
            else:
                finished.append(cancel_call(conn, call.call_id, kiosk_id, now))
        return finished, connected

    try:
        finished, connected = await hub.run(cancel_waiting)
    except Exception:
        _log.warning("could not cancel the calls of kiosk %s", kiosk_id, exc_info=True)
        return
    for item in finished:
        await _tell_agent_finished(hub, item)
    if connected:
        hub.later(_end_if_not_back(hub, kiosk_id))


async def _end_if_not_back(hub: Hub, kiosk_id: str) -> None:
    # The media may survive a signalling blip: wait before ending the call. This
    # checks this instance's sockets only; a kiosk's reconnect usually lands here
    # (same load-balancer affinity), otherwise the agent ends the call by hand.
    await asyncio.sleep(hub.settings.agent_grace_s)
    if kiosk_id in hub.kiosks:
        return

    def end_connected(conn: Connection) -> list[Finished]:
        return [
            end_call(conn, call.call_id, "connection_lost", hub.now(), kiosk_id=kiosk_id)
            for call in kiosk_active_calls(conn, kiosk_id)
            if call.state == "connected"
        ]

    for item in await hub.run(end_connected):
        await _tell_agent_finished(hub, item)
