"""Every database the kiosk keeps open caps SQLite's page cache (issue #6).

SQLite's default cache (2 MB a connection) fills a page at a time as the file
grows, so the kiosk's resident size would creep up for hundreds of citizens.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from kiosk.maintenance.store import open_store
from kiosk.service_events import ServiceEventLog
from offline_queue.storage import PAGE_CACHE_KIB, connect


def cache_kib(db: sqlite_utils.Database) -> int:
    pages_or_kib = int(db.execute("PRAGMA cache_size").fetchone()[0])
    assert pages_or_kib < 0, "a positive cache_size counts pages, not KiB"
    return -pages_or_kib


def test_the_outbox_connection_caps_its_page_cache(tmp_path: Path) -> None:
    db = connect(tmp_path / "outbox.db")
    try:
        assert cache_kib(db) == PAGE_CACHE_KIB
    finally:
        db.close()


def test_the_service_event_log_caps_its_page_cache(tmp_path: Path) -> None:
    log = ServiceEventLog(tmp_path / "service_events.db")
    assert cache_kib(log._db) == PAGE_CACHE_KIB


def test_the_maintenance_store_caps_its_page_cache(tmp_path: Path) -> None:
    db = open_store(tmp_path / "maintenance.db")
    try:
        assert cache_kib(db) == PAGE_CACHE_KIB
    finally:
        db.close()
