"""Property: whatever the kiosk does, the outbox never loses, duplicates or misorders an item."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from offline_queue.outbox import ItemState, Outbox
from tests.fixtures import make_record

RECORD = make_record()
BIG = 10_000_000
LIVE = (ItemState.PENDING, ItemState.SENDING)


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

    def _in(self, *states: ItemState) -> list[str]:
        return sorted(key for key, state in self.model.items() if state in states)

    @rule(target=keys)
    def enqueue(self) -> str:
        key = self.outbox.enqueue(session_id="s", record=RECORD).idempotency_key
        assert all(key > known for known in self.model), "keys must sort by creation"
        self.model[key] = ItemState.PENDING
        return key

    @rule(max_items=st.integers(min_value=1, max_value=4), tight_budget=st.booleans())
    def claim(self, max_items: int, tight_budget: bool) -> None:
        batch = self.outbox.claim_batch(max_items, 1 if tight_budget else BIG)
        # Oldest first, and at least one item even when it exceeds the budget.
        expected = self._in(ItemState.PENDING)[: 1 if tight_budget else max_items]
        assert [item.idempotency_key for item in batch] == expected
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

    @rule()
    def crash_and_reopen(self) -> None:
        self.outbox.close()
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
