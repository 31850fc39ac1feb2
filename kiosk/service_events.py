"""What happened at the kiosk, for the agency's service figures, with no one's identity in it.

Each event says which service, agency, language and step, when (to the
minute), and for a satisfaction answer the score and the reason picked from a
list (the wire model, :class:`offline_queue.analytics.ServiceEvent`, is shared
with the back end). It never holds a name, a file number, an address or a
reference: the schema has no field for them, and nothing free-typed goes in.
A completed service may carry the keyed hash of the file number, never the
number (:meth:`ServiceEventLog.file_hash`).

The log is a SQLite table next to the outbox (WAL, synchronous=FULL), kept
until the back end acknowledges each event
(:class:`offline_queue.analytics_sync.AnalyticsSender`); a kiosk that cannot
write it goes on serving citizens.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from offline_queue.analytics import (
    EventKind,
    ServiceEvent,
    file_number_hash,
    new_event_id,
)
from offline_queue.storage import bound_page_cache

__all__ = ["EventKind", "ServiceEvent", "ServiceEventLog", "read_file_hash_key"]

_log = logging.getLogger(__name__)
TABLE = "service_events"
SQLITE_MAX_VARIABLES = 900  # below SQLite's historical limit of 999 bound parameters


def read_file_hash_key(path: Path) -> bytes:
    """The deployment's file hash key, from a file (every kiosk of the agency has the same).

    Raises :class:`ValueError` with what is wrong (the key itself is never shown).
    """
    try:
        key = path.read_bytes().strip()
    except OSError as err:
        raise ValueError(f"cannot read the file hash key at {path} ({err.strerror})") from err
    if len(key) < 16:
        raise ValueError(f"the file hash key at {path} is shorter than 16 bytes")
    return key


class ServiceEventLog:
    """Appends events durably; a failure is logged and the visit goes on.

    Also the store of the analytics sender: :meth:`pending` and :meth:`acknowledge`.
    """

    def __init__(
        self,
        path: Path,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        file_hash_key: bytes | None = None,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite_utils.Database(path)
        self._db.enable_wal()
        self._db.execute("PRAGMA synchronous=FULL")
        bound_page_cache(self._db)
        self._now = now
        self._file_hash_key = file_hash_key
        self._migrate()

    def _migrate(self) -> None:
        """Create the table, or bring one from an older kiosk up to date (ids drawn for it)."""
        columns: dict[str, type] = {field: str for field in ServiceEvent.model_fields}
        columns["score"] = int
        table = self._db.table(TABLE)
        if TABLE not in self._db.table_names():
            table.create(columns, pk=None)
        else:
            known = {column.name for column in table.columns}
            with self._db.conn:
                for name, kind in columns.items():
                    if name not in known:
                        table.add_column(name, kind)
                # Events recorded before ids existed get theirs now, once.
                for (rowid,) in self._db.execute(f"SELECT rowid FROM {TABLE} WHERE id IS NULL"):
                    self._db.execute(
                        f"UPDATE {TABLE} SET id = ? WHERE rowid = ?", [new_event_id(), rowid]
                    )
        table.create_index(["id"], unique=True, if_not_exists=True)

    def file_hash(self, file_number: str) -> str | None:
        """The keyed hash of ``file_number`` for a completed service, or ``None`` without a key."""
        if self._file_hash_key is None:
            return None
        try:
            return file_number_hash(self._file_hash_key, file_number)
        except ValueError:
            return None  # not a number: nothing to count repeats by

    def record(self, kind: EventKind, session: str, **codes: object) -> None:
        """Append one event (``codes``: the other fields of :class:`ServiceEvent`)."""
        at = self._now().astimezone(UTC).replace(second=0, microsecond=0)
        event = ServiceEvent.model_validate(
            {"id": new_event_id(), "kind": kind, "at": at, "session": session, **codes}
        )
        try:
            self._db.table(TABLE).insert(event.model_dump(mode="json"))
        except sqlite3.Error as err:  # a full disk must not stop the citizen
            _log.error("service event not recorded (%s): %s", kind.value, err)

    def events(self) -> list[ServiceEvent]:
        """Every event not acknowledged yet, oldest first."""
        return self.pending(limit=None)

    def pending(self, limit: int | None) -> list[ServiceEvent]:
        """Up to ``limit`` events waiting for the back end, oldest first."""
        rows = self._db.table(TABLE).rows_where(order_by="rowid", limit=limit)
        return [ServiceEvent.model_validate(row) for row in rows]

    def acknowledge(self, ids: Collection[str]) -> int:
        """Forget the events the back end keeps (or refused for good); returns how many went."""
        wanted = list(ids)
        gone = 0
        with self._db.conn:
            for start in range(0, len(wanted), SQLITE_MAX_VARIABLES):
                chunk = wanted[start : start + SQLITE_MAX_VARIABLES]
                marks = ", ".join("?" for _ in chunk)
                cursor = self._db.execute(f"DELETE FROM {TABLE} WHERE id IN ({marks})", chunk)
                gone += cursor.rowcount
        return gone

    def count(self) -> int:
        """How many events wait for the back end."""
        return self._db.table(TABLE).count

    def close(self) -> None:
        """Close the database."""
        self._db.close()
