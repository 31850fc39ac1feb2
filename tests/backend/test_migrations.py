"""The schema comes from Alembic migrations, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, select, text

from backend.cli import main as backend_cli
from backend.db import api_clients, make_engine, metadata, transactions
from backend.schema import alembic_config, current_revision, migrate

HEAD = "0007"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        url = request.getfixturevalue("empty_postgres_database_url")
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        found: list[object] = compare_metadata(MigrationContext.configure(conn), metadata)
    return found


def test_migrations_build_exactly_the_tables_the_code_uses(empty_engine: Engine) -> None:
    assert current_revision(empty_engine) is None

    migrate(empty_engine)
    migrate(empty_engine)  # a second start changes nothing

    assert current_revision(empty_engine) == HEAD
    assert differences(empty_engine) == []


def test_a_database_from_before_migrations_is_upgraded_in_place(empty_engine: Engine) -> None:
    with empty_engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.execute(text("DROP TABLE alembic_version"))  # as metadata.create_all left it
        now = datetime.now(UTC)
        conn.execute(
            insert(api_clients).values(
                client_id="k1", role="kiosk", token_hash="0" * 64, created_at=now
            )
        )
        conn.execute(
            text(
                "INSERT INTO transactions (kiosk_id, idempotency_key, reference, agency_id,"
                " service_id, language, record, received_at) VALUES ('k1', :key, 'VG-AAAA-BBBB',"
                " 'a', 's', 'fr', '{}', :now)"
            ),
            {"key": "0" * 26, "now": now.replace(tzinfo=None)},
        )

    migrate(empty_engine)

    assert current_revision(empty_engine) == HEAD
    with empty_engine.connect() as conn:
        kept = conn.execute(select(transactions.c.reference, transactions.c.session_id)).all()
    assert [tuple(row) for row in kept] == [("VG-AAAA-BBBB", None)]


def test_instances_starting_together_migrate_once(empty_engine: Engine) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def instance() -> None:
        start.wait()
        try:
            migrate(empty_engine)
        except BaseException as err:  # collected for the assertion below
            errors.append(err)

    threads = [threading.Thread(target=instance) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert current_revision(empty_engine) == HEAD


@pytest.mark.parametrize(
    ("url", "dialect_word"),
    [("sqlite:///x.db", "DATETIME"), ("postgresql+psycopg://vg@db/vg", "TIMESTAMP")],
)
def test_migrate_sql_prints_the_script_for_a_dba(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, dialect_word: str
) -> None:
    config = tmp_path / "backend.toml"
    config.write_text(f'database_url = "{url}"\n')

    assert backend_cli(["migrate", "--sql", "--config", str(config)]) == 0

    script = capsys.readouterr().out
    assert "CREATE TABLE attachments" in script
    assert dialect_word in script
    assert "UPDATE alembic_version SET version_num='0002'" in script
