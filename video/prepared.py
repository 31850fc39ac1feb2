"""The first offer of a call, made while the citizen waits in line.

Building a peer connection and gathering its candidates (a TURN allocation,
above all) takes the kiosk tens of milliseconds to seconds, depending on the
path to the relay. None of it depends on which agent answers, so the kiosk
does it while the citizen is queued; when an agent accepts, the offer leaves
at once and the agent sees the citizen sooner.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from video.peer import PeerLink

_log = logging.getLogger(__name__)
# aioice refreshes TURN allocations, but a connection prepared long ago may hold
# candidates from an address the kiosk no longer has (DHCP renewal, Wi-Fi roam).
PREPARED_MAX_AGE_S = 120.0


@dataclass(frozen=True)
class PreparedOffer:
    """A peer connection with its local offer set: its SDP is ready to send."""

    link: PeerLink
    sdp: str
    made_at: float  # time.monotonic()

    @property
    def fresh(self) -> bool:
        """Young enough to be used rather than rebuilt."""
        return time.monotonic() - self.made_at < PREPARED_MAX_AGE_S


async def prepare_offer(make_link: Callable[[], PeerLink]) -> PreparedOffer:
    """Build a link and gather its offer; the link is closed if gathering fails."""
    link = make_link()
    try:
        sdp = await link.offer()
    except BaseException:
        await link.close()
        raise
    return PreparedOffer(link, sdp, time.monotonic())


class OfferPreparation:
    """At most one offer in preparation or ready; taken once, or discarded."""

    def __init__(self, make_link: Callable[[], PeerLink]) -> None:
        self._make_link = make_link
        self._task: asyncio.Task[PreparedOffer] | None = None

    def start(self) -> None:
        """Begin preparing, unless an offer is already in preparation or ready."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(prepare_offer(self._make_link))

    @property
    def ready(self) -> PreparedOffer | None:
        """The offer, once prepared (None while gathering, after a failure or a take)."""
        task = self._task
        if task is None or not task.done() or task.cancelled() or task.exception() is not None:
            return None
        return task.result()

    async def take(self, timeout_s: float) -> PreparedOffer | None:
        """The prepared offer if it is (or becomes, within ``timeout_s``) ready and fresh.

        Whatever is not handed over is discarded: the caller then builds its own.
        """
        task, self._task = self._task, None
        if task is None:
            return None
        await asyncio.wait({task}, timeout=timeout_s)
        if task.done() and not task.cancelled() and task.exception() is None:
            prepared = task.result()
            if prepared.fresh:
                return prepared
            await prepared.link.close()
            return None
        await _drop(task)
        return None

    async def discard(self) -> None:
        """Close what was prepared (the citizen left the line, or the call ended)."""
        task, self._task = self._task, None
        if task is not None:
            await _drop(task)


async def _drop(task: asyncio.Task[PreparedOffer]) -> None:
    if not task.done():
        task.cancel()
    # wait() lets a cancellation of the caller through, unlike awaiting ``task``
    # under a blanket suppress of CancelledError would.
    await asyncio.wait({task})
    if task.cancelled():
        return
    failure = task.exception()
    if failure is not None:  # a failed gathering: the next attempt starts afresh
        _log.info("the prepared offer failed: %s", failure)
        return
    await task.result().link.close()
