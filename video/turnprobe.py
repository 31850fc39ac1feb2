"""Is a TURN server reachable right now? One STUN Binding request, answered or not.

A relay-only call renegotiating during an outage must not start a candidate
gathering that cannot end: aioice retries an unanswered TURN allocation for
about 30 s, and cancelling that gathering leaves its sockets open. A Binding
request (which coturn answers on its listening port, without credentials)
tells within a second whether the path is back; only then is a new peer
connection built.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import urlsplit

from aioice import stun

from video.signaling import IceServer

_log = logging.getLogger(__name__)
DEFAULT_PORT = 3478
RETRANSMIT_S = (0.0, 0.25, 0.5)  # when the request is sent, from the start


def udp_turn_addresses(servers: list[IceServer]) -> list[tuple[str, int]]:
    """(host, port) of every ``turn:`` URL over UDP (TCP and TLS ones are not probed)."""
    found: list[tuple[str, int]] = []
    for server in servers:
        for url in server.urls:
            scheme, _, rest = url.partition(":")
            if scheme != "turn":
                continue
            location, _, query = rest.partition("?")
            if "transport=" in query and "transport=udp" not in query:
                continue
            parts = urlsplit(f"//{location}")
            if parts.hostname:
                found.append((parts.hostname, parts.port or DEFAULT_PORT))
    return found


class _BindingClient(asyncio.DatagramProtocol):
    def __init__(self, transaction_id: bytes) -> None:
        self._transaction_id = transaction_id
        self.answered = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        with contextlib.suppress(ValueError):  # not STUN: not our answer
            message = stun.parse_message(data)
            if message.transaction_id == self._transaction_id and not self.answered.done():
                self.answered.set_result(None)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and the like: keep trying until the timeout.
        _log.debug("TURN probe: %s", exc)


async def answers(address: tuple[str, int], timeout_s: float = 1.0) -> bool:
    """Whether the STUN/TURN server at ``address`` answers a Binding request in time."""
    request = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    loop = asyncio.get_running_loop()
    try:
        transport, client = await loop.create_datagram_endpoint(
            lambda: _BindingClient(request.transaction_id), remote_addr=address
        )
    except OSError as err:  # no route, unresolvable name
        _log.info("TURN probe of %s:%d failed: %s", *address, err)
        return False
    try:
        async with asyncio.timeout(timeout_s):
            previous = 0.0
            for at in RETRANSMIT_S:
                await asyncio.sleep(at - previous)
                previous = at
                transport.sendto(bytes(request))
                if client.answered.done():
                    return True
            await client.answered
            return True
    except TimeoutError:
        return False
    finally:
        transport.close()


async def any_answers(servers: list[IceServer], timeout_s: float = 1.0) -> bool:
    """Whether one of the UDP TURN servers answers (``True`` when there is none to probe)."""
    addresses = udp_turn_addresses(servers)
    if not addresses:
        return True
    results = await asyncio.gather(*(answers(a, timeout_s) for a in addresses))
    return any(results)
