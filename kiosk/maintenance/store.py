"""The maintenance mode's own small database, next to the outbox.

It holds what must survive a restart: the audit log, the PIN lockout (a
restart must not reset the brake on guessing) and the out-of-service flag (a
kiosk a technician took out of service stays out after a power cut).
WAL and synchronous=FULL, as the outbox: an entry written is an entry kept.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from offline_queue.storage import bound_page_cache

AUDIT_TABLE = "audit"
FLAGS_TABLE = "flags"
LOCKOUT_TABLE = "lockout"

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {AUDIT_TABLE} (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
-- Append-only: an audit log that can be edited in place proves nothing.
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON {AUDIT_TABLE}
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON {AUDIT_TABLE}
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS {FLAGS_TABLE} (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS {LOCKOUT_TABLE} (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    failures INTEGER NOT NULL,
    locked_until REAL
);
"""


def open_store(path: Path) -> sqlite_utils.Database:
    """Open (or create) the maintenance database at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.enable_wal()
    db.execute("PRAGMA synchronous=FULL")
    bound_page_cache(db)
    db.executescript(_SCHEMA)
    return db


def read_flag(db: sqlite_utils.Database, name: str) -> str | None:
    """The stored value of flag ``name``, if set."""
    row = db.execute(f"SELECT value FROM {FLAGS_TABLE} WHERE name = ?", [name]).fetchone()
    return str(row[0]) if row is not None else None


def write_flag(db: sqlite_utils.Database, name: str, value: str) -> None:
    """Set flag ``name`` durably."""
    with db.conn:
        db.execute(
            f"INSERT INTO {FLAGS_TABLE} (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [name, value],
        )
