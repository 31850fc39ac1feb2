"""Alembic's environment: migrations run on the connection :mod:`backend.schema` hands over.

Without a connection (``kiosk-backend migrate --sql``), Alembic writes the SQL
for the database kind of the configured URL instead of running it.
"""

from __future__ import annotations

from alembic import context

from backend.db import metadata

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
