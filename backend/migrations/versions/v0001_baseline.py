"""Baseline: credentials and received transactions, as the first release created them.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``api_clients`` and ``transactions``."""
    op.create_table(
        "api_clients",
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("role IN ('kiosk', 'staff')", name=op.f("ck_api_clients_role")),
        sa.PrimaryKeyConstraint("client_id", name="pk_api_clients"),
        sa.UniqueConstraint("token_hash", name="uq_api_clients_token_hash"),
    )
    op.create_table(
        "transactions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(26), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kiosk_id"], ["api_clients.client_id"], name="fk_transactions_kiosk_id_api_clients"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_transactions"),
        sa.UniqueConstraint(
            "kiosk_id", "idempotency_key", name="uq_transactions_kiosk_id_idempotency_key"
        ),
    )
    op.create_index("ix_transactions_reference", "transactions", ["reference"])
    op.create_index("ix_transactions_received_at", "transactions", ["received_at"])


def downgrade() -> None:
    """Drop everything (only for throwaway databases)."""
    op.drop_table("transactions")
    op.drop_table("api_clients")
