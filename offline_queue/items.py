"""The outbox's vocabulary: item states and the read-only views the outbox hands out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from offline_queue.schemas import AttachmentRef, MediaType, OutboxItemWire


class ItemState(StrEnum):
    """Where an outbox item stands on its way to the back end."""

    PENDING = "pending"
    SENDING = "sending"
    ACKNOWLEDGED = "acknowledged"
    REJECTED = "rejected"


@dataclass(frozen=True)
class OutboxEntry:
    """One item of the outbox, as the kiosk sees it."""

    idempotency_key: str
    session_id: str
    kind: str
    created_at: datetime
    state: ItemState


@dataclass(frozen=True)
class ClaimedItem:
    """An item claimed for sending, with its wire form and that form's size."""

    entry: OutboxEntry
    wire: OutboxItemWire
    wire_bytes: int

    @property
    def idempotency_key(self) -> str:
        """The key the back end uses to store this item exactly once."""
        return self.entry.idempotency_key


@dataclass(frozen=True)
class NewAttachment:
    """A document scan or signature to save with a transaction."""

    media_type: MediaType
    data: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        """The content's SHA-256, hex: its name in the outbox and at the back end."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class PendingUpload:
    """An attachment the back end has not confirmed holding yet."""

    ref: AttachmentRef
    chunk_bytes: int


@dataclass(frozen=True)
class OutboxStats:
    """Counts per state, for the sync status and the maintenance screen."""

    pending: int
    sending: int
    acknowledged: int
    rejected: int
    oldest_pending_created_at: datetime | None
    locked: int = 0  # pending, but sealed with a key missing from the key file

    @property
    def backlog(self) -> int:
        """Items the back end does not have yet (pending or in flight)."""
        return self.pending + self.sending


@dataclass(frozen=True)
class DeadLetter:
    """An item the back end refused for good; kept for a technician to inspect."""

    idempotency_key: str
    session_id: str
    kind: str
    created_at: datetime
    rejected_at: datetime
    attempts: int
    reason: str


@dataclass(frozen=True)
class OutboxHealth:
    """What a technician must know about the outbox's storage (no personal data).

    ``alarms`` is empty on a healthy kiosk; the maintenance mode shows each line.
    """

    quarantined_files: tuple[Path, ...] = ()
    salvaged_items: int = 0
    key_file_set_aside: Path | None = None
    locked_items: int = 0
    storage_full: bool = False

    @property
    def alarms(self) -> tuple[str, ...]:
        """One short sentence per problem, most urgent first."""
        found: list[str] = []
        if self.storage_full:
            found.append("outbox storage full: new transactions cannot be saved")
        if self.locked_items:
            found.append(
                f"{self.locked_items} item(s) sealed with a key missing from the key file:"
                " restore the key file"
            )
        if self.key_file_set_aside is not None:
            found.append(f"unreadable key file set aside as {self.key_file_set_aside.name}")
        if self.quarantined_files:
            names = ", ".join(path.name for path in self.quarantined_files)
            found.append(
                f"corrupt outbox set aside ({names}); {self.salvaged_items} item(s) salvaged"
            )
        return tuple(found)


@dataclass(frozen=True)
class Durability:
    """The durability settings in force on the outbox's connection (for self-tests)."""

    journal_mode: str
    synchronous: str
