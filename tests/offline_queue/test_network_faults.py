"""Sync through a bad network: latency, 30% loss, resets, then a 60-second partition.

The kiosk keeps saving transactions all along (some with a scanned document,
uploaded in chunks that must resume after a reset), its sync worker runs as
in the kiosk, and the back end is the real server process on PostgreSQL
(SQLite where PostgreSQL is not installed), reached through the
fault-injecting proxy. Once the network returns, the backlog must drain,
with every transaction at the back end exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from offline_queue.outbox import NewAttachment, Outbox
from offline_queue.sync import SyncWorker, make_backend_client
from tests.fixtures import make_record
from tests.fixtures.backend import RestartableBackend
from tests.offline_queue.crash_child import reference
from tests.offline_queue.tcp_proxy import FaultyTcpProxy

PARTITION_S = 60.0  # the partition, in full
PHASE_S = 4.0
DRAIN_TIMEOUT_S = 60.0
ENQUEUE_EVERY_S = 0.05
SCAN_EVERY = 25  # one transaction in 25 carries a document scan...
SCAN_BYTES = 400_000  # ...of two upload chunks


@pytest.fixture
def production_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """PostgreSQL when its binaries are installed (make test installs them), else SQLite."""
    try:
        url: str = request.getfixturevalue("postgres_database_url")
    except pytest.skip.Exception:
        return f"sqlite:///{tmp_path / 'backend-process' / 'backend.db'}"
    return url


@pytest.fixture
def backend(tmp_path: Path, production_database_url: str) -> Iterator[RestartableBackend]:
    process = RestartableBackend(tmp_path / "backend-process", production_database_url)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def proxy(backend: RestartableBackend) -> AsyncIterator[FaultyTcpProxy]:
    relay = FaultyTcpProxy("127.0.0.1", backend.port, seed=7)
    await relay.start()
    try:
        yield relay
    finally:
        await relay.close()


class Kiosk:
    """Saves a transaction every few tens of milliseconds, as a busy kiosk would."""

    def __init__(self, outbox: Outbox, worker: SyncWorker) -> None:
        self.outbox = outbox
        self.worker = worker
        self.saved: list[str] = []
        self.open = True
        self._serial = itertools.count(1)
        self._rng = random.Random(3)

    async def serve(self) -> None:
        while self.open:
            serial = next(self._serial)
            ref = reference(0, serial)
            scans = []
            if serial % SCAN_EVERY == 0:
                scans = [NewAttachment("image/jpeg", self._rng.randbytes(SCAN_BYTES))]
            self.outbox.enqueue(
                session_id=f"net-{serial // 3}",
                record=make_record(reference=ref),
                attachments=scans,
            )
            self.saved.append(ref)
            self.worker.poke()
            await asyncio.sleep(ENQUEUE_EVERY_S)


async def stored_references(backend: RestartableBackend) -> Counter[str]:
    async with httpx.AsyncClient(base_url=backend.url, timeout=10.0) as staff:
        headers = {"Authorization": f"Bearer {backend.staff_token}"}
        found: Counter[str] = Counter()
        for offset in itertools.count(0, 500):
            page = await staff.get(
                "/api/v1/transactions", params={"limit": 500, "offset": offset}, headers=headers
            )
            page.raise_for_status()
            rows = page.json()
            found.update(row["record"]["reference"] for row in rows)
            if len(rows) < 500:
                return found
    raise AssertionError("unreachable")


async def wait_until(condition: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done after {timeout_s} s")
        await asyncio.sleep(0.05)


async def phase(seconds: float, kiosk: Kiosk) -> int:
    """Let the kiosk work for ``seconds``; return how many items it has sent so far."""
    await asyncio.sleep(seconds)
    return kiosk.outbox.stats().acknowledged


async def test_backlog_drains_after_latency_loss_resets_and_a_partition(
    tmp_path: Path, backend: RestartableBackend, proxy: FaultyTcpProxy
) -> None:
    outbox = Outbox.open(tmp_path / "kiosk" / "outbox.db")
    async with make_backend_client(proxy.url, backend.kiosk_token, timeout_s=1.0) as client:
        worker = SyncWorker(
            outbox,
            client,
            interval_s=0.2,
            max_items=20,
            backoff_base_s=0.2,
            backoff_cap_s=2.0,
            request_deadline_s=4.0,
            rng=random.Random(5),
        )
        kiosk = Kiosk(outbox, worker)
        tasks = [asyncio.create_task(worker.run()), asyncio.create_task(kiosk.serve())]
        try:
            await run_the_phases(kiosk, proxy)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    with contextlib.closing(outbox):
        stats = outbox.stats()
    stored = await stored_references(backend)

    assert (stats.backlog, stats.rejected) == (0, 0)
    assert len(kiosk.saved) > (PARTITION_S + 3 * PHASE_S) / ENQUEUE_EVERY_S / 2
    assert set(stored) == set(kiosk.saved)  # nothing lost, nothing else
    assert max(stored.values()) == 1  # nothing twice


async def run_the_phases(kiosk: Kiosk, proxy: FaultyTcpProxy) -> None:
    sent: list[int] = [await phase(1.0, kiosk)]
    proxy.set(latency_s=0.1, jitter_s=0.05)
    sent.append(await phase(PHASE_S, kiosk))
    proxy.clear()
    proxy.set(loss=0.3, retransmit_s=0.2)
    sent.append(await phase(PHASE_S, kiosk))
    assert proxy.stats.lost > 0
    proxy.clear()
    proxy.set(reset_rate=0.1)
    sent.append(await phase(PHASE_S, kiosk))
    assert proxy.stats.resets > 0
    # Each degraded phase still delivered something.
    assert all(later > earlier for earlier, later in itertools.pairwise(sent))

    proxy.clear()
    proxy.set(partition="blackhole")
    await asyncio.sleep(PARTITION_S / 2)
    proxy.set(partition="refuse")  # the far end still gone, now answering with resets
    before = kiosk.outbox.stats().acknowledged
    await asyncio.sleep(PARTITION_S / 2)
    status = kiosk.worker.status
    assert kiosk.outbox.stats().acknowledged == before  # nothing got through
    assert not status.online
    assert status.backlog > PARTITION_S / 2 / ENQUEUE_EVERY_S / 2  # saved while offline
    assert status.oldest_pending_age_s is not None
    assert status.oldest_pending_age_s > PARTITION_S / 2

    proxy.clear()
    await wait_for_drain(kiosk)


async def wait_for_drain(kiosk: Kiosk) -> None:
    """Stop saving and wait for the backlog to reach the back end."""
    kiosk.open = False
    outbox = kiosk.outbox
    await wait_until(lambda: outbox.stats().backlog == 0, DRAIN_TIMEOUT_S)
