"""The simulated card reader behaves like a reader in a kiosk, failures included."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

import pytest

from peripherals import HealthState
from peripherals.card import (
    SAMPLE_HOLDER,
    CardEvent,
    CardEventKind,
    CardHolder,
    CardReader,
    CardReaderUnavailableError,
    CardRemovedError,
    CardUnreadableError,
    NoCardError,
    SimulatedCardReader,
)

SLOW_READ_S = 5.0  # long enough that a test finishing early proves the read was cut short


class EventLog:
    """A listener that remembers what it heard."""

    def __init__(self) -> None:
        self.kinds: list[CardEventKind] = []

    def __call__(self, event: CardEvent) -> None:
        self.kinds.append(event.kind)


@pytest.fixture
def reader() -> SimulatedCardReader:
    return SimulatedCardReader()


@pytest.fixture
def events(reader: SimulatedCardReader) -> EventLog:
    log = EventLog()
    reader.add_listener(log)
    return log


def test_the_simulator_is_a_card_reader() -> None:
    port: CardReader = SimulatedCardReader()  # checked by mypy through the Protocol
    assert port.health().state is HealthState.OK


async def test_inserting_a_card_notifies_and_reads_the_holder(
    reader: SimulatedCardReader, events: EventLog
) -> None:
    assert not reader.card_present
    reader.insert()
    assert events.kinds == [CardEventKind.INSERTED]
    assert reader.card_present
    assert await reader.read_holder() == SAMPLE_HOLDER


async def test_another_holder_can_be_inserted(reader: SimulatedCardReader) -> None:
    holder = CardHolder("2047183658", "Jean", "Gagnon", None)
    reader.insert(holder)
    assert await reader.read_holder() == holder


async def test_reading_without_a_card_fails(reader: SimulatedCardReader) -> None:
    with pytest.raises(NoCardError) as caught:
        await reader.read_holder()
    assert caught.value.code == "card.absent"


async def test_removing_the_card_notifies(reader: SimulatedCardReader, events: EventLog) -> None:
    reader.insert()
    reader.remove()
    reader.remove()  # nothing left to remove: no second event
    assert events.kinds == [CardEventKind.INSERTED, CardEventKind.REMOVED]
    assert not reader.card_present


async def test_a_card_pulled_mid_read_fails_that_read_at_once() -> None:
    reader = SimulatedCardReader(read_delay_s=SLOW_READ_S)
    reader.insert()
    read = asyncio.create_task(reader.read_holder())
    await asyncio.sleep(0)  # the read is now waiting on the chip
    reader.remove()
    with pytest.raises(CardRemovedError) as caught:
        await asyncio.wait_for(read, timeout=1.0)
    assert caught.value.code == "card.removed"


async def test_a_slow_read_completes_when_nobody_touches_the_card() -> None:
    reader = SimulatedCardReader(read_delay_s=0.01)
    reader.insert()
    assert await reader.read_holder() == SAMPLE_HOLDER


async def test_failure_knob_fails_the_next_reads_only(reader: SimulatedCardReader) -> None:
    reader.insert()
    reader.fail_next_read(CardUnreadableError("dirty chip"))
    reader.fail_next_read(CardUnreadableError("still dirty"))
    for detail in ("dirty chip", "still dirty"):
        with pytest.raises(CardUnreadableError) as caught:
            await reader.read_holder()
        assert caught.value.code == "card.unreadable"
        assert caught.value.detail == detail
    assert await reader.read_holder() == SAMPLE_HOLDER


async def test_unplugging_the_reader_is_a_fault_until_it_comes_back(
    reader: SimulatedCardReader, events: EventLog
) -> None:
    reader.insert()
    reader.unplug()
    health = reader.health()
    assert (health.state, health.code) == (HealthState.FAULT, "card.reader_unavailable")
    assert not reader.card_present
    with pytest.raises(CardReaderUnavailableError):
        await reader.read_holder()

    reader.plug_in()
    assert reader.health().state is HealthState.OK
    assert events.kinds == [
        CardEventKind.INSERTED,
        CardEventKind.READER_LOST,
        CardEventKind.READER_BACK,
        CardEventKind.INSERTED,  # the card stayed in the slot
    ]
    assert await reader.read_holder() == SAMPLE_HOLDER


async def test_a_card_inserted_while_unplugged_shows_up_on_reconnection(
    reader: SimulatedCardReader, events: EventLog
) -> None:
    reader.unplug()
    reader.insert()
    assert events.kinds == [CardEventKind.READER_LOST]
    reader.plug_in()
    assert events.kinds[-2:] == [CardEventKind.READER_BACK, CardEventKind.INSERTED]


async def test_unplugging_mid_read_fails_that_read() -> None:
    reader = SimulatedCardReader(read_delay_s=SLOW_READ_S)
    reader.insert()
    read = asyncio.create_task(reader.read_holder())
    await asyncio.sleep(0)
    reader.unplug()
    with pytest.raises(CardReaderUnavailableError):
        await asyncio.wait_for(read, timeout=1.0)


def test_inserting_a_second_card_is_a_test_mistake(reader: SimulatedCardReader) -> None:
    reader.insert()
    with pytest.raises(RuntimeError):
        reader.insert()


def test_a_failing_listener_does_not_silence_the_others(
    reader: SimulatedCardReader, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: CardEvent) -> None:
        raise ValueError("view model bug")

    after = EventLog()
    reader.add_listener(broken)
    reader.add_listener(after)
    with caplog.at_level(logging.ERROR):
        reader.insert()
    assert after.kinds == [CardEventKind.INSERTED]
    assert "card listener failed" in caplog.text


async def test_a_closed_reader_is_absent_and_silent(
    reader: SimulatedCardReader, events: EventLog
) -> None:
    await reader.close()
    reader.insert()
    assert events.kinds == []
    assert reader.health().state is HealthState.ABSENT
    assert not reader.card_present
    with pytest.raises(CardReaderUnavailableError):
        await reader.read_holder()


def test_a_holder_in_a_log_line_shows_no_personal_data() -> None:
    holder = CardHolder("5831029474", "Camille", "Tremblay", date(1987, 3, 14))
    text = repr(holder)
    for personal in ("Camille", "Tremblay", "1987", "58310294"):
        assert personal not in text
