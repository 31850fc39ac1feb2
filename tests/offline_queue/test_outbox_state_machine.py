"""Property: whatever the kiosk does, the outbox never loses, duplicates or misorders an item.

The model is a plain dict of key -> state (and key -> attachments); the
machine runs random operations, crashes and key rotations against a real
outbox file and checks after every step that both agree.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from offline_queue.attachments import CHUNK_BYTES
from offline_queue.crypto import read_key_file, write_key_file
from offline_queue.outbox import ItemState, NewAttachment, Outbox, OutboxError
from tests.fixtures import make_record

RECORD = make_record()
BIG = 10_000_000
LIVE = (ItemState.PENDING, ItemState.SENDING)
# A small pool, so that the same content is attached again and again (stored once).
CONTENTS = [
    NewAttachment("image/jpeg", bytes([n]) * size)
    for n, size in enumerate((10, CHUNK_BYTES, CHUNK_BYTES + 1))
]


class OutboxMachine(RuleBasedStateMachine):
    """Runs random operations against a real outbox file and a plain-dict model of it."""

    keys = Bundle("keys")

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="vg-outbox-prop-"))
        self.path = self.folder / "outbox.db"
        self.outbox = Outbox.open(self.path)
        # Every key ever enqueued -> its expected state, or None once purged on purpose.
        self.model: dict[str, ItemState | None] = {}
        self.attached: dict[str, list[int]] = {}

    def _in(self, *states: ItemState) -> list[str]:
        return sorted(key for key, state in self.model.items() if state in states)

    @rule(target=keys, contents=st.lists(st.integers(0, len(CONTENTS) - 1), max_size=2))
    def enqueue(self, contents: list[int]) -> str:
        chosen = [CONTENTS[n] for n in contents]
        key = self.outbox.enqueue(session_id="s", record=RECORD, attachments=chosen).idempotency_key
        assert all(key > known for known in self.model), "keys must sort by creation"
        self.model[key] = ItemState.PENDING
        self.attached[key] = contents
        return key

    @rule(max_items=st.integers(min_value=1, max_value=4), tight_budget=st.booleans())
    def claim(self, max_items: int, tight_budget: bool) -> None:
        batch = self.outbox.claim_batch(max_items, 1 if tight_budget else BIG)
        # Oldest first, and at least one item even when it exceeds the budget.
        expected = self._in(ItemState.PENDING)[: 1 if tight_budget else max_items]
        assert [item.idempotency_key for item in batch] == expected
        for item in batch:  # each carries exactly its own attachments, in order
            wanted = [CONTENTS[n].sha256 for n in self.attached[item.idempotency_key]]
            assert [ref.sha256 for ref in item.wire.attachments] == wanted
        for key in expected:
            self.model[key] = ItemState.SENDING

    @rule(chosen=st.lists(keys, max_size=3, unique=True))
    def acknowledge(self, chosen: list[str]) -> None:
        movable = [key for key in chosen if self.model[key] in LIVE]
        assert self.outbox.mark_acknowledged(chosen) == len(movable)
        for key in movable:
            self.model[key] = ItemState.ACKNOWLEDGED

    @rule(chosen=st.lists(keys, max_size=3, unique=True))
    def release(self, chosen: list[str]) -> None:
        movable = [key for key in chosen if self.model[key] is ItemState.SENDING]
        assert self.outbox.release(chosen, "network down") == len(movable)
        for key in movable:
            self.model[key] = ItemState.PENDING

    @rule(key=keys)
    def reject(self, key: str) -> None:
        movable = self.model[key] in LIVE
        assert self.outbox.mark_rejected(key, "refused") is movable
        if movable:
            self.model[key] = ItemState.REJECTED

    @rule(rotate_key=st.booleans())
    def crash_and_reopen(self, rotate_key: bool) -> None:
        self.outbox.close()
        if rotate_key:  # a technician rotated the key while the kiosk was down
            key_file = self.path.with_suffix(".key")
            write_key_file(key_file, read_key_file(key_file).rotated())
        self.outbox = Outbox.open(self.path)
        for key in self._in(ItemState.SENDING):
            self.model[key] = ItemState.PENDING

    @rule()
    def purge_acknowledged(self) -> None:
        acknowledged = self._in(ItemState.ACKNOWLEDGED)
        assert self.outbox.purge_acknowledged(timedelta(0)) == len(acknowledged)
        for key in acknowledged:
            self.model[key] = None

    @invariant()
    def each_key_is_in_exactly_the_expected_state(self) -> None:
        for key, state in self.model.items():
            assert self.outbox.state_of(key) == state

    @invariant()
    def counts_add_up_and_nothing_is_lost(self) -> None:
        stats = self.outbox.stats()
        assert stats.pending == len(self._in(ItemState.PENDING))
        assert stats.sending == len(self._in(ItemState.SENDING))
        assert stats.acknowledged == len(self._in(ItemState.ACKNOWLEDGED))
        assert stats.rejected == len(self._in(ItemState.REJECTED))

    @invariant()
    def content_is_kept_exactly_while_an_unacknowledged_item_needs_it(self) -> None:
        needed = {
            n
            for key, state in self.model.items()
            if state in (*LIVE, ItemState.REJECTED)
            for n in self.attached[key]
        }
        for n, content in enumerate(CONTENTS):
            if n in needed:
                size = len(content.data)
                assert self.outbox.read_attachment(content.sha256, size - 1, 1) == content.data[-1:]
            else:
                with pytest.raises(OutboxError):
                    self.outbox.read_attachment(content.sha256, 0, 1)

    def teardown(self) -> None:
        self.outbox.close()
        shutil.rmtree(self.folder, ignore_errors=True)


OutboxMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,  # every commit is fsynced: timings vary with the disk
    suppress_health_check=[HealthCheck.too_slow],
)
TestOutboxStateMachine = OutboxMachine.TestCase
