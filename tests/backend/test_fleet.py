"""The fleet view's API: heartbeats, alerts that raise and clear, commands, and who may do what."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select, update

from backend.app import create_app
from backend.auth import issue_credential, revoke
from backend.db import fleet_alerts, fleet_commands, fleet_kiosks
from backend.fleet.alerts import KioskState, backlog_age_s, conditions
from backend.fleet.routes import QuietHeartbeats
from backend.fleet.store import sweep
from backend.roles import Role
from backend.settings import BackendSettings, FleetSettings
from offline_queue.fleet_link import FleetLink
from offline_queue.heartbeat import HeartbeatReply, KioskCommand
from tests.fixtures.backend import InProcessBackend
from tests.fleet.helpers import FLEET, HEARTBEAT, body, heartbeat, staff_client


def engine_of(backend: InProcessBackend) -> Engine:
    engine: Engine = backend.app.state.engine
    return engine


async def beat(backend: InProcessBackend, **kwargs: Any) -> HeartbeatReply:
    async with backend.client(backend.kiosk_token) as kiosk:
        answer = await kiosk.post(HEARTBEAT, json=body(heartbeat(**kwargs)))
    assert answer.status_code == 200, answer.text
    return HeartbeatReply.model_validate_json(answer.content)


async def fleet_view(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get(FLEET)
    assert answer.status_code == 200, answer.text
    view: dict[str, Any] = answer.json()
    return view


def open_alerts(view: dict[str, Any]) -> set[tuple[str, str]]:
    return {(alert["kiosk_id"], alert["kind"]) for alert in view["alerts"]}


def kiosk_row(view: dict[str, Any], kiosk_id: str) -> dict[str, Any]:
    [row] = [kiosk for kiosk in view["kiosks"] if kiosk["kiosk_id"] == kiosk_id]
    return row


async def test_a_heartbeat_is_stored_and_answered_with_the_interval(
    backend_app: InProcessBackend,
) -> None:
    reply = await beat(backend_app, backlog=3, oldest_age=timedelta(minutes=2), version="2.0.1")

    assert reply.commands == []
    assert reply.next_in_s == FleetSettings().heartbeat_interval_s
    async with staff_client(backend_app, "tina", Role.TECHNICIAN) as tech:
        view = await fleet_view(tech)
    row = kiosk_row(view, backend_app.kiosk_id)
    assert row["seen"]
    assert row["online"]
    assert not row["out_of_service"]
    assert row["app_version"] == "2.0.1"
    assert row["backlog"] == 3
    assert 115 <= row["oldest_pending_age_s"] <= 180
    assert [device["state"] for device in row["devices"]] == ["ok"] * 4
    assert view["alerts"] == []
    assert view["may_command"] is True


async def test_heartbeats_refuse_strangers_staff_and_bad_bodies(
    backend_app: InProcessBackend,
) -> None:
    good = body(heartbeat())
    async with backend_app.client() as anonymous:
        assert (await anonymous.post(HEARTBEAT, json=good)).status_code == 401
    async with backend_app.client(backend_app.staff_token) as staff:
        assert (await staff.post(HEARTBEAT, json=good)).status_code == 403
    async with backend_app.client(backend_app.kiosk_token) as kiosk:
        # The kiosk's identity comes from its token, never from the body.
        answer = await kiosk.post(HEARTBEAT, json={**good, "kiosk_id": "someone-else"})
        assert answer.status_code == 422
        assert "kiosk_id" in answer.json()["detail"]
        broken = {**good, "devices": [{"device": "printer", "state": "on fire"}]}
        answer = await kiosk.post(HEARTBEAT, json=broken)
        assert answer.status_code == 422
        assert "devices.0.state" in answer.json()["detail"]
        answer = await kiosk.post(HEARTBEAT, json={**good, "v": 2})
        assert answer.status_code == 422
        answer = await kiosk.post(HEARTBEAT, content=b"{not json")
        assert answer.status_code == 422
        answer = await kiosk.post(HEARTBEAT, content=b"x" * 1_000_001)
        assert answer.status_code == 413
    with engine_of(backend_app).connect() as conn:
        assert conn.execute(select(fleet_kiosks)).all() == []


async def test_paper_out_raises_an_alert_that_clears_itself(backend_app: InProcessBackend) -> None:
    async with staff_client(backend_app, "tina", Role.TECHNICIAN) as tech:
        await beat(backend_app, faults={"printer": "paper_out"})
        view = await fleet_view(tech)
        assert open_alerts(view) == {(backend_app.kiosk_id, "paper_out")}
        assert kiosk_row(view, backend_app.kiosk_id)["devices"][1] == {
            "device": "printer",
            "state": "fault",
            "fault": "paper_out",
            "detail": None,
        }

        await beat(backend_app)  # paper refilled
        view = await fleet_view(tech)
        assert view["alerts"] == []
        [cleared] = view["cleared_alerts"]
        assert cleared["kind"] == "paper_out"
        assert cleared["cleared_at"] >= cleared["first_seen_at"]


async def test_camera_and_reader_faults_each_raise_their_alert(
    backend_app: InProcessBackend,
) -> None:
    faults = {
        "face_camera": "camera_lost",
        "document_camera": "camera_lost",
        "card_reader": "reader_lost",
        "printer": "jam",
    }
    await beat(backend_app, faults=faults)
    async with staff_client(backend_app, "tina", Role.TECHNICIAN) as tech:
        view = await fleet_view(tech)
    assert {kind for _, kind in open_alerts(view)} == {
        "face_camera_lost",
        "document_camera_lost",
        "card_reader_fault",
        "printer_fault",
    }


async def test_a_stale_backlog_raises_an_alert(backend_app: InProcessBackend) -> None:
    limit = FleetSettings().backlog_max_age_s
    async with staff_client(backend_app, "tina", Role.TECHNICIAN) as tech:
        await beat(backend_app, backlog=4, oldest_age=timedelta(seconds=limit - 60))
        assert (await fleet_view(tech))["alerts"] == []
        await beat(backend_app, backlog=4, oldest_age=timedelta(seconds=limit + 60))
        view = await fleet_view(tech)
        assert open_alerts(view) == {(backend_app.kiosk_id, "backlog_stale")}
        await beat(backend_app, backlog=0)  # the kiosk caught up
        assert (await fleet_view(tech))["alerts"] == []


async def test_a_silent_kiosk_goes_offline_with_an_alert_until_it_speaks(
    backend_app: InProcessBackend,
) -> None:
    await beat(backend_app)
    silent_for = timedelta(seconds=FleetSettings().silent_after_s + 30)
    with engine_of(backend_app).begin() as conn:  # as if its last heartbeat were that old
        conn.execute(update(fleet_kiosks).values(last_seen_at=datetime.now(UTC) - silent_for))
    async with staff_client(backend_app, "tina", Role.TECHNICIAN) as tech:
        view = await fleet_view(tech)
        assert kiosk_row(view, backend_app.kiosk_id)["online"] is False
        assert open_alerts(view) == {(backend_app.kiosk_id, "silent")}
        await beat(backend_app)
        view = await fleet_view(tech)
        assert kiosk_row(view, backend_app.kiosk_id)["online"] is True
        assert view["alerts"] == []


async def test_kiosks_never_heard_from_are_listed_and_revoked_ones_are_not(
    backend_app: InProcessBackend,
) -> None:
    engine = engine_of(backend_app)
    issue_credential(engine, "kiosk-new", "kiosk")
    await beat(backend_app, faults={"printer": "paper_out"})
    async with staff_client(backend_app, "tina", Role.TECHNICIAN) as tech:
        view = await fleet_view(tech)
        assert [k["kiosk_id"] for k in view["kiosks"]] == ["kiosk-new", backend_app.kiosk_id]
        new = kiosk_row(view, "kiosk-new")
        assert (new["seen"], new["online"], new["last_seen_at"], new["devices"]) == (
            False,
            False,
            None,
            [],
        )
        revoke(engine, backend_app.kiosk_id)
        view = await fleet_view(tech)
        assert [k["kiosk_id"] for k in view["kiosks"]] == ["kiosk-new"]
        assert view["alerts"] == []  # a decommissioned kiosk pages nobody


async def test_who_may_see_the_fleet_and_who_may_command(backend_app: InProcessBackend) -> None:
    async with backend_app.client() as anonymous:
        assert (await anonymous.get(FLEET)).status_code == 401
    for agent_id, role in (("max", Role.MANAGER), ("alice", Role.AGENT)):
        async with staff_client(backend_app, agent_id, role) as client:
            assert (await client.get(FLEET)).status_code == 403
    async with staff_client(backend_app, "sam", Role.SUPERVISOR) as supervisor:
        view = await fleet_view(supervisor)
        assert view["may_command"] is False
        answer = await supervisor.post(
            f"{FLEET}/{backend_app.kiosk_id}/commands", json={"kind": "sync_now"}
        )
        assert answer.status_code == 403
    with engine_of(backend_app).connect() as conn:
        assert conn.execute(select(fleet_commands)).all() == []


async def test_commands_refuse_cross_site_and_bad_requests(backend_app: InProcessBackend) -> None:
    path = f"{FLEET}/{backend_app.kiosk_id}/commands"
    async with staff_client(backend_app, "tina", Role.TECHNICIAN) as tech:
        assert (await tech.post(path, json={"kind": "nap"})).status_code == 422
        answer = await tech.post(path, json={"kind": "sync_now", "extra": 1})
        assert answer.status_code == 422
        answer = await tech.post(path, data={"kind": "sync_now"})  # what a hostile form sends
        assert answer.status_code == 415
        answer = await tech.post(
            path, json={"kind": "sync_now"}, headers={"Origin": "https://evil.example"}
        )
        assert answer.status_code == 403
        tech.headers.pop("Origin")
        assert (await tech.post(path, json={"kind": "sync_now"})).status_code == 403
        tech.headers["Origin"] = backend_app.base_url
        answer = await tech.post(f"{FLEET}/no-such-kiosk/commands", json={"kind": "sync_now"})
        assert answer.status_code == 404
        answer = await tech.post(f"{FLEET}/NOT%20AN%20ID/commands", json={"kind": "sync_now"})
        assert answer.status_code == 404
    with engine_of(backend_app).connect() as conn:
        assert conn.execute(select(fleet_commands)).all() == []


async def test_a_command_is_redelivered_until_acknowledged(backend_app: InProcessBackend) -> None:
    path = f"{FLEET}/{backend_app.kiosk_id}/commands"
    async with staff_client(backend_app, "tina", Role.TECHNICIAN) as tech:
        issued = (await tech.post(path, json={"kind": "sync_now"})).json()
        assert issued["state"] == "pending"
        assert issued["issued_by"] == "tina"
        first = await beat(backend_app)
        again = await beat(backend_app)  # the kiosk's answer got lost: sent again
        assert [c.command_id for c in first.commands] == [issued["command_id"]]
        assert again.commands == first.commands
        [row] = (await fleet_view(tech))["commands"]
        assert row["state"] == "delivered"

        ack = {"command_id": issued["command_id"], "ok": False, "detail": "outbox locked"}
        async with backend_app.client(backend_app.kiosk_token) as kiosk:
            answer = await kiosk.post(HEARTBEAT, json={**body(heartbeat()), "acks": [ack]})
        assert HeartbeatReply.model_validate_json(answer.content).commands == []
        [row] = (await fleet_view(tech))["commands"]
        assert (row["state"], row["detail"]) == ("failed", "outbox locked")


async def test_a_kiosk_cannot_answer_for_another(backend_app: InProcessBackend) -> None:
    other_token = issue_credential(engine_of(backend_app), "kiosk-other", "kiosk")
    async with staff_client(backend_app, "tina", Role.TECHNICIAN) as tech:
        answer = await tech.post(
            f"{FLEET}/{backend_app.kiosk_id}/commands", json={"kind": "sync_now"}
        )
        command_id = answer.json()["command_id"]
        ack = {"command_id": command_id, "ok": True}
        async with backend_app.client(other_token) as other:
            answer = await other.post(HEARTBEAT, json={**body(heartbeat()), "acks": [ack]})
            assert answer.status_code == 200
            assert answer.json()["commands"] == []  # and it is not handed the other's commands
        [row] = (await fleet_view(tech))["commands"]
        assert row["state"] == "pending"


async def test_out_of_service_end_to_end_through_the_fleet_link(
    backend_app: InProcessBackend,
) -> None:
    state = {"out_of_service": False}
    received: list[KioskCommand] = []

    async def on_command(command: KioskCommand) -> tuple[bool, str | None]:
        received.append(command)
        state["out_of_service"] = command.kind == "out_of_service"
        return True, "screen closed"

    async with (
        staff_client(backend_app, "tina", Role.TECHNICIAN) as tech,
        backend_app.client(backend_app.kiosk_token) as kiosk_client,
    ):
        link = FleetLink(
            kiosk_client, lambda: heartbeat(out_of_service=state["out_of_service"]), on_command
        )
        await link.beat_once()
        answer = await tech.post(
            f"{FLEET}/{backend_app.kiosk_id}/commands", json={"kind": "out_of_service"}
        )
        assert answer.status_code == 201, answer.text
        command_id = answer.json()["command_id"]

        reply = await link.beat_once()  # delivers the command; the link runs it
        assert reply is not None
        assert [c.command_id for c in reply.commands] == [command_id]
        assert [c.kind for c in received] == ["out_of_service"]
        assert [a.command_id for a in link.pending_acks] == [command_id]
        assert link.next_delay_s == 1.0  # the answer goes out at once, not in 10 s

        await link.beat_once()  # carries the acknowledgement
        assert link.pending_acks == []
        view = await fleet_view(tech)
        [row] = view["commands"]
        assert (row["state"], row["detail"]) == ("acked", "screen closed")
        assert row["acked_at"] is not None
        assert row["delivered_at"] is not None
        assert kiosk_row(view, backend_app.kiosk_id)["out_of_service"] is True
        assert len(received) == 1


def test_commands_nobody_acknowledges_expire(backend_app: InProcessBackend) -> None:
    settings = FleetSettings()
    engine = engine_of(backend_app)
    issued_at = datetime.now(UTC) - timedelta(seconds=settings.command_ttl_s + 1)
    with engine.begin() as conn:
        conn.execute(
            fleet_commands.insert().values(
                command_id="0123456789abcdef",
                kiosk_id=backend_app.kiosk_id,
                kind="sync_now",
                issued_by="tina",
                issued_at=issued_at,
                state="delivered",
            )
        )
        sweep(conn, now=datetime.now(UTC), settings=settings)
        state, detail = conn.execute(select(fleet_commands.c.state, fleet_commands.c.detail)).one()
    assert state == "failed"
    assert detail is not None
    assert detail.startswith("expired")


async def test_alerts_are_opened_once_whoever_sweeps(backend_app: InProcessBackend) -> None:
    await beat(backend_app, faults={"printer": "paper_out"})
    engine = engine_of(backend_app)
    settings = FleetSettings()
    now = datetime.now(UTC)
    for _ in range(3):  # three instances, one after the other
        with engine.begin() as conn:
            sweep(conn, now=now, settings=settings)
    with engine.connect() as conn:
        rows = conn.execute(select(fleet_alerts.c.kind, fleet_alerts.c.cleared_at)).all()
    assert [tuple(row) for row in rows] == [("paper_out", None)]


def test_on_postgresql_one_instance_sweeps_at_a_time(backend_app: InProcessBackend) -> None:
    engine = engine_of(backend_app)
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time anyway (BEGIN IMMEDIATE)")
    settings = FleetSettings()
    now = datetime.now(UTC)
    with engine.begin() as first:
        assert sweep(first, now=now, settings=settings) is True
        with engine.begin() as second:
            assert sweep(second, now=now, settings=settings) is False


def test_devices_are_stored_as_received(backend_app: InProcessBackend) -> None:
    """The JSON column round-trips exactly what the page will show."""
    from backend.fleet.store import record_heartbeat

    beat_ = heartbeat(faults={"printer": "paper_out"})
    with engine_of(backend_app).begin() as conn:
        record_heartbeat(
            conn, backend_app.kiosk_id, beat_, now=datetime.now(UTC), settings=FleetSettings()
        )
        stored = conn.execute(select(fleet_kiosks.c.devices)).scalar_one()
    assert json.loads(stored) == [d.model_dump(exclude_none=True) for d in beat_.devices]


def test_backlog_age_is_measured_on_the_kiosks_clock_then_carried_on_ours() -> None:
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    kiosk_clock_ahead = timedelta(hours=3)  # a kiosk whose clock is wrong by hours
    sent_at = now - timedelta(seconds=30) + kiosk_clock_ahead
    state = KioskState(
        last_seen_at=now - timedelta(seconds=30),
        sent_at=sent_at,
        devices=[],
        oldest_pending_at=sent_at - timedelta(minutes=10),
    )
    assert backlog_age_s(state, now) == 630.0
    settings = FleetSettings(backlog_max_age_s=600)
    [stale] = conditions(state, now=now, settings=settings).values()
    assert (stale.kind, stale.since) == ("backlog_stale", now - timedelta(seconds=30))
    assert conditions(state, now=now, settings=FleetSettings(backlog_max_age_s=660)) == {}


def test_silence_must_outlast_two_heartbeats() -> None:
    with pytest.raises(ValueError, match="twice heartbeat_interval_s"):
        FleetSettings(heartbeat_interval_s=30, silent_after_s=45)


async def test_heartbeats_arriving_together_are_stored_together_each_with_its_answer(
    backend_app: InProcessBackend,
) -> None:
    engine = engine_of(backend_app)
    tokens = [issue_credential(engine, f"kiosk-{n:02d}", "kiosk") for n in range(20)]
    good = body(heartbeat())

    async def post(token: str, payload: dict[str, Any]) -> int:
        async with backend_app.client(token) as client:
            return (await client.post(HEARTBEAT, json=payload)).status_code

    statuses = await asyncio.gather(
        *(post(token, good) for token in tokens),
        post("vg_not-a-real-token", good),
        post(backend_app.staff_token, good),
        post(backend_app.kiosk_token, {**good, "uptime_s": -5}),
    )
    assert statuses == [200] * 20 + [401, 403, 422]
    with engine.connect() as conn:
        stored = conn.execute(select(fleet_kiosks.c.kiosk_id)).scalars().all()
    assert sorted(stored) == [f"kiosk-{n:02d}" for n in range(20)]


def test_answered_heartbeats_stay_out_of_the_access_log() -> None:
    def line(path: str, status: int) -> logging.LogRecord:
        args = ("127.0.0.1:5000", "POST", path, "1.1", status)
        return logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s "%s %s" %d', args, None)

    quiet = QuietHeartbeats()
    assert not quiet.filter(line(HEARTBEAT, 200))
    assert quiet.filter(line(HEARTBEAT, 401))
    assert quiet.filter(line("/api/v1/sync", 200))


async def test_alerts_are_raised_when_nobody_looks(tmp_path: Path, database_url: str) -> None:
    fleet = FleetSettings(heartbeat_interval_s=2, silent_after_s=5, sweep_interval_s=1)
    settings = BackendSettings(data_dir=tmp_path / "b", database_url=database_url, fleet=fleet)
    app = create_app(settings)
    engine: Engine = app.state.engine
    token = issue_credential(engine, "kiosk-quiet", "kiosk")
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://backend.test",
            headers={"Authorization": f"Bearer {token}"},
        ) as kiosk,
    ):
        assert (await kiosk.post(HEARTBEAT, json=body(heartbeat()))).status_code == 200
        with engine.begin() as conn:
            conn.execute(
                update(fleet_kiosks).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=1))
            )
        kinds: list[str] = []
        for _ in range(50):  # the sweeper runs every second
            with engine.connect() as conn:
                kinds = list(conn.execute(select(fleet_alerts.c.kind)).scalars())
            if kinds:
                break
            await asyncio.sleep(0.1)
    assert kinds == ["silent"]


def test_the_heartbeat_body_is_documented_and_every_reference_resolves(
    backend_app: InProcessBackend,
) -> None:
    document = backend_app.app.openapi()
    body_schema = document["paths"][HEARTBEAT]["post"]["requestBody"]["content"]
    assert body_schema["application/json"]["schema"] == {"$ref": "#/components/schemas/Heartbeat"}
    refs = set(re.findall(r"#/components/schemas/([\w.-]+)", json.dumps(document)))
    assert refs <= set(document["components"]["schemas"])
    assert {"Heartbeat", "DeviceReport", "OutboxReport", "CommandAck"} <= refs
