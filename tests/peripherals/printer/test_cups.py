"""The CUPS adapter against a real cupsd: jobs followed to the paper, faults told apart."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import cups
import pytest
from pypdf import PdfReader

from kiosk.receipt import Paper
from peripherals import HealthState
from peripherals.printer import (
    CoverOpenError,
    PaperJamError,
    PaperOutError,
    Printer,
    PrinterError,
    PrinterOfflineError,
    PrintRejectedError,
    PrintTimeoutError,
)
from peripherals.printer.cups import CupsPrinter
from tests.fixtures.cups import CupsStack
from tests.peripherals.printer.conftest import REFERENCE, pdf_text, receipt_pdf
from tests.peripherals.printer.fake_escpos import FakeEscposPrinter

MM_PT = 72 / 25.4


def printer_on(stack: CupsStack, queue: str, **options: Any) -> CupsPrinter:
    return CupsPrinter(queue, server=stack.sandbox.server, **options)


def job_state(stack: CupsStack, job_id: str) -> int:
    """What CUPS says about a job now (``job_id`` as in ``PrintJob``: "queue-N")."""
    cups.setServer(stack.sandbox.server)
    attributes = cups.Connection().getJobAttributes(int(job_id.rsplit("-", 1)[1]))
    return int(attributes["job-state"])


def last_job_state(stack: CupsStack, queue: str) -> int:
    cups.setServer(stack.sandbox.server)
    jobs = cups.Connection().getJobs(
        which_jobs="all", requested_attributes=["job-id", "job-printer-uri"]
    )
    mine = [job_id for job_id, a in jobs.items() if a["job-printer-uri"].endswith(f"/{queue}")]
    return job_state(stack, f"{queue}-{max(mine)}")


async def test_a_receipt_comes_out_of_cups_pdf_with_its_reference(cups_stack: CupsStack) -> None:
    printer = CupsPrinter(
        cups_stack.pdf_queue, server=cups_stack.sandbox.server, pdf_dir=cups_stack.sandbox.pdf_dir
    )
    port: Printer = printer  # checked by mypy through the Protocol
    job = await port.print_pdf(receipt_pdf(), title=f"receipt {REFERENCE}")
    output = printer.output_path(job)
    assert output is not None
    produced = output.read_bytes()
    assert REFERENCE in pdf_text(produced)
    assert job.pages == 1
    # The job asked for the receipt's own paper: 80 mm wide, not cropped to A4.
    box = PdfReader(BytesIO(produced)).pages[0].mediabox
    assert float(box.width) == pytest.approx(80 * MM_PT, abs=1.5)
    assert printer.health().state is HealthState.OK
    await printer.close()


@pytest.mark.parametrize(("paper", "width_mm"), [("a4", 210), ("letter", 215.9)])
async def test_sheet_receipts_print_on_their_sheet(
    cups_stack: CupsStack, paper: Paper, width_mm: float
) -> None:
    printer = CupsPrinter(
        cups_stack.pdf_queue, server=cups_stack.sandbox.server, pdf_dir=cups_stack.sandbox.pdf_dir
    )
    job = await printer.print_pdf(receipt_pdf(paper), title="receipt")
    output = printer.output_path(job)
    assert output is not None
    box = PdfReader(output).pages[0].mediabox
    assert float(box.width) == pytest.approx(width_mm * MM_PT, abs=1.5)
    assert REFERENCE in pdf_text(output.read_bytes())
    await printer.close()


@pytest.mark.parametrize(
    ("reason", "error", "code"),
    [
        ("media-empty-error", PaperOutError, "printer.paper_out"),
        ("media-needed-warning", PaperOutError, "printer.paper_out"),
        ("media-jam-error", PaperJamError, "printer.jam"),
        ("door-open-report", CoverOpenError, "printer.cover_open"),
        ("offline-report", PrinterOfflineError, "printer.offline"),
    ],
)
async def test_a_printer_fault_fails_the_job_and_cancels_it(
    cups_stack: CupsStack,
    fault_queue: Callable[[str], str],
    reason: str,
    error: type[PrinterError],
    code: str,
) -> None:
    queue = fault_queue(reason)
    printer = printer_on(cups_stack, queue, timeout_s=10)
    with pytest.raises(error) as caught:
        await printer.print_pdf(receipt_pdf(), title="receipt")
    assert caught.value.code == code
    health = printer.health()
    assert (health.state, health.code) == (HealthState.FAULT, code)
    # Cancelled: it will not come out once the paper is back, for nobody to take.
    assert last_job_state(cups_stack, queue) == cups.IPP_JOB_CANCELED
    await printer.close()


async def test_a_stuck_job_times_out_and_is_cancelled(
    cups_stack: CupsStack, fault_queue: Callable[[str], str]
) -> None:
    queue = fault_queue("stall")
    printer = printer_on(cups_stack, queue, timeout_s=0.5)
    with pytest.raises(PrintTimeoutError):
        await printer.print_pdf(receipt_pdf(), title="receipt")
    assert last_job_state(cups_stack, queue) == cups.IPP_JOB_CANCELED
    await printer.close()


async def test_a_frozen_scheduler_costs_a_timeout_not_a_hang(cups_stack: CupsStack) -> None:
    printer = printer_on(cups_stack, cups_stack.pdf_queue, timeout_s=0.3, scheduler_margin_s=0.2)
    os.kill(cups_stack.sandbox.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(PrintTimeoutError, match="does not answer"):
            await printer.print_pdf(receipt_pdf(), title="receipt")
        assert time.monotonic() - started < 1.5
        assert printer.health().code == "printer.timeout"
    finally:
        os.kill(cups_stack.sandbox.pid, signal.SIGCONT)
    await printer.close()


async def test_a_printer_that_never_connects_is_offline(
    cups_stack: CupsStack, fault_queue: Callable[[str], str]
) -> None:
    printer = printer_on(
        cups_stack, fault_queue("connecting-to-device"), timeout_s=10, connect_grace_s=0.3
    )
    with pytest.raises(PrinterOfflineError, match="cannot be reached"):
        await printer.print_pdf(receipt_pdf(), title="receipt")
    await printer.close()


async def test_a_disabled_queue_is_refused_before_anything_is_queued(
    cups_stack: CupsStack, cups_queue: Callable[[str], str]
) -> None:
    queue = cups_queue("socket://127.0.0.1:9")
    cups_stack.sandbox.run("cupsdisable", queue)
    printer = printer_on(cups_stack, queue)
    with pytest.raises(PrinterOfflineError):
        await printer.print_pdf(receipt_pdf(), title="receipt")
    assert "paused" in printer.health().detail
    assert cups_stack.sandbox.run("lpstat", "-o", queue).strip() == ""
    await printer.close()


async def test_an_unknown_queue_is_an_error_not_a_silent_drop(cups_stack: CupsStack) -> None:
    printer = printer_on(cups_stack, "no-such-queue")
    with pytest.raises(PrinterOfflineError, match="no CUPS queue"):
        await printer.print_pdf(receipt_pdf(), title="receipt")
    assert (await printer.refresh_health()).state is HealthState.FAULT
    await printer.close()


async def test_completed_without_a_pdf_is_not_trusted(
    cups_stack: CupsStack, tmp_path: Path
) -> None:
    # The queue prints to the sandbox's folder; the adapter watches an empty one.
    printer = CupsPrinter(
        cups_stack.pdf_queue, server=cups_stack.sandbox.server, pdf_dir=tmp_path, output_wait_s=0.2
    )
    with pytest.raises(PrinterOfflineError, match="no PDF came out"):
        await printer.print_pdf(receipt_pdf(), title="receipt")
    await printer.close()


async def test_a_reason_left_by_an_earlier_job_does_not_fail_a_good_one(
    cups_stack: CupsStack, fault_queue: Callable[[str], str]
) -> None:
    queue = fault_queue("media-empty-error")
    printer = printer_on(cups_stack, queue, timeout_s=10)
    with pytest.raises(PaperOutError):
        await printer.print_pdf(receipt_pdf(), title="receipt")
    # Paper loaded: the queue now reaches a working printer, CUPS still shows the old reason.
    cups_stack.sandbox.lpadmin("-p", queue, "-v", cups_stack.sandbox.cups_pdf_uri)
    assert "media-empty" in printer.health().detail
    job = await printer.print_pdf(receipt_pdf(), title="receipt")
    assert job_state(cups_stack, job.job_id) == cups.IPP_JOB_COMPLETED


async def test_anything_but_a_pdf_is_refused_before_cups(cups_stack: CupsStack) -> None:
    printer = printer_on(cups_stack, cups_stack.pdf_queue)
    with pytest.raises(PrintRejectedError):
        await printer.print_pdf(b"hello", title="t")
    await printer.close()


async def test_self_test_returns_the_page_cups_pdf_produced(cups_stack: CupsStack) -> None:
    printer = CupsPrinter(
        cups_stack.pdf_queue, server=cups_stack.sandbox.server, pdf_dir=cups_stack.sandbox.pdf_dir
    )
    result = await printer.self_test()
    assert (result.passed, result.code) == (True, "selftest.ok")
    assert result.artifact is not None
    assert "Page de test / Test page" in pdf_text(result.artifact)
    assert result.duration_ms > 0
    await printer.close()


async def test_self_test_reports_a_fault_without_raising(
    cups_stack: CupsStack, fault_queue: Callable[[str], str]
) -> None:
    printer = printer_on(cups_stack, fault_queue("media-empty-error"))
    result = await printer.self_test()
    assert (result.passed, result.code) == (False, "printer.paper_out")
    await printer.close()


async def test_a_closed_printer_is_absent_and_refuses_jobs(cups_stack: CupsStack) -> None:
    printer = printer_on(cups_stack, cups_stack.pdf_queue)
    await printer.close()
    assert printer.health().state is HealthState.ABSENT
    with pytest.raises(PrinterOfflineError):
        await printer.print_pdf(receipt_pdf(), title="t")


async def test_raw_socket_queue_delivers_to_an_escpos_printer_but_cannot_see_its_paper(
    cups_stack: CupsStack, cups_queue: Callable[[str], str], fake_escpos: FakeEscposPrinter
) -> None:
    """Why ESC/POS printers get their own adapter: CUPS says "completed" regardless."""
    queue = cups_queue(f"socket://127.0.0.1:{fake_escpos.port}")
    printer = printer_on(cups_stack, queue, timeout_s=10)
    document = receipt_pdf()  # raw: the bytes go through untouched, whatever they are
    await printer.print_pdf(document, title="receipt")
    assert bytes(fake_escpos.received) == document
    printed = len(fake_escpos.printed)

    fake_escpos.paper_out = True
    job = await printer.print_pdf(document, title="receipt")  # no error: CUPS cannot know
    assert job_state(cups_stack, job.job_id) == cups.IPP_JOB_COMPLETED
    await asyncio.sleep(0.05)
    assert len(fake_escpos.received) == 2 * len(document)
    assert len(fake_escpos.printed) == printed  # the second one sits in a stopped printer
    await printer.close()
