"""The analytics sender: the kiosk's service events to the back end, exactly once.

Events wait in the kiosk's log (an :class:`EventStore`) until the back end
acknowledges them; each carries a random id that the back end stores as a
primary key, so an event sent twice (an answer lost on the way back) counts
once. The kiosk forgets what the back end accepted, or refused for good.

Like the outbox's :class:`~offline_queue.sync.SyncWorker`: plain asyncio and
httpx, never raises for a network or back-end failure, and backs off
(exponential, full jitter) or waits as long as ``Retry-After`` asks. A batch
the back end refuses as unreadable (400, 413, 422) is sent again one event at
a time; an event refused alone is dropped with a log line, so one bad event
never holds up the figures of a whole kiosk. Every call on the store is a
short SQLite statement on the loop's thread, like the outbox's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

import httpx
from pydantic import ValidationError

from offline_queue.analytics import (
    ANALYTICS_PATH,
    MAX_EVENTS_PER_BATCH,
    AnalyticsAnswer,
    AnalyticsBatch,
    ServiceEvent,
)
from offline_queue.retry import HEALTH_PATH, backoff_delay_s, parse_retry_after

logger = logging.getLogger(__name__)
CONTENT_REFUSALS = frozenset({400, 413, 422})


class EventStore(Protocol):
    """Where events wait for the back end (the kiosk's ``ServiceEventLog``)."""

    def pending(self, limit: int | None) -> list[ServiceEvent]:
        """Up to ``limit`` events, oldest first."""

    def acknowledge(self, ids: Collection[str]) -> int:
        """Forget these events; returns how many were forgotten."""


@dataclass(frozen=True)
class AnalyticsReport:
    """What one :meth:`AnalyticsSender.send_once` did."""

    sent: int = 0
    accepted: int = 0
    dropped: int = 0  # refused for good by the back end
    failure: str | None = None
    retry_after_s: float | None = None


class AnalyticsSender:
    """Sends the store's events in batches until none is left; then waits and starts again."""

    def __init__(
        self,
        store: EventStore,
        client: httpx.AsyncClient,
        *,
        interval_s: float = 60.0,
        batch_size: int = MAX_EVENTS_PER_BATCH,
        backoff_base_s: float = 5.0,
        backoff_cap_s: float = 900.0,
        request_deadline_s: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_EVENTS_PER_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_EVENTS_PER_BATCH}")
        if min(interval_s, backoff_base_s, backoff_cap_s) < 0 or request_deadline_s <= 0:
            raise ValueError("delays must not be negative, the deadline must be positive")
        self._store = store
        self._client = client
        self._interval_s = interval_s
        self._batch_size = batch_size
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._deadline_s = request_deadline_s
        self._rng = rng or random.Random()
        self._poked = asyncio.Event()
        self.consecutive_failures = 0
        self.next_delay_s = 0.0
        self._unreachable = False

    def poke(self) -> None:
        """Send soon (a test, or a technician's "sync now")."""
        self._poked.set()

    async def run(self) -> None:
        """Send, wait, repeat, until cancelled. Never raises for send failures."""
        while True:
            report = await self.send_once()
            if report.retry_after_s is not None:
                await asyncio.sleep(self.next_delay_s)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poked.wait(), timeout=self.next_delay_s)

    async def send_once(self) -> AnalyticsReport:
        """Send every waiting event, batch after batch, until none is left or a failure stops."""
        self._poked.clear()
        sent = accepted = dropped = 0
        failure: str | None = None
        retry_after: float | None = None
        try:
            if self._unreachable:
                # Unreachable last time: a small probe first, rather than read and
                # encode a batch of up to 500 events that would go nowhere again.
                failure = await self._probe()
            while failure is None:
                batch = self._store.pending(self._batch_size)
                if not batch:
                    break
                sent += len(batch)
                outcome = await self._send(batch)
                accepted += outcome.accepted
                dropped += outcome.dropped
                failure, retry_after = outcome.failure, outcome.retry_after_s
                if outcome.accepted + outcome.dropped == 0 and failure is None:
                    failure = "the back end kept none of the events"  # never spin
        except Exception:
            # The kiosk keeps serving and tries again later rather than stop counting.
            logger.exception("analytics send failed unexpectedly")
            failure = "internal error"
        report = AnalyticsReport(sent, accepted, dropped, failure, retry_after)
        self._schedule(report)
        return report

    async def _probe(self) -> str | None:
        """``None`` if the back end answers ``/healthz``, else the failure."""
        try:
            async with asyncio.timeout(self._deadline_s):
                response = await self._client.get(HEALTH_PATH)
        except (httpx.HTTPError, TimeoutError) as err:
            return f"network: {type(err).__name__}"
        return None if response.status_code == httpx.codes.OK else f"HTTP {response.status_code}"

    async def _send(self, batch: list[ServiceEvent]) -> AnalyticsReport:
        body = AnalyticsBatch(events=batch).model_dump_json()
        try:
            async with asyncio.timeout(self._deadline_s):
                response = await self._client.post(
                    ANALYTICS_PATH, content=body, headers={"Content-Type": "application/json"}
                )
        except (httpx.HTTPError, TimeoutError) as err:
            return AnalyticsReport(failure=f"network: {type(err).__name__}")
        code = response.status_code
        if code == httpx.codes.OK:
            return self._apply(batch, response)
        if code in CONTENT_REFUSALS:
            if len(batch) > 1:
                return await self._one_by_one(batch)
            logger.warning("analytics event %s refused (HTTP %d): dropped", batch[0].id, code)
            return AnalyticsReport(dropped=self._store.acknowledge([batch[0].id]))
        wait = parse_retry_after(response.headers.get("Retry-After"))
        return AnalyticsReport(failure=f"HTTP {code}", retry_after_s=wait)

    async def _one_by_one(self, batch: list[ServiceEvent]) -> AnalyticsReport:
        accepted = dropped = 0
        for event in batch:
            outcome = await self._send([event])
            accepted += outcome.accepted
            dropped += outcome.dropped
            if outcome.failure is not None:
                return AnalyticsReport(
                    accepted=accepted,
                    dropped=dropped,
                    failure=outcome.failure,
                    retry_after_s=outcome.retry_after_s,
                )
        return AnalyticsReport(accepted=accepted, dropped=dropped)

    def _apply(self, batch: list[ServiceEvent], response: httpx.Response) -> AnalyticsReport:
        try:
            answer = AnalyticsAnswer.model_validate_json(response.content)
        except ValidationError:
            return AnalyticsReport(failure="unreadable answer from the back end")
        ours = {event.id for event in batch}
        kept = [event_id for event_id in answer.accepted if event_id in ours]
        refused = [event.id for event in answer.rejected if event.id in ours]
        for event in answer.rejected:
            logger.warning("analytics event %s refused: %s", event.id, event.reason)
        return AnalyticsReport(
            accepted=self._store.acknowledge(kept), dropped=self._store.acknowledge(refused)
        )

    def _schedule(self, report: AnalyticsReport) -> None:
        self._unreachable = report.failure is not None and report.failure.startswith("network:")
        if report.failure is None:
            self.consecutive_failures = 0
            self.next_delay_s = self._interval_s
            return
        self.consecutive_failures += 1
        logger.warning(
            "analytics send failed (%d in a row): %s", self.consecutive_failures, report.failure
        )
        if report.retry_after_s is not None:
            self.next_delay_s = report.retry_after_s
        else:
            self.next_delay_s = backoff_delay_s(
                self.consecutive_failures,
                base_s=self._backoff_base_s,
                cap_s=self._backoff_cap_s,
                rng=self._rng,
            )
