"""The fleet view: kiosks' latest heartbeat, their alerts, and technicians' commands.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_ALERT_KINDS = (
    "('paper_out', 'printer_fault', 'face_camera_lost', 'document_camera_lost',"
    " 'card_reader_fault', 'backlog_stale', 'silent')"
)
_COMMAND_KINDS = "('sync_now', 'out_of_service', 'back_in_service')"
_COMMAND_STATES = "('pending', 'delivered', 'acked', 'failed')"


def _kiosk_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["kiosk_id"],
        ["api_clients.client_id"],
        name=f"fk_{table}_kiosk_id_api_clients",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    """Create ``fleet_kiosks``, ``fleet_alerts`` and ``fleet_commands``."""
    op.create_table(
        "fleet_kiosks",
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("app_version", sa.String(32), nullable=False),
        sa.Column("uptime_s", sa.BigInteger(), nullable=False),
        sa.Column("devices", sa.Text(), nullable=False),
        sa.Column("backlog", sa.Integer(), nullable=False),
        sa.Column("oldest_pending_at", sa.DateTime(), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("dead_letters", sa.Integer(), nullable=False),
        sa.Column("disk_free_mb", sa.BigInteger(), nullable=True),
        sa.Column("out_of_service", sa.Boolean(), nullable=False),
        _kiosk_fk("fleet_kiosks"),
        sa.PrimaryKeyConstraint("kiosk_id", name="pk_fleet_kiosks"),
    )
    op.create_table(
        "fleet_alerts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(200), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(f"kind IN {_ALERT_KINDS}", name=op.f("ck_fleet_alerts_kind")),
        _kiosk_fk("fleet_alerts"),
        sa.PrimaryKeyConstraint("id", name="pk_fleet_alerts"),
    )
    op.create_index("ix_fleet_alerts_cleared_at", "fleet_alerts", ["cleared_at"])
    op.create_index(
        "uq_fleet_alerts_open",
        "fleet_alerts",
        ["kiosk_id", "kind"],
        unique=True,
        sqlite_where=sa.text("cleared_at IS NULL"),
        postgresql_where=sa.text("cleared_at IS NULL"),
    )
    op.create_table(
        "fleet_commands",
        sa.Column("command_id", sa.String(32), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("issued_by", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("acked_at", sa.DateTime(), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
        sa.CheckConstraint(f"kind IN {_COMMAND_KINDS}", name=op.f("ck_fleet_commands_kind")),
        sa.CheckConstraint(f"state IN {_COMMAND_STATES}", name=op.f("ck_fleet_commands_state")),
        _kiosk_fk("fleet_commands"),
        sa.PrimaryKeyConstraint("command_id", name="pk_fleet_commands"),
    )
    op.create_index("ix_fleet_commands_kiosk_state", "fleet_commands", ["kiosk_id", "state"])
    op.create_index("ix_fleet_commands_issued_at", "fleet_commands", ["issued_at"])


def downgrade() -> None:
    """Drop the fleet tables (the view forgets every kiosk until its next heartbeat)."""
    op.drop_table("fleet_commands")
    op.drop_table("fleet_alerts")
    op.drop_table("fleet_kiosks")
