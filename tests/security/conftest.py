"""Security tests that touch the database run on SQLite and PostgreSQL, like tests/backend."""

from __future__ import annotations

from tests.backend.conftest import database_url

__all__ = ["database_url"]  # the same two-database fixture, not a copy of it
