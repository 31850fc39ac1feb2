"""Keeps a call's media up: offer, answer, watch, and rebuild the connection when it dies.

The kiosk is always the offerer; every renegotiation is a new
``RTCPeerConnection`` and a new ``offer`` with the same ``call_id``; the
console answers by replacing its own connection. Nothing here needs the
citizen or the agent to act: a cut link comes back by itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from video.channel import Quality, QualityLevel
from video.peer import PeerLink
from video.prepared import OfferPreparation
from video.quality import QualityController
from video.receiver import FrameStats
from video.session import ChannelSession
from video.settings import CallSettings
from video.turnprobe import any_answers
from video.watchdog import LinkActivity, backoff_s, dead_link_reason

_log = logging.getLogger(__name__)
WATCH_PERIOD_S = 0.1
# Why a connection attempt failed (the reason logged and counted by the supervisor).
CONNECT_FAILED = "connect_failed"
NO_RELAY = "no_relay"  # the TURN server does not answer: the path to it is down


class LinkSupervisor:
    """Runs connections one after the other until cancelled.

    ``on_link_state(connected, attempt)`` tells the call whether media is up;
    ``attempt`` counts the renegotiations since the last good connection.
    """

    def __init__(
        self,
        settings: CallSettings,
        *,
        make_link: Callable[[], PeerLink],
        send_offer: Callable[[str], Awaitable[None]],
        session: ChannelSession,
        quality: QualityController,
        stats: FrameStats,
        on_link_state: Callable[[bool, int], None],
        preparation: OfferPreparation | None = None,
    ) -> None:
        self._settings = settings
        self._preparation = preparation  # the first link's offer, made while queued
        self._make_link = make_link
        self._send_offer = send_offer
        self._session = session
        self._quality = quality
        self._stats = stats
        self._on_link_state = on_link_state
        self._answer: asyncio.Future[str] | None = None
        self._last_traffic: float | None = None
        self.remote_level = QualityLevel.FULL
        self.renegotiations = 0
        self.link: PeerLink | None = None  # the connection being made or in use
        self._link_worked = False
        self._closing: set[asyncio.Task[None]] = set()

    def deliver_answer(self, sdp: str) -> None:
        """The agent's answer to the offer in flight (ignored when none is)."""
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(sdp)
        else:
            _log.info("an answer arrived with no offer in flight; ignored")

    def note_traffic(self) -> None:
        """Something arrived from the agent (a frame, audio, a data-channel message)."""
        self._last_traffic = time.monotonic()

    async def run(self) -> None:
        """Connect, watch, rebuild; returns only by cancellation."""
        attempt = 0  # renegotiations since the last connection that came up
        while True:
            self._link_worked = False
            reason = await self._one_link()
            attempt = 1 if self._link_worked else attempt + 1
            self.renegotiations += 1
            _log.warning("call link lost (%s); renegotiating, attempt %d", reason, attempt)
            self._on_link_state(False, attempt)
            first, ceiling = self._settings.reconnect_backoff_s
            # An unanswered TURN probe already waited its timeout: probe again soon,
            # so the call is back within a couple of seconds of the link.
            delay = first if reason == NO_RELAY else backoff_s(attempt, first, ceiling)
            await asyncio.sleep(delay)

    async def _one_link(self) -> str:
        """Run one connection until it dies; why it died."""
        settings = self._settings
        preparation, self._preparation = self._preparation, None
        prepared = None
        if preparation is not None:
            prepared = await preparation.take(settings.connect_timeout_s)
        if prepared is None:
            if settings.relay_only and not await any_answers(
                settings.ice_servers, settings.turn_probe_timeout_s
            ):
                # The path to TURN is down: a gathering now could not end for ~30 s.
                return NO_RELAY
            link, sdp = self._make_link(), None
        else:
            link, sdp = prepared.link, prepared.sdp
        self._session.attach(link.channel)
        link.channel.on("open", self._on_channel_open)
        self.link = link
        try:
            failure = await self._connect(link, sdp)
            if failure is not None:
                return failure
            self._link_worked = True
            self._on_link_state(True, 0)
            if self._settings.adapt:
                link.spawn(self._quality.run(link.pc, link.shield))
            return await self._watch(link)
        finally:
            self._answer = None
            self.link = None
            self._session.detach()
            self._retire(link)

    def _retire(self, link: PeerLink) -> None:
        """Close ``link`` in the background: on a dead path aiortc takes many seconds
        to close (SCTP and DTLS shutdowns time out), and the next link must not wait."""
        task = asyncio.get_running_loop().create_task(link.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def wait_closed(self) -> None:
        """Wait until every retired connection has closed (after cancelling :meth:`run`)."""
        await asyncio.gather(*self._closing, return_exceptions=True)

    async def _connect(self, link: PeerLink, sdp: str | None) -> str | None:
        """Offer (``sdp`` if already made), wait for the answer and the connection;
        why it failed, ``None`` if up."""
        timeout = self._settings.connect_timeout_s
        try:
            async with asyncio.timeout(timeout):
                if sdp is None:
                    sdp = await link.offer()  # gathers every candidate (no trickle)
                self._answer = asyncio.get_running_loop().create_future()
                await self._send_offer(sdp)
                await link.accept_answer(await self._answer)
                done = asyncio.ensure_future(link.connected.wait())
                failed = asyncio.ensure_future(link.failed.wait())
                try:
                    await asyncio.wait((done, failed), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    done.cancel()
                    failed.cancel()
                    await asyncio.gather(done, failed, return_exceptions=True)
        except TimeoutError:
            _log.info("no connection within %s s", timeout)
            return CONNECT_FAILED
        except (ConnectionError, ValueError) as err:  # signalling down; a refused answer
            _log.info("connection attempt failed: %s", err)
            return CONNECT_FAILED
        return None if link.connected.is_set() and not link.failed.is_set() else CONNECT_FAILED

    async def _watch(self, link: PeerLink) -> str:
        started = time.monotonic()
        self._last_traffic = None
        while True:
            await asyncio.sleep(WATCH_PERIOD_S)
            if link.failed.is_set():
                return "ice_failed"
            shown = self._stats.last_frame_at
            activity = LinkActivity(
                started_at=started,
                last_fresh_video_at=shown if shown is not None and shown >= started else None,
                last_traffic_at=self._last_traffic,
                expect_video=self.remote_level in (QualityLevel.FULL, QualityLevel.REDUCED),
            )
            reason = dead_link_reason(
                activity,
                time.monotonic(),
                media_timeout_s=self._settings.media_timeout_s,
                first_media_timeout_s=self._settings.connect_timeout_s,
            )
            if reason is not None:
                return reason

    def _on_channel_open(self) -> None:
        # A fresh channel: tell the agent what we send if it is not the default.
        if self._quality.level is not QualityLevel.FULL:
            self._session.send(Quality(level=self._quality.level, reason="reconnected"))
