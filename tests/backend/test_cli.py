"""``kiosk-backend`` provisions credentials and serves; configuration mistakes exit 2."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest

from backend.auth import authenticate
from backend.cli import main
from backend.db import make_engine
from tests.fixtures.backend import RunningBackend


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "backend.toml"
    path.write_text('data_dir = "data"\n')
    return path


def who(config: Path, token: str) -> str | None:
    engine = make_engine(f"sqlite:///{config.parent / 'data' / 'backend.db'}")
    try:
        principal = authenticate(engine, token)
    finally:
        engine.dispose()
    return f"{principal.role}:{principal.client_id}" if principal else None


def test_add_kiosk_writes_a_token_file_only_its_owner_can_read(
    config: Path, tmp_path: Path
) -> None:
    token_file = tmp_path / "secrets" / "kiosk.token"

    code = main(["add-kiosk", "kiosk-07", "--config", str(config), "--token-file", str(token_file)])

    assert code == 0
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert who(config, token) == "kiosk:kiosk-07"
    assert [p.name for p in token_file.parent.iterdir()] == ["kiosk.token"]  # no temp file left


def test_an_existing_token_file_is_replaced_and_tightened(config: Path, tmp_path: Path) -> None:
    token_file = tmp_path / "kiosk.token"
    token_file.write_text("old")
    token_file.chmod(0o644)

    main(["add-kiosk", "kiosk-07", "--config", str(config), "--token-file", str(token_file)])

    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token_file.read_text().startswith("vg_")


def test_add_staff_prints_the_token(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["add-staff", "agent-12", "--config", str(config)]) == 0

    token = capsys.readouterr().out.strip()
    assert who(config, token) == "staff:agent-12"


def test_revoke_stops_a_token(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["add-kiosk", "kiosk-07", "--config", str(config)])
    token = capsys.readouterr().out.strip()

    assert main(["revoke", "kiosk-07", "--config", str(config)]) == 0

    assert who(config, token) is None
    assert main(["revoke", "nobody", "--config", str(config)]) == 1
    assert "no client 'nobody'" in capsys.readouterr().err


def test_a_config_error_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "backend.toml"
    config.write_text('max_request_bytes = "big"\n')

    assert main(["add-kiosk", "kiosk-07", "--config", str(config)]) == 2

    error = capsys.readouterr().err
    assert "configuration error" in error
    assert "'max_request_bytes'" in error


def test_bad_usage_exits_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["add-kiosk", "Not A Valid Id", "--config", str(config)]) == 2
    assert "invalid client id" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2
    assert main(["--help"]) == 0


async def test_serve_answers_over_http(backend_server: RunningBackend, database_url: str) -> None:
    async with httpx.AsyncClient(base_url=backend_server.url) as http:
        health = await http.get("/healthz")
        anonymous = await http.get("/api/v1/transactions")
        staff = await http.get(
            "/api/v1/transactions",
            headers={"Authorization": f"Bearer {backend_server.staff_token}"},
        )

    assert health.status_code == 200
    assert anonymous.status_code == 401
    assert staff.json() == []
    embedded = (backend_server.data_dir / "backend.db").exists()
    assert embedded is database_url.startswith("sqlite")
