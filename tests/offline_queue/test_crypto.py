"""Privacy at rest: sealed payloads, a 0600 key file outside the database, key rotation."""

from __future__ import annotations

import logging
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlite_utils.db import Database

from offline_queue.crypto import KeyRing, SealError, read_key_file, write_key_file
from offline_queue.keytool import main as keytool
from offline_queue.migrations import outbox_migrations
from offline_queue.outbox import ItemState, NewAttachment, Outbox
from tests.fixtures import make_record

BIG = 10_000_000
CONTEXT = b"item:01HZZZZZZZZZZZZZZZZZZZZZZZ"


def key_file_of(outbox_path: Path) -> Path:
    return outbox_path.with_suffix(".key")


def test_the_key_file_is_created_owner_only_beside_no_data(
    outbox: Outbox, outbox_path: Path
) -> None:
    key_file = key_file_of(outbox_path)

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_bytes() not in outbox_path.read_bytes()
    ring = read_key_file(key_file)
    assert len(ring.keys) == 1
    assert repr(ring.keys[ring.active_id]) not in repr(ring)  # keys never in reprs or logs


def test_a_key_file_others_can_read_is_tightened(tmp_path: Path) -> None:
    key_file = tmp_path / "outbox.key"
    write_key_file(key_file, KeyRing.generate())
    key_file.chmod(0o644)

    read_key_file(key_file)

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_sealed_value_opens_only_with_its_key_in_its_place() -> None:
    ring, stranger = KeyRing.generate(), KeyRing.generate()
    key_id, sealed = ring.seal(b"12 rue Paul Bert", context=CONTEXT)

    assert ring.open(key_id, sealed, context=CONTEXT) == b"12 rue Paul Bert"
    assert b"Paul Bert" not in sealed
    with pytest.raises(SealError):
        ring.open(key_id, sealed, context=b"item:another-row")  # moved to another row
    with pytest.raises(SealError):
        ring.open(key_id, sealed[:-1] + bytes([sealed[-1] ^ 1]), context=CONTEXT)  # tampered
    with pytest.raises(SealError, match="no key"):
        stranger.open(key_id, sealed, context=CONTEXT)


def test_rotation_reseals_everything_and_old_keys_can_then_go(
    outbox_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = key_file_of(outbox_path)
    scan = NewAttachment("image/png", b"\x89PNG scan of a passport" * 20_000)
    with Outbox.open(outbox_path) as box:
        first = box.enqueue(session_id="s", record=make_record(), attachments=[scan])
        old_key = read_key_file(key_file).active_id

    assert keytool(["rotate", "--key-file", str(key_file)]) == 0
    new_key = read_key_file(key_file).active_id
    assert new_key != old_key
    assert keytool(["prune", "--key-file", str(key_file), "--outbox", str(outbox_path)]) == 0

    assert set(read_key_file(key_file).keys) == {new_key}
    with Outbox.open(outbox_path) as box:
        assert box.key_ids_in_use() == {new_key}
        (claimed,) = box.claim_batch(10, BIG)
        assert claimed.idempotency_key == first.idempotency_key
        assert box.read_attachment(scan.sha256, 0, 20) == scan.data[:20]
    assert "retired 1 key(s)" in capsys.readouterr().out


def test_an_unreadable_key_file_is_set_aside_and_its_items_wait_locked(
    outbox_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key_file = key_file_of(outbox_path)
    with Outbox.open(outbox_path) as box:
        locked = box.enqueue(session_id="s", record=make_record()).idempotency_key
    original = key_file.read_bytes()
    key_file.write_text("garbage\n")

    with caplog.at_level(logging.CRITICAL), Outbox.open(outbox_path) as box:
        fresh = box.enqueue(session_id="s", record=make_record()).idempotency_key
        health = box.health()
        claimed = [item.idempotency_key for item in box.claim_batch(10, BIG)]
        box.release(claimed, "test")

    assert claimed == [fresh]  # the locked item neither blocks nor is lost
    assert health.locked_items == 1
    assert health.key_file_set_aside is not None
    assert any("restore the key file" in alarm for alarm in health.alarms)
    assert "unreadable" in caplog.text

    # The technician puts the old key back in the ring: the item is sent after all.
    ring = read_key_file(key_file)
    health.key_file_set_aside.write_bytes(original)  # (say, from the kiosk's key backup)
    restored = read_key_file(health.key_file_set_aside)
    write_key_file(key_file, KeyRing(ring.active_id, {**ring.keys, **restored.keys}))
    with Outbox.open(outbox_path) as box:
        assert box.health().locked_items == 0
        assert {item.idempotency_key for item in box.claim_batch(10, BIG)} == {locked, fresh}


def test_plaintext_left_by_an_older_version_is_sealed_at_open(outbox_path: Path) -> None:
    outbox_path.parent.mkdir(parents=True)
    legacy = Database(outbox_path)
    outbox_migrations.apply(legacy, stop_before="0002_sealed_payloads_and_attachments")
    record = make_record()
    key = "01HV0000000000000000000000"
    legacy.execute(
        "INSERT INTO outbox_items (idempotency_key, session_id, kind, payload, state,"
        " created_at, updated_at) VALUES (?, 's', 'transaction', ?, 'pending', ?, ?)",
        [key, record.model_dump_json(), *["2025-03-14T09:00:00.000000+00:00"] * 2],
    )
    legacy.conn.commit()
    legacy.close()

    with Outbox.open(outbox_path) as box:
        (claimed,) = box.claim_batch(10, BIG)
        assert box.state_of(key) is ItemState.SENDING

    assert claimed.wire.payload == record
    with sqlite3.connect(outbox_path) as conn:
        assert conn.execute("SELECT payload FROM outbox_items").fetchone() == ("",)
    assert record.fields["street"].encode() not in outbox_path.read_bytes()
