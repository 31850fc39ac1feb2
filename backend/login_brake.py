"""The brake on password guessing from one address, across all accounts.

The per-account lockout (:mod:`backend.console_auth`) stops guessing one
account's password; it does not stop one address trying one common password
on every account. This brake counts failed logins per client address in the
database (so every back-end instance counts the same failures): past
``FREE_FAILURES`` in a window of ``WINDOW_S`` the address is refused for
``LOCK_BASE_S`` seconds, doubling with each further failure up to
``LOCK_MAX_S``. A success does not clear the count (one valid account must
not reset a guessing campaign); the window ending does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from backend.db import login_throttle

WINDOW_S = 900
FREE_FAILURES = 20
LOCK_BASE_S = 60
LOCK_MAX_S = 3_600
MAX_SOURCE_CHARS = 64


def _key(source: str | None) -> str:
    return (source or "unknown")[:MAX_SOURCE_CHARS]


def retry_after(conn: Connection, source: str | None, *, now: datetime) -> int:
    """Seconds this address must still wait before trying again (0: it may try now)."""
    locked_until = conn.execute(
        select(login_throttle.c.locked_until).where(login_throttle.c.source == _key(source))
    ).scalar_one_or_none()
    if locked_until is None or locked_until <= now:
        return 0
    return int((locked_until - now).total_seconds()) + 1


def note_failure(conn: Connection, source: str | None, *, now: datetime) -> int:
    """Count one failed login from ``source``; return the seconds it is now locked (0: none)."""
    key = _key(source)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # Created if missing without a race between instances, then locked for the update.
    conn.execute(
        dialect.insert(login_throttle)
        .values(source=key, failures=0, window_started_at=now, locked_until=None)
        .on_conflict_do_nothing(index_elements=["source"])
    )
    row = conn.execute(
        select(login_throttle).where(login_throttle.c.source == key).with_for_update()
    ).one()
    failures, started = row.failures, row.window_started_at
    if now - started > timedelta(seconds=WINDOW_S) and (
        row.locked_until is None or row.locked_until <= now
    ):
        failures, started = 0, now
    failures += 1
    delay = 0
    if failures > FREE_FAILURES:
        delay = min(LOCK_MAX_S, LOCK_BASE_S * 2 ** (failures - FREE_FAILURES - 1))
    conn.execute(
        update(login_throttle)
        .where(login_throttle.c.source == key)
        .values(
            failures=failures,
            window_started_at=started,
            locked_until=now + timedelta(seconds=delay) if delay else row.locked_until,
        )
    )
    return delay
