"""Fixtures of the outbox and sync tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from offline_queue.outbox import Outbox


class FakeClock:
    """A wall clock that moves only when told to."""

    def __init__(self, start: datetime = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    """A controllable clock for the outbox's timestamps."""
    return FakeClock()


@pytest.fixture
def outbox_path(tmp_path: Path) -> Path:
    """Where the test's outbox lives (a folder that does not exist yet)."""
    return tmp_path / "kiosk" / "outbox.db"


@pytest.fixture
def outbox(outbox_path: Path, clock: FakeClock) -> Iterator[Outbox]:
    """A fresh outbox on a real file."""
    box = Outbox.open(outbox_path, clock=clock)
    try:
        yield box
    finally:
        box.close()
