"""Crash test: the kiosk and the back end are killed at random moments; nothing is lost or doubled.

A child process enqueues and syncs in a loop and is killed with SIGKILL at a
random moment, again and again; the back end is killed too, now and then,
and started again later (the kiosk keeps saving while it is down). Then the
backlog drains, and every transaction the child reported as committed must
be at the back end exactly once, and nothing else may be.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import sqlite3
from collections import Counter
from pathlib import Path

from offline_queue.outbox import Outbox
from offline_queue.sync import SyncWorker, make_backend_client
from tests.fixtures.backend import RestartableBackend
from tests.offline_queue.crash_child import CrashCycle, run

CYCLES = 60
KILL_AFTER_S = (0.0, 0.35)  # the child's lifetime after it starts, uniformly drawn
BACKEND_KILLS = {6: 9, 17: 19, 29: 30, 41: 44, 52: 55}  # killed at cycle -> restarted at cycle
SEED = 20250314
DRAIN_ATTEMPTS = 20


def journal_entries(journal: Path) -> tuple[set[str], dict[str, str]]:
    """References begun, and references committed with their idempotency keys."""
    begun: set[str] = set()
    committed: dict[str, str] = {}
    for line in journal.read_text().splitlines():
        parts = line.split()
        if parts[:1] == ["begin"] and len(parts) == 2:
            begun.add(parts[1])
        elif parts[:1] == ["committed"] and len(parts) == 3:
            committed[parts[1]] = parts[2]
        # A torn last line (killed mid-write) promises nothing.
    return begun, committed


def backend_rows(backend: RestartableBackend) -> list[tuple[str, str]]:
    with sqlite3.connect(backend.data_dir / "backend.db") as conn:
        return conn.execute("SELECT reference, idempotency_key FROM transactions").fetchall()


async def drain(outbox_path: Path, backend: RestartableBackend) -> None:
    with Outbox.open(outbox_path) as outbox:
        async with make_backend_client(backend.url, backend.kiosk_token) as client:
            worker = SyncWorker(outbox, client, max_items=100)
            for _ in range(DRAIN_ATTEMPTS):
                report = await worker.sync_once()
                if report.ok and outbox.stats().backlog == 0:
                    break
            stats = outbox.stats()
    assert (stats.backlog, stats.rejected) == (0, 0)


def test_sigkill_at_random_moments_loses_and_doubles_nothing(
    tmp_path: Path, restartable_backend: RestartableBackend
) -> None:
    backend = restartable_backend
    backend.start()
    rng = random.Random(SEED)
    outbox_path = tmp_path / "kiosk" / "outbox.db"
    journal = tmp_path / "journal.txt"
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.offline_queue.crash_child"])
    restarts = {restart: kill for kill, restart in BACKEND_KILLS.items()}
    for cycle in range(CYCLES):
        if cycle in restarts:
            backend.start(wait=False)  # comes up while the kiosk works
        plan = CrashCycle(outbox_path, journal, backend.url, backend.kiosk_token, cycle, cycle)
        child = context.Process(target=run, args=(plan,), daemon=True)
        child.start()
        lifetime = rng.uniform(*KILL_AFTER_S)
        if cycle in BACKEND_KILLS:
            # The back end dies mid-cycle too, with requests in flight.
            child.join(lifetime / 2)
            backend.kill()
            lifetime /= 2
        child.join(lifetime)
        assert child.exitcode is None, f"cycle {cycle}: the child died by itself"
        child.kill()
        child.join()
    backend.start()

    asyncio.run(drain(outbox_path, backend))

    begun, committed = journal_entries(journal)
    rows = backend_rows(backend)
    stored = Counter(reference for reference, _ in rows)
    assert len(committed) > CYCLES  # the test did exercise the kiosk
    assert backend.starts == len(BACKEND_KILLS) + 1
    # Every committed transaction is there exactly once, under the key it was saved with.
    assert {ref: stored[ref] for ref in committed} == dict.fromkeys(committed, 1)
    keys = dict(rows)
    assert all(keys[ref] == key for ref, key in committed.items())
    # Nothing else: only transactions the kiosk began saving (at most one per
    # kill was saved without the kiosk living to report it), each once too.
    assert set(stored) <= begun
    assert max(stored.values()) == 1
    assert len(set(stored) - set(committed)) <= CYCLES
