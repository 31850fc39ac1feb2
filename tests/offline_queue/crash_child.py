"""The kiosk side of the crash test: enqueue and sync in a loop until SIGKILL arrives.

Runs in a process forked from a server that imported this module once
(multiprocessing's forkserver), so that each of the many cycles starts in
milliseconds. It writes a journal line *before* saving a transaction
(``begin``) and *after* the outbox said it is saved (``committed``), with
unbuffered ``os.write``: the kernel keeps those lines when the process is
killed, so the test knows what the kiosk promised.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from dataclasses import dataclass
from pathlib import Path

from offline_queue.ids import CROCKFORD_ALPHABET
from offline_queue.outbox import Outbox
from offline_queue.sync import SyncWorker, make_backend_client
from tests.fixtures import make_record

PAUSE_AFTER_FAILURE_S = 0.05


@dataclass(frozen=True)
class CrashCycle:
    """What one child needs: where the outbox and journal are, and where the back end is."""

    outbox_path: Path
    journal_path: Path
    backend_url: str
    token: str
    cycle: int
    seed: int


def crockford(number: int, width: int = 4) -> str:
    """``number`` in ``width`` Crockford base-32 digits (receipt references use them)."""
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 32)
        digits.append(CROCKFORD_ALPHABET[digit])
    return "".join(reversed(digits))


def reference(cycle: int, serial: int) -> str:
    """A receipt reference unique to (cycle, serial), so the test can trace each transaction."""
    return f"CRASH-{crockford(cycle)}-{crockford(serial)}"


def run(plan: CrashCycle) -> None:
    """Enqueue, sync, repeat, until killed."""
    # Failures are expected by the hundred here; keep them off the test's terminal.
    logging.getLogger().addHandler(logging.NullHandler())
    journal = os.open(plan.journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    outbox = Outbox.open(plan.outbox_path)
    asyncio.run(_loop(plan, outbox, journal))


async def _loop(plan: CrashCycle, outbox: Outbox, journal: int) -> None:
    rng = random.Random(plan.seed)
    serial = 0
    async with make_backend_client(plan.backend_url, plan.token, timeout_s=1.0) as client:
        worker = SyncWorker(outbox, client, max_items=rng.choice([1, 3, 10, 50]))
        while True:
            for _ in range(rng.randint(1, 4)):
                serial += 1
                ref = reference(plan.cycle, serial)
                os.write(journal, f"begin {ref}\n".encode())
                record = make_record(reference=ref)
                entry = outbox.enqueue(session_id=f"crash-{plan.cycle}", record=record)
                os.write(journal, f"committed {ref} {entry.idempotency_key}\n".encode())
            report = await worker.sync_once()
            if not report.ok:
                await asyncio.sleep(PAUSE_AFTER_FAILURE_S)
