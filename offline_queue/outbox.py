"""The kiosk's durable outbox: what the citizen submitted, kept until the back end has it.

Every item moves through a small state machine::

    pending --claim--> sending --acknowledge--> acknowledged --purge--> (gone)
       ^                  |  \\--reject-------> rejected (dead letter)
       '----release-------'

``enqueue`` returns only after the item and its attachments are committed to
disk in one transaction (WAL journal, ``synchronous=FULL``): that is the
moment the kiosk may tell the citizen "saved". Payloads and attachments are
sealed (AES-GCM, :mod:`offline_queue.crypto`) before they reach the database.
Items left in ``sending`` by a crash go back to ``pending``; resending them is
safe because the back end recognises each item by its idempotency key.

Items leave in key order, and keys increase with every enqueue, so the items
of one citizen session reach the back end in the order they were saved.

An ``Outbox`` holds one SQLite connection: use it from one thread (the
kiosk's event loop thread). Only one process may open a given outbox file.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlite_utils.db import Database

from offline_queue import attachments as blobs
from offline_queue import reports
from offline_queue.crypto import LoadedKeys, load_or_create_keys
from offline_queue.errors import (
    InvalidItemError,
    OutboxCorruptError,
    OutboxError,
    OutboxFullError,
)
from offline_queue.ids import UlidGenerator
from offline_queue.items import (
    ClaimedItem,
    DeadLetter,
    Durability,
    ItemState,
    NewAttachment,
    OutboxEntry,
    OutboxHealth,
    OutboxStats,
    PendingUpload,
)
from offline_queue.rows import (
    UnreadableItemError,
    insert_item,
    new_wire,
    oldest_pending,
    rebuild,
    seal_in_place,
    short,
    to_text,
)
from offline_queue.salvage import salvage
from offline_queue.schemas import AttachmentRef, TransactionRecord
from offline_queue.storage import checkpoint, open_checked, quarantined_files, translated

__all__ = [
    "ClaimedItem",
    "DeadLetter",
    "Durability",
    "InvalidItemError",
    "ItemState",
    "NewAttachment",
    "Outbox",
    "OutboxCorruptError",
    "OutboxEntry",
    "OutboxError",
    "OutboxFullError",
    "OutboxHealth",
    "OutboxStats",
]

logger = logging.getLogger(__name__)

# Room for {"schema_version":2,"sent_at":"...","items":[...]} around the items of a batch.
BATCH_ENVELOPE_BYTES = 96
_SQL_VARIABLES_PER_STATEMENT = 500  # well under SQLite's limit on bound parameters
_RECOVERED_ERROR = "interrupted before the back end answered"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _chunks(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), _SQL_VARIABLES_PER_STATEMENT):
        yield keys[start : start + _SQL_VARIABLES_PER_STATEMENT]


class Outbox:
    """The durable queue of items waiting for the back end. Create it with :meth:`open`."""

    def __init__(
        self,
        db: Database,
        path: Path,
        keys: LoadedKeys,
        *,
        clock: Callable[[], datetime],
        salvaged: int = 0,
    ) -> None:
        self._db = db
        self._path = path
        self._keys = keys.ring
        self._key_file_set_aside = keys.quarantined
        self._clock = clock
        self._closed = False
        self._salvaged = salvaged
        self._storage_full = False
        floor = self._scalar(
            "SELECT max(k) FROM (SELECT max(idempotency_key) AS k FROM outbox_items"
            " UNION ALL SELECT value FROM outbox_meta WHERE name = 'key_floor')"
        )
        self._ids = UlidGenerator(floor=floor)

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        key_file: Path | None = None,
        clock: Callable[[], datetime] | None = None,
        max_size_bytes: int | None = None,
    ) -> Outbox:
        """Open (or create) the outbox at ``path``, ready to take and send items.

        ``key_file`` holds the encryption keys (created 0600 if missing;
        default: ``<path without suffix>.key``). A corrupt database is set
        aside and replaced by a fresh one, with what can be read of its
        unsent items salvaged; :meth:`health` raises the alarm. Raises
        :class:`OutboxError` only when no outbox at all can be opened.
        """
        clock = clock or _utc_now
        stamp = clock().strftime("%Y%m%dT%H%M%SZ")
        with translated(f"open the outbox at {path}"):
            path.parent.mkdir(parents=True, exist_ok=True)
        keys = load_or_create_keys(key_file or path.with_suffix(".key"), stamp=stamp)
        db, aside = open_checked(path, clock(), max_size_bytes=max_size_bytes)
        try:
            with translated(f"prepare the outbox at {path}"):
                salvaged = salvage(aside, db) if aside is not None else 0
                outbox = cls(db, path, keys, clock=clock, salvaged=salvaged)
                outbox._prepare()
        except BaseException:
            db.close()
            raise
        return outbox

    @property
    def path(self) -> Path:
        """Where the outbox database lives."""
        return self._path

    def enqueue(
        self,
        *,
        session_id: str,
        record: TransactionRecord,
        attachments: Sequence[NewAttachment] = (),
    ) -> OutboxEntry:
        """Save one transaction and its attachments durably, all or nothing.

        Once this returns, the citizen may be told "saved". Raises
        :class:`OutboxFullError` when there is no room (nothing is written),
        :class:`InvalidItemError` for an item that could never be sent.
        """
        now = self._clock()
        wire = new_wire(self._ids.new(), session_id, record, attachments, now)
        try:
            with self._write("save the item"):
                insert_item(self._db, self._keys, wire, attachments)
        except OutboxFullError:
            self._storage_full = True
            logger.error("outbox full: a transaction could not be saved")
            raise
        self._storage_full = False
        return OutboxEntry(wire.idempotency_key, session_id, wire.kind, now, ItemState.PENDING)

    def claim_batch(self, max_items: int, max_bytes: int) -> list[ClaimedItem]:
        """Move the oldest pending items to ``sending`` and return them, oldest first.

        The batch holds at most ``max_items`` items and about ``max_bytes`` of
        JSON, but always at least one item when any is pending, so that one
        large item can never stall the queue.
        """
        if max_items < 1 or max_bytes < 1:
            raise ValueError("max_items and max_bytes must be positive")
        now = to_text(self._clock())
        with self._write("claim items"):
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

        The payload and the attachments no other item needs are erased at
        once: the citizen's data lives on the kiosk only until the back end
        holds it (privacy by construction).
        """
        now = to_text(self._clock())
        unique = list(dict.fromkeys(keys))
        with self._write("record acknowledgements"):
            changed = self._update_state(
                unique,
                "state = 'acknowledged', payload = '', sealed_payload = NULL,"
                " acknowledged_at = ?, updated_at = ?, last_error = NULL",
                [now, now],
                from_states=(ItemState.PENDING, ItemState.SENDING),
            )
            for chunk in _chunks(unique):
                blobs.release_items(self._db, chunk)
        return changed

    def mark_rejected(self, key: str, reason: str) -> bool:
        """Dead-letter an item the back end will never accept; later items are not held up."""
        now = to_text(self._clock())
        with self._write("record a rejection"):
            changed = self._update_state(
                [key],
                "state = 'rejected', reject_reason = ?, updated_at = ?",
                [short(reason), now],
                from_states=(ItemState.PENDING, ItemState.SENDING),
            )
        return changed == 1

    def release(self, keys: Iterable[str], error: str, *, recheck_uploads: bool = False) -> int:
        """Put items in flight back to ``pending`` after a failed send; count the attempt.

        ``recheck_uploads`` makes the next send ask the back end again about
        their attachments (it said it lacks one).
        """
        now = to_text(self._clock())
        unique = list(dict.fromkeys(keys))
        with self._write("release items"):
            if recheck_uploads:
                for chunk in _chunks(unique):
                    blobs.set_uploaded(self._db, blobs.of_items(self._db, chunk), False)
            return self._update_state(
                unique,
                "state = 'pending', attempts = attempts + 1, last_error = ?, updated_at = ?",
                [short(error), now],
                from_states=(ItemState.SENDING,),
            )

    def release_in_flight(self, error: str = _RECOVERED_ERROR) -> int:
        """Put every item still in ``sending`` back to ``pending``; return how many.

        The sync worker calls this before each attempt: with one worker per
        outbox, an item in ``sending`` then is a leftover of a failure (say,
        a full disk refused to record the answer), not a send in progress.
        """
        now = to_text(self._clock())
        with self._write("recover interrupted sends"):
            cursor = self._db.execute(
                "UPDATE outbox_items SET state = 'pending', attempts = attempts + 1,"
                " last_error = ?, updated_at = ? WHERE state = 'sending'",
                [short(error), now],
            )
        return cursor.rowcount

    def pending_uploads(self, keys: Sequence[str]) -> list[PendingUpload]:
        """Attachments of these items the back end has not confirmed holding whole."""
        with self._guard("list attachments to upload"):
            return blobs.pending_uploads(self._db, keys)

    def read_attachment(self, sha256: str, offset: int, max_bytes: int) -> bytes:
        """Bytes of an attachment from ``offset`` (at most one stored chunk)."""
        with self._guard("read an attachment"):
            try:
                return blobs.read(self._db, self._keys, sha256, offset, max_bytes)
            except (KeyError, ValueError) as err:
                raise OutboxError(f"cannot read attachment {sha256[:12]}: {err!r}") from None

    def mark_uploaded(self, sha256: str) -> None:
        """Record that the back end holds this attachment whole (verified by its hash)."""
        with self._write("record an upload"):
            blobs.set_uploaded(self._db, [sha256], True)

    def state_of(self, key: str) -> ItemState | None:
        """The state of one item, or ``None`` if the outbox never had it (or purged it)."""
        with self._guard("read an item"):
            state = self._scalar("SELECT state FROM outbox_items WHERE idempotency_key = ?", [key])
        return ItemState(state) if state is not None else None

    def stats(self) -> OutboxStats:
        """How many items are in each state, and how old the oldest pending one is."""
        with self._guard("count items"):
            return reports.stats(self._db, self._keys.keys)

    def health(self) -> OutboxHealth:
        """Alarms for the maintenance mode: quarantined files, locked items, a full disk."""
        with self._guard("check health"):
            locked = reports.locked_count(self._db, self._keys.keys)
        return OutboxHealth(
            quarantined_files=quarantined_files(self._path),
            salvaged_items=self._salvaged,
            key_file_set_aside=self._key_file_set_aside,
            locked_items=locked,
            storage_full=self._storage_full,
        )

    def dead_letters(self) -> list[DeadLetter]:
        """Items the back end refused, oldest first."""
        with self._guard("read dead letters"):
            return reports.dead_letters(self._db)

    def purge_acknowledged(self, older_than: timedelta) -> int:
        """Delete items acknowledged at least ``older_than`` ago; return how many.

        An acknowledgement dated in the future means the clock went back
        since: such items are purged too, rather than kept until the clock
        catches up (the back end holds them; the kiosk needs them no more).
        """
        if older_than < timedelta(0):
            raise ValueError("older_than must not be negative")
        now = self._clock()
        with self._write("purge acknowledged items"):
            cursor = self._db.execute(
                "DELETE FROM outbox_items WHERE state = 'acknowledged'"
                " AND (acknowledged_at <= ? OR acknowledged_at > ?)",
                [to_text(now - older_than), to_text(now)],
            )
        if cursor.rowcount:
            checkpoint(self._db)  # erased pages leave the WAL too
        return cursor.rowcount

    def key_ids_in_use(self) -> set[str]:
        """Ids of the keys some stored item or attachment is sealed with."""
        with self._guard("list keys in use"):
            return reports.key_ids_in_use(self._db)

    def durability(self) -> Durability:
        """What protects saved items from a power cut: expected ``wal`` and ``full``."""
        with self._guard("read durability settings"):
            return reports.durability(self._db)

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
        with translated(action):
            yield

    @contextlib.contextmanager
    def _write(self, action: str) -> Iterator[None]:
        with self._guard(action), self._db.atomic():
            yield

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._db.execute(sql, list(params)).fetchone()
        return row[0] if row is not None else None

    def _prepare(self) -> None:
        """Seal what an older version left in plaintext, re-seal what an old key sealed."""
        with self._db.atomic():
            sealed, resealed = seal_in_place(self._db, self._keys)
            resealed += blobs.reseal(self._db, self._keys)
        recovered = self.release_in_flight()
        if sealed or resealed:
            checkpoint(self._db)  # the plaintext and old ciphertexts leave the WAL
            logger.info("outbox: %d item(s) sealed, %d value(s) re-sealed", sealed, resealed)
        if recovered:
            logger.info("outbox: %d interrupted item(s) back to pending", recovered)
        locked = reports.locked_count(self._db, self._keys.keys)
        if locked:
            logger.critical("outbox: %d item(s) sealed with a key not in the key file", locked)

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
            rows = oldest_pending(self._db, self._keys.keys, max_items)
            if not rows:
                break
            refs = blobs.refs_of(self._db, [row["idempotency_key"] for row in rows])
            for row in rows:
                item = self._rebuild(row, refs.get(row["idempotency_key"], []), now)
                if item is None:
                    continue
                # +1 for the comma between items in the JSON array.
                if claimed and total_bytes + item.wire_bytes + 1 > max_bytes:
                    return claimed
                claimed.append(item)
                total_bytes += item.wire_bytes + 1
        return claimed

    def _rebuild(
        self, row: dict[str, Any], refs: list[AttachmentRef], now: str
    ) -> ClaimedItem | None:
        """The wire form of a stored item; an unreadable item is dead-lettered on the spot.

        A row becomes unreadable only through corruption, tampering or a
        schema change shipped without a migration; sending it would fail
        forever and hold up every later item, so it leaves the queue with
        the reason recorded.
        """
        try:
            return rebuild(row, refs, self._keys)
        except UnreadableItemError as err:
            logger.error("outbox item %s is unreadable: %s", row["idempotency_key"], err)
            self._update_state(
                [row["idempotency_key"]],
                "state = 'rejected', reject_reason = ?, updated_at = ?",
                [short(f"unreadable in the outbox: {err}"), now],
                from_states=(ItemState.PENDING,),
            )
            return None
