"""Named, transactional schema migrations of the kiosk's outbox database.

Each migration runs once, in its own transaction, and is recorded in
``_sqlite_migrations`` (the sqlite-utils convention). Never edit a migration
that has shipped: add a new one, so that kiosks in the field upgrade in place.
"""

from __future__ import annotations

from sqlite_utils.db import Database
from sqlite_utils.migrations import Migrations

MIGRATION_SET = "visioguichet.outbox"

outbox_migrations = Migrations(MIGRATION_SET)


@outbox_migrations(name="0001_create_outbox_items")
def _create_outbox_items(db: Database) -> None:
    # The CHECK constraints keep the state machine honest even against a
    # technician's hand-written SQL. Timestamps are ISO 8601 UTC text with a
    # fixed width (microseconds), so comparing them as text compares instants.
    db.execute(
        """
        CREATE TABLE outbox_items (
            idempotency_key TEXT PRIMARY KEY NOT NULL CHECK (length(idempotency_key) = 26),
            session_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'acknowledged', 'rejected')),
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_error TEXT,
            reject_reason TEXT,
            acknowledged_at TEXT
        )
        """
    )
    # Claiming takes the oldest pending items: keys are ULIDs, so key order is age order.
    db.execute("CREATE INDEX idx_outbox_items_state_key ON outbox_items (state, idempotency_key)")


@outbox_migrations(name="0002_sealed_payloads_and_attachments")
def _sealed_payloads_and_attachments(db: Database) -> None:
    # Payloads move to `sealed_payload` (AES-GCM, see offline_queue.crypto)
    # under the key `key_id`. Rows written before this migration still hold
    # plaintext in `payload`; the outbox seals them when it opens, because a
    # migration has no access to the key.
    db.execute("ALTER TABLE outbox_items ADD COLUMN sealed_payload BLOB")
    db.execute("ALTER TABLE outbox_items ADD COLUMN key_id TEXT")
    # The greatest idempotency key ever issued, so that new keys sort after
    # it even once every item was purged and the clock went back.
    db.execute("CREATE TABLE outbox_meta (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)")
    # Attachments are stored once per content (SHA-256 of the plaintext),
    # sealed chunk by chunk so that an upload can resume at any chunk.
    db.execute(
        """
        CREATE TABLE outbox_attachments (
            sha256 TEXT PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),
            size INTEGER NOT NULL CHECK (size > 0),
            chunk_bytes INTEGER NOT NULL CHECK (chunk_bytes > 0),
            uploaded INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1)),
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE outbox_attachment_chunks (
            sha256 TEXT NOT NULL REFERENCES outbox_attachments (sha256) ON DELETE CASCADE,
            seq INTEGER NOT NULL CHECK (seq >= 0),
            key_id TEXT NOT NULL,
            sealed BLOB NOT NULL,
            PRIMARY KEY (sha256, seq)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE outbox_item_attachments (
            idempotency_key TEXT NOT NULL
                REFERENCES outbox_items (idempotency_key) ON DELETE CASCADE,
            position INTEGER NOT NULL CHECK (position >= 0),
            sha256 TEXT NOT NULL REFERENCES outbox_attachments (sha256),
            media_type TEXT NOT NULL,
            PRIMARY KEY (idempotency_key, position)
        )
        """
    )
    db.execute(
        "CREATE INDEX idx_outbox_item_attachments_sha256 ON outbox_item_attachments (sha256)"
    )


def apply_migrations(db: Database) -> list[str]:
    """Apply the pending outbox migrations; return the names of those applied now."""
    pending = [migration.name for migration in outbox_migrations.pending(db)]
    outbox_migrations.apply(db)
    return pending
