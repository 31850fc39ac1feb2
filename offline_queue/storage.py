"""The outbox's SQLite file: durable settings, a health check at open, and quarantine.

A corrupt file must not put the kiosk in a crash loop: it is renamed
``<name>.corrupt-<UTC stamp>`` (with its WAL, which may hold the newest
commits), a fresh outbox takes its place, and an alarm is raised. The set-aside
file stays for a technician (and for :mod:`offline_queue.salvage`).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from sqlite_utils.db import Database

from offline_queue.errors import OutboxCorruptError, OutboxError, OutboxFullError
from offline_queue.migrations import apply_migrations

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000  # a technician's reader may hold the lock for a moment
QUARANTINE_MARK = ".corrupt-"
_SIDE_FILES = ("-wal", "-shm", "-journal")
# SQLite's own page cache, per connection. Its default (2 MB) fills a page at a
# time as the file grows: on a kiosk, a slow rise of the resident size over
# hundreds of citizens (issue #6). The kiosk's transactions touch a few pages,
# and the operating system's page cache keeps the file's pages anyway.
PAGE_CACHE_KIB = 64
_PRIMARY_CODE_MASK = 0xFF  # extended result codes carry the primary code in the low byte


def _primary_code(err: sqlite3.Error) -> int | None:
    code = getattr(err, "sqlite_errorcode", None)
    return code & _PRIMARY_CODE_MASK if isinstance(code, int) else None


def is_corruption(err: BaseException) -> bool:
    """True for the errors that mean "this file is damaged", not "this operation failed"."""
    if isinstance(err, OutboxCorruptError):
        return True
    if not isinstance(err, sqlite3.DatabaseError):
        return False
    return _primary_code(err) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def is_full(err: BaseException) -> bool:
    """True when the disk (or the outbox's size cap) has no room left."""
    if isinstance(err, OSError):
        return err.errno == errno.ENOSPC
    return isinstance(err, sqlite3.Error) and _primary_code(err) == sqlite3.SQLITE_FULL


@contextlib.contextmanager
def translated(action: str) -> Iterator[None]:
    """Turn sqlite3 and OS errors into the outbox's own, with ``action`` in the message."""
    try:
        yield
    except (sqlite3.Error, OSError) as err:
        if is_full(err):
            raise OutboxFullError(f"cannot {action}: no space left ({err})") from err
        if is_corruption(err):
            raise OutboxCorruptError(f"cannot {action}: the database is damaged ({err})") from err
        raise OutboxError(f"cannot {action}: {err}") from err


def bound_page_cache(db: Database) -> None:
    """Cap the connection's page cache at :data:`PAGE_CACHE_KIB`, full after a few citizens."""
    db.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")  # negative: KiB, not pages


def connect(path: Path, *, max_size_bytes: int | None = None) -> Database:
    """Open ``path`` with the outbox's settings and check it; raises sqlite3 errors as they come.

    Raises :class:`OutboxCorruptError` when the file opens but fails its check.
    """
    conn = sqlite3.connect(path)
    try:
        db = Database(conn, execute_plugins=False)
    except BaseException:
        conn.close()
        raise
    try:
        # WAL must be switched on outside any transaction; the other settings
        # belong to the connection, so they are set on every open.
        db.enable_wal()
        db.execute("PRAGMA synchronous=FULL")
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # Deleted rows (acknowledged payloads, purged items) are overwritten
        # with zeros instead of lingering in free pages.
        db.execute("PRAGMA secure_delete=ON")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA cell_size_check=ON")
        bound_page_cache(db)
        if max_size_bytes is not None:
            page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
            # SQLite never lowers the cap below the current size: a kiosk that
            # is already over its cap keeps its items and refuses new ones.
            db.execute(f"PRAGMA max_page_count={max(1, max_size_bytes // page_size)}")
        problems = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise OutboxCorruptError("; ".join(str(p) for p in problems[:3]))
    except BaseException:
        db.close()
        raise
    return db


def quarantine(path: Path, now: datetime) -> Path:
    """Move the damaged database (and its WAL) aside; return where it went.

    The WAL keeps its ``-wal`` suffix after the new name, so SQLite still
    pairs the two if a technician opens the set-aside copy.
    """
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    aside = path.with_name(f"{path.name}{QUARANTINE_MARK}{stamp}")
    for suffix in ("", *_SIDE_FILES):
        source = Path(f"{path}{suffix}")
        if source.exists():
            source.rename(Path(f"{aside}{suffix}"))
    return aside


def quarantined_files(path: Path) -> tuple[Path, ...]:
    """Damaged databases set aside next to ``path`` (this start or earlier), oldest first."""
    found = [
        candidate
        for candidate in path.parent.glob(f"{path.name}{QUARANTINE_MARK}*")
        if not candidate.name.endswith(_SIDE_FILES)
    ]
    return tuple(sorted(found))


def checkpoint(db: Database) -> None:
    """Fold the WAL into the database and truncate it, so erased data leaves the WAL too."""
    with contextlib.suppress(sqlite3.Error):
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def open_checked(
    path: Path, now: datetime, *, max_size_bytes: int | None = None
) -> tuple[Database, Path | None]:
    """Open and migrate the outbox at ``path``; a corrupt one is set aside and replaced.

    Returns the database and, when it had to, where the corrupt file went.
    Raises :class:`OutboxError` only when no outbox at all can be opened.
    """

    def attempt() -> Database:
        with translated(f"open the outbox at {path}"):
            db = connect(path, max_size_bytes=max_size_bytes)
            try:
                applied = apply_migrations(db)
            except BaseException:
                db.close()
                raise
        if applied:
            logger.info("outbox %s migrated: %s", path, ", ".join(applied))
        return db

    try:
        return attempt(), None
    except OutboxCorruptError as err:
        reason = err
    with translated(f"set the corrupt outbox at {path} aside"):
        aside = quarantine(path, now)
    logger.critical("outbox %s is corrupt (%s): set aside as %s", path, reason, aside.name)
    return attempt(), aside
