"""Sync schema version 2: sessions, both clocks, and attachments verified by their hash.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Add the session and clock columns, and the attachment tables."""
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("session_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("kiosk_created_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("kiosk_clock_offset_ms", sa.BigInteger(), nullable=True))
    op.create_index("ix_transactions_kiosk_session", "transactions", ["kiosk_id", "session_id"])
    op.create_table(
        "attachments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("received_bytes", sa.BigInteger(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "received_bytes >= 0 AND received_bytes <= size", name=op.f("ck_attachments_received")
        ),
        sa.ForeignKeyConstraint(
            ["kiosk_id"], ["api_clients.client_id"], name="fk_attachments_kiosk_id_api_clients"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
        sa.UniqueConstraint("kiosk_id", "sha256", name="uq_attachments_kiosk_id_sha256"),
    )
    op.create_table(
        "attachment_chunks",
        sa.Column("attachment_id", _ID, nullable=False),
        sa.Column("start_byte", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachments.id"],
            name="fk_attachment_chunks_attachment_id_attachments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attachment_id", "start_byte", name="pk_attachment_chunks"),
    )
    op.create_table(
        "transaction_attachments",
        sa.Column("transaction_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("attachment_id", _ID, nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name="fk_transaction_attachments_transaction_id_transactions",
        ),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachments.id"],
            name="fk_transaction_attachments_attachment_id_attachments",
        ),
        sa.PrimaryKeyConstraint("transaction_id", "position", name="pk_transaction_attachments"),
    )
    op.create_index(
        "ix_transaction_attachments_attachment_id", "transaction_attachments", ["attachment_id"]
    )


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    op.drop_index("ix_transaction_attachments_attachment_id", "transaction_attachments")
    op.drop_table("transaction_attachments")
    op.drop_table("attachment_chunks")
    op.drop_table("attachments")
    op.drop_index("ix_transactions_kiosk_session", "transactions")
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("kiosk_clock_offset_ms")
        batch.drop_column("kiosk_created_at")
        batch.drop_column("session_id")
