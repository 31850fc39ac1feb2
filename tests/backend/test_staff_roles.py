"""Staff roles: each role gets the permissions its work needs, and nothing more."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import select
from websockets.exceptions import ConnectionClosed, InvalidStatus

from backend.cli import main as backend_cli
from backend.console_auth import AccountError, add_agent
from backend.db import agents, make_engine
from backend.roles import Permission, Role, format_roles, parse_roles
from backend.routing import Skills
from backend.staff import StaffMember, require_permission
from tests.backend.hub_helpers import live_backend
from tests.fixtures.backend import InProcessBackend

PASSWORD = "correct horse battery"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def member(*roles: Role) -> StaffMember:
    return StaffMember("someone", frozenset(roles))


def test_each_role_may_do_only_its_work() -> None:
    everything = set(Permission)
    assert member(Role.AGENT).permissions == {Permission.TAKE_CALLS}
    assert member(Role.TECHNICIAN).permissions == {
        Permission.VIEW_FLEET,
        Permission.COMMAND_KIOSKS,
        Permission.REVOKE_KIOSKS,
    }
    assert member(Role.MANAGER).permissions == {
        Permission.VIEW_ANALYTICS,
        Permission.SET_COSTS,
        Permission.READ_AUDIT,
    }
    supervisor = member(Role.SUPERVISOR)
    assert not supervisor.may(Permission.COMMAND_KIOSKS)
    assert not supervisor.may(Permission.SET_COSTS)
    assert supervisor.may(Permission.VIEW_FLEET)
    assert supervisor.may(Permission.VIEW_ANALYTICS)
    assert supervisor.may(Permission.READ_AUDIT)
    assert not supervisor.may(Permission.REVOKE_KIOSKS)
    # Roles add up; together they can do everything, and nobody alone can.
    assert member(*Role).permissions == everything
    assert all(member(role).permissions != everything for role in Role)


def test_each_role_starts_from_its_own_page() -> None:
    assert member(Role.AGENT).home_page == "/console/"
    assert member(Role.TECHNICIAN).home_page == "/fleet/"
    assert member(Role.MANAGER).home_page == "/analytics/"
    assert member(Role.MANAGER, Role.TECHNICIAN).home_page == "/fleet/"


def test_roles_are_parsed_and_stored_in_one_order() -> None:
    assert parse_roles(" manager,technician ") == {Role.MANAGER, Role.TECHNICIAN}
    assert format_roles([Role.MANAGER, Role.AGENT]) == "agent,manager"
    with pytest.raises(ValueError, match="unknown role 'boss'"):
        parse_roles("agent,boss")
    with pytest.raises(ValueError, match="at least one role"):
        parse_roles(" , ")


def test_an_account_needs_a_role(backend_app: InProcessBackend) -> None:
    with backend_app.app.state.engine.begin() as conn, pytest.raises(AccountError, match="role"):
        add_agent(conn, "nobody", "Nobody", PASSWORD, Skills(), now=NOW, roles=())


async def test_a_page_refuses_strangers_and_other_roles(backend_app: InProcessBackend) -> None:
    app: FastAPI = backend_app.app

    @app.get("/test-only/fleet")
    async def fleet(
        who: Annotated[StaffMember, Depends(require_permission(Permission.VIEW_FLEET))],
    ) -> dict[str, str]:
        return {"agent_id": who.agent_id}

    with app.state.engine.begin() as conn:
        add_agent(conn, "tina", "Tina", PASSWORD, Skills(), now=NOW, roles=[Role.TECHNICIAN])
        add_agent(conn, "max", "Max", PASSWORD, Skills(), now=NOW, roles=[Role.MANAGER])
    async with httpx.AsyncClient(
        transport=backend_app.transport(),
        base_url=backend_app.base_url,
        headers={"Origin": backend_app.base_url},  # as the pages' fetch (backend.security)
    ) as client:
        assert (await client.get("/test-only/fleet")).status_code == 401
        client.cookies.set("vg_agent", "vga_forged")
        assert (await client.get("/test-only/fleet")).status_code == 401
        client.cookies.clear()
        for agent_id, role, expected in (("max", "manager", 403), ("tina", "technician", 200)):
            login = await client.post(
                "/console/login", json={"agent_id": agent_id, "password": PASSWORD}
            )
            assert login.json()["roles"] == [role]
            answer = await client.get("/test-only/fleet")
            assert answer.status_code == expected, answer.text
        assert answer.json() == {"agent_id": "tina"}
        form = await client.post("/console/login", data={"agent_id": "tina", "password": PASSWORD})
        assert form.status_code == 303
        assert form.headers["location"] == "/fleet/"


async def test_only_call_takers_open_the_agent_socket(tmp_path: Path, database_url: str) -> None:
    async with live_backend(tmp_path, database_url) as backend:
        with backend.engine.begin() as conn:
            add_agent(conn, "tina", "Tina", PASSWORD, Skills(), now=NOW, roles=[Role.TECHNICIAN])
        cookie = await backend.login("tina")
        with pytest.raises((ConnectionClosed, InvalidStatus)):
            async with backend.agent_socket(cookie) as socket:
                await socket.recv()


def test_the_cli_creates_an_account_with_roles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "backend.toml"
    config.write_text('data_dir = "."\n', encoding="utf-8")
    command = [
        *("add-agent", "tina", "--name", "Tina", "--password-stdin", "--skills", ""),
        *("--config", str(config)),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert backend_cli([*command, "--roles", "technician,supervisor"]) == 0
    assert "(supervisor,technician)" in capsys.readouterr().out
    engine = make_engine(f"sqlite:///{tmp_path / 'backend.db'}")
    with engine.connect() as conn:
        assert conn.execute(select(agents.c.roles)).scalar_one() == "supervisor,technician"
    engine.dispose()
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert backend_cli([*command[:1], "tom", *command[2:], "--roles", "janitor"]) == 2
    assert "unknown role 'janitor'" in capsys.readouterr().err
