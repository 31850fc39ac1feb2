"""The kiosk's side of the fleet view: its heartbeat, and the technicians' commands.

The heartbeat is the maintenance snapshot in wire form (codes and numbers, no
personal data). Device codes lose their device prefix on the wire
(``printer.paper_out`` -> ``paper_out``): the report already names the device.
A command from the fleet view goes through the same operations, with the same
audit entries, as the technician's buttons on the kiosk.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from kiosk.maintenance.diagnostics import DeviceStatus, DiagnosticsSnapshot
from kiosk.maintenance.service import Maintenance
from offline_queue.heartbeat import (
    MAX_DETAIL_CHARS,
    DeviceReport,
    Heartbeat,
    KioskCommand,
    OutboxReport,
)

FLEET_ACTOR = "fleet"
MIB = 1024 * 1024


def device_report(status: DeviceStatus) -> DeviceReport:
    """One device's status in wire form (the fault is the code without its device prefix)."""
    fault = None
    if status.state in ("fault", "degraded") and status.code:
        fault = status.code.rsplit(".", 1)[-1]
    return DeviceReport(
        device=status.device,
        state=status.state.value,
        fault=fault,
        detail=status.detail[:MAX_DETAIL_CHARS] or None,
    )


def heartbeat_of(snapshot: DiagnosticsSnapshot) -> Heartbeat:
    """The heartbeat that carries ``snapshot`` (``sent_at`` and acks are the link's)."""
    outbox = snapshot.outbox
    oldest = None
    if outbox.oldest_pending_age_s is not None:
        oldest = snapshot.taken_at - timedelta(seconds=outbox.oldest_pending_age_s)
    return Heartbeat(
        sent_at=snapshot.taken_at.astimezone(UTC),
        app_version=snapshot.versions.app,
        uptime_s=int(snapshot.uptime_s),
        devices=[device_report(status) for status in snapshot.devices],
        outbox=OutboxReport(
            backlog=outbox.backlog,
            oldest_pending_at=oldest,
            last_sync_at=outbox.last_sync_at,
            last_error=(outbox.last_error or "")[:MAX_DETAIL_CHARS] or None,
            dead_letters=outbox.dead_letter_count,
        ),
        disk_free_mb=snapshot.disk.free_bytes // MIB,
        out_of_service=snapshot.out_of_service,
    )


class FleetCommands:
    """Carries out the fleet view's commands on this kiosk."""

    def __init__(self, maintenance: Maintenance) -> None:
        self._maintenance = maintenance

    def heartbeat(self) -> Heartbeat:
        """The kiosk's heartbeat now."""
        return heartbeat_of(self._maintenance.current(list_dead_letters=False))

    async def run(self, command: KioskCommand) -> tuple[bool, str | None]:
        """Do ``command``; the detail is what the technician reads beside the ack."""
        maintenance = self._maintenance
        match command.kind:
            case "sync_now":
                maintenance.sync_now(FLEET_ACTOR)
                return True, "sync started"
            case "out_of_service":
                maintenance.set_out_of_service(True, FLEET_ACTOR)
                return True, "out of service"
            case "back_in_service":
                maintenance.set_out_of_service(False, FLEET_ACTOR)
                return True, "back in service"
