"""Refusals a staff page shows carry a stable code beside the English they always had.

The pages translate by ``code`` (backend/console/static/refusals.js); every other
client reads ``detail``, which must not change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.db import fleet_commands
from backend.fleet.store import sweep
from backend.roles import Role
from backend.settings import FleetSettings
from tests.backend.test_console_login import make_agent, post_login
from tests.fixtures.backend import InProcessBackend
from tests.fleet.helpers import FLEET, staff_client

SUMMARY = "/api/v1/analytics/summary"


async def test_a_refused_login_names_its_code(backend_app: InProcessBackend) -> None:
    make_agent(backend_app)
    wrong = await post_login(backend_app, "wrong password")
    assert (wrong.status_code, wrong.json()) == (
        401,
        {"detail": "wrong agent id or password", "code": "login.wrong"},
    )
    for _ in range(4):
        await post_login(backend_app, "wrong password")
    locked = await post_login(backend_app)
    assert locked.status_code == 429
    assert locked.json()["code"] == "login.locked"
    assert int(locked.headers["retry-after"]) > 0  # the handler keeps the refusal's headers
    async with backend_app.client() as client:
        plain = await client.post(
            "/console/login", content=b"ana", headers={"content-type": "text/plain"}
        )
    assert plain.json() == {"detail": "send JSON or a form", "code": "login.media_type"}


async def test_fleet_refusals_name_their_code(backend_app: InProcessBackend) -> None:
    async with staff_client(backend_app, "tina", Role.TECHNICIAN) as tech:
        mistyped = await tech.post(
            f"/api/v1/fleet/{backend_app.kiosk_id}/revoke", json={"confirm": "kiosk-wrong"}
        )
        unknown = await tech.post("/api/v1/fleet/kiosk-nope/commands", json={"kind": "sync_now"})
        invalid = await tech.post(
            f"/api/v1/fleet/{backend_app.kiosk_id}/commands", json={"kind": "reboot"}
        )
    assert (mistyped.status_code, mistyped.json()) == (
        409,
        {"detail": "confirm by repeating the kiosk id exactly", "code": "fleet.confirm_mismatch"},
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "fleet.no_such_kiosk")
    # The validator's words travel as a value: the page puts them in its own sentence.
    assert invalid.status_code == 422
    assert invalid.json()["code"] == "request.invalid"
    assert invalid.json()["params"] == {"problems": invalid.json()["detail"]}
    assert "kind" in invalid.json()["detail"]


async def test_a_role_refusal_names_the_permission_as_a_value(
    backend_app: InProcessBackend,
) -> None:
    async with staff_client(backend_app, "ann", Role.AGENT) as agent:
        answer = await agent.get(FLEET)
    async with backend_app.client() as stranger:
        nobody = await stranger.get(FLEET)
    assert (answer.status_code, answer.json()) == (
        403,
        {
            "detail": "your role does not allow view_fleet",
            "code": "staff.not_allowed",
            "params": {"permission": "view_fleet"},
        },
    )
    assert (nobody.status_code, nobody.json()["code"]) == (401, "staff.log_in")


async def test_each_unusable_period_has_its_own_code(backend_app: InProcessBackend) -> None:
    async with staff_client(backend_app, "max", Role.MANAGER) as manager:
        bad_date = await manager.get(SUMMARY, params={"from": "2026-13-01"})
        backwards = await manager.get(SUMMARY, params={"from": "2026-11-02", "to": "2026-11-01"})
        too_long = await manager.get(SUMMARY, params={"from": "2024-01-01", "to": "2026-01-01"})
        bad_site = await manager.get(SUMMARY, params={"site": "Kiosk 1"})
    assert bad_date.json() == {
        "detail": "from: expected a date as YYYY-MM-DD",
        "code": "analytics.bad_date",
        "params": {"field": "from"},
    }
    assert backwards.json()["code"] == "analytics.period_backwards"
    assert too_long.json() == {
        "detail": "the period is longer than 366 days",
        "code": "analytics.period_too_long",
        "params": {"days": 366},
    }
    assert bad_site.json()["params"] == {"field": "site"}
    assert {a.status_code for a in (bad_date, backwards, too_long, bad_site)} == {422}


async def test_an_expired_command_is_marked_as_the_back_ends_words(
    backend_app: InProcessBackend,
) -> None:
    settings = FleetSettings()
    engine = backend_app.app.state.engine
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for command_id, detail in (("0123456789abcdef", None), ("0123456789abcdee", "no disk")):
            conn.execute(
                fleet_commands.insert().values(
                    command_id=command_id,
                    kiosk_id=backend_app.kiosk_id,
                    kind="sync_now",
                    issued_by="tina",
                    issued_at=now - timedelta(seconds=settings.command_ttl_s + 1),
                    state="delivered" if detail is None else "failed",
                    acked_at=None if detail is None else now,
                    detail=detail,
                )
            )
        sweep(conn, now=now, settings=settings)
    async with staff_client(backend_app, "tina", Role.TECHNICIAN) as tech:
        view = (await tech.get(FLEET)).json()
    codes = {c["command_id"]: (c["detail_code"], c["detail"]) for c in view["commands"]}
    expired, kiosk_said = codes["0123456789abcdef"], codes["0123456789abcdee"]
    assert expired[0] == "expired"
    assert expired[1].startswith("expired: not acknowledged within")
    assert kiosk_said == (None, "no disk")  # the kiosk's own words: no code
    assert view["command_ttl_s"] == settings.command_ttl_s
