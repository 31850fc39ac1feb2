"""The technician's operations on a kiosk built as it ships, with simulated devices."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from kiosk.catalogue import load_catalogue
from kiosk.config import DEFAULT_CATALOGUE, KioskSettings, load_settings
from kiosk.i18n import load_strings
from kiosk.maintenance.audit import AuditAction
from kiosk.maintenance.diagnostics import DiagnosticsSnapshot
from kiosk.maintenance.logs import install_log_file, log_file_path, tail_lines
from kiosk.maintenance.notice import out_of_service_notice
from kiosk.maintenance.presenter import format_bytes, format_duration, sync_lines
from kiosk.maintenance.reachability import probe_backend
from kiosk.services import KioskServices, build_services
from offline_queue.status import CREDENTIAL_REFUSED, TLS_PIN_MISMATCH
from peripherals.card.simulator import SimulatedCardReader
from peripherals.health import HealthState
from peripherals.printer.simulator import SimulatedPrinter
from tests.fixtures import make_record

TECH = "technician-pin"


def settings_for(root: Path, **environ: str) -> KioskSettings:
    token = root / "kiosk.token"
    root.mkdir(parents=True, exist_ok=True)
    token.write_text("test-token", encoding="utf-8")
    env = {
        "VG_KIOSK__KIOSK__DATA_DIR": str(root / "data"),
        "VG_KIOSK__BACKEND__URL": "http://127.0.0.1:9",
        "VG_KIOSK__BACKEND__TOKEN_FILE": str(token),
        "VG_KIOSK__DEVICES__PRINTER_SPOOL_DIR": str(root / "printed"),
    } | environ
    return load_settings(None, environ=env)


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[KioskServices]:
    built = build_services(settings_for(tmp_path), asyncio.get_running_loop())
    yield built
    await built.aclose()


def answering(status: int) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/healthz"
        return httpx.Response(status, json={"status": "ok"})

    return httpx.AsyncClient(base_url="http://backend", transport=httpx.MockTransport(handler))


async def test_the_snapshot_shows_devices_outbox_and_system(services: KioskServices) -> None:
    services.outbox.enqueue(session_id="s1", record=make_record())
    refused = services.outbox.enqueue(session_id="s2", record=make_record())
    services.outbox.claim_batch(10, 10_000_000)
    services.outbox.mark_rejected(refused.idempotency_key, "unknown service (HTTP 422)")
    services.outbox.release_in_flight()
    printer = services.printer
    assert isinstance(printer, SimulatedPrinter)
    printer.set_offline(True)
    snapshot = await services.maintenance.snapshot(probe_backend=False)
    states = {d.device: (d.state, d.code) for d in snapshot.devices}
    assert states["printer"] == (HealthState.FAULT, "printer.offline")
    assert states["card_reader"] == (HealthState.OK, "device.ok")
    assert snapshot.outbox.backlog == 1
    assert snapshot.outbox.oldest_pending_age_s is not None
    assert snapshot.outbox.dead_letter_count == 1
    [letter] = snapshot.outbox.dead_letters
    assert letter.reason == "unknown service (HTTP 422)"
    assert snapshot.backend is None
    assert snapshot.disk.free_bytes > 0
    assert snapshot.versions.python.count(".") == 2
    assert snapshot.uptime_s >= 0
    assert snapshot.out_of_service is False
    # The heartbeat will post it as JSON: it must come back the same.
    wire = snapshot.model_dump_json()
    assert DiagnosticsSnapshot.model_validate_json(wire) == snapshot
    assert "Paul Bert" not in wire
    assert "A-1234" not in wire


async def test_an_unreachable_back_end_is_reported_with_the_reason(
    services: KioskServices,
) -> None:
    snapshot = await services.maintenance.snapshot()  # port 9 on loopback: nobody answers
    assert snapshot.backend is not None
    assert not snapshot.backend.reachable
    assert "no connection" in (snapshot.backend.error or "")


async def test_the_back_end_probe_times_a_healthz_request() -> None:
    async with answering(200) as client:
        reach = await probe_backend(client)
    assert reach.reachable
    assert reach.rtt_ms is not None
    assert reach.rtt_ms >= 0
    async with answering(503) as client:
        down = await probe_backend(client)
    assert (down.reachable, down.status_code, down.error) == (False, 503, "answered HTTP 503")


async def test_the_printer_self_test_prints_a_page_and_paper_out_says_so(
    services: KioskServices,
) -> None:
    printer = services.printer
    assert isinstance(printer, SimulatedPrinter)
    passed = await services.maintenance.self_test("printer", TECH)
    assert passed.passed
    assert [job.title for job in printer.jobs] == ["self-test"]
    printer.refill(0)
    failed = await services.maintenance.self_test("printer", TECH)
    assert (failed.passed, failed.code) == (False, "printer.paper_out")
    audit = [(e.action, e.outcome, e.detail) for e in services.maintenance.audit.entries()]
    assert audit == [
        (AuditAction.SELF_TEST, "passed", "printer: selftest.ok"),
        (AuditAction.SELF_TEST, "failed", "printer: printer.paper_out"),
    ]


async def test_the_card_self_test_needs_a_card(services: KioskServices) -> None:
    reader = services.card_reader
    assert isinstance(reader, SimulatedCardReader)
    assert (await services.maintenance.self_test("card_reader", TECH)).code == "card.absent"
    reader.insert()
    assert (await services.maintenance.self_test("card_reader", TECH)).passed


async def test_the_camera_self_test_returns_a_frame(services: KioskServices) -> None:
    result = await services.maintenance.self_test("document_camera", TECH)
    assert result.passed
    assert result.artifact is not None
    assert result.artifact[:2] == b"\xff\xd8"


async def test_out_of_service_survives_a_restart(tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()
    settings = settings_for(tmp_path)
    first = build_services(settings, loop)
    heard: list[bool] = []
    first.maintenance.add_service_listener(heard.append)
    first.maintenance.set_out_of_service(True, TECH)
    await first.aclose()
    second = build_services(settings, loop)
    try:
        assert second.maintenance.out_of_service
        second.maintenance.set_out_of_service(False, TECH)
        assert not second.maintenance.out_of_service
        actions = [e.action for e in second.maintenance.audit.entries()]
    finally:
        await second.aclose()
    assert heard == [True]
    assert actions == [AuditAction.OUT_OF_SERVICE, AuditAction.BACK_IN_SERVICE]


async def test_sync_now_wakes_the_worker_and_is_audited(services: KioskServices) -> None:
    services.maintenance.sync_now(TECH)
    assert services.sync_worker._poked.is_set()  # the worker's own wake-up event
    assert services.maintenance.audit.entries()[-1].action is AuditAction.SYNC_NOW


async def test_a_restart_is_asked_of_the_runtime_and_audited(services: KioskServices) -> None:
    assert not services.maintenance.request_restart(TECH)  # nothing to restart yet
    asked: list[str] = []
    services.maintenance.on_restart(lambda: asked.append("restart"))
    assert services.maintenance.request_restart(TECH)
    assert asked == ["restart"]
    outcomes = [e.outcome for e in services.maintenance.audit.entries()]
    assert outcomes == ["unavailable", "requested"]


def test_the_log_file_rotates_and_its_tail_is_read_back(tmp_path: Path) -> None:
    path = log_file_path(tmp_path)
    handler = install_log_file(path)
    try:
        for n in range(50):
            logging.getLogger("kiosk.test").warning("line %d", n)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    lines = tail_lines(path, 3)
    assert [line.rsplit(" ", 1)[-1] for line in lines] == ["47", "48", "49"]
    assert tail_lines(tmp_path / "none.log", 3) == []


def test_the_out_of_service_notice_says_where_else_to_go_in_both_languages() -> None:
    site = load_catalogue(DEFAULT_CATALOGUE).site
    strings = load_strings()
    fr = out_of_service_notice(site, strings, "fr")
    en = out_of_service_notice(site, strings, "en")
    assert fr["title"] == "Cette borne est hors service"
    assert en["title"] == "This kiosk is out of service"
    assert en["desk"].startswith("At the reception desk")
    assert site.help_phone in fr["phone"]
    assert [p["name"] for p in en["places"]] == [
        "Rivière-Claire City Hall",
        "Lac-Vert Service Point",
    ]
    assert en["online_url"] == "https://services.example.org"


@pytest.mark.parametrize(
    ("seconds", "fr", "en"),
    [
        (42, "42 s", "42 s"),
        (600, "10 min", "10 min"),
        (7500, "2 h 05", "2 h 05"),
        (3e5, "3 j", "3 d"),
    ],
)
def test_durations_read_naturally(seconds: float, fr: str, en: str) -> None:
    assert (format_duration(seconds, "fr"), format_duration(seconds, "en")) == (fr, en)


def test_sizes_use_each_language_s_units() -> None:
    assert (format_bytes(12_500_000_000, "fr"), format_bytes(12_500_000_000, "en")) == (
        "12,5 Go",
        "12.5 GB",
    )


async def test_sync_lines_say_when_the_last_sync_was(services: KioskServices) -> None:
    snapshot = await services.maintenance.snapshot(probe_backend=False)
    lines = sync_lines(snapshot, load_strings(), "en", datetime.now(UTC) + timedelta(minutes=5))
    assert lines[0] == "Waiting to be sent: 0"
    assert "Last successful sync: never" in lines


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (CREDENTIAL_REFUSED, "maint.credential_revoked"),
        (TLS_PIN_MISMATCH, "maint.tls_pin_mismatch"),
    ],
)
async def test_a_security_refusal_is_named_in_both_languages(
    services: KioskServices, error: str, key: str
) -> None:
    snapshot = await services.maintenance.snapshot(probe_backend=False)
    refused = snapshot.model_copy(
        update={"outbox": snapshot.outbox.model_copy(update={"last_error": error})}
    )
    strings = load_strings()
    for language in ("fr", "en"):
        lines = sync_lines(refused, strings, language, datetime.now(UTC))
        assert strings.text(key, language) in lines
    fine = sync_lines(snapshot, strings, "en", datetime.now(UTC))
    assert strings.text(key, "en") not in fine
