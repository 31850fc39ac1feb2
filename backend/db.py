"""The back end's tables, on SQLAlchemy Core so that SQLite and PostgreSQL both serve.

Queries elsewhere use portable Core constructs, plus ``INSERT ... ON CONFLICT
DO NOTHING`` which both databases speak (:func:`insert_ignoring_conflicts`).
The SQLite-specific piece is the connection setup below (WAL, busy timeout,
foreign keys). The schema changes only through the Alembic migrations in
``backend/migrations`` (:mod:`backend.schema`); this module is their target.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    Insert,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    bindparam,
    create_engine,
    event,
    false,
    func,
    make_url,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

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
    # The back end's clock: what staff sort by. Kiosk clocks may be off by years.
    Column("received_at", UtcDateTime(), nullable=False, index=True),
    # Null for items stored before sync schema version 2.
    Column("session_id", String(64), nullable=True),
    # The kiosk's clock when it created the item, kept as told, never trusted.
    Column("kiosk_created_at", UtcDateTime(), nullable=True),
    # How far ahead (+) or behind (-) the kiosk's clock was when it sent the item.
    Column("kiosk_clock_offset_ms", BigInteger(), nullable=True),
    # The exactly-once guarantee: a kiosk's item is stored at most once, whatever the retries.
    UniqueConstraint("kiosk_id", "idempotency_key"),
    # A session's items in the order the kiosk saved them: by idempotency key.
    Index("ix_transactions_kiosk_session", "kiosk_id", "session_id"),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("kiosk_id", String(64), ForeignKey("api_clients.client_id"), nullable=False),
    # Content-addressed per kiosk: one kiosk can never learn what another uploaded.
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger(), nullable=False),
    Column("received_bytes", BigInteger(), nullable=False),
    # True only once the received bytes hash to `sha256`.
    Column("complete", Boolean(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("completed_at", UtcDateTime(), nullable=True),
    UniqueConstraint("kiosk_id", "sha256"),
    CheckConstraint("received_bytes >= 0 AND received_bytes <= size", name="received"),
)

attachment_chunks = Table(
    "attachment_chunks",
    metadata,
    Column(
        "attachment_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("attachments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("start_byte", BigInteger(), primary_key=True),
    Column("data", LargeBinary(), nullable=False),
)

transaction_attachments = Table(
    "transaction_attachments",
    metadata,
    Column(
        "transaction_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("transactions.id"),
        primary_key=True,
    ),
    Column("position", Integer(), primary_key=True),
    Column(
        "attachment_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("attachments.id"),
        nullable=False,
        index=True,
    ),
    Column("media_type", String(64), nullable=False),
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
    if url.get_backend_name() != "sqlite":
        # A pooled connection may have died with a database restart: test it first.
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    event.listen(engine, "connect", _prepare_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def insert_new_rows(
    conn: Connection, table: Table, rows: list[dict[str, Any]], index: list[str]
) -> dict[str, int]:
    """Insert the ``rows`` whose ``index`` columns are new; return ``{first index column: id}``.

    Rows whose key exists already are skipped by the database itself
    (``ON CONFLICT DO NOTHING``), atomically, even against a concurrent
    request inserting the same keys. On PostgreSQL the rows travel as one
    array per column (``unnest``): a statement of constant size, where a
    multi-row ``VALUES`` would cost the driver time per placeholder.
    """
    if not rows:
        return {}
    returning = (table.c[index[-1]], table.c.id)
    if conn.dialect.name != "postgresql":
        statement = insert_ignoring_conflicts(conn, table, index).returning(*returning)
        return {key: id_ for key, id_ in conn.execute(statement, rows)}
    names = list(rows[0])
    arrays = [
        bindparam(f"column_{name}", [row[name] for row in rows], type_=ARRAY(table.c[name].type))
        for name in names
    ]
    source = select(func.unnest(*arrays).table_valued(*names).render_derived(name="incoming"))
    statement = (
        postgresql.insert(table)
        .from_select(names, source)
        .on_conflict_do_nothing(index_elements=index)
        .returning(*returning)
    )
    return {key: id_ for key, id_ in conn.execute(statement)}


def insert_ignoring_conflicts(conn: Connection, table: Table, index: list[str]) -> Insert:
    """``INSERT ... ON CONFLICT (index) DO NOTHING`` for the connection's database.

    One statement decides for a whole batch: rows whose key exists are
    skipped, atomically, even against a concurrent request inserting the
    same keys (PostgreSQL waits for it, SQLite serialises writers).
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement: Insert = dialect.insert(table).on_conflict_do_nothing(index_elements=index)
    return statement


