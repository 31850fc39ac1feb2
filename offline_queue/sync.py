"""The sync worker: drains the outbox to the back end on the kiosk's asyncio loop.

Plain asyncio and ``httpx.AsyncClient`` only, so it runs the same under the
kiosk's Qt-backed loop and under a test's loop.

How answers are handled (the queue must neither lose nor duplicate items,
and no single item may block the others):

* ``stored`` / ``duplicate`` -> acknowledged; ``rejected`` -> dead letter.
* Network error, timeout, HTTP 5xx, 429, 401, 403 and any other refusal of
  the whole batch -> every item goes back to ``pending`` and the worker backs
  off. A bad credential is a configuration fault, never a fault of the
  citizens' items, so nothing is dead-lettered for it.
* HTTP 413 or 422 on a batch of several items -> the items are resent one by
  one, to find the culprit. The same answer to a single item means this item
  can never be accepted as is (the back end judges it with the same shared
  schemas the kiosk used), and left pending it would sit at the head of the
  queue and fail every batch after it: it is dead-lettered.
* An answer that is not a valid ``SyncBatchResponse``, or that lacks some
  items, leaves those items pending and counts as a failure.
* With nothing to send, the worker asks ``/healthz`` instead, so that
  ``online`` tells the truth on an idle kiosk too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import httpx
from pydantic import ValidationError

from offline_queue.outbox import ClaimedItem, Outbox, OutboxError
from offline_queue.retry import backoff_delay_s, parse_retry_after
from offline_queue.schemas import (
    MAX_ITEMS_PER_BATCH,
    ItemResult,
    ItemStatus,
    SyncBatchRequest,
    SyncBatchResponse,
)

logger = logging.getLogger(__name__)

SYNC_PATH = "/api/v1/sync"
HEALTH_PATH = "/healthz"
MAX_DETAIL_CHARS = 200


class FailureKind(StrEnum):
    """Why a sync attempt stopped early."""

    UNREACHABLE = "unreachable"  # connection refused, DNS, timeout, connection lost
    SERVER_ERROR = "server_error"  # HTTP 5xx
    RATE_LIMITED = "rate_limited"  # HTTP 429
    REFUSED = "refused"  # the whole batch refused: 401, 403, 404, other 4xx
    BAD_ANSWER = "bad_answer"  # not a SyncBatchResponse, or items missing from it
    OUTBOX = "outbox"  # the local database failed
    INTERNAL = "internal"  # a bug: logged with its traceback, retried with backoff


@dataclass(frozen=True)
class SyncFailure:
    """What went wrong, in a short message free of personal data."""

    kind: FailureKind
    message: str
    retry_after_s: float | None = None


@dataclass(frozen=True)
class SyncReport:
    """The outcome of one :meth:`SyncWorker.sync_once`."""

    sent: int = 0
    acknowledged: int = 0
    duplicates: int = 0
    rejected: int = 0
    released: int = 0
    failure: SyncFailure | None = None

    @property
    def ok(self) -> bool:
        """True when the attempt ran to the end without a failure."""
        return self.failure is None


@dataclass(frozen=True)
class SyncStatus:
    """What the UI and the maintenance screen show about sync."""

    backlog: int
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    online: bool


@dataclass
class _Tally:
    sent: int = 0
    acknowledged: int = 0
    duplicates: int = 0
    rejected: int = 0
    released: int = 0


def make_backend_client(base_url: str, token: str, *, timeout_s: float = 10.0) -> httpx.AsyncClient:
    """An HTTP client for the back end at ``base_url``, authenticated with ``token``."""
    if not token or any(char.isspace() for char in token):
        raise ValueError("the back end token must be a non-empty string without spaces")
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx.Timeout(timeout_s),
    )


def _detail(response: httpx.Response) -> str:
    # Our back end never echoes input values in `detail`; still keep it short.
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    return detail[:MAX_DETAIL_CHARS] if isinstance(detail, str) else ""


class SyncWorker:
    """Sends outbox items to the back end in batches, retrying with backoff until told to stop."""

    def __init__(
        self,
        outbox: Outbox,
        client: httpx.AsyncClient,
        *,
        interval_s: float = 5.0,
        max_items: int = 50,
        max_bytes: int = 512_000,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 300.0,
        rng: random.Random | None = None,
    ) -> None:
        if not 1 <= max_items <= MAX_ITEMS_PER_BATCH:
            raise ValueError(f"max_items must be between 1 and {MAX_ITEMS_PER_BATCH}")
        if max_bytes < 1 or interval_s < 0 or backoff_base_s < 0 or backoff_cap_s < 0:
            raise ValueError("sizes and delays must not be negative")
        self._outbox = outbox
        self._client = client
        self._interval_s = interval_s
        self._max_items = max_items
        self._max_bytes = max_bytes
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._rng = rng or random.Random()
        self._poked = asyncio.Event()
        self._listeners: list[Callable[[SyncStatus], None]] = []
        self._last_success_at: datetime | None = None
        self._last_failure: SyncFailure | None = None
        self._consecutive_failures = 0
        self._attempted = False
        self._next_delay_s = 0.0

    @property
    def status(self) -> SyncStatus:
        """The current backlog and the outcome of the latest attempt.

        ``online`` is true when the latest attempt went through without a
        failure. Raises :class:`OutboxError` if the outbox cannot be read.
        """
        failure = self._last_failure
        return SyncStatus(
            backlog=self._outbox.stats().backlog,
            last_success_at=self._last_success_at,
            last_error=failure.message if failure else None,
            consecutive_failures=self._consecutive_failures,
            online=self._attempted and failure is None,
        )

    @property
    def next_delay_s(self) -> float:
        """How long :meth:`run` waits before the next attempt (interval or backoff)."""
        return self._next_delay_s

    def add_listener(self, callback: Callable[[SyncStatus], None]) -> None:
        """Call ``callback`` with the new status after every attempt (on the loop's thread)."""
        self._listeners.append(callback)

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
        try:
            failure = await self._drain(tally)
        except OutboxError as err:
            logger.error("sync stopped by an outbox failure: %s", err)
            failure = SyncFailure(FailureKind.OUTBOX, "outbox unavailable")
        except Exception:
            # An unattended kiosk keeps trying rather than silently stop syncing.
            logger.exception("sync attempt failed unexpectedly")
            failure = SyncFailure(FailureKind.INTERNAL, "internal error")
        report = SyncReport(
            sent=tally.sent,
            acknowledged=tally.acknowledged,
            duplicates=tally.duplicates,
            rejected=tally.rejected,
            released=tally.released,
            failure=failure,
        )
        self._record(report)
        return report

    # -- one attempt -----------------------------------------------------------

    async def _drain(self, tally: _Tally) -> SyncFailure | None:
        while True:
            batch = self._outbox.claim_batch(self._max_items, self._max_bytes)
            if not batch:
                # Nothing to send: check that the back end answers, so that
                # `online` tells the truth on an idle kiosk too.
                return await self._probe() if tally.sent == 0 else None
            try:
                failure = await self._send(batch, tally)
            except BaseException:
                # Cancelled mid-request: the back end may or may not have the
                # items; pending is safe either way thanks to idempotency keys.
                self._outbox.release([item.idempotency_key for item in batch], "interrupted")
                raise
            if failure is not None:
                return failure

    async def _probe(self) -> SyncFailure | None:
        try:
            response = await self._client.get(HEALTH_PATH)
        except httpx.HTTPError as err:
            return self._network_failure(err)
        if response.status_code != httpx.codes.OK:
            return self._refusal(response)
        return None

    async def _send(self, batch: list[ClaimedItem], tally: _Tally) -> SyncFailure | None:
        """Send one batch; on return every item of it has left ``sending``."""
        keys = [item.idempotency_key for item in batch]
        body = SyncBatchRequest(items=[item.wire for item in batch]).model_dump_json()
        tally.sent += len(batch)
        try:
            response = await self._client.post(
                SYNC_PATH, content=body, headers={"Content-Type": "application/json"}
            )
        except httpx.HTTPError as err:
            return self._give_back(keys, tally, self._network_failure(err))
        code = response.status_code
        if code == httpx.codes.OK:
            return self._apply(batch, response, tally)
        if code in (httpx.codes.REQUEST_ENTITY_TOO_LARGE, httpx.codes.UNPROCESSABLE_ENTITY):
            if len(batch) > 1:
                tally.sent -= len(batch)  # counted again item by item
                return await self._send_one_by_one(batch, tally)
            reason = f"refused by the back end (HTTP {code})"
            detail = _detail(response)
            self._outbox.mark_rejected(keys[0], f"{reason}: {detail}" if detail else reason)
            tally.rejected += 1
            return None
        return self._give_back(keys, tally, self._refusal(response))

    async def _send_one_by_one(self, batch: list[ClaimedItem], tally: _Tally) -> SyncFailure | None:
        for position, item in enumerate(batch):
            failure = await self._send([item], tally)
            if failure is not None:
                rest = [later.idempotency_key for later in batch[position + 1 :]]
                self._give_back(rest, tally, failure)
                return failure
        return None

    def _apply(
        self, batch: list[ClaimedItem], response: httpx.Response, tally: _Tally
    ) -> SyncFailure | None:
        keys = [item.idempotency_key for item in batch]
        try:
            answer = SyncBatchResponse.model_validate_json(response.content)
        except ValidationError:
            failure = SyncFailure(FailureKind.BAD_ANSWER, "unreadable answer from the back end")
            return self._give_back(keys, tally, failure)
        results: dict[str, ItemResult] = {}
        for answered in answer.results:
            results.setdefault(answered.idempotency_key, answered)
        acknowledged: list[str] = []
        missing: list[str] = []
        for key in keys:
            result = results.get(key)
            if result is None:
                missing.append(key)
            elif result.status is ItemStatus.REJECTED:
                self._outbox.mark_rejected(key, result.reason or "rejected by the back end")
                tally.rejected += 1
            else:
                acknowledged.append(key)
                if result.status is ItemStatus.DUPLICATE:
                    tally.duplicates += 1
        tally.acknowledged += self._outbox.mark_acknowledged(acknowledged)
        if missing:
            failure = SyncFailure(
                FailureKind.BAD_ANSWER, f"the back end did not answer for {len(missing)} item(s)"
            )
            return self._give_back(missing, tally, failure)
        return None

    def _give_back(self, keys: list[str], tally: _Tally, failure: SyncFailure) -> SyncFailure:
        tally.released += self._outbox.release(keys, failure.message)
        return failure

    @staticmethod
    def _refusal(response: httpx.Response) -> SyncFailure:
        code = response.status_code
        if code == httpx.codes.TOO_MANY_REQUESTS:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return SyncFailure(FailureKind.RATE_LIMITED, "back end busy (HTTP 429)", retry_after)
        if code >= httpx.codes.INTERNAL_SERVER_ERROR:
            return SyncFailure(FailureKind.SERVER_ERROR, f"back end error (HTTP {code})")
        return SyncFailure(FailureKind.REFUSED, f"back end refused the request (HTTP {code})")

    @staticmethod
    def _network_failure(err: httpx.HTTPError) -> SyncFailure:
        if isinstance(err, httpx.TimeoutException):
            return SyncFailure(FailureKind.UNREACHABLE, "back end timed out")
        return SyncFailure(FailureKind.UNREACHABLE, f"back end unreachable ({type(err).__name__})")

    # -- status ------------------------------------------------------------------

    def _record(self, report: SyncReport) -> None:
        self._attempted = True
        self._last_failure = report.failure
        if report.failure is None:
            self._consecutive_failures = 0
            self._last_success_at = datetime.now(UTC)
            self._next_delay_s = self._interval_s
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
