"""``kiosk-backend``: enrolment with a pin, no plain HTTP beyond loopback, audited credentials."""

from __future__ import annotations

import io
import stat
import sys
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.cli import main
from backend.db import audit_log, make_engine
from offline_queue.tls import certificate_pin
from tests.security.tls_helpers import self_signed


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "backend.toml"
    path.write_text('data_dir = "data"\n')
    return path


def audit(config: Path) -> list[tuple[str, str, str | None]]:
    engine = make_engine(f"sqlite:///{config.parent / 'data' / 'backend.db'}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).all()
    finally:
        engine.dispose()
    return [(row.action, row.actor, row.target) for row in rows]


def test_enrol_issues_a_credential_and_prints_a_pinned_configuration(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cert = self_signed(tmp_path / "tls")
    token_file = tmp_path / "out" / "kiosk.token"
    code = main(
        [
            "enroll", "kiosk-12", "--config", str(config), "--url", "https://guichet.example.org",
            "--tls-cert", str(cert.cert), "--token-file", str(token_file),
        ]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    token = token_file.read_text().strip()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token not in printed  # the token goes to its file only
    lines = [line for line in printed.splitlines() if not line.startswith("#")]
    section = tomllib.loads("\n".join(lines))
    assert section["backend"]["url"] == "https://guichet.example.org"
    assert section["backend"]["tls_pin_sha256"] == [certificate_pin(cert.cert.read_bytes())]
    assert audit(config) == [("credential.issue", "cli", "kiosk-12")]
    assert main(["revoke", "kiosk-12", "--config", str(config)]) == 0
    assert audit(config)[-1] == ("credential.revoke", "cli", "kiosk-12")


def test_enrol_refuses_plain_http_to_another_machine(config: Path, tmp_path: Path) -> None:
    code = main(
        [
            "enroll", "kiosk-12", "--config", str(config), "--url", "http://guichet.example.org",
            "--token-file", str(tmp_path / "kiosk.token"),
        ]
    )  # fmt: skip
    assert code == 2
    assert not (tmp_path / "kiosk.token").exists()


def test_serve_refuses_plain_http_beyond_loopback(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--config", str(config), "--host", "0.0.0.0"]) == 2
    assert "--tls-cert" in capsys.readouterr().err
    assert main(["serve", "--config", str(config), "--tls-cert", "x.pem"]) == 2  # key missing


def test_tls_pin_of_an_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("hello")
    assert main(["tls-pin", str(bad)]) == 2
    assert main(["tls-pin", str(tmp_path / "missing.pem")]) == 2


def test_a_role_change_is_audited(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add = ["add-agent", "sue", "--config", str(config), "--name", "Sue", "--skills", "language:fr"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("correct horse battery\n"))
    assert main([*add, "--password-stdin"]) == 0
    assert main(["set-roles", "sue", "--config", str(config), "--roles", "agent,supervisor"]) == 0
    assert main(["set-roles", "nobody", "--config", str(config), "--roles", "agent"]) == 2
    assert main(["set-roles", "sue", "--config", str(config), "--roles", "king"]) == 2
    assert audit(config) == [
        ("account.create", "cli", "sue"),
        ("account.roles", "cli", "sue"),
    ]
