"""Agent accounts: argon2id passwords, the session cookie, the brake on guessing, the page."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from backend.cli import main as backend_cli
from backend.console_auth import (
    AccountError,
    LoggedIn,
    LoginRefused,
    add_agent,
    login,
    logout,
    session_agent,
)
from backend.db import agent_sessions, agents, make_engine
from backend.routing import Skills
from tests.fixtures.backend import InProcessBackend

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def make_agent(backend: InProcessBackend, agent_id: str = "ana") -> None:
    with backend.app.state.engine.begin() as conn:
        add_agent(conn, agent_id, "Ana Tremblay", PASSWORD, Skills.parse("language:fr"), now=NOW)


async def post_login(
    backend: InProcessBackend, password: str = PASSWORD, base_url: str | None = None
) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=backend.transport(), base_url=base_url or backend.base_url
    ) as client:
        return await client.post("/console/login", json={"agent_id": "ana", "password": password})


async def test_login_sets_a_strict_http_only_session_cookie(backend_app: InProcessBackend) -> None:
    make_agent(backend_app)
    answer = await post_login(backend_app)
    assert answer.status_code == 200
    assert answer.json() == {
        "agent_id": "ana",
        "name": "Ana Tremblay",
        "roles": ["agent"],
        "home": "/console/",
    }
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("vg_agent=vga_")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http (a test server); https below
    secure = await post_login(backend_app, base_url="https://backend.test")
    assert "Secure" in secure.headers["set-cookie"]
    with backend_app.app.state.engine.connect() as conn:
        token = answer.cookies["vg_agent"]
        assert session_agent(conn, token, now=datetime.now(UTC)) == "ana"
        stored = conn.execute(select(agent_sessions.c.token_hash)).scalars().all()
    assert token not in stored  # only its hash is kept


async def test_a_form_login_redirects_to_the_console(backend_app: InProcessBackend) -> None:
    make_agent(backend_app)
    async with backend_app.client() as client:
        answer = await client.post("/console/login", data={"agent_id": "ana", "password": PASSWORD})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/"
    assert "vg_agent=vga_" in answer.headers["set-cookie"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"agent_id": "ana", "password": "wrong password"}, 401),
        ({"agent_id": "nobody", "password": PASSWORD}, 401),
        ({"agent_id": "ana"}, 422),
    ],
)
async def test_wrong_credentials_are_refused(
    backend_app: InProcessBackend, body: dict[str, str], status: int
) -> None:
    make_agent(backend_app)
    async with backend_app.client() as client:
        answer = await client.post("/console/login", json=body)
        garbage = await client.post(
            "/console/login", content=b"{", headers={"content-type": "application/json"}
        )
        plain = await client.post(
            "/console/login", content=b"ana", headers={"content-type": "text/plain"}
        )
    assert answer.status_code == status
    assert "set-cookie" not in answer.headers
    assert garbage.status_code == 422
    assert plain.status_code == 415


async def test_five_failures_lock_the_account(backend_app: InProcessBackend) -> None:
    make_agent(backend_app)
    for _ in range(5):
        assert (await post_login(backend_app, "wrong password")).status_code == 401
    locked = await post_login(backend_app)  # even the right password, while locked
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 30


def test_the_lock_grows_with_each_failure_and_a_success_resets_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'agents.db'}")
    from backend.schema import migrate

    migrate(engine)
    with engine.begin() as conn:
        add_agent(conn, "ana", "Ana", PASSWORD, Skills(), now=NOW)
        delays = []
        now = NOW
        for _ in range(7):
            assert login(conn, "ana", "nope", now=now, ttl_s=60) == LoginRefused()
            until = conn.execute(select(agents.c.locked_until)).scalar()
            delays.append(int((until - now).total_seconds()) if until else 0)
            now = until or now
        assert delays == [0, 0, 0, 0, 30, 60, 120]
        refused = login(conn, "ana", PASSWORD, now=now - timedelta(seconds=1), ttl_s=60)
        assert refused == LoginRefused(retry_after_s=2)
        assert isinstance(login(conn, "ana", PASSWORD, now=now, ttl_s=60), LoggedIn)
        assert conn.execute(select(agents.c.failed_logins)).scalar() == 0
        session = login(conn, "ana", PASSWORD, now=now, ttl_s=60)
        assert isinstance(session, LoggedIn)
        assert session_agent(conn, session.token, now=now + timedelta(seconds=59)) == "ana"
        assert session_agent(conn, session.token, now=now + timedelta(seconds=60)) is None
        logout(conn, session.token)
        assert session_agent(conn, session.token, now=now) is None
    engine.dispose()


async def test_logout_ends_the_session(backend_app: InProcessBackend) -> None:
    make_agent(backend_app)
    token = (await post_login(backend_app)).cookies["vg_agent"]
    async with httpx.AsyncClient(
        transport=backend_app.transport(),
        base_url=backend_app.base_url,
        cookies={"vg_agent": token},
        headers={"Origin": backend_app.base_url},  # as the console page's fetch
    ) as client:
        answer = await client.post("/console/logout")
    assert answer.status_code == 204
    assert 'vg_agent=""' in answer.headers["set-cookie"]
    with backend_app.app.state.engine.connect() as conn:
        assert session_agent(conn, token, now=datetime.now(UTC)) is None


async def test_the_console_page_is_served(backend_app: InProcessBackend) -> None:
    async with backend_app.client() as client:
        page = await client.get("/console/")
        same = await client.get("/console/static/index.html")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert same.content == page.content


def test_accounts_are_checked_when_created(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'agents.db'}")
    from backend.schema import migrate

    migrate(engine)
    with engine.begin() as conn:
        for agent_id, name, password in (
            ("Ana!", "Ana", PASSWORD),
            ("ana", "", PASSWORD),
            ("ana", "Ana", "short"),
        ):
            with pytest.raises(AccountError):
                add_agent(conn, agent_id, name, password, Skills(), now=NOW)
        add_agent(conn, "ana", "Ana", PASSWORD, Skills(), now=NOW)
        with pytest.raises(AccountError, match="exists"):
            add_agent(conn, "ana", "Ana", PASSWORD, Skills(), now=NOW)
        stored = conn.execute(select(agents.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    engine.dispose()


def test_the_cli_adds_an_agent_who_can_log_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "backend.toml"
    config.write_text('data_dir = "."\n', encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code = backend_cli(
        [
            *("add-agent", "ana", "--name", "Ana Tremblay", "--password-stdin"),
            *("--skills", "agency:riviere-claire,language:fr,service:appointment"),
            *("--config", str(config)),
        ]
    )
    assert code == 0
    assert "account 'ana' created (agent)" in capsys.readouterr().out
    engine = make_engine(f"sqlite:///{tmp_path / 'backend.db'}")
    with engine.begin() as conn:
        assert isinstance(login(conn, "ana", PASSWORD, now=NOW, ttl_s=60), LoggedIn)
        skills = Skills.from_json(conn.execute(select(agents.c.skills)).scalar_one())
    engine.dispose()
    assert skills == Skills(
        agencies=frozenset({"riviere-claire"}),
        services=frozenset({"appointment"}),
        languages=frozenset({"fr"}),
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    again = ["add-agent", "bob", "--name", "Bob", "--password-stdin", "--config", str(config)]
    assert backend_cli([*again, "--skills", "colour:blue"]) == 2
    assert "skill 'colour:blue'" in capsys.readouterr().err
