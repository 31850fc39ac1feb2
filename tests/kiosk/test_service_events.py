"""The kiosk's service events: durable, codes only, and never in the citizen's way."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from kiosk.journey import FeedbackReason
from kiosk.service_events import EventKind, ServiceEventLog

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
