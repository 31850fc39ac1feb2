"""The audit log of sensitive actions, the per-address login brake, and secrets kept out of logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from backend import login_brake
from backend.audit import AuditAction
from backend.db import audit_log
from backend.roles import Role
from offline_queue.redact import MASK, install_redaction, redact
from tests.fixtures.backend import InProcessBackend
from tests.fleet.helpers import PASSWORD, add_staff, staff_client

WRONG = "wrong-password-42"


def entries(backend: InProcessBackend) -> list[tuple[str, str, str | None]]:
    with backend.app.state.engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).all()
    return [(row.action, row.actor, row.source) for row in rows]


def client_from(backend: InProcessBackend, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=backend.app, client=(address, 40_000))
    return httpx.AsyncClient(
        transport=transport, base_url=backend.base_url, headers={"Origin": backend.base_url}
    )


async def log_in(client: httpx.AsyncClient, agent_id: str, password: str) -> httpx.Response:
    return await client.post("/console/login", json={"agent_id": agent_id, "password": password})


async def test_logins_are_audited_without_secrets(backend_app: InProcessBackend) -> None:
    add_staff(backend_app, "sue", Role.SUPERVISOR)
    async with client_from(backend_app, "10.1.2.3") as client:
        assert (await log_in(client, "sue", WRONG)).status_code == 401
        # A password typed in the id field must not land in the log.
        assert (await log_in(client, "Hunter2Secret!", WRONG)).status_code == 401
        assert (await log_in(client, "sue", PASSWORD)).status_code == 200
        assert (await client.post("/console/logout")).status_code == 204
    assert entries(backend_app) == [
        ("login.failure", "sue", "10.1.2.3"),
        ("login.failure", "(unknown account)", "10.1.2.3"),
        ("login.success", "sue", "10.1.2.3"),
        ("logout", "sue", "10.1.2.3"),
    ]
    with backend_app.app.state.engine.connect() as conn:
        dumped = str(conn.execute(select(audit_log)).all())
    for secret in (WRONG, PASSWORD, "Hunter2Secret!", "vga_"):
        assert secret not in dumped


async def test_the_audit_log_is_append_only(backend_app: InProcessBackend) -> None:
    add_staff(backend_app, "sue", Role.SUPERVISOR)
    async with client_from(backend_app, "10.1.2.3") as client:
        await log_in(client, "sue", WRONG)
    engine = backend_app.app.state.engine
    for statement in ("UPDATE audit_log SET actor = 'someone-else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert entries(backend_app)[0][1] == "sue"


async def test_supervisors_and_managers_read_the_audit_log(backend_app: InProcessBackend) -> None:
    async with backend_app.client() as anonymous:
        assert (await anonymous.get("/api/v1/audit")).status_code == 401
    async with staff_client(backend_app, "ann", Role.AGENT) as agent:
        assert (await agent.get("/api/v1/audit")).status_code == 403
    async with staff_client(backend_app, "mia", Role.MANAGER) as manager:
        export = await manager.get("/api/v1/analytics/export.csv")
        assert export.status_code == 200
        answer = await manager.get("/api/v1/audit", params={"limit": 10})
        assert answer.status_code == 200
        actions = [entry["action"] for entry in answer.json()]
        assert actions[:2] == [AuditAction.ANALYTICS_EXPORT, AuditAction.LOGIN_SUCCESS]
        only = await manager.get("/api/v1/audit", params={"action": "login.success"})
        assert {entry["action"] for entry in only.json()} == {"login.success"}
    # Reading the log is itself an entry.
    assert ("audit.read", "mia", "127.0.0.1") in entries(backend_app)


async def test_one_address_guessing_many_accounts_is_braked(
    backend_app: InProcessBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(login_brake, "FREE_FAILURES", 3)
    add_staff(backend_app, "sue", Role.SUPERVISOR)
    async with client_from(backend_app, "203.0.113.9") as guesser:
        # Each account sees one failure only: the per-account lockout never triggers.
        for agent_id in ("amy", "bob", "cat"):
            assert (await log_in(guesser, agent_id, WRONG)).status_code == 401
        assert (await log_in(guesser, "dan", WRONG)).status_code == 401  # the one that locks
        braked = await log_in(guesser, "sue", PASSWORD)  # even the right password waits
        assert braked.status_code == 429
        assert int(braked.headers["retry-after"]) >= login_brake.LOCK_BASE_S - 1
    # The brake is the address's: a colleague elsewhere logs in.
    async with client_from(backend_app, "198.51.100.7") as colleague:
        assert (await log_in(colleague, "sue", PASSWORD)).status_code == 200
    actions = [action for action, _, source in entries(backend_app) if source == "203.0.113.9"]
    assert actions[-1] == "login.locked"


async def test_the_per_account_lockout_is_audited(backend_app: InProcessBackend) -> None:
    add_staff(backend_app, "sue", Role.SUPERVISOR)
    async with client_from(backend_app, "10.9.9.9") as client:
        for _ in range(5):
            assert (await log_in(client, "sue", WRONG)).status_code == 401
        assert (await log_in(client, "sue", PASSWORD)).status_code == 429
    assert entries(backend_app)[-1] == ("login.locked", "sue", "10.9.9.9")


@pytest.fixture
def redacting() -> Iterator[None]:
    previous = logging.getLogRecordFactory()
    install_redaction()
    try:
        yield
    finally:
        logging.setLogRecordFactory(previous)


def test_redact_masks_every_kind_of_secret() -> None:
    token = "vg_" + "A1b2" * 11
    samples = {
        f"GET /x?token={token}": token,
        "Authorization: Bearer abc.def-ghi": "abc.def-ghi",
        "cookie: vg_agent=vga_sessionvalue123": "vga_sessionvalue123",
        '{"password": "correct horse"}': "correct horse",
        "pin=482913": "482913",
        "login with password=hunter22": "hunter22",
    }
    for line, secret in samples.items():
        masked = redact(line)
        assert secret not in masked, line
        assert MASK in masked


async def test_no_secret_reaches_the_logs(
    backend_app: InProcessBackend, caplog: pytest.LogCaptureFixture, redacting: None
) -> None:
    caplog.set_level(logging.DEBUG)
    add_staff(backend_app, "sue", Role.SUPERVISOR)
    async with client_from(backend_app, "10.0.0.1") as client:
        cookie = (await log_in(client, "sue", PASSWORD)).cookies["vg_agent"]
        await log_in(client, "sue", WRONG)
    async with backend_app.client(backend_app.kiosk_token) as kiosk_client:
        await kiosk_client.post("/api/v1/fleet/heartbeat", content=b"{}")
    async with backend_app.client("vg_revokedTOKEN123456") as bad:
        assert (await bad.get("/api/v1/transactions")).status_code == 401
    # What application code might write, on purpose or by mistake.
    log = logging.getLogger("tests.security")
    log.info("sync with token %s", backend_app.kiosk_token)
    log.warning("request headers: %r", {"Authorization": f"Bearer {backend_app.kiosk_token}"})
    log.info("login body: password=%s", PASSWORD)
    log.info("cookie %s", cookie)
    try:
        raise RuntimeError(f"failed with {backend_app.kiosk_token}")
    except RuntimeError:
        log.exception("crash")
    rendered = caplog.text + "".join(
        (record.exc_text or "") + record.getMessage() for record in caplog.records
    )
    assert len(caplog.records) >= 5
    for secret in (backend_app.kiosk_token, PASSWORD, WRONG, cookie, "vg_revokedTOKEN123456"):
        assert secret not in rendered, secret
    assert MASK in rendered
