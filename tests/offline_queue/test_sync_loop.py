"""The run loop: sync, wait (interval or backoff), wake up early when poked."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from offline_queue.outbox import Outbox
from offline_queue.retry import MAX_RETRY_AFTER_S, backoff_delay_s, parse_retry_after
from offline_queue.sync import SyncStatus, SyncWorker
from tests.fixtures import make_record
from tests.fixtures.backend import InProcessBackend
from tests.offline_queue.faults import FaultyBackend

WAIT_S = 5.0
QUIET_S = 0.3  # long enough to notice an attempt that should not happen


@pytest.fixture
async def running(
    outbox: Outbox, backend_app: InProcessBackend
) -> AsyncIterator[tuple[SyncWorker, FaultyBackend, asyncio.Queue[SyncStatus]]]:
    """A worker running in the background, with a queue of the statuses it reports."""
    faulty = FaultyBackend(backend_app.transport())
    headers = {"Authorization": f"Bearer {backend_app.kiosk_token}"}
    attempts: asyncio.Queue[SyncStatus] = asyncio.Queue()
    async with httpx.AsyncClient(
        transport=faulty, base_url=backend_app.base_url, headers=headers
    ) as http:
        sync = SyncWorker(outbox, http, interval_s=60.0, backoff_base_s=60.0, rng=random.Random(3))
        sync.add_listener(attempts.put_nowait)
        yield sync, faulty, attempts
        # The run task belongs to the test; it is cancelled there.


async def start(sync: SyncWorker) -> asyncio.Task[None]:
    return asyncio.create_task(sync.run())


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_run_syncs_at_once_then_again_when_poked(
    outbox: Outbox,
    running: tuple[SyncWorker, FaultyBackend, asyncio.Queue[SyncStatus]],
) -> None:
    sync, _faulty, attempts = running
    task = await start(sync)
    try:
        first = await asyncio.wait_for(attempts.get(), WAIT_S)
        assert first.online
        outbox.enqueue(session_id="s", record=make_record())
        sync.poke()  # well before the 60 s interval

        second = await asyncio.wait_for(attempts.get(), WAIT_S)

        assert second.backlog == 0
        assert outbox.stats().acknowledged == 1
    finally:
        await stop(task)
    assert outbox.stats().sending == 0


async def test_a_poke_cuts_a_backoff_short(
    running: tuple[SyncWorker, FaultyBackend, asyncio.Queue[SyncStatus]],
) -> None:
    sync, faulty, attempts = running
    faulty.inject("server_error")
    task = await start(sync)
    try:
        failed = await asyncio.wait_for(attempts.get(), WAIT_S)
        assert failed.consecutive_failures == 1
        assert sync.next_delay_s > 1.0  # backoff of up to 60 s

        sync.poke()

        recovered = await asyncio.wait_for(attempts.get(), WAIT_S)
        assert recovered.online
    finally:
        await stop(task)


async def test_a_poke_does_not_cut_a_wait_the_back_end_asked_for(
    running: tuple[SyncWorker, FaultyBackend, asyncio.Queue[SyncStatus]],
) -> None:
    sync, faulty, attempts = running
    faulty.inject("rate_limited")
    task = await start(sync)
    try:
        await asyncio.wait_for(attempts.get(), WAIT_S)

        sync.poke()

        with pytest.raises(TimeoutError):
            await asyncio.wait_for(attempts.get(), QUIET_S)
        assert faulty.paths == ["/healthz"]
    finally:
        await stop(task)


def test_no_failure_means_no_backoff() -> None:
    assert backoff_delay_s(0, base_s=1.0, cap_s=300.0, rng=random.Random(1)) == 0.0


@pytest.mark.parametrize("failures", [1, 2, 5, 9, 10, 1_000])
def test_backoff_stays_under_its_exponential_ceiling_and_the_cap(failures: int) -> None:
    rng = random.Random(failures)
    ceiling = min(300.0, 1.0 * 2 ** min(failures - 1, 100))

    delays = [backoff_delay_s(failures, base_s=1.0, cap_s=300.0, rng=rng) for _ in range(200)]

    assert all(0.0 <= delay <= ceiling for delay in delays)
    # Full jitter: kiosks spread over the whole range instead of bunching at the top.
    assert min(delays) < ceiling / 4 < 3 * ceiling / 4 < max(delays)


NOW = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(minutes=5), usegmt=True), 0.0),
        ("999999999", MAX_RETRY_AFTER_S),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(
    header: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(header, now=NOW) == seconds
