"""The back end's tables, on SQLAlchemy Core so that SQLite and PostgreSQL both serve.

Queries elsewhere use only portable Core constructs; the one SQLite-specific
piece is the connection setup below (WAL, busy timeout, foreign keys).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    make_url,
)

SQLITE_BUSY_TIMEOUT_MS = 5_000
ROLES = ("kiosk", "staff")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database.

    SQLite has no timezone type and hands back naive values; storing naive
    UTC and re-attaching UTC on the way out gives the same answers everywhere.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

api_clients = Table(
    "api_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    # SHA-256 of the bearer token, hex: the token itself is never stored.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    CheckConstraint(f"role IN {ROLES!r}", name="role"),
)

transactions = Table(
    "transactions",
    metadata,
    # BIGINT on PostgreSQL; SQLite needs INTEGER for an auto-incrementing rowid key.
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("kiosk_id", String(64), ForeignKey("api_clients.client_id"), nullable=False),
    Column("idempotency_key", String(26), nullable=False),
    Column("reference", String(32), nullable=False, index=True),
    Column("agency_id", String(64), nullable=False),
    Column("service_id", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("record", Text(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False, index=True),
    # The exactly-once guarantee: a kiosk's item is stored at most once, whatever the retries.
    UniqueConstraint("kiosk_id", "idempotency_key"),
)


def _prepare_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module (it would not
    # emit BEGIN before every statement, and breaks SAVEPOINT); SQLAlchemy's
    # "begin" event below emits it instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _begin_immediate(conn: Connection) -> None:
    # A deferred SQLite transaction that reads, then writes after another
    # writer committed, fails at once with SQLITE_BUSY (the busy timeout does
    # not apply). Taking the write lock up front makes concurrent requests
    # queue up instead; PostgreSQL, the production database, needs none of this.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(database_url: str) -> Engine:
    """An engine for ``database_url``; for SQLite, its folder is created and WAL enabled."""
    url = make_url(database_url)
    engine = create_engine(url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine, "connect", _prepare_sqlite_connection)
        event.listen(engine, "begin", _begin_immediate)
    return engine


def create_schema(engine: Engine) -> None:
    """Create the tables that do not exist yet (a no-op on an up-to-date database)."""
    metadata.create_all(engine)
