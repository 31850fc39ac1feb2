"""What happened at the kiosk, for the agency's service figures, with no one's identity in it.

Each event says which service, agency, language and step, when (to the
minute), and for a satisfaction answer the score and the reason picked from a
list. It never holds a name, a file number, an address or a reference: the
schema has no field for them, and nothing free-typed goes in. The log is a
SQLite table next to the outbox (WAL, synchronous=FULL), kept for the
analytics sync; a kiosk that cannot write it goes on serving citizens.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import sqlite_utils
from pydantic import BaseModel, ConfigDict, Field

from kiosk.journey import SATISFACTION_SCORES, FeedbackReason

_log = logging.getLogger(__name__)
TABLE = "service_events"
Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class EventKind(StrEnum):
    """The moments of a visit that the agency counts."""

    SESSION_STARTED = "session_started"
    SERVICE_STARTED = "service_started"
    SERVICE_COMPLETED = "service_completed"  # saved in the outbox
    SESSION_ABANDONED = "session_abandoned"  # wiped by the inactivity timer
    SATISFACTION = "satisfaction"
    ONLINE_HANDOFF = "online_handoff"  # the QR to the online service was shown


class ServiceEvent(BaseModel):
    """One counted moment; every field is a code or a number, never personal data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: EventKind
    at: datetime
    session: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]  # random per visit
    language: Code | None = None
    agency_id: Code | None = None
    service_id: Code | None = None
    life_event_id: Code | None = None
    step: Code | None = None
    score: (
        Annotated[int, Field(ge=min(SATISFACTION_SCORES), le=max(SATISFACTION_SCORES))] | None
    ) = None
    reason: FeedbackReason | None = None


class ServiceEventLog:
    """Appends events durably; a failure is logged and the visit goes on."""

    def __init__(
        self, path: Path, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite_utils.Database(path)
        self._db.enable_wal()
        self._db.execute("PRAGMA synchronous=FULL")
        self._now = now
        if TABLE not in self._db.table_names():
            self._db.table(TABLE).create(
                {field: str for field in ServiceEvent.model_fields} | {"score": int},
                pk=None,
            )

    def record(self, kind: EventKind, session: str, **codes: object) -> None:
        """Append one event (``codes``: the other fields of :class:`ServiceEvent`)."""
        at = self._now().astimezone(UTC).replace(second=0, microsecond=0)
        event = ServiceEvent.model_validate({"kind": kind, "at": at, "session": session, **codes})
        try:
            self._db.table(TABLE).insert(event.model_dump(mode="json"))
        except sqlite3.Error as err:  # a full disk must not stop the citizen
            _log.error("service event not recorded (%s): %s", kind.value, err)

    def events(self) -> list[ServiceEvent]:
        """Every event, oldest first."""
        rows = self._db.table(TABLE).rows_where(order_by="rowid")
        return [ServiceEvent.model_validate(row) for row in rows]

    def close(self) -> None:
        """Close the database."""
        self._db.close()
