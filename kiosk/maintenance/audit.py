"""Who did what in maintenance mode, and when: append-only, durable, never a PIN.

Entries carry codes and short technical details only: an action, its outcome
and, say, a self-test's fault code. What a technician typed is never passed
in, so it cannot be written by mistake.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import sqlite_utils

from kiosk.maintenance.store import AUDIT_TABLE

_log = logging.getLogger(__name__)
MAX_DETAIL_CHARS = 300


class AuditAction(StrEnum):
    """What happened (stable codes: the fleet view will read them)."""

    ENTRY = "entry"  # an attempt to enter, by PIN or card
    LOCKED_OUT = "locked_out"  # too many failures: entry refused for a while
    LEFT = "left"
    SELF_TEST = "self_test"
    SYNC_NOW = "sync_now"
    OUT_OF_SERVICE = "out_of_service"
    BACK_IN_SERVICE = "back_in_service"
    LOGS_VIEWED = "logs_viewed"
    RESTART = "restart"


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    at: datetime
    actor: str
    action: AuditAction
    outcome: str
    detail: str = ""


class AuditLog:
    """Appends entries to the maintenance database (a failure is logged, never raised)."""

    def __init__(
        self, db: sqlite_utils.Database, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._db = db
        self._now = now

    def record(self, actor: str, action: AuditAction, outcome: str, detail: str = "") -> None:
        """Append one entry; ``actor`` says who ("technician-pin", "card:…", "remote:…")."""
        at = self._now().astimezone(UTC).isoformat(timespec="seconds")
        try:
            with self._db.conn:
                self._db.execute(
                    f"INSERT INTO {AUDIT_TABLE} (at, actor, action, outcome, detail)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [at, actor, action.value, outcome, detail[:MAX_DETAIL_CHARS]],
                )
        except sqlite3.Error as err:  # a full disk must not lock the technician out
            _log.error("audit entry not recorded (%s %s): %s", action.value, outcome, err)
        _log.info("maintenance: %s %s %s %s", actor, action.value, outcome, detail)

    def entries(self, limit: int = 200) -> list[AuditEntry]:
        """The latest ``limit`` entries, oldest first."""
        rows = self._db.execute(
            f"SELECT at, actor, action, outcome, detail FROM {AUDIT_TABLE}"
            " ORDER BY id DESC LIMIT ?",
            [limit],
        ).fetchall()
        return [
            AuditEntry(datetime.fromisoformat(at), actor, AuditAction(action), outcome, detail)
            for at, actor, action, outcome, detail in reversed(rows)
        ]
