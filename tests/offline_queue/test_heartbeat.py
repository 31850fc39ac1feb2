"""The fleet link's wire schemas: strict, bounded, and round-tripped whatever the values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from offline_queue.heartbeat import (
    MAX_ACKS,
    MAX_DETAIL_CHARS,
    MAX_DEVICES,
    CommandAck,
    DeviceReport,
    Heartbeat,
    HeartbeatReply,
    KioskCommand,
    OutboxReport,
)

aware = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
details = st.none() | st.text(max_size=MAX_DETAIL_CHARS)
fault_codes = st.none() | st.from_regex(r"^[a-z][a-z0-9_.]{0,47}$", fullmatch=True)
command_ids = st.from_regex(r"^[0-9A-Za-z]{8,32}$", fullmatch=True)
counts = st.integers(min_value=0, max_value=10_000_000)

device_reports = st.builds(
    DeviceReport,
    device=st.sampled_from(["card_reader", "printer", "document_camera", "face_camera"]),
    state=st.sampled_from(["ok", "degraded", "fault", "absent"]),
    fault=fault_codes,
    detail=details,
)
heartbeats = st.builds(
    Heartbeat,
    sent_at=aware,
    app_version=st.from_regex(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$", fullmatch=True),
    uptime_s=st.integers(min_value=0, max_value=10 * 365 * 86_400),
    devices=st.lists(device_reports, max_size=MAX_DEVICES),
    outbox=st.builds(
        OutboxReport,
        backlog=counts,
        oldest_pending_at=st.none() | aware,
        last_sync_at=st.none() | aware,
        last_error=details,
        dead_letters=counts,
    ),
    disk_free_mb=st.none() | st.integers(min_value=0, max_value=100_000_000),
    out_of_service=st.booleans(),
    acks=st.lists(
        st.builds(CommandAck, command_id=command_ids, ok=st.booleans(), detail=details),
        max_size=MAX_ACKS,
    ),
)
replies = st.builds(
    HeartbeatReply,
    commands=st.lists(
        st.builds(
            KioskCommand,
            command_id=command_ids,
            kind=st.sampled_from(["sync_now", "out_of_service", "back_in_service"]),
            issued_at=aware,
        ),
        max_size=16,
    ),
    next_in_s=st.floats(min_value=0.001, max_value=3_600),
)


@given(heartbeats)
def test_every_heartbeat_survives_the_wire(beat: Heartbeat) -> None:
    assert Heartbeat.model_validate_json(beat.model_dump_json()) == beat


@given(replies)
def test_every_reply_survives_the_wire(reply: HeartbeatReply) -> None:
    assert HeartbeatReply.model_validate_json(reply.model_dump_json()) == reply


def valid() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "v": 1,
        "sent_at": now.isoformat(),
        "app_version": "1.0.0",
        "uptime_s": 10,
        "devices": [{"device": "printer", "state": "fault", "fault": "paper_out"}],
        "outbox": {"backlog": 0},
    }


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"kiosk_id": "k1"}, "kiosk_id"),  # identity comes from the token only
        ({"v": 2}, "v"),
        ({"sent_at": "2026-12-07T09:00:00"}, "sent_at"),  # a naive time is ambiguous
        ({"uptime_s": -1}, "uptime_s"),
        ({"app_version": "1.0 beta"}, "app_version"),
        ({"devices": [{"device": "scanner", "state": "ok"}]}, "devices.0.device"),
        ({"devices": [{"device": "printer", "state": "ok", "fault": "Paper Out!"}]}, "fault"),
        ({"devices": [{"device": "printer", "state": "ok"}] * (MAX_DEVICES + 1)}, "devices"),
        ({"outbox": {"backlog": 0, "last_error": "x" * (MAX_DETAIL_CHARS + 1)}}, "last_error"),
        ({"acks": [{"command_id": "../etc", "ok": True}]}, "command_id"),
    ],
)
def test_bad_heartbeats_are_refused_naming_the_field(change: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Heartbeat.model_validate({**valid(), **change})
    assert where in str(caught.value)


def test_a_minimal_heartbeat_is_valid() -> None:
    beat = Heartbeat.model_validate(valid())
    assert beat.devices[0].fault == "paper_out"
    assert beat.acks == []
    assert beat.out_of_service is False
    assert beat.sent_at > datetime.now(UTC) - timedelta(minutes=1)
