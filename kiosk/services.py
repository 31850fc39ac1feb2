"""Everything the kiosk is made of, built from the settings (no Qt here).

The Qt runtime receives this bundle; tests build it the same way with their
own settings, so the app under test is the app that ships.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx

from kiosk.call_desk import CallDesk, CallEngine
from kiosk.catalogue import load_catalogue
from kiosk.config import KioskSettings
from kiosk.document_camera import DocumentCameraSlot
from kiosk.i18n import Strings, load_strings
from kiosk.journey import InactivityWatch, Journey
from kiosk.maintenance.access import TechnicianGate
from kiosk.maintenance.audit import AuditLog
from kiosk.maintenance.fleet import FleetCommands
from kiosk.maintenance.lockout import Lockout
from kiosk.maintenance.logs import log_file_path
from kiosk.maintenance.reachability import probe_backend
from kiosk.maintenance.service import KioskDevices, Maintenance
from kiosk.maintenance.store import open_store
from kiosk.native_memory import limit_malloc_arenas
from kiosk.service_events import ServiceEventLog, read_file_hash_key
from kiosk.submission import SubmissionDesk
from offline_queue.analytics_sync import AnalyticsSender
from offline_queue.fleet_link import FleetLink
from offline_queue.outbox import Outbox, OutboxError
from offline_queue.sync import SyncWorker, make_backend_client
from peripherals.card import CardReader
from peripherals.card.simulator import SimulatedCardReader
from peripherals.printer import Printer
from peripherals.printer.simulator import SimulatedPrinter

if TYPE_CHECKING:
    from kiosk.video_counter import VideoCounter

log = logging.getLogger(__name__)
REQUEST_DEADLINE_TIMEOUTS = 3


class StartupError(Exception):
    """The kiosk cannot start as configured; the message says what to fix."""


@dataclass
class KioskServices:
    """The kiosk's parts, wired together."""

    settings: KioskSettings
    strings: Strings
    journey: Journey
    inactivity: InactivityWatch
    card_reader: CardReader
    printer: Printer
    outbox: Outbox
    client: httpx.AsyncClient
    sync_worker: SyncWorker
    desk: SubmissionDesk
    events: ServiceEventLog
    document_camera: DocumentCameraSlot
    maintenance: Maintenance
    technician_gate: TechnicianGate
    call_desk: CallDesk = field(default_factory=CallDesk)
    # None when the kiosk has no video counter configured: "talk to a person" then
    # says where the nearest desk and phone line are.
    video: VideoCounter | None = None
    call_engine: CallEngine | None = None
    # Sends the service events (codes only) to the back end's figures.
    analytics: AnalyticsSender | None = None
    fleet: FleetLink | None = None

    async def run_background(self) -> None:
        """The kiosk's background work: sync, figures, and the hub link when there is video."""
        work = [self.sync_worker.run()]
        if self.analytics is not None:
            work.append(self.analytics.run())
        if self.fleet is not None:
            work.append(self.fleet.run())
        if self.video is not None:
            work.append(self.video.run())
        await asyncio.gather(*work)

    async def aclose(self) -> None:
        """Release devices, network and the outbox, in reverse order of need."""
        if self.video is not None:
            await self.video.aclose()
        await self.card_reader.close()
        await self.printer.close()
        await self.document_camera.close()
        await self.client.aclose()
        self.outbox.close()
        self.events.close()
        self.maintenance.close()


def build_card_reader(settings: KioskSettings, loop: asyncio.AbstractEventLoop) -> CardReader:
    """The card reader the configuration names; its events are delivered on ``loop``."""
    match settings.devices.card_reader:
        case "simulated":
            return SimulatedCardReader(read_delay_s=0.4)
        case "pcsc":
            # Imported only when chosen: pyscard needs pcsc-lite, and start-up stays lean.
            from peripherals.card.pcsc import PcscCardReader

            return PcscCardReader(settings.devices.card_reader_name, loop=loop)


def build_printer(settings: KioskSettings) -> Printer:
    """The printer the configuration names.

    The real adapters are imported only when chosen: pycups and python-escpos
    stay off the start-up path and out of a demo machine's requirements.
    """
    devices = settings.devices
    match devices.printer:
        case "simulated":
            return SimulatedPrinter(
                devices.printer_spool_dir,
                paper_left=devices.printer_paper_sheets,
                timeout_s=devices.printer_timeout_s,
            )
        case "cups":
            from peripherals.printer.cups import CupsPrinter

            assert devices.printer_cups_queue is not None  # checked by the settings
            return CupsPrinter(
                devices.printer_cups_queue,
                server=devices.printer_cups_server,
                pdf_dir=devices.printer_cups_pdf_dir,
                timeout_s=devices.printer_timeout_s,
            )
        case "escpos":
            from peripherals.printer.escpos import EscposPrinter

            assert devices.printer_escpos_host is not None  # checked by the settings
            try:
                return EscposPrinter(
                    devices.printer_escpos_host,
                    devices.printer_escpos_port,
                    profile=devices.printer_escpos_profile,
                    timeout_s=devices.printer_timeout_s,
                )
            except ValueError as err:
                raise StartupError(f"devices.printer_escpos_profile: {err}") from err


def read_token(settings: KioskSettings) -> str:
    """The kiosk's back-end credential, kept in a file outside the configuration."""
    path = settings.backend.token_file
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise StartupError(
            f"backend.token_file: cannot read the kiosk credential at {path} ({err.strerror}); "
            "provision it with `kiosk-backend add-kiosk`"
        ) from err
    if not token:
        raise StartupError(f"backend.token_file: {path} is empty")
    return token


