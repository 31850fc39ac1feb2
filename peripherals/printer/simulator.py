"""A printer in software that "prints" into a spool folder, with failure knobs."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

from peripherals.health import DeviceHealth, SelfTestResult
from peripherals.printer.errors import (
    PaperOutError,
    PrinterError,
    PrinterOfflineError,
    PrintTimeoutError,
)
from peripherals.printer.model import PrintJob
from peripherals.printer.pdf import check_pdf, count_pages
from peripherals.printer.protocol import PRINT_TIMEOUT_S
from peripherals.printer.testpage import run_selftest

PAPER_LOW_SHEETS = 5
PAPER_LOW_CODE = "printer.paper_low"
# The jobs remembered in memory, as a printer's job history: the demo kiosk runs for days.
JOB_HISTORY = 100

_JOB_FILE = re.compile(r"job_(\d+)\.pdf")


class SimulatedPrinter:
    """A :class:`~peripherals.printer.protocol.Printer` writing jobs to ``spool_dir``.

    Each job lands atomically as ``job_0001.pdf``, ``job_0002.pdf``... (numbering
    continues after the files already there). ``paper_left=None`` means endless
    paper; each page takes one sheet. Knobs: :meth:`set_offline`, :meth:`refill`,
    :meth:`fail_next_job`; ``delay_s`` longer than ``timeout_s`` makes jobs time out.
    """

    def __init__(
        self,
        spool_dir: Path,
        *,
        paper_left: int | None = None,
        offline: bool = False,
        delay_s: float = 0.0,
        timeout_s: float = PRINT_TIMEOUT_S,
    ) -> None:
        self._spool_dir = spool_dir
        self._paper_left = _checked_sheets(paper_left)
        self._offline = offline
        self._delay_s = delay_s
        self._timeout_s = timeout_s
        self._jobs: deque[PrintJob] = deque(maxlen=JOB_HISTORY)
        self._failures: deque[PrinterError] = deque()
        self._closed = False
        # One directory listing at construction (composition time, before the UI runs).
        self._next_number = _highest_job_number(spool_dir) + 1

    # -- the port ---------------------------------------------------------

    async def print_pdf(self, pdf: bytes, *, title: str) -> PrintJob:
        """Check, "print" and spool ``pdf``; see the class docstring for the knobs."""
        submitted_at = datetime.now(UTC)
        check_pdf(pdf)
        self._check_online()
        if self._failures:
            raise self._failures.popleft()
        pages = count_pages(pdf)
        sheets = max(pages or 1, 1)
        self._take_paper(sheets)
        # Numbers are taken before any await so that concurrent jobs never share a file.
        job_id = f"job_{self._next_number:04d}"
        self._next_number += 1
        try:
            await self._wait_for_the_printer()
            await asyncio.to_thread(_write_atomically, self.job_path(job_id), pdf)
        except OSError as err:
            self._return_paper(sheets)
            raise PrinterOfflineError(f"spool write failed: {err}") from err
        except BaseException:
            self._return_paper(sheets)
            raise
        job = PrintJob(job_id=job_id, title=title, pages=pages, submitted_at=submitted_at)
        self._jobs.append(job)
        return job

    def health(self) -> DeviceHealth:
        """ABSENT once closed; FAULT offline or out of paper; DEGRADED when paper is low."""
        if self._closed:
            return DeviceHealth.absent(PrinterOfflineError.code, "closed")
        if self._offline:
            return DeviceHealth.fault(PrinterOfflineError.code, "printer offline")
        if self._paper_left == 0:
            return DeviceHealth.fault(PaperOutError.code, "no paper left")
        if self._paper_left is not None and self._paper_left <= PAPER_LOW_SHEETS:
            return DeviceHealth.degraded(PAPER_LOW_CODE, f"{self._paper_left} sheets left")
        return DeviceHealth.ok()

    async def self_test(self) -> SelfTestResult:
        """Spool a test page (it takes a sheet, as on a real printer); artifact: the page."""

        async def print_page(page: bytes) -> bytes:
            job = await self.print_pdf(page, title="self-test")
            return await asyncio.to_thread(self.job_path(job.job_id).read_bytes)

        return await run_selftest("simulated printer", print_page)

    async def close(self) -> None:
        """Refuse further jobs."""
        self._closed = True

    # -- knobs and inspection ---------------------------------------------

    def set_offline(self, offline: bool) -> None:
        """Take the printer offline (jobs fail with printer.offline) or back online."""
        self._offline = offline

    def refill(self, sheets: int | None) -> None:
        """Load paper so that ``sheets`` are left (``None``: endless paper)."""
        self._paper_left = _checked_sheets(sheets)

    def fail_next_job(self, error: PrinterError) -> None:
        """Make the next valid job raise ``error`` before printing (calls queue up)."""
        self._failures.append(error)

    @property
    def paper_left(self) -> int | None:
        """Sheets left, or ``None`` for endless paper."""
        return self._paper_left

    @property
    def jobs(self) -> list[PrintJob]:
        """The last ``JOB_HISTORY`` jobs printed, oldest first (a copy); the spool keeps all."""
        return list(self._jobs)

    def job_path(self, job_id: str) -> Path:
        """Where the spooled PDF of ``job_id`` lives."""
        return self._spool_dir / f"{job_id}.pdf"

    # -- internals --------------------------------------------------------

    def _check_online(self) -> None:
        if self._closed:
            raise PrinterOfflineError("the printer was closed")
        if self._offline:
            raise PrinterOfflineError("the printer does not answer")

    def _take_paper(self, sheets: int) -> None:
        if self._paper_left is None:
            return
        if self._paper_left < sheets:
            raise PaperOutError(f"{sheets} sheets needed, {self._paper_left} left")
        self._paper_left -= sheets

    def _return_paper(self, sheets: int) -> None:
        if self._paper_left is not None:
            self._paper_left += sheets

    async def _wait_for_the_printer(self) -> None:
        try:
            async with asyncio.timeout(self._timeout_s):
                await asyncio.sleep(self._delay_s)
        except TimeoutError:
            raise PrintTimeoutError(f"no completion after {self._timeout_s:g} s") from None
        # A printer that went offline while busy loses the job, as a real one does.
        self._check_online()


def _checked_sheets(sheets: int | None) -> int | None:
    if sheets is not None and sheets < 0:
        raise ValueError("paper cannot be negative")
    return sheets


def _highest_job_number(spool_dir: Path) -> int:
    if not spool_dir.is_dir():
        return 0
    numbers = (_JOB_FILE.fullmatch(path.name) for path in spool_dir.iterdir())
    return max((int(match.group(1)) for match in numbers if match), default=0)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the whole file or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