# --- The video counter: agents, their sessions, calls and the calls' record -------------
# Routing state lives here, not in a process, so several back-end instances on one
# PostgreSQL share it (rows are taken with SELECT ... FOR UPDATE SKIP LOCKED).

AGENT_STATES = ("available", "busy", "wrap_up", "away", "offline")
CALL_STATES = ("queued", "offered", "connected", "ended", "callback", "cancelled")

agents = Table(
    "agents",
    metadata,
    Column("agent_id", String(64), primary_key=True),
    Column("display_name", String(80), nullable=False),
    # argon2id, encoded with its parameters: the password itself is never stored.
    Column("password_hash", String(255), nullable=False),
    # JSON {"agencies": [...], "services": [...], "languages": [...]}: matched in Python,
    # small and read with the agent row it belongs to.
    Column("skills", Text(), nullable=False),
    # Comma-separated staff roles (backend.staff.Role): agent, supervisor, technician, manager.
    Column("roles", String(64), nullable=False, server_default="agent"),
    Column("state", String(16), nullable=False),
    Column("state_since", UtcDateTime(), nullable=False),
    # Longest idle first: agents who finished a call long ago get the next one.
    Column("last_call_ended_at", UtcDateTime(), nullable=True),
    # Open console sockets over all instances; 0 means the agent is not logged in.
    Column("sockets", Integer(), nullable=False, server_default="0"),
    Column("failed_logins", Integer(), nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint(f"state IN {AGENT_STATES!r}", name="state"),
)

agent_sessions = Table(
    "agent_sessions",
    metadata,
    # SHA-256 of the session cookie, hex: a stolen database holds no usable session.
    Column("token_hash", String(64), primary_key=True),
    Column(
        "agent_id",
        String(64),
        ForeignKey("agents.agent_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

calls = Table(
    "calls",
    metadata,
    Column("call_id", String(32), primary_key=True),
    Column("kiosk_id", String(64), nullable=False, index=True),
    Column("queue_id", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("service_id", String(64), nullable=True),
    # What the citizen consented to hand over (reason, review fields): on this row only,
    # never copied into call_events, and cleared when the call is over.
    Column("context", Text(), nullable=True),
    Column("state", String(16), nullable=False),
    # The agent the call is offered to or connected with. Unique: no agent ever holds
    # two calls, and the database itself enforces it across instances.
    Column("agent_id", String(64), ForeignKey("agents.agent_id"), nullable=True, unique=True),
    Column("offered_at", UtcDateTime(), nullable=True),
    # Priority: the first enqueue time, kept across declines, no-answers and transfers.
    Column("enqueued_at", UtcDateTime(), nullable=False),
    Column("answered_at", UtcDateTime(), nullable=True),
    Column("ended_at", UtcDateTime(), nullable=True),
    # The last agent who talked with the citizen (kept after the call for the record).
    Column("handled_by", String(64), nullable=True),
    # An agent who declined is offered the call again only when nobody else can take it.
    Column("declined_by", String(64), nullable=True),
    Column("outcome", String(32), nullable=True),
    Column("notes", Text(), nullable=True),
    Column("transfers", Integer(), nullable=False, server_default="0"),
    Column("callback_reason", String(16), nullable=True),
    Column("callback_slot", UtcDateTime(), nullable=True),
    Column("callback_phone", String(32), nullable=True),
    Column("callback_reference", String(16), nullable=True, unique=True),
    CheckConstraint(f"state IN {CALL_STATES!r}", name="state"),
    Index("ix_calls_state_queue_enqueued", "state", "queue_id", "enqueued_at"),
)

call_events = Table(
    "call_events",
    metadata,
    # The analytics record: codes and times only, never context, notes or phone numbers.
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column(
        "call_id",
        String(32),
        ForeignKey("calls.call_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("at", UtcDateTime(), nullable=False, index=True),
    Column("kind", String(24), nullable=False),
    Column("queue_id", String(64), nullable=False),
    Column("agent_id", String(64), nullable=True),
    # An outcome or reason code (resolved, closed, wait_too_long, to_queue...).
    Column("code", String(32), nullable=True),
)


# --- Service analytics: what the kiosks counted, and what the agency says each channel costs ----

COST_CHANNELS = ("kiosk", "video", "counter", "phone")

service_events = Table(
    "service_events",
    metadata,
    # Drawn at random by the kiosk when it recorded the event: stored once whatever the retries.
    Column("id", String(32), primary_key=True),
    # The site: from the kiosk's credential, never from what it sent.
    Column("kiosk_id", String(64), ForeignKey("api_clients.client_id"), nullable=False),
    Column("kind", String(24), nullable=False),
    # The kiosk's clock, to the minute (the kiosk never sends seconds).
    Column("at", UtcDateTime(), nullable=False),
    # Random per visit: ties a visit's events together, and nothing else.
    Column("session", String(16), nullable=False),
    Column("language", String(8), nullable=True),
    Column("agency_id", String(64), nullable=True),
    Column("service_id", String(64), nullable=True),
    Column("life_event_id", String(64), nullable=True),
    Column("step", String(64), nullable=True),
    Column("score", Integer(), nullable=True),
    Column("reason", String(32), nullable=True),
    # A keyed hash of the file number on completed services (the key stays on the kiosks).
    Column("file_hash", String(32), nullable=True),
    # A completion whose file completed another visit's service in the 30 days before;
    # kept up to date at ingest, whatever order the kiosks' events arrive in.
    Column("repeat_contact", Boolean(), nullable=False, server_default=false()),
    Column("received_at", UtcDateTime(), nullable=False),
    # One site's period (the dashboard filtered by site, the export).
    Index("ix_service_events_kiosk_at", "kiosk_id", "at"),
    Index("ix_service_events_at", "at"),
    # Repeat contacts: the same file's completions, by time.
    Index("ix_service_events_file_hash_at", "file_hash", "at"),
    Index("ix_service_events_repeat_contact_at", "repeat_contact", "at"),
)

# The fleet's events counted per UTC day and codes, kept at ingest: the dashboard reads a
# month of every kiosk from a few thousand rows instead of a million events. Codes a
# kiosk left out are '' and a missing score is 0, so that the key is never null.
service_event_days = Table(
    "service_event_days",
    metadata,
    Column("day", Date(), primary_key=True),
    Column("kind", String(24), primary_key=True),
    Column("agency_id", String(64), primary_key=True),
    Column("service_id", String(64), primary_key=True),
    Column("language", String(8), primary_key=True),
    Column("step", String(64), primary_key=True),
    Column("score", Integer(), primary_key=True, autoincrement=False),
    Column("reason", String(32), primary_key=True),
    Column("file_hashed", Boolean(), primary_key=True),
    Column("events", BigInteger(), nullable=False),
    # Of these completions, those marked repeat contacts (they may be marked after the
    # count, when an earlier visit's events arrive late).
    Column("repeat_contacts", BigInteger(), nullable=False),
)

cost_inputs = Table(
    "cost_inputs",
    metadata,
    Column("channel", String(16), primary_key=True),
    # Amounts in cents of the agency's currency; null: not set.
    Column("monthly_per_kiosk_cents", BigInteger(), nullable=True),
    Column("agent_hourly_cents", BigInteger(), nullable=True),
    Column("per_transaction_cents", BigInteger(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint(f"channel IN {COST_CHANNELS!r}", name="channel"),
)


# --- The fleet view: each kiosk's latest heartbeat, its alerts, technicians' commands ----
# Only the latest heartbeat is kept (one row per kiosk, overwritten): a history would
# cost a write per heartbeat for every kiosk, forever, for no decision anybody makes.

FLEET_COMMAND_KINDS = ("sync_now", "out_of_service", "back_in_service")
FLEET_COMMAND_STATES = ("pending", "delivered", "acked", "failed")
FLEET_ALERT_KINDS = (
    "paper_out",
    "printer_fault",
    "face_camera_lost",
    "document_camera_lost",
    "card_reader_fault",
    "backlog_stale",
    "silent",
)

fleet_kiosks = Table(
    "fleet_kiosks",
    metadata,
    Column(
        "kiosk_id",
        String(64),
        ForeignKey("api_clients.client_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # The back end's clock when the latest heartbeat arrived: what "online" is judged by.
    Column("last_seen_at", UtcDateTime(), nullable=False),
    # The kiosk's clock, kept as told, never trusted.
    Column("sent_at", UtcDateTime(), nullable=False),
    Column("app_version", String(32), nullable=False),
    Column("uptime_s", BigInteger(), nullable=False),
    # JSON list of offline_queue.heartbeat.DeviceReport, as received (at most 8 small objects).
    Column("devices", Text(), nullable=False),
    Column("backlog", Integer(), nullable=False),
    Column("oldest_pending_at", UtcDateTime(), nullable=True),
    Column("last_sync_at", UtcDateTime(), nullable=True),
    Column("last_error", String(200), nullable=True),
    Column("dead_letters", Integer(), nullable=False),
    Column("disk_free_mb", BigInteger(), nullable=True),
    Column("out_of_service", Boolean(), nullable=False),
)

fleet_alerts = Table(
    "fleet_alerts",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column(
        "kiosk_id",
        String(64),
        ForeignKey("api_clients.client_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", String(32), nullable=False),
    Column("detail", String(200), nullable=True),
    Column("first_seen_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    # Null while the condition lasts; set when it ends (the alert then is history).
    Column("cleared_at", UtcDateTime(), nullable=True, index=True),
    CheckConstraint(f"kind IN {FLEET_ALERT_KINDS!r}", name="kind"),
    # One open alert per kiosk and kind, whichever instance evaluates the rules.
    Index(
        "uq_fleet_alerts_open",
        "kiosk_id",
        "kind",
        unique=True,
        sqlite_where=text("cleared_at IS NULL"),
        postgresql_where=text("cleared_at IS NULL"),
    ),
)

fleet_commands = Table(
    "fleet_commands",
    metadata,
    Column("command_id", String(32), primary_key=True),
    Column(
        "kiosk_id",
        String(64),
        ForeignKey("api_clients.client_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", String(24), nullable=False),
    # The staff account that asked (kept as text: the record outlives the account).
    Column("issued_by", String(64), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("state", String(16), nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Column("acked_at", UtcDateTime(), nullable=True),
    Column("detail", String(200), nullable=True),
    CheckConstraint(f"kind IN {FLEET_COMMAND_KINDS!r}", name="kind"),
    CheckConstraint(f"state IN {FLEET_COMMAND_STATES!r}", name="state"),
    # Every heartbeat asks for its kiosk's open commands: an index lookup that finds none.
    Index("ix_fleet_commands_kiosk_state", "kiosk_id", "state"),
    Index("ix_fleet_commands_issued_at", "issued_at"),
)

# --- Security: the audit log of sensitive actions and the per-address login brake ------

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    # The back end's clock.
    Column("at", UtcDateTime(), nullable=False, index=True),
    # Who: a staff account, a kiosk id, "cli" (an operator at the server), or "-" (unknown).
    Column("actor", String(64), nullable=False),
    # What: a dotted name such as "login.failure" or "credential.revoke" (backend.audit).
    Column("action", String(48), nullable=False, index=True),
    # On what: an account, a kiosk, a command, an export's period. Never a secret.
    Column("target", String(200), nullable=True),
    # From where: the client's address as the server saw it.
    Column("source", String(64), nullable=True),
    Column("detail", String(400), nullable=True),
)

login_throttle = Table(
    "login_throttle",
    metadata,
    # The client's address: several instances count one address's failures together.
    Column("source", String(64), primary_key=True),
    Column("failures", Integer(), nullable=False),
    Column("window_started_at", UtcDateTime(), nullable=False),
    Column("locked_until", UtcDateTime(), nullable=True),
)
