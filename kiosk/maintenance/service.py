"""What a technician can do to a kiosk, as one small service with no screen in it.

The maintenance screens call it, and so will the fleet view's remote commands:
``sync_now``, ``set_out_of_service``, ``self_test``, ``snapshot`` and
``request_restart`` each name who asked, and each is written to the audit log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from kiosk.document_camera import DocumentCameraSlot
from kiosk.maintenance.audit import AuditAction, AuditLog
from kiosk.maintenance.diagnostics import (
    DeviceName,
    DeviceStatus,
    DiagnosticsSnapshot,
    disk_view,
    outbox_view,
    versions,
)
from kiosk.maintenance.logs import tail_lines
from kiosk.maintenance.reachability import Probe, Reachability
from kiosk.maintenance.store import read_flag, write_flag
from offline_queue.outbox import Outbox
from offline_queue.sync import SyncWorker
from peripherals.card import CardReader
from peripherals.health import SelfTestResult
from peripherals.printer import Printer

_log = logging.getLogger(__name__)
# systemd restarts the kiosk on any failure exit; 75 (EX_TEMPFAIL) reads in the
# journal as "asked to restart", not as a crash.
EXIT_RESTART = 75
OUT_OF_SERVICE_FLAG = "out_of_service"
LOG_VIEW_LINES = 300


@dataclass
class KioskDevices:
    """The device ports the maintenance mode diagnoses and tests."""

    card_reader: CardReader
    printer: Printer
    document_camera: DocumentCameraSlot


class Maintenance:
    """The technician's operations on this kiosk."""

    def __init__(
        self,
        *,
        kiosk_id: str,
        db: sqlite_utils.Database,
        audit: AuditLog,
        devices: KioskDevices,
        outbox: Outbox,
        sync_worker: SyncWorker,
        probe: Probe,
        data_dir: Path,
        log_file: Path,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._kiosk_id = kiosk_id
        self._db = db
        self.audit = audit
        self._devices = devices
        self._outbox = outbox
        self._worker = sync_worker
        self._probe = probe
        self._data_dir = data_dir
        self._log_file = log_file
        self._clock = clock
        self._started = clock()
        self._out_of_service = read_flag(db, OUT_OF_SERVICE_FLAG) == "1"
        self._listeners: list[Callable[[bool], None]] = []
        self._restart: Callable[[], None] | None = None

    # -- out of service ------------------------------------------------------
    @property
    def out_of_service(self) -> bool:
        """Whether citizens are sent elsewhere (kept across restarts)."""
        return self._out_of_service

    def add_service_listener(self, callback: Callable[[bool], None]) -> None:
        """Call ``callback(out_of_service)`` whenever the flag changes."""
        self._listeners.append(callback)

    def set_out_of_service(self, out_of_service: bool, actor: str) -> None:
        """Take the kiosk out of service (citizens are told where else to go) or back in."""
        write_flag(self._db, OUT_OF_SERVICE_FLAG, "1" if out_of_service else "0")
        changed = out_of_service != self._out_of_service
        self._out_of_service = out_of_service
        action = AuditAction.OUT_OF_SERVICE if out_of_service else AuditAction.BACK_IN_SERVICE
        self.audit.record(actor, action, "done" if changed else "unchanged")
        if changed:
            for listener in list(self._listeners):
                listener(out_of_service)

    def leave(self, actor: str, reason: str) -> None:
        """The technician's session ended (``reason``: "button", "timeout")."""
        self.audit.record(actor, AuditAction.LEFT, reason)

    # -- sync ----------------------------------------------------------------
    def sync_now(self, actor: str) -> None:
        """Ask the sync worker to try at once (also ending a backoff, not a Retry-After)."""
        self._worker.poke()
        self.audit.record(actor, AuditAction.SYNC_NOW, "requested")

    # -- self-tests ----------------------------------------------------------
    async def self_test(self, device: DeviceName, actor: str) -> SelfTestResult:
        """Run ``device``'s self-test (read a card, grab a frame, print a test page)."""
        devices = self._devices
        match device:
            case "card_reader":
                result = await devices.card_reader.self_test()
            case "printer":
                result = await devices.printer.self_test()
            case "document_camera":
                result = await devices.document_camera.get().self_test()
        outcome = "passed" if result.passed else "failed"
        self.audit.record(actor, AuditAction.SELF_TEST, outcome, f"{device}: {result.code}")
        return result

    # -- diagnostics ---------------------------------------------------------
    async def snapshot(self, *, probe_backend: bool = True) -> DiagnosticsSnapshot:
        """The kiosk's state now; ``probe_backend`` times a request to the back end.

        For the technician's screen: the document camera is built if it was
        not yet (diagnosing it loads OpenCV, once).
        """
        self._devices.document_camera.get()
        reachability = await self._probe() if probe_backend else None
        return self.current().model_copy(update={"backend": reachability})

    def current(self, *, list_dead_letters: bool = True) -> DiagnosticsSnapshot:
        """The kiosk's state now, without a network probe (the heartbeat's source).

        A document camera nobody has used yet is left out rather than built:
        a heartbeat every few seconds must not load OpenCV into every kiosk.
        Without ``list_dead_letters`` only their count is given (the sync
        worker keeps it), and the outbox is not read.
        """
        devices = self._devices
        statuses = [
            DeviceStatus.of("card_reader", devices.card_reader.health()),
            DeviceStatus.of("printer", devices.printer.health()),
        ]
        camera = devices.document_camera.built
        if camera is not None:
            statuses.append(DeviceStatus.of("document_camera", camera.health()))
        return DiagnosticsSnapshot(
            kiosk_id=self._kiosk_id,
            taken_at=datetime.now(UTC),
            devices=tuple(statuses),
            outbox=outbox_view(
                self._worker.status, self._outbox.dead_letters() if list_dead_letters else []
            ),
            backend=None,
            disk=disk_view(self._data_dir),
            versions=versions(),
            uptime_s=round(self._clock() - self._started, 1),
            out_of_service=self._out_of_service,
        )

    async def probe_backend(self) -> Reachability:
        """Time a request to the back end (``/healthz``)."""
        return await self._probe()

    def read_log(self, actor: str, lines: int = LOG_VIEW_LINES) -> list[str]:
        """The last ``lines`` lines of the kiosk's log (the viewing is audited)."""
        self.audit.record(actor, AuditAction.LOGS_VIEWED, "done")
        return tail_lines(self._log_file, lines)

    # -- restart -------------------------------------------------------------
    def on_restart(self, callback: Callable[[], None]) -> None:
        """What restarting means here (the runtime stops the app with ``EXIT_RESTART``)."""
        self._restart = callback

    def request_restart(self, actor: str) -> bool:
        """Stop the app so that systemd starts it again; False if nothing can restart it."""
        if self._restart is None:
            self.audit.record(actor, AuditAction.RESTART, "unavailable")
            return False
        self.audit.record(actor, AuditAction.RESTART, "requested")
        self._restart()
        return True

    def close(self) -> None:
        """Close the maintenance database (at shutdown)."""
        self._db.close()
