"""The video counter: agents and their console sessions, calls and the calls' record.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AGENT_STATES = "('available', 'busy', 'wrap_up', 'away', 'offline')"
_CALL_STATES = "('queued', 'offered', 'connected', 'ended', 'callback', 'cancelled')"


def upgrade() -> None:
    """Create ``agents``, ``agent_sessions``, ``calls`` and ``call_events``."""
    op.create_table(
        "agents",
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("skills", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_since", sa.DateTime(), nullable=False),
        sa.Column("last_call_ended_at", sa.DateTime(), nullable=True),
        sa.Column("sockets", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(f"state IN {_AGENT_STATES}", name=op.f("ck_agents_state")),
        sa.PrimaryKeyConstraint("agent_id", name="pk_agents"),
    )
    op.create_table(
        "agent_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.agent_id"],
            name="fk_agent_sessions_agent_id_agents",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_agent_sessions"),
    )
    op.create_index("ix_agent_sessions_agent_id", "agent_sessions", ["agent_id"])
    op.create_table(
        "calls",
        sa.Column("call_id", sa.String(32), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("queue_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=True),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("offered_at", sa.DateTime(), nullable=True),
        sa.Column("enqueued_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("handled_by", sa.String(64), nullable=True),
        sa.Column("declined_by", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("transfers", sa.Integer(), server_default="0", nullable=False),
        sa.Column("callback_reason", sa.String(16), nullable=True),
        sa.Column("callback_slot", sa.DateTime(), nullable=True),
        sa.Column("callback_phone", sa.String(32), nullable=True),
        sa.Column("callback_reference", sa.String(16), nullable=True),
        sa.CheckConstraint(f"state IN {_CALL_STATES}", name=op.f("ck_calls_state")),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.agent_id"], name="fk_calls_agent_id_agents"),
        sa.PrimaryKeyConstraint("call_id", name="pk_calls"),
        sa.UniqueConstraint("agent_id", name="uq_calls_agent_id"),
        sa.UniqueConstraint("callback_reference", name="uq_calls_callback_reference"),
    )
    op.create_index("ix_calls_kiosk_id", "calls", ["kiosk_id"])
    op.create_index("ix_calls_state_queue_enqueued", "calls", ["state", "queue_id", "enqueued_at"])
    op.create_table(
        "call_events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("call_id", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("queue_id", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("code", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.call_id"], name="fk_call_events_call_id_calls", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_call_events"),
    )
    op.create_index("ix_call_events_call_id", "call_events", ["call_id"])
    op.create_index("ix_call_events_at", "call_events", ["at"])


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    op.drop_table("call_events")
    op.drop_table("calls")
    op.drop_table("agent_sessions")
    op.drop_table("agents")
