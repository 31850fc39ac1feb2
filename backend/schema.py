"""Bringing a database to the back end's current schema, with Alembic migrations.

Alembic rather than a home-made version table: DBAs know it, it writes the
SQL of a migration for review (``kiosk-backend migrate --sql``), its
autogenerate comparison proves in the test suite that the migrations build
exactly the tables in :mod:`backend.db`, and its batch mode covers SQLite's
limited ``ALTER TABLE``.

Every back-end instance migrates at start. On PostgreSQL, where several
instances share one database, an advisory lock makes them take turns; the
whole upgrade runs in one transaction (PostgreSQL and SQLite both have
transactional DDL), so a crash mid-way leaves the previous schema intact.
"""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BASELINE_REVISION = "0001"
# Any constant: the key of the PostgreSQL advisory lock that serialises migrations.
MIGRATION_LOCK_KEY = 0x76670001


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic configuration without an ini file, on ``connection`` (or ``url`` for --sql)."""
    config = Config(stdout=io.StringIO())
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest revision (a no-op when it is there already).

    A database made before migrations existed (tables, no version) is
    recognised as the baseline revision and upgraded from there.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        config = alembic_config(conn)
        tables = set(inspect(conn).get_table_names())
        if "api_clients" in tables and "alembic_version" not in tables:
            command.stamp(config, BASELINE_REVISION)
        command.upgrade(config, "head")


def upgrade_sql(url: str) -> str:
    """The SQL that brings an empty database of ``url``'s kind to the newest revision."""
    config = alembic_config(url=url)
    output = io.StringIO()
    config.stdout = output
    config.output_buffer = output
    command.upgrade(config, "head", sql=True)
    return output.getvalue()
