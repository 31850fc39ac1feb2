"""Receiving a kiosk's service events: each event judged alone, each stored once.

The envelope must be right or the whole request is refused (422); then an
invalid event whose id can be read is answered ``rejected`` while its
neighbours are stored. Exactly once: the kiosk's random event id is the
primary key and the insert skips ids already there (``ON CONFLICT DO
NOTHING``), so a batch sent twice counts once; both times the ids are
answered ``accepted`` and the kiosk forgets them. Only the events stored now
are added to the daily counts (``service_event_days``) that the dashboard reads.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import (
    Connection,
    Engine,
    and_,
    exists,
    func,
    literal_column,
    or_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from backend.db import insert_new_rows, service_event_days, service_events
from backend.ingest import BatchError, describe_errors, read_envelope, valid_field
from offline_queue.analytics import (
    MAX_EVENTS_PER_BATCH,
    AnalyticsAnswer,
    EventId,
    EventKind,
    RejectedEvent,
    ServiceEvent,
)

_EVENT_ID: TypeAdapter[str] = TypeAdapter(EventId)
REPEAT_WINDOW_DAYS = 30
DAY_KEY_COLUMNS = (
    "at",
    "kind",
    "agency_id",
    "service_id",
    "language",
    "step",
    "score",
    "reason",
    "file_hash",
)


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = Field(1, ge=1, le=1)
    events: list[Any] = Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH)


@dataclass(frozen=True)
class ParsedEvents:
    """The valid events of a batch, and the answers to the invalid ones."""

    events: list[ServiceEvent]
    rejected: list[RejectedEvent]


def parse_events(body: bytes) -> ParsedEvents:
    """Read a batch event by event. Raises :class:`BatchError` when it cannot be answered so."""
    envelope = read_envelope(body, _Envelope)
    events: list[ServiceEvent] = []
    rejected: list[RejectedEvent] = []
    for index, raw in enumerate(envelope.events):
        try:
            events.append(ServiceEvent.model_validate(raw))
        except ValidationError as err:
            event_id = valid_field(raw, "id", _EVENT_ID)
            if event_id is None:
                raise BatchError(
                    describe_errors(err, prefix=f"events.{index}.") + " (the event has no valid id)"
                ) from None
            rejected.append(RejectedEvent(id=event_id, reason=describe_errors(err)))
    return ParsedEvents(events, rejected)


def _row(kiosk_id: str, event: ServiceEvent, received_at: datetime) -> dict[str, Any]:
    return {
        "id": event.id,
        "kiosk_id": kiosk_id,
        "kind": event.kind.value,
        "at": event.at,
        "session": event.session,
        "language": event.language,
        "agency_id": event.agency_id,
        "service_id": event.service_id,
        "life_event_id": event.life_event_id,
        "step": event.step,
        "score": event.score,
        "reason": event.reason.value if event.reason is not None else None,
        "file_hash": event.file_hash,
        "received_at": received_at,
    }


def store_events(
    engine: Engine, kiosk_id: str, parsed: ParsedEvents, *, now: datetime
) -> AnalyticsAnswer:
    """Store the valid events once each (the site is ``kiosk_id``, from the credential).

    In the same transaction, the events stored now are added to the daily
    counts, and the repeat-contact marks of their files' completions are
    brought up to date.
    """
    rows = {event.id: _row(kiosk_id, event, now) for event in parsed.events}
    if rows:
        with engine.begin() as conn:
            stored = insert_new_rows(conn, service_events, list(rows.values()), ["id"])
            fresh = [rows[event_id] for event_id in stored]
            _count_days(conn, fresh)
            _mark_repeats(conn, {row["file_hash"] for row in fresh if row["file_hash"]})
    return AnalyticsAnswer(accepted=list(rows), rejected=parsed.rejected)


def day_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """The ``service_event_days`` key of an event row ('' or 0 for what it lacks)."""
    return (
        row["at"].astimezone(UTC).date(),
        row["kind"],
        row["agency_id"] or "",
        row["service_id"] or "",
        row["language"] or "",
        row["step"] or "",
        row["score"] or 0,
        row["reason"] or "",
        row["file_hash"] is not None,
    )


def _add_to_days(conn: Connection, keys: Counter[tuple[Any, ...]], column: str) -> None:
    """Add ``keys``' counts to ``column`` of their ``service_event_days`` rows."""
    if not keys:
        return
    names = [column.name for column in service_event_days.primary_key.columns]
    # Sorted: two requests adding to the same days take their row locks in one order.
    values = [
        dict(zip(names, key, strict=True)) | {"events": 0, "repeat_contacts": 0, column: n}
        for key, n in sorted(keys.items())
    ]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(service_event_days)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=names,
            set_={column: service_event_days.c[column] + statement.excluded[column]},
        ),
        values,
    )


def _count_days(conn: Connection, rows: list[dict[str, Any]]) -> None:
    _add_to_days(conn, Counter(day_key(row) for row in rows), "events")


def _mark_repeats(conn: Connection, hashes: set[str]) -> None:
    """Mark every completion of these files that follows another visit's within 30 days.

    Recomputed over all of the files' completions, so an older event that
    arrives late (its kiosk was offline) marks the later ones too; the
    completions marked now are added to the daily repeat counts.
    """
    if not hashes:
        return
    completed = EventKind.SERVICE_COMPLETED.value
    ev = service_events.c
    prior = service_events.alias("prior")
    earlier_visit = exists().where(
        prior.c.file_hash == ev.file_hash,
        prior.c.kind == completed,
        prior.c.session != ev.session,
        prior.c.at >= minus_days(conn, ev.at, REPEAT_WINDOW_DAYS),
        or_(prior.c.at < ev.at, and_(prior.c.at == ev.at, prior.c.id < ev.id)),
    )
    marked = conn.execute(
        update(service_events)
        .where(
            ev.file_hash.in_(sorted(hashes)),
            ev.kind == completed,
            # IS NOT, not "= false": SQLite's planner must take the file_hash index.
            ev.repeat_contact.is_not(True),
            earlier_visit,
        )
        .values(repeat_contact=True)
        .returning(*(ev[name] for name in DAY_KEY_COLUMNS))
    )
    _add_to_days(conn, Counter(day_key(row._asdict()) for row in marked), "repeat_contacts")


def minus_days(conn: Connection, moment: Any, days: int) -> Any:
    """``moment`` minus whole ``days``, in the connection's SQL."""
    if conn.dialect.name == "postgresql":
        return moment - literal_column(f"INTERVAL '{int(days)} days'")
    # SQLite keeps timestamps as ISO text; datetime() moves one by whole days.
    return func.datetime(moment, f"-{int(days)} days")