def open_outbox(settings: KioskSettings) -> Outbox:
    """The outbox in the data folder; a corrupt one is set aside with an alarm, not fatal."""
    data_dir = settings.kiosk.data_dir
    max_mb = settings.outbox.max_size_mb
    try:
        outbox = Outbox.open(
            data_dir / "outbox.db",
            key_file=settings.outbox.key_file or data_dir / "outbox.key",
            max_size_bytes=int(max_mb * 1_000_000) if max_mb is not None else None,
        )
    except OutboxError as err:
        raise StartupError(f"outbox: {err}") from err
    for alarm in outbox.health().alarms:
        log.critical("outbox alarm: %s", alarm)
    return outbox


def open_service_events(settings: KioskSettings) -> ServiceEventLog:
    """The service event log, with the deployment's file hash key when one is configured."""
    key_file = settings.analytics.file_hash_key_file
    try:
        key = read_file_hash_key(key_file) if key_file is not None else None
    except ValueError as err:
        raise StartupError(f"analytics.file_hash_key_file: {err}") from err
    return ServiceEventLog(settings.kiosk.data_dir / "service_events.db", file_hash_key=key)


def build_services(settings: KioskSettings, loop: asyncio.AbstractEventLoop) -> KioskServices:
    """Wire the kiosk from its settings; raises StartupError or CatalogueError."""
    limit_malloc_arenas()  # before the worker threads that would each get an arena
    strings = load_strings()
    catalogue = load_catalogue(settings.kiosk.catalogue)
    token = read_token(settings)
    events = open_service_events(settings)
    journey = Journey(catalogue, default_language=settings.kiosk.default_language)
    outbox = open_outbox(settings)
    client = make_backend_client(
        str(settings.backend.url).rstrip("/"),
        token,
        timeout_s=settings.backend.timeout_s,
        ssl_context=settings.backend.ssl_context(),
    )
    worker = SyncWorker(
        outbox,
        client,
        interval_s=settings.backend.sync_interval_s,
        # httpx's timeout bounds each read; this bounds a whole request that trickles.
        request_deadline_s=REQUEST_DEADLINE_TIMEOUTS * settings.backend.timeout_s,
        retention=timedelta(days=settings.outbox.retention_days),
    )
    printer = build_printer(settings)
    desk = SubmissionDesk(
        outbox,
        printer,
        catalogue,
        strings,
        tracking_url=settings.receipt.tracking_url,
        on_saved=worker.poke,
    )
    call_desk = CallDesk()
    camera = DocumentCameraSlot(settings.devices)
    card_reader = build_card_reader(settings, loop)
    maintenance, gate = build_maintenance(
        settings, KioskDevices(card_reader, printer, camera), outbox, worker, client
    )
    video = None
    if settings.video.enabled:
        # Imported only when configured: aiortc and PyAV weigh about 70 MB.
        from kiosk.video_counter import build_video_counter

        video = build_video_counter(
            settings,
            desk=call_desk,
            journey=journey,
            strings=strings,
            printer=printer,
            camera=camera.get(),
            token=token,
        )
    return KioskServices(
        analytics=AnalyticsSender(
            events,
            client,
            interval_s=settings.analytics.send_interval_s,
            request_deadline_s=REQUEST_DEADLINE_TIMEOUTS * settings.backend.timeout_s,
        ),
        call_desk=call_desk,
        video=video,
        call_engine=video.engine if video is not None else None,
        settings=settings,
        strings=strings,
        journey=journey,
        inactivity=InactivityWatch(
            settings.kiosk.inactivity_timeout_s, settings.kiosk.inactivity_countdown_s
        ),
        card_reader=card_reader,
        printer=printer,
        outbox=outbox,
        client=client,
        sync_worker=worker,
        desk=desk,
        document_camera=camera,
        events=events,
        maintenance=maintenance,
        technician_gate=gate,
        fleet=fleet_link(settings, client, maintenance),
    )


def fleet_link(
    settings: KioskSettings, client: httpx.AsyncClient, maintenance: Maintenance
) -> FleetLink:
    """Heartbeats to the fleet view, and the technicians' commands back."""
    commands = FleetCommands(maintenance)
    return FleetLink(
        client,
        commands.heartbeat,
        commands.run,
        interval_s=settings.backend.heartbeat_interval_s,
    )


def build_maintenance(
    settings: KioskSettings,
    devices: KioskDevices,
    outbox: Outbox,
    worker: SyncWorker,
    client: httpx.AsyncClient,
) -> tuple[Maintenance, TechnicianGate]:
    """The technician's service and the gate to it, on their database next to the outbox."""
    data_dir = settings.kiosk.data_dir
    db = open_store(data_dir / "maintenance.db")
    audit = AuditLog(db)
    gate = TechnicianGate(
        settings.maintenance.pin_hash,
        settings.maintenance.technician_cards,
        Lockout(db),
        audit,
    )
    maintenance = Maintenance(
        kiosk_id=settings.kiosk.id,
        db=db,
        audit=audit,
        devices=devices,
        outbox=outbox,
        sync_worker=worker,
        probe=lambda: probe_backend(client),
        data_dir=data_dir,
        log_file=log_file_path(data_dir),
    )
    return maintenance, gate
