"""Service analytics: the kiosks' service events and the agency's cost inputs.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``service_events``, its daily counts ``service_event_days``, ``cost_inputs``."""
    op.create_table(
        "service_events",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("session", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("agency_id", sa.String(64), nullable=True),
        sa.Column("service_id", sa.String(64), nullable=True),
        sa.Column("life_event_id", sa.String(64), nullable=True),
        sa.Column("step", sa.String(64), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("file_hash", sa.String(32), nullable=True),
        sa.Column("repeat_contact", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kiosk_id"],
            ["api_clients.client_id"],
            name=op.f("fk_service_events_kiosk_id_api_clients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_events")),
    )
    op.create_index("ix_service_events_at", "service_events", ["at"])
    op.create_index("ix_service_events_kiosk_at", "service_events", ["kiosk_id", "at"])
    op.create_index("ix_service_events_file_hash_at", "service_events", ["file_hash", "at"])
    op.create_index(
        "ix_service_events_repeat_contact_at", "service_events", ["repeat_contact", "at"]
    )
    op.create_table(
        "service_event_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("file_hashed", sa.Boolean(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("repeat_contacts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "kind",
            "agency_id",
            "service_id",
            "language",
            "step",
            "score",
            "reason",
            "file_hashed",
            name=op.f("pk_service_event_days"),
        ),
    )
    op.create_table(
        "cost_inputs",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("monthly_per_kiosk_cents", sa.BigInteger(), nullable=True),
        sa.Column("agent_hourly_cents", sa.BigInteger(), nullable=True),
        sa.Column("per_transaction_cents", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('kiosk', 'video', 'counter', 'phone')", name=op.f("ck_cost_inputs_channel")
        ),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_cost_inputs")),
    )


def downgrade() -> None:
    """Drop the analytics tables."""
    op.drop_table("cost_inputs")
    op.drop_table("service_event_days")
    op.drop_index("ix_service_events_repeat_contact_at", table_name="service_events")
    op.drop_index("ix_service_events_file_hash_at", table_name="service_events")
    op.drop_index("ix_service_events_kiosk_at", table_name="service_events")
    op.drop_index("ix_service_events_at", table_name="service_events")
    op.drop_table("service_events")
