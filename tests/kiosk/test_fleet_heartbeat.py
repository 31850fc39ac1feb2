"""The kiosk's heartbeat to the fleet view, and the technicians' commands, end to end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend.roles import Role
from kiosk.maintenance.audit import AuditAction
from kiosk.maintenance.fleet import FleetCommands, heartbeat_of
from kiosk.services import KioskServices, build_services
from offline_queue.fleet_link import FleetLink
from peripherals.printer.simulator import SimulatedPrinter
from tests.fixtures import make_record
from tests.fixtures.backend import InProcessBackend
from tests.fleet.helpers import FLEET, staff_client
from tests.kiosk.test_maintenance_service import settings_for


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[KioskServices]:
    built = build_services(settings_for(tmp_path), asyncio.get_running_loop())
    yield built
    await built.aclose()


def test_the_kiosk_builds_a_link_to_the_fleet(services: KioskServices) -> None:
    assert isinstance(services.fleet, FleetLink)


def test_the_heartbeat_carries_devices_backlog_and_service_state(
    services: KioskServices,
) -> None:
    printer = services.printer
    assert isinstance(printer, SimulatedPrinter)
    printer.refill(0)
    services.outbox.enqueue(session_id="s1", record=make_record())
    services.maintenance.set_out_of_service(True, "tech")
    beat = heartbeat_of(services.maintenance.current())
    devices = {report.device: report for report in beat.devices}
    assert (devices["printer"].state, devices["printer"].fault) == ("fault", "paper_out")
    assert devices["card_reader"].state == "ok"
    assert devices["card_reader"].fault is None
    # Nobody used the document camera: the heartbeat does not build it (OpenCV stays out).
    assert "document_camera" not in devices
    assert services.document_camera.built is None
    assert beat.outbox.backlog == 1
    assert beat.outbox.oldest_pending_at is not None
    assert beat.out_of_service is True
    assert beat.disk_free_mb is not None
    assert beat.disk_free_mb > 0


async def test_paper_out_reaches_the_fleet_and_a_command_takes_the_kiosk_out_of_service(
    services: KioskServices, backend_app: InProcessBackend
) -> None:
    printer = services.printer
    assert isinstance(printer, SimulatedPrinter)
    printer.refill(0)
    commands = FleetCommands(services.maintenance)
    async with (
        staff_client(backend_app, "tina", Role.TECHNICIAN) as tech,
        backend_app.client(backend_app.kiosk_token) as kiosk_client,
    ):
        link = FleetLink(kiosk_client, commands.heartbeat, commands.run)
        assert await link.beat_once() is not None
        view = (await tech.get(FLEET)).json()
        assert (backend_app.kiosk_id, "paper_out") in {
            (alert["kiosk_id"], alert["kind"]) for alert in view["alerts"]
        }
        answer = await tech.post(
            f"{FLEET}/{backend_app.kiosk_id}/commands", json={"kind": "out_of_service"}
        )
        assert answer.status_code == 201, answer.text
        await link.beat_once()  # delivers the command, which the kiosk carries out
        assert services.maintenance.out_of_service is True
        await link.beat_once()  # carries the acknowledgement
        view = (await tech.get(FLEET)).json()
    [row] = [kiosk for kiosk in view["kiosks"] if kiosk["kiosk_id"] == backend_app.kiosk_id]
    assert row["out_of_service"] is True
    assert [command["state"] for command in view["commands"]] == ["acked"]
    actions = [entry.action for entry in services.maintenance.audit.entries()]
    assert AuditAction.OUT_OF_SERVICE in actions
