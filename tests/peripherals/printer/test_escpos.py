"""The ESC/POS adapter against a fake network receipt printer with failure knobs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from kiosk.receipt.ticket import render_receipt_escpos
from peripherals import HealthState
from peripherals.printer import (
    CoverOpenError,
    PaperJamError,
    PaperOutError,
    Printer,
    PrinterOfflineError,
    PrintRejectedError,
    PrintTimeoutError,
)
from peripherals.printer.escpos import EscposPrinter
from tests.peripherals.printer.conftest import (
    RECEIPT,
    REFERENCE,
    receipt_labels,
    receipt_pdf,
)
from tests.peripherals.printer.fake_escpos import FakeEscposPrinter

GS_V_0 = b"\x1dv0"  # raster image


def ticket() -> bytes:
    return render_receipt_escpos(RECEIPT, receipt_labels())


def printer_for(fake: FakeEscposPrinter, **options: Any) -> EscposPrinter:
    options.setdefault("timeout_s", 5.0)
    options.setdefault("status_timeout_s", 0.3)
    return EscposPrinter("127.0.0.1", fake.port, **options)


async def until(condition: Callable[[], bool], timeout_s: float = 2.0) -> None:
    """Wait for the fake to catch up with what the adapter (in its thread) sent."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the fake printer did not get there"
        await asyncio.sleep(0.01)


async def test_a_text_receipt_prints_with_its_accents_and_qr(
    fake_escpos: FakeEscposPrinter,
) -> None:
    printer = printer_for(fake_escpos)
    job = await printer.print_escpos(ticket(), title=f"receipt {REFERENCE}")
    assert job.job_id == "escpos-0001"
    printed = bytes(fake_escpos.printed)
    assert "Numéro de référence".encode("cp858") in printed
    assert "Services Québec".encode("cp858") in printed
    assert REFERENCE.encode() in printed
    assert RECEIPT.tracking_url.encode() in printed  # inside the printer's own QR command
    assert printed.endswith(b"\x1dV\x00")  # and cut
    # Real-time status first, then the end-of-job marker answered after printing.
    assert fake_escpos.status_queries[:4] == [1, 2, 3, 4]
    assert printer.health().state is HealthState.OK


async def test_a_pdf_is_rasterised_to_the_head_width(fake_escpos: FakeEscposPrinter) -> None:
    printer = printer_for(fake_escpos)
    port: Printer = printer  # checked by mypy through the Protocol
    job = await port.print_pdf(receipt_pdf(), title="receipt")
    assert job.pages == 1
    printed = bytes(fake_escpos.printed)
    start = printed.index(GS_V_0)
    width_bytes = printed[start + 4] | printed[start + 5] << 8
    assert width_bytes * 8 <= 576  # 72 mm at 203 dpi
    assert width_bytes * 8 >= 560  # cropped to the head, not shrunk


async def test_a_page_document_is_shrunk_to_the_roll(fake_escpos: FakeEscposPrinter) -> None:
    await printer_for(fake_escpos).print_pdf(receipt_pdf("a4"), title="page")
    printed = bytes(fake_escpos.printed)
    start = printed.index(GS_V_0)
    assert (printed[start + 4] | printed[start + 5] << 8) * 8 <= 576


async def test_paper_out_refuses_the_job_before_sending_it(
    fake_escpos: FakeEscposPrinter,
) -> None:
    fake_escpos.paper_out = True
    printer = printer_for(fake_escpos)
    with pytest.raises(PaperOutError) as caught:
        await printer.print_escpos(ticket(), title="receipt")
    assert caught.value.code == "printer.paper_out"
    assert (printer.health().state, printer.health().code) == (
        HealthState.FAULT,
        "printer.paper_out",
    )
    fake_escpos.fix()
    assert fake_escpos.printed == bytearray()


async def test_paper_running_out_mid_job_is_caught_fast_and_never_prints_late(
    fake_escpos: FakeEscposPrinter,
) -> None:
    fake_escpos.paper_for_bytes = 100
    printer = printer_for(fake_escpos, timeout_s=10.0)
    started = time.monotonic()
    with pytest.raises(PaperOutError):
        await printer.print_escpos(ticket(), title="receipt")
    assert time.monotonic() - started < 2.0  # found by probing, not by the 10 s timeout
    await until(lambda: fake_escpos.clears == 1)
    fake_escpos.fix()  # paper loaded: the rest of that receipt must not come out
    assert len(fake_escpos.printed) == 100


