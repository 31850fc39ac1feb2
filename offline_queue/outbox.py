"""The kiosk's durable outbox: what the citizen submitted, kept until the back end has it.

Every item moves through a small state machine::

    pending --claim--> sending --acknowledge--> acknowledged
       ^                  |  \\--reject-------> rejected (dead letter)
       '----release-------'

``enqueue`` returns only after the item is committed to disk (WAL journal,
``synchronous=FULL``): that is the moment the kiosk may tell the citizen
"saved". Items left in ``sending`` by a crash go back to ``pending`` when the
outbox is opened again; resending them is safe because the back end
recognises each item by its idempotency key and answers ``duplicate``.

An ``Outbox`` holds one SQLite connection: use it from one thread (the
kiosk's event loop thread). Only one process may open a given outbox file.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from pydantic import ValidationError
from sqlite_utils.db import Database

from offline_queue.ids import UlidGenerator
from offline_queue.items import (
    ClaimedItem,
    DeadLetter,
    Durability,
    ItemState,
    OutboxEntry,
    OutboxStats,
)
from offline_queue.migrations import apply_migrations
from offline_queue.schemas import OutboxItemWire, TransactionRecord

__all__ = [
    "ClaimedItem",
    "DeadLetter",
    "Durability",
    "InvalidItemError",
    "ItemState",
    "Outbox",
    "OutboxEntry",
    "OutboxError",
    "OutboxStats",
]

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000  # a technician's reader may hold the lock for a moment
MAX_ERROR_CHARS = 500
# Room for {"schema_version":1,"items":[...]} around the items of a batch.
BATCH_ENVELOPE_BYTES = 64
_SQL_VARIABLES_PER_STATEMENT = 500  # well under SQLite's limit on bound parameters
_RECOVERED_ERROR = "interrupted before the back end answered (kiosk restarted)"
_ITEM_COLUMNS = "idempotency_key, session_id, kind, payload, state, created_at"


class OutboxError(Exception):
    """The outbox database could not do what was asked (disk, corruption, closed)."""


class InvalidItemError(OutboxError):
    """An item that could never be sent was refused before it was saved."""


_SYNCHRONOUS_LEVELS = {0: "off", 1: "normal", 2: "full", 3: "extra"}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _to_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("outbox timestamps must be timezone-aware")
    # Fixed width so that text order is time order in SQL comparisons.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _short(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def _describe(err: ValidationError) -> str:
    # Locations and messages only: the input values may be personal data.
    parts = [".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in err.errors()[:3]]
    return "; ".join(parts) or "invalid"


def _chunks(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), _SQL_VARIABLES_PER_STATEMENT):
        yield keys[start : start + _SQL_VARIABLES_PER_STATEMENT]


def _entry(row: dict[str, Any]) -> OutboxEntry:
    return OutboxEntry(
        idempotency_key=row["idempotency_key"],
        session_id=row["session_id"],
        kind=row["kind"],
        created_at=datetime.fromisoformat(row["created_at"]),
        state=ItemState(row["state"]),
    )


class Outbox:
    """The durable queue of items waiting for the back end. Create it with :meth:`open`."""

    def __init__(self, db: Database, path: Path, *, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._path = path
        self._clock = clock
        self._closed = False
        newest = self._scalar("SELECT max(idempotency_key) FROM outbox_items")
        self._ids = UlidGenerator(floor=newest)

    @classmethod
    def open(cls, path: Path, *, clock: Callable[[], datetime] | None = None) -> Outbox:
        """Open (or create) the outbox at ``path``, migrate it and recover interrupted sends."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = Database(path, execute_plugins=False)
        except (OSError, sqlite3.Error) as err:
            raise OutboxError(f"cannot open the outbox at {path}: {err}") from err
        try:
            # WAL must be switched on outside any transaction; synchronous is
            # per connection, so it is set on every open.
            db.enable_wal()
            db.execute("PRAGMA synchronous=FULL")
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            applied = apply_migrations(db)
            outbox = cls(db, path, clock=clock or _utc_now)
            recovered = outbox._recover_interrupted_sends()
        except (sqlite3.Error, ValueError) as err:
            db.close()
            raise OutboxError(f"cannot prepare the outbox at {path}: {err}") from err
        if applied:
            logger.info("outbox %s migrated: %s", path, ", ".join(applied))
        if recovered:
            logger.info("outbox %s: %d interrupted item(s) back to pending", path, recovered)
        return outbox

    @property
    def path(self) -> Path:
        """Where the outbox database lives."""
        return self._path

    def enqueue(self, *, session_id: str, record: TransactionRecord) -> OutboxEntry:
        """Save one transaction durably; once this returns, the citizen may be told "saved"."""
        now = self._clock()
        key = self._ids.new()
        try:
            # Building the wire form now guarantees that what is saved can be sent.
            wire = OutboxItemWire(
                idempotency_key=key,
                session_id=session_id,
                kind="transaction",
                created_at=now,
                payload=record,
            )
        except ValidationError as err:
            raise InvalidItemError(f"item refused: {_describe(err)}") from None
        with self._guard("save the item"), self._db.atomic():
            self._db.execute(
                "INSERT INTO outbox_items (idempotency_key, session_id, kind, payload, state,"
                " attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                [
                    key,
                    session_id,
                    wire.kind,
                    record.model_dump_json(),
                    ItemState.PENDING.value,
                    _to_text(now),
                    _to_text(now),
                ],
            )
        return OutboxEntry(key, session_id, wire.kind, now, ItemState.PENDING)

    def claim_batch(self, max_items: int, max_bytes: int) -> list[ClaimedItem]:
        """Move the oldest pending items to ``sending`` and return them, oldest first.

        The batch holds at most ``max_items`` items and about ``max_bytes`` of
        JSON, but always at least one item when any is pending, so that one
        large item can never stall the queue.
        """
        if max_items < 1 or max_bytes < 1:
            raise ValueError("max_items and max_bytes must be positive")
        now = _to_text(self._clock())
        with self._guard("claim items"), self._db.atomic():
            claimed = self._select_batch(max_items, max_bytes, now)
            self._update_state(
                [item.idempotency_key for item in claimed],
                "state = 'sending', updated_at = ?",
                [now],
                from_states=(ItemState.PENDING,),
            )
        return [
            replace(item, entry=replace(item.entry, state=ItemState.SENDING)) for item in claimed
        ]

    def mark_acknowledged(self, keys: Iterable[str]) -> int:
        """Record that the back end has these items; return how many changed state.

        The payload is erased at once: the citizen's data lives on the kiosk
        only until the back end holds it (privacy by construction).
        """
        now = _to_text(self._clock())
        with self._guard("record acknowledgements"), self._db.atomic():
            return self._update_state(
                list(keys),
                "state = 'acknowledged', payload = '', acknowledged_at = ?, updated_at = ?,"
                " last_error = NULL",
                [now, now],
                from_states=(ItemState.PENDING, ItemState.SENDING),
            )

    def mark_rejected(self, key: str, reason: str) -> bool:
        """Dead-letter an item the back end will never accept; later items are not held up."""
        now = _to_text(self._clock())
        with self._guard("record a rejection"), self._db.atomic():
            changed = self._update_state(
                [key],
                "state = 'rejected', reject_reason = ?, updated_at = ?",
                [_short(reason), now],
                from_states=(ItemState.PENDING, ItemState.SENDING),
            )
        return changed == 1

    def release(self, keys: Iterable[str], error: str) -> int:
        """Put items in flight back to ``pending`` after a failed send; count the attempt."""
        now = _to_text(self._clock())
        with self._guard("release items"), self._db.atomic():
            return self._update_state(
                list(keys),
                "state = 'pending', attempts = attempts + 1, last_error = ?, updated_at = ?",
                [_short(error), now],
                from_states=(ItemState.SENDING,),
            )

    def state_of(self, key: str) -> ItemState | None:
        """The state of one item, or ``None`` if the outbox never had it (or purged it)."""
        with self._guard("read an item"):
            state = self._scalar("SELECT state FROM outbox_items WHERE idempotency_key = ?", [key])
        return ItemState(state) if state is not None else None

    def stats(self) -> OutboxStats:
        """How many items are in each state, and how old the oldest pending one is."""
        with self._guard("count items"):
            counts: dict[str, int] = {
                row["state"]: row["n"]
                for row in self._db.query(
                    "SELECT state, count(*) AS n FROM outbox_items GROUP BY state"
                )
            }
            oldest = self._scalar(
                "SELECT min(created_at) FROM outbox_items WHERE state = ?",
                [ItemState.PENDING.value],
            )
        return OutboxStats(
            pending=counts.get(ItemState.PENDING, 0),
            sending=counts.get(ItemState.SENDING, 0),
            acknowledged=counts.get(ItemState.ACKNOWLEDGED, 0),
            rejected=counts.get(ItemState.REJECTED, 0),
            oldest_pending_created_at=datetime.fromisoformat(oldest) if oldest else None,
        )

    def dead_letters(self) -> list[DeadLetter]:
        """Items the back end refused, oldest first."""
        with self._guard("read dead letters"):
            rows = list(
                self._db.query(
                    "SELECT idempotency_key, session_id, kind, created_at, updated_at, attempts,"
                    " reject_reason FROM outbox_items WHERE state = ? ORDER BY idempotency_key",
                    [ItemState.REJECTED.value],
                )
            )
        return [
            DeadLetter(
                idempotency_key=row["idempotency_key"],
                session_id=row["session_id"],
                kind=row["kind"],
                created_at=datetime.fromisoformat(row["created_at"]),
                rejected_at=datetime.fromisoformat(row["updated_at"]),
                attempts=row["attempts"],
                reason=row["reject_reason"] or "",
            )
            for row in rows
        ]

    def purge_acknowledged(self, older_than: timedelta) -> int:
        """Delete items acknowledged at least ``older_than`` ago; return how many."""
        if older_than < timedelta(0):
            raise ValueError("older_than must not be negative")
        cutoff = _to_text(self._clock() - older_than)
        with self._guard("purge acknowledged items"), self._db.atomic():
            cursor = self._db.execute(
                "DELETE FROM outbox_items WHERE state = ? AND acknowledged_at <= ?",
                [ItemState.ACKNOWLEDGED.value, cutoff],
            )
        return cursor.rowcount

    def durability(self) -> Durability:
        """What protects saved items from a power cut: expected ``wal`` and ``full``."""
        with self._guard("read durability settings"):
            journal = str(self._scalar("PRAGMA journal_mode")).lower()
            level = _SYNCHRONOUS_LEVELS.get(self._scalar("PRAGMA synchronous"), "unknown")
        return Durability(journal_mode=journal, synchronous=level)

    def close(self) -> None:
        """Close the database; the outbox cannot be used afterwards."""
        if not self._closed:
            self._closed = True
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals -----------------------------------------------------------

    @contextlib.contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        if self._closed:
            raise OutboxError(f"cannot {action}: the outbox is closed")
        try:
            yield
        except sqlite3.Error as err:
            raise OutboxError(f"cannot {action}: {err}") from err

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._db.execute(sql, list(params)).fetchone()
        return row[0] if row is not None else None

    def _recover_interrupted_sends(self) -> int:
        now = _to_text(self._clock())
        with self._db.atomic():
            cursor = self._db.execute(
                "UPDATE outbox_items SET state = 'pending', attempts = attempts + 1,"
                " last_error = ?, updated_at = ? WHERE state = 'sending'",
                [_RECOVERED_ERROR, now],
            )
        return cursor.rowcount

    def _update_state(
        self,
        keys: Sequence[str],
        assignments: str,
        values: Sequence[Any],
        *,
        from_states: tuple[ItemState, ...],
    ) -> int:
        changed = 0
        states = ", ".join("?" for _ in from_states)
        for chunk in _chunks(list(dict.fromkeys(keys))):
            placeholders = ", ".join("?" for _ in chunk)
            cursor = self._db.execute(
                f"UPDATE outbox_items SET {assignments} WHERE state IN ({states})"
                f" AND idempotency_key IN ({placeholders})",
                [*values, *(s.value for s in from_states), *chunk],
            )
            changed += cursor.rowcount
        return changed

    def _select_batch(self, max_items: int, max_bytes: int, now: str) -> list[ClaimedItem]:
        claimed: list[ClaimedItem] = []
        total_bytes = BATCH_ENVELOPE_BYTES
        while not claimed:
            rows = list(
                self._db.query(
                    f"SELECT {_ITEM_COLUMNS} FROM outbox_items WHERE state = ?"
                    " ORDER BY idempotency_key LIMIT ?",
                    [ItemState.PENDING.value, max_items],
                )
            )
            if not rows:
                break
            for row in rows:
                item = self._rebuild(row, now)
                if item is None:
                    continue
                # +1 for the comma between items in the JSON array.
                if claimed and total_bytes + item.wire_bytes + 1 > max_bytes:
                    return claimed
                claimed.append(item)
                total_bytes += item.wire_bytes + 1
        return claimed

    def _rebuild(self, row: dict[str, Any], now: str) -> ClaimedItem | None:
        """The wire form of a stored item; an unreadable item is dead-lettered on the spot.

        A row can become unreadable only through corruption or a schema change
        shipped without a migration; sending it would fail forever and hold
        up every later item, so it leaves the queue with the reason recorded.
        """
        try:
            wire = OutboxItemWire(
                idempotency_key=row["idempotency_key"],
                session_id=row["session_id"],
                kind=row["kind"],
                created_at=datetime.fromisoformat(row["created_at"]),
                payload=TransactionRecord.model_validate_json(row["payload"]),
            )
        except (ValidationError, ValueError) as err:
            reason = _describe(err) if isinstance(err, ValidationError) else type(err).__name__
            logger.error("outbox item %s is unreadable: %s", row["idempotency_key"], reason)
            self._update_state(
                [row["idempotency_key"]],
                "state = 'rejected', reject_reason = ?, updated_at = ?",
                [_short(f"unreadable in the outbox: {reason}"), now],
                from_states=(ItemState.PENDING,),
            )
            return None
        size = len(wire.model_dump_json().encode())
        return ClaimedItem(_entry(row), wire, size)
