"""The outbox keeps what the citizen submitted, in order, until the back end has it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from offline_queue.crypto import read_key_file
from offline_queue.migrations import MIGRATION_SET
from offline_queue.outbox import (
    BATCH_ENVELOPE_BYTES,
    InvalidItemError,
    ItemState,
    Outbox,
    OutboxError,
)
from offline_queue.schemas import OutboxItemWire, TransactionRecord
from tests.fixtures import make_record
from tests.offline_queue.conftest import FakeClock

REPO_ROOT = Path(__file__).resolve().parents[2]
BIG = 10_000_000


def enqueue_many(outbox: Outbox, count: int) -> list[str]:
    return [
        outbox.enqueue(session_id="s-1", record=make_record()).idempotency_key for _ in range(count)
    ]


def raw(path: Path) -> sqlite3.Connection:
    """A second, independent connection, as another process would see the file."""
    return sqlite3.connect(path)


def test_enqueue_returns_a_pending_entry(outbox: Outbox, clock: FakeClock) -> None:
    entry = outbox.enqueue(session_id="s-1", record=make_record())

    assert entry.state is ItemState.PENDING
    assert entry.kind == "transaction"
    assert entry.session_id == "s-1"
    assert entry.created_at == clock.now
    assert outbox.state_of(entry.idempotency_key) is ItemState.PENDING


def test_an_enqueued_item_is_on_disk_for_any_other_connection(
    outbox: Outbox, outbox_path: Path
) -> None:
    record = make_record()
    entry = outbox.enqueue(session_id="s-1", record=record)

    with raw(outbox_path) as other:
        payload, sealed, key_id, state = other.execute(
            "SELECT payload, sealed_payload, key_id, state FROM outbox_items"
            " WHERE idempotency_key = ?",
            [entry.idempotency_key],
        ).fetchone()
    assert state == "pending"
    assert payload == ""  # only the sealed form is stored
    keys = read_key_file(outbox_path.with_suffix(".key"))
    opened = keys.open(key_id, sealed, context=f"item:{entry.idempotency_key}".encode())
    assert TransactionRecord.model_validate_json(opened) == record


def test_the_journal_is_wal_and_commits_are_fully_synced(outbox: Outbox, outbox_path: Path) -> None:
    durability = outbox.durability()

    assert durability.journal_mode == "wal"
    assert durability.synchronous == "full"
    with raw(outbox_path) as other:  # WAL is a property of the file itself
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_items_survive_reopening(outbox_path: Path, clock: FakeClock) -> None:
    with Outbox.open(outbox_path, clock=clock) as first:
        keys = enqueue_many(first, 3)

    with Outbox.open(outbox_path, clock=clock) as second:
        claimed = second.claim_batch(10, BIG)
        assert [item.idempotency_key for item in claimed] == keys


def test_migrations_are_recorded_and_applied_once(outbox_path: Path, clock: FakeClock) -> None:
    Outbox.open(outbox_path, clock=clock).close()
    Outbox.open(outbox_path, clock=clock).close()

    with raw(outbox_path) as other:
        names = other.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET]
        ).fetchall()
    assert names == [("0001_create_outbox_items",), ("0002_sealed_payloads_and_attachments",)]


def test_claim_takes_the_oldest_first_and_marks_them_sending(outbox: Outbox) -> None:
    keys = enqueue_many(outbox, 5)

    first = outbox.claim_batch(2, BIG)
    second = outbox.claim_batch(2, BIG)

    assert [item.idempotency_key for item in first] == keys[:2]
    assert [item.idempotency_key for item in second] == keys[2:4]
    assert all(item.entry.state is ItemState.SENDING for item in first + second)
    assert outbox.state_of(keys[0]) is ItemState.SENDING
    assert outbox.stats().pending == 1


def test_claimed_items_carry_their_wire_form(outbox: Outbox) -> None:
    record = make_record()
    entry = outbox.enqueue(session_id="s-9", record=record)

    (item,) = outbox.claim_batch(1, BIG)

    assert item.wire == OutboxItemWire(
        idempotency_key=entry.idempotency_key,
        session_id="s-9",
        kind="transaction",
        created_at=entry.created_at,
        payload=record,
    )
    assert item.wire_bytes == len(item.wire.model_dump_json().encode())


def test_claim_respects_the_byte_budget(outbox: Outbox) -> None:
    enqueue_many(outbox, 5)
    (probe,) = outbox.claim_batch(1, BIG)
    outbox.release([probe.idempotency_key], "measured")
    budget = BATCH_ENVELOPE_BYTES + 2 * (probe.wire_bytes + 1)  # items are all the same size

    batch = outbox.claim_batch(10, budget)

    assert len(batch) == 2


def test_one_item_larger_than_the_budget_is_still_claimed(outbox: Outbox) -> None:
    big = make_record(fields={f"f{n}": "x" * 2_000 for n in range(20)})
    entry = outbox.enqueue(session_id="s-1", record=big)
    enqueue_many(outbox, 1)

    batch = outbox.claim_batch(10, 100)

    assert [item.idempotency_key for item in batch] == [entry.idempotency_key]


def test_claim_on_an_empty_outbox_returns_nothing(outbox: Outbox) -> None:
    assert outbox.claim_batch(10, BIG) == []


def test_acknowledged_items_lose_their_payload(outbox: Outbox, outbox_path: Path) -> None:
    key, other = enqueue_many(outbox, 2)
    outbox.claim_batch(1, BIG)

    assert outbox.mark_acknowledged([key]) == 1

    assert outbox.state_of(key) is ItemState.ACKNOWLEDGED
    assert outbox.state_of(other) is ItemState.PENDING
    with raw(outbox_path) as conn:
        payload = conn.execute(
            "SELECT payload FROM outbox_items WHERE idempotency_key = ?", [key]
        ).fetchone()[0]
    assert payload == ""


def test_acknowledging_twice_changes_nothing(outbox: Outbox) -> None:
    (key,) = enqueue_many(outbox, 1)
    outbox.claim_batch(1, BIG)
    outbox.mark_acknowledged([key])

    assert outbox.mark_acknowledged([key]) == 0
    assert outbox.mark_rejected(key, "late") is False
    assert outbox.release([key], "late") == 0
    assert outbox.state_of(key) is ItemState.ACKNOWLEDGED


def test_a_rejected_item_becomes_a_dead_letter_and_blocks_nothing(
    outbox: Outbox, clock: FakeClock
) -> None:
    bad, good = enqueue_many(outbox, 2)
    outbox.claim_batch(1, BIG)
    clock.advance(seconds=3)

    assert outbox.mark_rejected(bad, "payload.reference: invalid") is True

    (letter,) = outbox.dead_letters()
    assert letter.idempotency_key == bad
    assert letter.reason == "payload.reference: invalid"
    assert letter.rejected_at == clock.now
    assert [item.idempotency_key for item in outbox.claim_batch(10, BIG)] == [good]


def test_release_puts_items_back_in_order_and_counts_the_attempt(
    outbox: Outbox, outbox_path: Path
) -> None:
    keys = enqueue_many(outbox, 3)
    outbox.claim_batch(2, BIG)

    assert outbox.release(keys[:2], "back end unreachable") == 2

    assert [item.idempotency_key for item in outbox.claim_batch(10, BIG)] == keys
    with raw(outbox_path) as conn:
        rows = conn.execute(
            "SELECT attempts, last_error FROM outbox_items ORDER BY idempotency_key"
        ).fetchall()
    assert rows == [(1, "back end unreachable"), (1, "back end unreachable"), (0, None)]


def test_release_leaves_pending_items_alone(outbox: Outbox) -> None:
    (key,) = enqueue_many(outbox, 1)

    assert outbox.release([key], "nothing to release") == 0


def test_items_in_flight_at_a_crash_are_pending_again(outbox_path: Path, clock: FakeClock) -> None:
    with Outbox.open(outbox_path, clock=clock) as box:
        keys = enqueue_many(box, 3)
        box.claim_batch(2, BIG)

    with Outbox.open(outbox_path, clock=clock) as box:
        assert [box.state_of(key) for key in keys] == [ItemState.PENDING] * 3
        assert [item.idempotency_key for item in box.claim_batch(10, BIG)] == keys


def test_a_killed_process_loses_nothing_it_reported_saved(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from offline_queue.outbox import Outbox
        from tests.fixtures import make_record
        box = Outbox.open(Path({str(path)!r}))
        for _ in range(3):
            print(box.enqueue(session_id="s", record=make_record()).idempotency_key, flush=True)
        box.claim_batch(2, 10_000_000)
        os._exit(9)  # no close, no clean-up: as if the power went
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    saved = done.stdout.split()
    assert done.returncode == 9, done.stderr
    assert len(saved) == 3

    with Outbox.open(path) as box:
        assert [item.idempotency_key for item in box.claim_batch(10, BIG)] == saved


def test_new_keys_sort_after_every_key_already_stored(outbox_path: Path) -> None:
    with Outbox.open(outbox_path) as box:
        old = enqueue_many(box, 2)

    with Outbox.open(outbox_path) as box:
        new = enqueue_many(box, 2)

    assert sorted(old + new) == old + new


def test_stats_count_each_state_and_the_oldest_pending(outbox: Outbox, clock: FakeClock) -> None:
    first_created = clock.now
    keys = enqueue_many(outbox, 4)
    clock.advance(minutes=1)
    enqueue_many(outbox, 1)
    outbox.claim_batch(3, BIG)
    outbox.mark_acknowledged([keys[0]])
    outbox.mark_rejected(keys[1], "no")

    stats = outbox.stats()

    assert (stats.pending, stats.sending, stats.acknowledged, stats.rejected) == (2, 1, 1, 1)
    assert stats.backlog == 3
    assert stats.oldest_pending_created_at == first_created


def test_purge_deletes_only_old_acknowledged_items(outbox: Outbox, clock: FakeClock) -> None:
    old, recent, pending = enqueue_many(outbox, 3)
    outbox.claim_batch(2, BIG)
    outbox.mark_acknowledged([old])
    clock.advance(hours=2)
    outbox.mark_acknowledged([recent])
    clock.advance(minutes=30)

    assert outbox.purge_acknowledged(timedelta(hours=1)) == 1

    assert outbox.state_of(old) is None
    assert outbox.state_of(recent) is ItemState.ACKNOWLEDGED
    assert outbox.state_of(pending) is ItemState.PENDING
    with pytest.raises(ValueError, match="negative"):
        outbox.purge_acknowledged(timedelta(seconds=-1))


@pytest.mark.parametrize("session_id", ["", "x" * 65])
def test_an_item_that_could_never_be_sent_is_refused(outbox: Outbox, session_id: str) -> None:
    with pytest.raises(InvalidItemError, match="session_id"):
        outbox.enqueue(session_id=session_id, record=make_record())

    assert outbox.stats().backlog == 0


def test_an_unreadable_row_is_dead_lettered_instead_of_blocking_the_queue(
    outbox: Outbox, outbox_path: Path
) -> None:
    broken, fine = enqueue_many(outbox, 2)
    with raw(outbox_path) as conn:  # one bit flipped on disk: authentication fails
        (sealed,) = conn.execute(
            "SELECT sealed_payload FROM outbox_items WHERE idempotency_key = ?", [broken]
        ).fetchone()
        flipped = bytearray(sealed)
        flipped[20] ^= 0x01  # a flip, not an overwrite: the byte may already hold the value
        conn.execute(
            "UPDATE outbox_items SET sealed_payload = ? WHERE idempotency_key = ?",
            [bytes(flipped), broken],
        )

    batch = outbox.claim_batch(10, BIG)

    assert [item.idempotency_key for item in batch] == [fine]
    assert outbox.state_of(broken) is ItemState.REJECTED
    assert outbox.dead_letters()[0].reason.startswith("unreadable in the outbox")


def test_a_closed_outbox_raises_its_own_error(outbox: Outbox) -> None:
    outbox.close()

    with pytest.raises(OutboxError, match="closed"):
        outbox.enqueue(session_id="s", record=make_record())
    with pytest.raises(OutboxError, match="closed"):
        outbox.stats()


def test_an_outbox_that_cannot_be_created_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the outbox folder should be")

    with pytest.raises(OutboxError, match="cannot open the outbox"):
        Outbox.open(blocker / "outbox.db", key_file=tmp_path / "outbox.key")


def test_claim_needs_positive_limits(outbox: Outbox) -> None:
    with pytest.raises(ValueError, match="positive"):
        outbox.claim_batch(0, BIG)