@pytest.mark.parametrize(
    ("knob", "error", "code"),
    [
        ("cover_open", CoverOpenError, "printer.cover_open"),
        ("cutter_error", PaperJamError, "printer.jam"),
    ],
)
async def test_stopped_printers_say_why(
    fake_escpos: FakeEscposPrinter, knob: str, error: type[Exception], code: str
) -> None:
    setattr(fake_escpos, knob, True)
    with pytest.raises(error) as caught:
        await printer_for(fake_escpos).print_escpos(ticket(), title="receipt")
    assert getattr(caught.value, "code", None) == code


async def test_a_printer_that_does_not_answer_is_offline(fake_escpos: FakeEscposPrinter) -> None:
    # python-escpos' own paper_status() would call this one "plenty of paper".
    fake_escpos.silent = True
    printer = printer_for(fake_escpos)
    started = time.monotonic()
    with pytest.raises(PrinterOfflineError, match="no answer"):
        await printer.print_escpos(ticket(), title="receipt")
    assert time.monotonic() - started < 1.5
    assert fake_escpos.printed == bytearray()


async def test_a_printer_that_goes_silent_mid_job_is_offline(
    fake_escpos: FakeEscposPrinter,
) -> None:
    fake_escpos.answers_left = 4  # the checks before the job, then nothing
    printer = printer_for(fake_escpos, timeout_s=10.0)
    started = time.monotonic()
    with pytest.raises(PrinterOfflineError, match="stopped answering"):
        await printer.print_escpos(ticket(), title="receipt")
    assert time.monotonic() - started < 2.0


async def test_a_job_that_never_ends_times_out_and_is_cleared(
    fake_escpos: FakeEscposPrinter,
) -> None:
    fake_escpos.busy = True  # stuck, yet every status says all is well
    printer = printer_for(fake_escpos, timeout_s=0.6)
    with pytest.raises(PrintTimeoutError):
        await printer.print_escpos(ticket(), title="receipt")
    await until(lambda: fake_escpos.clears == 1)
    fake_escpos.fix()
    assert fake_escpos.printed == bytearray()


async def test_no_printer_on_the_port_is_offline(fake_escpos: FakeEscposPrinter) -> None:
    printer = printer_for(fake_escpos)
    await fake_escpos.stop()
    with pytest.raises(PrinterOfflineError, match="no connection"):
        await printer.print_escpos(ticket(), title="receipt")
    assert (await printer.refresh_health()).code == "printer.offline"


async def test_low_paper_prints_but_is_degraded(fake_escpos: FakeEscposPrinter) -> None:
    fake_escpos.paper_low = True
    printer = printer_for(fake_escpos)
    await printer.print_escpos(ticket(), title="receipt")
    health = printer.health()
    assert (health.state, health.code, health.usable) == (
        HealthState.DEGRADED,
        "printer.paper_low",
        True,
    )


async def test_refresh_health_asks_the_printer(fake_escpos: FakeEscposPrinter) -> None:
    printer = printer_for(fake_escpos)
    assert (await printer.refresh_health()).state is HealthState.OK
    fake_escpos.paper_out = True
    assert (await printer.refresh_health()).code == "printer.paper_out"
    assert fake_escpos.printed == bytearray()


async def test_self_test_prints_the_test_page(fake_escpos: FakeEscposPrinter) -> None:
    result = await printer_for(fake_escpos).self_test()
    assert (result.passed, result.code) == (True, "selftest.ok")
    assert result.artifact is not None
    assert result.artifact.startswith(b"%PDF-")
    assert GS_V_0 in fake_escpos.printed


async def test_self_test_reports_a_fault(fake_escpos: FakeEscposPrinter) -> None:
    fake_escpos.cover_open = True
    result = await printer_for(fake_escpos).self_test()
    assert (result.passed, result.code) == (False, "printer.cover_open")


async def test_empty_or_broken_documents_are_rejected(fake_escpos: FakeEscposPrinter) -> None:
    printer = printer_for(fake_escpos)
    with pytest.raises(PrintRejectedError):
        await printer.print_escpos(b"", title="t")
    with pytest.raises(PrintRejectedError):
        await printer.print_pdf(b"%PDF-1.4 not really", title="t")
    assert fake_escpos.connections == 0


async def test_a_closed_printer_is_absent(fake_escpos: FakeEscposPrinter) -> None:
    printer = printer_for(fake_escpos)
    await printer.close()
    assert printer.health().state is HealthState.ABSENT
    with pytest.raises(PrinterOfflineError):
        await printer.print_escpos(ticket(), title="t")


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="profile"):
        EscposPrinter("127.0.0.1", profile="no-such-printer")
