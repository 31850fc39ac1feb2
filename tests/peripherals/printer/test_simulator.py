"""The simulated printer spools real files and fails like a kiosk printer does."""

from __future__ import annotations

import asyncio
from io import BytesIO
from pathlib import Path

import pytest
from reportlab.pdfgen.canvas import Canvas

from peripherals import HealthState
from peripherals.printer import (
    PaperOutError,
    Printer,
    PrinterOfflineError,
    PrintRejectedError,
    PrintTimeoutError,
    SimulatedPrinter,
)
from peripherals.printer.simulator import JOB_HISTORY


def make_pdf(pages: int = 1) -> bytes:
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(200, 200), invariant=True)
    for number in range(pages):
        canvas.drawString(20, 100, f"page {number + 1}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def spooled(spool: Path) -> list[str]:
    """The names of the files in the spool folder, temporary ones included."""
    return sorted(path.name for path in spool.iterdir()) if spool.exists() else []


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
def spool_after_41_jobs(spool: Path) -> Path:
    spool.mkdir()
    (spool / "job_0041.pdf").write_bytes(make_pdf())
    return spool


def test_the_simulator_is_a_printer(spool: Path) -> None:
    port: Printer = SimulatedPrinter(spool)  # checked by mypy through the Protocol
    assert port.health().state is HealthState.OK


async def test_a_job_lands_whole_in_the_spool_folder(spool: Path) -> None:
    printer = SimulatedPrinter(spool)
    pdf = make_pdf(pages=2)
    job = await printer.print_pdf(pdf, title="receipt VG-7K3M-9QXT")
    assert (job.job_id, job.title, job.pages) == ("job_0001", "receipt VG-7K3M-9QXT", 2)
    assert job.submitted_at.tzinfo is not None
    assert (spool / "job_0001.pdf").read_bytes() == pdf
    assert printer.job_path(job.job_id) == spool / "job_0001.pdf"
    assert printer.jobs == [job]
    assert spooled(spool) == ["job_0001.pdf"]  # no temporary file left behind


async def test_the_job_history_keeps_the_last_jobs_and_the_spool_all(spool: Path) -> None:
    printer = SimulatedPrinter(spool)
    pdf = make_pdf()
    for _ in range(JOB_HISTORY + 3):
        await printer.print_pdf(pdf, title="receipt")
    assert len(printer.jobs) == JOB_HISTORY
    assert printer.jobs[0].job_id == "job_0004"
    assert printer.jobs[-1].job_id == f"job_{JOB_HISTORY + 3:04d}"
    assert len(spooled(spool)) == JOB_HISTORY + 3


async def test_numbering_continues_after_earlier_jobs(spool_after_41_jobs: Path) -> None:
    job = await SimulatedPrinter(spool_after_41_jobs).print_pdf(make_pdf(), title="t")
    assert job.job_id == "job_0042"


async def test_concurrent_jobs_never_share_a_file(spool: Path) -> None:
    printer = SimulatedPrinter(spool, delay_s=0.01)
    documents = [make_pdf(pages=n) for n in range(1, 6)]
    jobs = await asyncio.gather(*(printer.print_pdf(d, title="t") for d in documents))
    assert len({job.job_id for job in jobs}) == 5
    for job, document in zip(jobs, documents, strict=True):
        assert printer.job_path(job.job_id).read_bytes() == document


@pytest.mark.parametrize(
    "document",
    [b"", b"hello", b"<html></html>", make_pdf()[:-200]],
    ids=["empty", "text", "html", "truncated"],
)
async def test_anything_but_a_whole_pdf_is_rejected(spool: Path, document: bytes) -> None:
    printer = SimulatedPrinter(spool)
    with pytest.raises(PrintRejectedError) as caught:
        await printer.print_pdf(document, title="t")
    assert caught.value.code == "printer.rejected"
    assert printer.jobs == []
    assert spooled(spool) == []


async def test_offline_printer_fails_jobs_until_back_online(spool: Path) -> None:
    printer = SimulatedPrinter(spool, offline=True, paper_left=10)
    health = printer.health()
    assert (health.state, health.code) == (HealthState.FAULT, "printer.offline")
    with pytest.raises(PrinterOfflineError) as caught:
        await printer.print_pdf(make_pdf(), title="t")
    assert caught.value.code == "printer.offline"
    assert printer.paper_left == 10

    printer.set_offline(False)
    await printer.print_pdf(make_pdf(), title="t")
    assert printer.health().state is HealthState.OK


async def test_each_page_takes_a_sheet_and_the_last_one_is_a_fault(spool: Path) -> None:
    printer = SimulatedPrinter(spool, paper_left=3)
    await printer.print_pdf(make_pdf(pages=3), title="t")
    assert printer.paper_left == 0
    health = printer.health()
    assert (health.state, health.code) == (HealthState.FAULT, "printer.paper_out")
    with pytest.raises(PaperOutError) as caught:
        await printer.print_pdf(make_pdf(), title="t")
    assert caught.value.code == "printer.paper_out"


async def test_a_job_longer_than_the_paper_left_prints_nothing(spool: Path) -> None:
    printer = SimulatedPrinter(spool, paper_left=1)
    with pytest.raises(PaperOutError):
        await printer.print_pdf(make_pdf(pages=2), title="t")
    assert printer.paper_left == 1
    assert printer.jobs == []


async def test_low_paper_is_degraded_until_refilled(spool: Path) -> None:
    printer = SimulatedPrinter(spool, paper_left=6)
    assert printer.health().state is HealthState.OK
    await printer.print_pdf(make_pdf(), title="t")
    health = printer.health()
    assert (health.state, health.code) == (HealthState.DEGRADED, "printer.paper_low")
    assert health.usable
    printer.refill(200)
    assert printer.paper_left == 200
    assert printer.health().state is HealthState.OK


def test_paper_cannot_be_negative(spool: Path) -> None:
    with pytest.raises(ValueError, match="negative"):
        SimulatedPrinter(spool, paper_left=-1)


async def test_a_stuck_printer_times_out_and_keeps_its_paper(spool: Path) -> None:
    printer = SimulatedPrinter(spool, paper_left=10, delay_s=5.0, timeout_s=0.01)
    with pytest.raises(PrintTimeoutError) as caught:
        await printer.print_pdf(make_pdf(), title="t")
    assert caught.value.code == "printer.timeout"
    assert printer.paper_left == 10
    assert printer.jobs == []


async def test_going_offline_mid_job_loses_the_job(spool: Path) -> None:
    printer = SimulatedPrinter(spool, paper_left=10, delay_s=0.05)
    job = asyncio.create_task(printer.print_pdf(make_pdf(), title="t"))
    await asyncio.sleep(0)
    printer.set_offline(True)
    with pytest.raises(PrinterOfflineError):
        await job
    assert printer.paper_left == 10
    assert spooled(spool) == []


async def test_failure_knob_fails_the_next_job_only(spool: Path) -> None:
    printer = SimulatedPrinter(spool)
    printer.fail_next_job(PrinterOfflineError("cable"))
    with pytest.raises(PrinterOfflineError):
        await printer.print_pdf(make_pdf(), title="t")
    job = await printer.print_pdf(make_pdf(), title="t")
    assert job.job_id == "job_0001"


async def test_a_closed_printer_is_absent(spool: Path) -> None:
    printer = SimulatedPrinter(spool)
    await printer.close()
    assert printer.health().state is HealthState.ABSENT
    with pytest.raises(PrinterOfflineError):
        await printer.print_pdf(make_pdf(), title="t")


async def test_an_unwritable_spool_is_reported_as_offline(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the spool folder should be")
    printer = SimulatedPrinter(blocker / "spool", paper_left=5)
    with pytest.raises(PrinterOfflineError):
        await printer.print_pdf(make_pdf(), title="t")
    assert printer.paper_left == 5


async def test_self_test_spools_a_test_page(spool: Path) -> None:
    printer = SimulatedPrinter(spool, paper_left=3)
    result = await printer.self_test()
    assert (result.passed, result.code) == (True, "selftest.ok")
    assert result.artifact == (spool / "job_0001.pdf").read_bytes()
    assert printer.paper_left == 2


async def test_self_test_without_paper_fails_with_the_reason(spool: Path) -> None:
    result = await SimulatedPrinter(spool, paper_left=0).self_test()
    assert (result.passed, result.code) == (False, "printer.paper_out")
    assert result.artifact is not None  # the page that could not be printed
