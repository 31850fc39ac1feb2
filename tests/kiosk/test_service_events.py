"""The kiosk's service events: durable, codes only, and never in the citizen's way."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from kiosk.service_events import EventKind, ServiceEventLog, read_file_hash_key
from offline_queue.analytics import FeedbackReason

NOON = datetime(2026, 12, 7, 17, 4, 31, 123456, tzinfo=UTC)
SESSION = "0123456789abcdef"


def test_events_are_kept_in_order_to_the_minute(tmp_path: Path) -> None:
    log = ServiceEventLog(tmp_path / "events.db", now=lambda: NOON)
    log.record(EventKind.SERVICE_STARTED, SESSION, language="fr", service_id="change-of-address")
    log.record(EventKind.SATISFACTION, SESSION, score=4, reason=FeedbackReason.EASY)
    log.close()

    again = ServiceEventLog(tmp_path / "events.db")  # what was recorded survives a restart
    started, satisfaction = again.events()
    assert started.kind is EventKind.SERVICE_STARTED
    assert started.service_id == "change-of-address"
    assert started.at == datetime(2026, 12, 7, 17, 4, tzinfo=UTC)
    assert (satisfaction.score, satisfaction.reason) == (4, FeedbackReason.EASY)


@pytest.mark.parametrize(
    "extra",
    [
        {"file_number": "5831029474"},  # no field for personal data
        {"service_id": "Jean Tremblay"},  # codes only: no free text slips into a code
        {"score": 9},
    ],
)
def test_anything_but_codes_is_refused(tmp_path: Path, extra: dict[str, object]) -> None:
    log = ServiceEventLog(tmp_path / "events.db")
    with pytest.raises(ValidationError):
        log.record(EventKind.SERVICE_STARTED, SESSION, **extra)
    assert log.events() == []


def test_a_storage_failure_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = ServiceEventLog(tmp_path / "events.db")
    log.close()  # as if the disk had gone away under the kiosk
    log.record(EventKind.SESSION_STARTED, SESSION)
    assert "service event not recorded" in caplog.text


KEY = b"deployment-secret-for-tests-0123"


def test_each_event_has_its_own_id_until_the_back_end_keeps_it(tmp_path: Path) -> None:
    log = ServiceEventLog(tmp_path / "events.db")
    for _ in range(3):
        log.record(EventKind.SESSION_STARTED, SESSION)
    first, second, third = log.pending(limit=None)
    assert len({first.id, second.id, third.id}) == 3

    assert log.acknowledge([first.id, third.id, "f" * 32]) == 2

    assert [event.id for event in log.events()] == [second.id]
    assert log.pending(limit=1) == [second]
    assert log.count() == 1


def test_a_log_from_before_event_ids_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE service_events (kind TEXT, at TEXT, session TEXT, language TEXT,"
        " agency_id TEXT, service_id TEXT, life_event_id TEXT, step TEXT, score INTEGER,"
        " reason TEXT)"
    )
    for _ in range(2):
        old.execute(
            "INSERT INTO service_events (kind, at, session) VALUES (?, ?, ?)",
            ("session_started", "2026-12-07T17:04:00Z", SESSION),
        )
    old.commit()
    old.close()

    log = ServiceEventLog(path)
    log.record(EventKind.ESCALATED, SESSION, step="form")

    events = log.events()
    assert [event.kind for event in events] == [
        EventKind.SESSION_STARTED,
        EventKind.SESSION_STARTED,
        EventKind.ESCALATED,
    ]
    assert len({event.id for event in events}) == 3
    log.close()
    assert len(ServiceEventLog(path).events()) == 3  # opening again changes nothing


def test_a_completion_carries_a_keyed_hash_of_the_file_number_never_the_number(
    tmp_path: Path,
) -> None:
    log = ServiceEventLog(tmp_path / "events.db", file_hash_key=KEY)
    other = ServiceEventLog(tmp_path / "other.db", file_hash_key=KEY[::-1])
    hashed = log.file_hash("5831029474")

    assert hashed is not None
    assert len(hashed) == 32
    assert "5831029474" not in hashed
    assert log.file_hash("583 102 9474") == hashed  # digits only
    assert other.file_hash("5831029474") != hashed  # without the key, no match
    assert ServiceEventLog(tmp_path / "nokey.db").file_hash("5831029474") is None
    log.record(EventKind.SERVICE_COMPLETED, SESSION, service_id="a", file_hash=hashed)
    with pytest.raises(ValidationError):  # only a completion carries one
        log.record(EventKind.SESSION_STARTED, SESSION, file_hash=hashed)
    assert [event.file_hash for event in log.events()] == [hashed]


def test_the_file_hash_key_is_read_from_its_file(tmp_path: Path) -> None:
    key_file = tmp_path / "analytics.key"
    key_file.write_bytes(KEY + b"\n")
    assert read_file_hash_key(key_file) == KEY
    key_file.write_bytes(b"short")
    with pytest.raises(ValueError, match="shorter than 16 bytes"):
        read_file_hash_key(key_file)
    with pytest.raises(ValueError, match="cannot read"):
        read_file_hash_key(tmp_path / "missing.key")
