"""The sync worker: drains the outbox to the back end on the kiosk's asyncio loop.

Plain asyncio and ``httpx.AsyncClient`` only, so it runs the same under the
kiosk's Qt-backed loop and under a test's loop.

How answers are handled (the queue must neither lose nor duplicate items,
and no single item may block the others); :mod:`offline_queue.status` sorts
the HTTP codes:

* ``stored`` / ``duplicate`` -> acknowledged; ``rejected`` -> dead letter;
  ``retry`` -> pending again (attachments are checked again first).
* Network error, timeout, a request that outlives its deadline, 5xx, 429 and
  misconfiguration (401, 403, 404, 405) -> every item goes back to
  ``pending`` and the worker backs off (exponential, full jitter), or waits
  as long as a ``Retry-After`` asks.
* Another 4xx on a batch -> the items are resent one by one, to find the
  culprit; the same answer to a single item dead-letters it with the
  answer as reason, and the items behind it go on.
* An answer that is not a valid ``SyncBatchResponse``, or that lacks some
  items, leaves those items pending and counts as a failure.
* With nothing to send, the worker asks ``/healthz`` instead, so that
  ``online`` tells the truth on an idle kiosk too. After an attempt that
  found the back end unreachable, the next one asks ``/healthz`` first, and
  reads and sends a batch only if it answers.

Waiting uses the loop's monotonic clock, so a kiosk clock that jumps never
shortens or stretches a backoff; the wall clock only stamps what people read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import ValidationError

from offline_queue.outbox import ClaimedItem, Outbox, OutboxError
from offline_queue.retry import HEALTH_PATH, backoff_delay_s
from offline_queue.schemas import (
    MAX_ITEMS_PER_BATCH,
    ItemResult,
    ItemStatus,
    SyncBatchRequest,
    SyncBatchResponse,
)
from offline_queue.status import (
    FailureKind,
    SyncFailure,
    SyncReport,
    SyncStatus,
    blames_content,
    detail_of,
    network_failure,
    refusal,
)
from offline_queue.tls import require_secure_url
from offline_queue.upload import AttachmentUploader

__all__ = [
    "FailureKind",
    "SyncFailure",
    "SyncReport",
    "SyncStatus",
    "SyncWorker",
    "make_backend_client",
]

logger = logging.getLogger(__name__)

SYNC_PATH = "/api/v1/sync"
CLOCK_SKEW_WARNING_S = 120.0  # beyond this, receipts and logs disagree visibly
HOUSEKEEPING_INTERVAL_S = 3_600.0


def make_backend_client(
    base_url: str,
    token: str,
    *,
    timeout_s: float = 10.0,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    """An HTTP client for the back end at ``base_url``, authenticated with ``token``.

    ``ssl_context`` (from :func:`offline_queue.tls.client_context`) pins the back
    end's key; without one, https uses the system's CAs. A plain http URL to
    another machine is refused: the token would cross the network in clear.
    """
    if not token or any(char.isspace() for char in token):
        raise ValueError("the back end token must be a non-empty string without spaces")
    require_secure_url(base_url)
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx.Timeout(timeout_s),
        verify=ssl_context if ssl_context is not None else True,
    )


@dataclass
class _Tally:
    sent: int = 0
    acknowledged: int = 0
    duplicates: int = 0
    rejected: int = 0
    released: int = 0

    def report(self, failure: SyncFailure | None, uploaded_bytes: int = 0) -> SyncReport:
        return SyncReport(
            self.sent,
            self.acknowledged,
            self.duplicates,
            self.rejected,
            self.released,
            uploaded_bytes,
            failure,
        )


class SyncWorker:
    """Sends outbox items to the back end in batches, retrying with backoff until told to stop."""

    def __init__(
        self,
        outbox: Outbox,
        client: httpx.AsyncClient,
        *,
        interval_s: float = 5.0,
        max_items: int = MAX_ITEMS_PER_BATCH,
        max_bytes: int = 512_000,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 300.0,
        request_deadline_s: float = 60.0,
        retention: timedelta | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not 1 <= max_items <= MAX_ITEMS_PER_BATCH:
            raise ValueError(f"max_items must be between 1 and {MAX_ITEMS_PER_BATCH}")
        if max_bytes < 1 or min(interval_s, backoff_base_s, backoff_cap_s) < 0:
            raise ValueError("sizes and delays must not be negative")
        if request_deadline_s <= 0:
            raise ValueError("request_deadline_s must be positive")
        self._outbox = outbox
        self._client = client
        self._interval_s = interval_s
        self._max_items = max_items
        self._max_bytes = max_bytes
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._deadline_s = request_deadline_s
        self._retention = retention
        self._rng = rng or random.Random()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._poked = asyncio.Event()
        self._listeners: list[Callable[[SyncStatus], None]] = []
        self._progress_listeners: list[Callable[[SyncReport], None]] = []
        self._last_success_at: datetime | None = None
        self._last_failure: SyncFailure | None = None
        self._consecutive_failures = 0
        self._attempted = False
        self._next_delay_s = 0.0
        self._clock_skew_s: float | None = None
        self._last_housekeeping: float | None = None

    @property
    def status(self) -> SyncStatus:
        """The backlog, the outcome of the latest attempt and the outbox's alarms.

        ``online`` is true when the latest attempt went through without a
        failure. Raises :class:`OutboxError` if the outbox cannot be read.
        """
        failure = self._last_failure
        stats = self._outbox.stats()
        oldest = stats.oldest_pending_created_at
        age = max(0.0, (self._clock() - oldest).total_seconds()) if oldest else None
        return SyncStatus(
            backlog=stats.backlog,
            last_success_at=self._last_success_at,
            last_error=failure.message if failure else None,
            consecutive_failures=self._consecutive_failures,
            online=self._attempted and failure is None,
            oldest_pending_age_s=age,
            dead_letters=stats.rejected,
            next_attempt_in_s=self._next_delay_s,
            clock_skew_s=self._clock_skew_s,
            alarms=self._outbox.health().alarms,
        )

    @property
    def next_delay_s(self) -> float:
        """How long :meth:`run` waits before the next attempt (interval or backoff)."""
        return self._next_delay_s

    def add_listener(self, callback: Callable[[SyncStatus], None]) -> None:
        """Call ``callback`` with the new status after every attempt (on the loop's thread)."""
        self._listeners.append(callback)

    def add_progress_listener(self, callback: Callable[[SyncReport], None]) -> None:
        """Call ``callback`` after every batch with what the attempt did so far."""
        self._progress_listeners.append(callback)

    def poke(self) -> None:
        """Sync soon: something was just enqueued, or a technician asked for it.

        Ends the wait between attempts, including a backoff (pokes come from
        people, so they cannot storm the back end), but not a wait the back
        end asked for with ``Retry-After``.
        """
        self._poked.set()

    async def run(self) -> None:
        """Sync, wait, repeat, until cancelled. Never raises for sync failures."""
        while True:
            await self.sync_once()
            failure = self._last_failure
            if failure is not None and failure.retry_after_s is not None:
                await asyncio.sleep(self._next_delay_s)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poked.wait(), timeout=self._next_delay_s)

    async def sync_once(self) -> SyncReport:
        """Send every pending item, batch after batch, until none is left or a failure stops it.

        Never raises for network, back end or outbox failures: the report says
        what happened. Items are never left in ``sending``, even on cancellation.
        """
        # Cleared before claiming: a poke during this attempt means "go again".
        self._poked.clear()
        tally = _Tally()
        uploader = AttachmentUploader(self._outbox, self._call)
        try:
            last = self._last_failure
            if last is not None and last.kind is FailureKind.OUTBOX:
                # The outbox failed mid-attempt last time: items may be stuck in `sending`.
                tally.released += self._outbox.release_in_flight()
            failure = None
            if last is not None and last.kind is FailureKind.UNREACHABLE:
                # Unreachable last time: ask /healthz first. An offline kiosk then
                # costs one small request per retry, instead of reading, encoding
                # and holding a full batch (100 items) that cannot go anywhere.
                failure = await self._probe()
            if failure is None:
                failure = await self._drain(tally, uploader)
        except OutboxError as err:
            logger.error("sync stopped by an outbox failure: %s", err)
            failure = SyncFailure(FailureKind.OUTBOX, "outbox unavailable")
        except Exception:
            # An unattended kiosk keeps trying rather than silently stop syncing.
            logger.exception("sync attempt failed unexpectedly")
            failure = SyncFailure(FailureKind.INTERNAL, "internal error")
        report = tally.report(failure, uploader.bytes_sent)
        self._record(report)
        return report

    # -- one attempt -----------------------------------------------------------

    async def _drain(self, tally: _Tally, uploader: AttachmentUploader) -> SyncFailure | None:
        while True:
            batch = self._outbox.claim_batch(self._max_items, self._max_bytes)
            if not batch:
                # Nothing to send: check that the back end answers, so that
                # `online` tells the truth on an idle kiosk too.
                return await self._probe() if tally.sent == 0 else None
            try:
                failure = await self._upload_then_send(batch, tally, uploader)
            except BaseException:
                # Cancelled mid-request: the back end may or may not have the
                # items; pending is safe either way thanks to idempotency keys.
                self._outbox.release([item.idempotency_key for item in batch], "interrupted")
                raise
            self._tell_progress(tally.report(None, uploader.bytes_sent))
            if failure is not None:
                return failure

    async def _call(self, method: str, url: str, **options: Any) -> httpx.Response | SyncFailure:
        """One request under a deadline: a back end that trickles its answer counts as hung."""
        try:
            async with asyncio.timeout(self._deadline_s):
                return await self._client.request(method, url, **options)
        except (httpx.HTTPError, TimeoutError) as err:
            return network_failure(err)

    async def _probe(self) -> SyncFailure | None:
        response = await self._call("GET", HEALTH_PATH)
        if isinstance(response, SyncFailure):
            return response
        return None if response.status_code == httpx.codes.OK else refusal(response)

    async def _upload_then_send(
        self, batch: list[ClaimedItem], tally: _Tally, uploader: AttachmentUploader
    ) -> SyncFailure | None:
        keys = [item.idempotency_key for item in batch]
        for pending in self._outbox.pending_uploads(keys):
            failure = await uploader.upload(pending)
            if failure is not None:
                return self._give_back(keys, tally, failure)
        return await self._send(batch, tally)

    async def _send(self, batch: list[ClaimedItem], tally: _Tally) -> SyncFailure | None:
        """Send one batch; on return every item of it has left ``sending``."""
        keys = [item.idempotency_key for item in batch]
        sent_at = self._clock()
        request = SyncBatchRequest(sent_at=sent_at, items=[item.wire for item in batch])
        tally.sent += len(batch)
        response = await self._call(
            "POST",
            SYNC_PATH,
            content=request.model_dump_json(),
            headers={"Content-Type": "application/json"},
        )
        if isinstance(response, SyncFailure):
            return self._give_back(keys, tally, response)
        code = response.status_code
        if code == httpx.codes.OK:
            return self._apply(batch, response, tally, sent_at)
        if not blames_content(code):
            return self._give_back(keys, tally, refusal(response))
        if len(batch) > 1:
            tally.sent -= len(batch)  # counted again item by item
            return await self._send_one_by_one(batch, tally)
        reason = f"refused by the back end (HTTP {code})"
        detail = detail_of(response)
        self._outbox.mark_rejected(keys[0], f"{reason}: {detail}" if detail else reason)
        tally.rejected += 1
        return None

    async def _send_one_by_one(self, batch: list[ClaimedItem], tally: _Tally) -> SyncFailure | None:
        for position, item in enumerate(batch):
            failure = await self._send([item], tally)
            if failure is not None:
                rest = [later.idempotency_key for later in batch[position + 1 :]]
                self._give_back(rest, tally, failure)
                return failure
        return None

    def _apply(
        self, batch: list[ClaimedItem], response: httpx.Response, tally: _Tally, sent_at: datetime
    ) -> SyncFailure | None:
        keys = [item.idempotency_key for item in batch]
        try:
            answer = SyncBatchResponse.model_validate_json(response.content)
        except ValidationError:
            unreadable = SyncFailure(FailureKind.BAD_ANSWER, "unreadable answer from the back end")
            return self._give_back(keys, tally, unreadable)
        self._measure_skew(answer, sent_at)
        results: dict[str, ItemResult] = {}
        for answered in answer.results:
            results.setdefault(answered.idempotency_key, answered)
        acknowledged: list[str] = []
        retry: list[str] = []
        missing: list[str] = []
        for key in keys:
            result = results.get(key)
            if result is None:
                missing.append(key)
            elif result.status is ItemStatus.REJECTED:
                self._outbox.mark_rejected(key, result.reason or "rejected by the back end")
                tally.rejected += 1
            elif result.status is ItemStatus.RETRY:
                retry.append(key)
            else:
                acknowledged.append(key)
                if result.status is ItemStatus.DUPLICATE:
                    tally.duplicates += 1
        tally.acknowledged += self._outbox.mark_acknowledged(acknowledged)
        failure: SyncFailure | None = None
        if retry:
            failure = SyncFailure(
                FailureKind.DEFERRED, f"the back end asked for {len(retry)} item(s) again later"
            )
            tally.released += self._outbox.release(retry, failure.message, recheck_uploads=True)
        if missing:
            failure = SyncFailure(
                FailureKind.BAD_ANSWER, f"the back end did not answer for {len(missing)} item(s)"
            )
            self._give_back(missing, tally, failure)
        return failure

    def _give_back(self, keys: list[str], tally: _Tally, failure: SyncFailure) -> SyncFailure:
        tally.released += self._outbox.release(keys, failure.message)
        return failure

    def _measure_skew(self, answer: SyncBatchResponse, sent_at: datetime) -> None:
        if answer.server_time is None:
            return
        received_at = self._clock()
        # The server stamped its answer somewhere between our send and receipt.
        midpoint = sent_at + (received_at - sent_at) / 2
        skew = (answer.server_time - midpoint).total_seconds()
        before = self._clock_skew_s
        self._clock_skew_s = skew
        if abs(skew) > CLOCK_SKEW_WARNING_S and (
            before is None or abs(before) <= CLOCK_SKEW_WARNING_S
        ):
            logger.warning("kiosk clock is %.0f s off the back end's", -skew)

    # -- status ------------------------------------------------------------------

    def _record(self, report: SyncReport) -> None:
        self._attempted = True
        self._last_failure = report.failure
        if report.failure is None:
            self._consecutive_failures = 0
            self._last_success_at = self._clock()
            self._next_delay_s = self._interval_s
            self._housekeeping()
        else:
            self._consecutive_failures += 1
            logger.warning(
                "sync failed (%d in a row): %s",
                self._consecutive_failures,
                report.failure.message,
            )
            if report.failure.retry_after_s is not None:
                self._next_delay_s = report.failure.retry_after_s
            else:
                self._next_delay_s = backoff_delay_s(
                    self._consecutive_failures,
                    base_s=self._backoff_base_s,
                    cap_s=self._backoff_cap_s,
                    rng=self._rng,
                )
        if not self._listeners:
            return
        try:
            status = self.status
        except OutboxError as err:
            logger.error("sync status unavailable: %s", err)
            return
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                # A broken display must not stop the queue from draining.
                logger.exception("sync status listener failed")

    def _tell_progress(self, progress: SyncReport) -> None:
        for listener in list(self._progress_listeners):
            try:
                listener(progress)
            except Exception:
                logger.exception("sync progress listener failed")

    def _housekeeping(self) -> None:
        """Purge acknowledged items past their retention, at most once an hour."""
        now = time.monotonic()
        if self._retention is None or (
            self._last_housekeeping is not None
            and now - self._last_housekeeping < HOUSEKEEPING_INTERVAL_S
        ):
            return
        self._last_housekeeping = now
        try:
            purged = self._outbox.purge_acknowledged(self._retention)
        except OutboxError as err:
            logger.error("purge of acknowledged items failed: %s", err)
            return
        if purged:
            logger.info("purged %d acknowledged item(s) past retention", purged)
