"""Shared helpers of the card tests: an event recorder and a PC/SC reader on vpcd."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from peripherals.card import CardEvent, CardEventKind
from peripherals.card.pcsc import PcscCardReader
from tests.peripherals.card.pcscd_stack import VIRTUAL_READER, Pcscd

# Short enough that the timeout tests stay fast, long enough that a loaded
# 2-core machine never trips them on a healthy card (a read takes ~10 ms).
TEST_OPERATION_TIMEOUT_S = 1.0
TEST_POLL_INTERVAL_S = 0.1


class EventLog:
    """A listener that remembers what it heard and lets a test wait for an event."""

    def __init__(self) -> None:
        self.kinds: list[CardEventKind] = []
        self._changed = asyncio.Event()

    def __call__(self, event: CardEvent) -> None:
        self.kinds.append(event.kind)
        self._changed.set()

    async def wait_for(
        self, kind: CardEventKind, timeout_s: float = 3.0, *, count: int = 1
    ) -> None:
        """Wait until ``kind`` was heard ``count`` times in all."""
        async with asyncio.timeout(timeout_s):
            while self.kinds.count(kind) < count:
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
async def pcsc_reader(pcscd: Pcscd) -> AsyncIterator[PcscCardReader]:
    """The real adapter on vpcd's first reader, closed after the test."""
    reader = PcscCardReader(
        VIRTUAL_READER,
        poll_interval_s=TEST_POLL_INTERVAL_S,
        operation_timeout_s=TEST_OPERATION_TIMEOUT_S,
    )
    try:
        yield reader
    finally:
        await reader.close()


@pytest.fixture
def events(pcsc_reader: PcscCardReader) -> EventLog:
    """What ``pcsc_reader`` reports."""
    log = EventLog()
    pcsc_reader.add_listener(log)
    return log
