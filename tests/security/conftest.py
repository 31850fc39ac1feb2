"""Security tests that touch the database run on SQLite and PostgreSQL, like tests/backend."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty back-end database of each kind (PostgreSQL from tests.fixtures.postgres)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'backend' / 'backend.db'}"
    url: str = request.getfixturevalue("postgres_database_url")
    return url
