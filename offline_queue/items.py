"""The outbox's vocabulary: item states and the read-only views the outbox hands out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from offline_queue.schemas import OutboxItemWire


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
class OutboxStats:
    """Counts per state, for the sync status and the maintenance screen."""

    pending: int
    sending: int
    acknowledged: int
    rejected: int
    oldest_pending_created_at: datetime | None

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
class Durability:
    """The durability settings in force on the outbox's connection (for self-tests)."""

    journal_mode: str
    synchronous: str
