"""Staff roles: supervisors, technicians and managers beside the agents.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Give every account a ``roles`` column; existing accounts are agents."""
    op.add_column(
        "agents", sa.Column("roles", sa.String(64), nullable=False, server_default="agent")
    )


def downgrade() -> None:
    """Drop the roles (every account is an agent again)."""
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("roles")
