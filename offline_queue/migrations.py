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


def apply_migrations(db: Database) -> list[str]:
    """Apply the pending outbox migrations; return the names of those applied now."""
    pending = [migration.name for migration in outbox_migrations.pending(db)]
    outbox_migrations.apply(db)
    return pending
