"""Storage faults: a full disk refuses cleanly, a corrupt file is set aside, nothing is lost."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from offline_queue.outbox import (
    ItemState,
    NewAttachment,
    Outbox,
    OutboxFullError,
)
from offline_queue.storage import QUARANTINE_MARK
from tests.fixtures import make_record
from tests.offline_queue.conftest import FakeClock

BIG = 10_000_000
TMPFS_BYTES = 2_000_000


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def rows(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MB filesystem (tmpfs), so that the disk really fills up."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(folder: Path) -> Path:
    """Take every free byte of the filesystem of ``folder``; return the filler file."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as stream, contextlib.suppress(OSError):
        while True:
            stream.write(b"\0" * 4096)
    return filler


def test_a_full_disk_refuses_the_transaction_whole_and_says_so(
    small_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = small_disk / "outbox.db"
    outbox = Outbox.open(path)
    kept = outbox.enqueue(session_id="s", record=make_record()).idempotency_key
    filler = fill(small_disk)
    scan = NewAttachment("image/jpeg", os.urandom(300_000))

    with pytest.raises(OutboxFullError, match="no space left"):
        outbox.enqueue(session_id="s", record=make_record(), attachments=[scan])

    assert outbox.health().storage_full
    assert outbox.health().alarms[0].startswith("outbox storage full")
    assert "could not be saved" in caplog.text
    stats = outbox.stats()
    assert (stats.pending, stats.sending) == (1, 0)  # the old item is safe, no half of the new
    assert outbox.state_of(kept) is ItemState.PENDING

    filler.unlink()  # a technician frees space; the kiosk goes on without a restart
    outbox.enqueue(session_id="s", record=make_record(), attachments=[scan])
    assert not outbox.health().storage_full
    outbox.close()
    assert integrity(path) == "ok"
    assert rows(path, "outbox_items") == 2
    assert rows(path, "outbox_attachments") == 1


def enqueue_until_full(outbox: Outbox) -> int:
    """Enqueue 1.5 KB transactions until the outbox refuses one; return how many it took."""
    for saved in range(1_000):
        try:
            outbox.enqueue(session_id="s", record=make_record(fields={"note": "x" * 1_500}))
        except OutboxFullError:
            return saved
    raise AssertionError("the outbox never filled up")


def test_the_size_cap_refuses_new_items_and_keeps_the_old(outbox_path: Path) -> None:
    outbox = Outbox.open(outbox_path, max_size_bytes=200_000)

    saved = enqueue_until_full(outbox)

    assert 0 < saved < 1_000
    assert outbox.stats().pending == saved
    # Sending and acknowledging still work, and acknowledged items make room again.
    claimed = outbox.claim_batch(100, BIG)
    outbox.mark_acknowledged([item.idempotency_key for item in claimed])
    outbox.purge_acknowledged(older_than=timedelta(0))
    outbox.enqueue(session_id="s", record=make_record())
    outbox.close()
    assert integrity(outbox_path) == "ok"


def test_a_corrupt_database_is_set_aside_and_a_fresh_one_opened(
    outbox_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    outbox_path.parent.mkdir(parents=True)
    outbox_path.write_bytes(b"this is not SQLite" * 1000)

    with caplog.at_level(logging.CRITICAL), Outbox.open(outbox_path, clock=clock) as box:
        entry = box.enqueue(session_id="s", record=make_record())
        health = box.health()

    (aside,) = health.quarantined_files
    assert aside.name == f"outbox.db{QUARANTINE_MARK}20250314T090000000000Z"
    assert aside.read_bytes() == b"this is not SQLite" * 1000  # kept for a technician
    assert any("corrupt outbox set aside" in alarm for alarm in health.alarms)
    assert "is corrupt" in caplog.text
    # The next start opens the fresh outbox as it is: no crash loop, the alarm stays.
    with Outbox.open(outbox_path, clock=clock) as box:
        assert box.state_of(entry.idempotency_key) is ItemState.PENDING
        assert box.health().quarantined_files == (aside,)


def damage_index(path: Path) -> None:
    """Overwrite the pages of the outbox's index with garbage; the table stays readable."""
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'idx_outbox_items_state_key'"
        ).fetchone()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with path.open("r+b") as stream:
        stream.seek((root - 1) * page_size)
        stream.write(b"\xff" * page_size)


def test_unsent_items_of_a_damaged_outbox_are_salvaged_and_sent(outbox_path: Path) -> None:
    sessions = [str(uuid.uuid4()) for _ in range(3)]
    scan = NewAttachment("application/pdf", b"%PDF-1.7 signed form" * 5_000)
    with Outbox.open(outbox_path) as box:
        keys = [
            box.enqueue(session_id=s, record=make_record(), attachments=[scan]).idempotency_key
            for s in sessions
        ]
        box.claim_batch(1, BIG)
        box.mark_acknowledged(keys[:1])
    damage_index(outbox_path)

    with Outbox.open(outbox_path) as box:
        health = box.health()
        claimed = box.claim_batch(10, BIG)

    assert len(health.quarantined_files) == 1
    assert health.salvaged_items == 2
    assert [item.idempotency_key for item in claimed] == keys[1:]  # same keys: no duplicates
    assert all(item.wire.attachments[0].sha256 == scan.sha256 for item in claimed)


def test_items_a_failure_left_in_flight_go_back_to_pending(outbox: Outbox) -> None:
    keys = [outbox.enqueue(session_id="s", record=make_record()).idempotency_key for _ in range(3)]
    outbox.claim_batch(2, BIG)

    assert outbox.release_in_flight("disk full while recording the answer") == 2

    assert [outbox.state_of(key) for key in keys] == [ItemState.PENDING] * 3
