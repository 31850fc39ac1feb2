"""The CUPS adapter: a named queue, each job followed until it is really done.

Why pycups (libcups) rather than ``lp``/``lpstat``: libcups speaks IPP to the
scheduler exactly as every CUPS client does (local socket or TCP, local
authentication, encryption), and returns typed attributes, ``job-state`` and
``printer-state-reasons`` keywords, where ``lpstat`` prints localised prose
meant for people, costs a process per poll and cannot say "media-empty". It
needs ``libcups2-dev`` to build.

libcups calls block, and its server setting and connection are per thread: each
adapter owns one worker thread that holds its connection, and the event loop
only awaits it. Jobs go one at a time, so the state reasons read while a job is
followed belong to that job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import cups  # type: ignore[import-not-found]

from peripherals.health import DeviceHealth, SelfTestResult
from peripherals.printer.errors import (
    PrinterError,
    PrinterOfflineError,
    PrintRejectedError,
    PrintTimeoutError,
)
from peripherals.printer.ipp_state import (
    CONNECTING_REASON,
    JobState,
    PrinterState,
    QueueStatus,
    error_for,
    fault_of,
    health_of,
)
from peripherals.printer.model import PrintJob
from peripherals.printer.pdf import check_pdf, count_pages, media_keyword
from peripherals.printer.protocol import PRINT_TIMEOUT_S
from peripherals.printer.testpage import run_selftest

log = logging.getLogger(__name__)
_T = TypeVar("_T")

POLL_INTERVAL_S = 0.05  # two loopback IPP requests per poll: about a millisecond
# A reason that was already there when the job was sent may be stale (CUPS keeps
# what the last backend said); it counts once it has outlived this much of our job.
STALE_REASON_GRACE_S = 2.0
# Network backends say "connecting-to-device" for a moment; longer means offline.
CONNECT_GRACE_S = 5.0
OUTPUT_WAIT_S = 2.0  # cups-pdf writes before it exits; this covers a slow disk
STUCK_SCHEDULER_MARGIN_S = 5.0  # beyond the job timeout, for IPP calls that never return
CANCEL_WAIT_S = 2.0
_PRINTER_ATTRIBUTES = [
    "printer-state",
    "printer-state-reasons",
    "printer-state-message",
    "printer-is-accepting-jobs",
]
_JOB_ATTRIBUTES = ["job-state", "job-state-reasons", "job-impressions-completed"]
_IPP_OFFLINE_STATUSES = {cups.IPP_SERVICE_UNAVAILABLE, cups.IPP_NOT_ACCEPTING}
_IPP_REJECTED_STATUSES = {cups.IPP_DOCUMENT_FORMAT, cups.IPP_DOCUMENT_FORMAT_ERROR}


class CupsPrinter:
    """A :class:`~peripherals.printer.protocol.Printer` printing PDFs to a CUPS queue.

    ``server`` is ``host:port`` or a socket path (``None``: libcups' default, the
    local scheduler). ``pdf_dir``, for a cups-pdf queue, is its output folder:
    a job then counts as printed only once its PDF is there (within
    ``output_wait_s``), whatever CUPS says. ``options`` are CUPS job options;
    ``media`` defaults to the document's own page size.
    """

    def __init__(
        self,
        queue: str,
        *,
        server: str | None = None,
        timeout_s: float = PRINT_TIMEOUT_S,
        poll_interval_s: float = POLL_INTERVAL_S,
        connect_grace_s: float = CONNECT_GRACE_S,
        pdf_dir: Path | None = None,
        output_wait_s: float = OUTPUT_WAIT_S,
        scheduler_margin_s: float = STUCK_SCHEDULER_MARGIN_S,
        options: Mapping[str, str] | None = None,
    ) -> None:
        self.queue = queue
        self._server = server
        self._timeout_s = timeout_s
        self._poll_interval_s = poll_interval_s
        self._connect_grace_s = connect_grace_s
        self._pdf_dir = pdf_dir
        self._output_wait_s = output_wait_s
        self._scheduler_margin_s = scheduler_margin_s
        self._options = dict(options or {})
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"cups-{queue}", initializer=self._bind_thread
        )
        self._connection: Any = None  # lives in the worker thread only
        self._lock = asyncio.Lock()
        self._health = DeviceHealth.ok("not checked yet")
        self._closed = False

    # -- the port ---------------------------------------------------------

    async def print_pdf(self, pdf: bytes, *, title: str) -> PrintJob:
        """Send ``pdf`` to the queue and return once CUPS completed it (see the module)."""
        submitted_at = datetime.now(UTC)
        check_pdf(pdf)
        options = dict(self._options)
        media = media_keyword(pdf)
        if media is not None:
            options.setdefault("media", media)
        async with self._lock:
            if self._closed:
                raise PrinterOfflineError("the printer was closed")
            try:
                # libcups has no timeout of its own: a hung scheduler must not hang us.
                async with asyncio.timeout(self._timeout_s + self._scheduler_margin_s):
                    job_id, impressions = await self._run_job(pdf, title, options)
            except TimeoutError:
                self._health = DeviceHealth.fault(PrintTimeoutError.code, "CUPS does not answer")
                raise PrintTimeoutError("the CUPS scheduler does not answer") from None
        return PrintJob(
            job_id=f"{self.queue}-{job_id}",
            title=title,
            pages=impressions or count_pages(pdf),
            submitted_at=submitted_at,
        )

    def health(self) -> DeviceHealth:
        """What the queue said at the last job or :meth:`refresh_health`."""
        if self._closed:
            return DeviceHealth.absent(PrinterOfflineError.code, "closed")
        return self._health

    async def refresh_health(self) -> DeviceHealth:
        """Ask CUPS now (for the maintenance screen and periodic checks)."""
        if not self._closed:
            try:
                await self._queue_status()
            except PrinterError as err:
                self._health = DeviceHealth.from_error(err)
        return self.health()

    async def self_test(self) -> SelfTestResult:
        """Print the test page; artifact: the PDF cups-pdf wrote, else the page sent."""

        async def print_page(page: bytes) -> bytes | None:
            job = await self.print_pdf(page, title="self-test")
            path = self.output_path(job)
            return None if path is None else await asyncio.to_thread(path.read_bytes)

        return await run_selftest(f"CUPS queue {self.queue}", print_page)

    async def close(self) -> None:
        """Refuse further jobs and release the worker thread and its connection."""
        self._closed = True
        async with self._lock:
            await asyncio.to_thread(self._executor.shutdown, True)

    def output_path(self, job: PrintJob) -> Path | None:
        """Where cups-pdf wrote ``job`` (``None`` without ``pdf_dir`` or output)."""
        if self._pdf_dir is None:
            return None
        return find_job_output(self._pdf_dir, int(job.job_id.rsplit("-", 1)[1]))

    # -- following a job --------------------------------------------------

    async def _run_job(
        self, pdf: bytes, title: str, options: dict[str, str]
    ) -> tuple[int, int | None]:
        before = await self._queue_status()
        if before.state is PrinterState.STOPPED or not before.accepting:
            # A stopped queue keeps jobs and prints them whenever it restarts.
            raise error_for(before, f"queue {self.queue} cannot print now")
        job_id = await self._call(self._submit, pdf, title, options)
        try:
            impressions = await self._follow(job_id, stale=before.reasons)
            await self._check_output(job_id)
        except BaseException:
            # Never let a failed receipt come out later, for nobody to take.
            await self._cancel(job_id)
            raise
        return job_id, impressions

    async def _follow(self, job_id: int, *, stale: frozenset[str]) -> int | None:
        """Poll until the job completes; raise the error its end or the queue means."""
        started = time.monotonic()
        while True:
            job_state, impressions, status = await self._call(self._snapshot, job_id)
            self._health = health_of(status)
            waited = time.monotonic() - started
            if job_state is JobState.COMPLETED:
                return impressions
            if job_state.final:
                raise error_for(status, f"job {job_id} {job_state.name.lower()}")
            fault = fault_of(status.reasons)
            if fault is not None and (fault[0] not in stale or waited >= STALE_REASON_GRACE_S):
                raise error_for(status, f"job {job_id}")
            if status.state is PrinterState.STOPPED:
                raise error_for(status, f"job {job_id} waits on a stopped queue")
            if CONNECTING_REASON in status.reasons and waited >= self._connect_grace_s:
                raise PrinterOfflineError(f"job {job_id}: the printer cannot be reached")
            if waited >= self._timeout_s:
                raise PrintTimeoutError(f"job {job_id} not completed after {self._timeout_s:g} s")
            await asyncio.sleep(self._poll_interval_s)

    async def _check_output(self, job_id: int) -> None:
        if self._pdf_dir is None:
            return
        deadline = time.monotonic() + self._output_wait_s
        while (path := find_job_output(self._pdf_dir, job_id)) is None:
            if time.monotonic() >= deadline:
                raise PrinterOfflineError(
                    f"CUPS completed job {job_id} but no PDF came out in {self._pdf_dir}"
                )
            await asyncio.sleep(self._poll_interval_s)
        head = await asyncio.to_thread(_read_head, path)
        if not head.startswith(b"%PDF-"):
            raise PrinterOfflineError(f"job {job_id} produced something that is not a PDF")

    async def _cancel(self, job_id: int) -> None:
        """Best effort, bounded, and carried out even if the caller is being cancelled."""
        try:
            await asyncio.wait_for(
                asyncio.shield(self._call(self._cancel_job, job_id)), CANCEL_WAIT_S
            )
        except (PrinterError, TimeoutError) as err:
            log.warning("could not cancel CUPS job %s: %r", job_id, err)

    async def _queue_status(self) -> QueueStatus:
        try:
            status = await self._call(self._read_queue)
        except PrinterError as err:
            self._health = DeviceHealth.from_error(err)
            raise
        self._health = health_of(status)
        return status

    # -- the worker thread ------------------------------------------------

    async def _call(self, function: Callable[..., _T], *args: Any) -> _T:
        """Run a libcups call on the worker thread; libcups errors become PrinterErrors."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, self._guarded, function, *args)
        except RuntimeError as err:  # the executor was shut down by close()
            raise PrinterOfflineError(f"the printer was closed ({err})") from err

    def _guarded(self, function: Callable[..., _T], *args: Any) -> _T:
        """Call ``function`` on the worker thread, translating libcups failures."""
        try:
            return function(*args)
        except cups.IPPError as err:
            status, message = (*err.args, None, "")[:2]
            self._connection = None  # a broken connection is not reused
            if status == cups.IPP_NOT_FOUND:
                raise PrinterOfflineError(f"no CUPS queue named {self.queue!r}") from err
            if status in _IPP_REJECTED_STATUSES:
                raise PrintRejectedError(f"CUPS rejects the document: {message}") from err
            if status in _IPP_OFFLINE_STATUSES:
                raise PrinterOfflineError(f"CUPS is unavailable: {message}") from err
            raise PrinterOfflineError(f"CUPS error {status}: {message}") from err
        except (cups.HTTPError, RuntimeError) as err:
            self._connection = None
            raise PrinterOfflineError(f"cannot reach CUPS: {err}") from err

    def _bind_thread(self) -> None:
        # Per-thread in libcups: this thread, and only it, talks to our server.
        if self._server is not None:
            cups.setServer(self._server)

    def _conn(self) -> Any:
        if self._connection is None:
            self._connection = cups.Connection()
        return self._connection

    def _read_queue(self) -> QueueStatus:
        found = self._conn().getPrinterAttributes(
            self.queue, requested_attributes=_PRINTER_ATTRIBUTES
        )
        return QueueStatus.of(
            int(found.get("printer-state", PrinterState.STOPPED)),
            _as_list(found.get("printer-state-reasons")),
            str(found.get("printer-state-message", "")),
            bool(found.get("printer-is-accepting-jobs", True)),
        )

    def _submit(self, pdf: bytes, title: str, options: dict[str, str]) -> int:
        # Streamed over IPP: the document never sits in a temporary file of ours.
        connection = self._conn()
        job_id = int(connection.createJob(self.queue, title, options))
        try:
            connection.startDocument(self.queue, job_id, title, cups.CUPS_FORMAT_PDF, 1)
            connection.writeRequestData(pdf, len(pdf))
            status = connection.finishDocument(self.queue)
        except BaseException:
            with contextlib.suppress(Exception):
                connection.cancelJob(job_id, purge_job=True)
            raise
        if status != cups.IPP_OK:
            connection.cancelJob(job_id, purge_job=True)
            raise PrintRejectedError(f"CUPS refused the document of job {job_id} ({status})")
        return job_id

    def _snapshot(self, job_id: int) -> tuple[JobState, int | None, QueueStatus]:
        found = self._conn().getJobAttributes(job_id, requested_attributes=_JOB_ATTRIBUTES)
        try:
            state = JobState(int(found["job-state"]))
        except (KeyError, ValueError):
            state = JobState.ABORTED
        impressions = int(found.get("job-impressions-completed") or 0) or None
        return state, impressions, self._read_queue()

    def _cancel_job(self, job_id: int) -> None:
        try:
            self._conn().cancelJob(job_id, purge_job=False)
        except cups.IPPError as err:
            if err.args[0] != cups.IPP_NOT_POSSIBLE:  # it already ended: nothing to stop
                raise


def _as_list(value: object) -> list[str]:
    # pycups gives a lone keyword as a string and several as a list.
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return [str(value)]


def find_job_output(folder: Path, job_id: int) -> Path | None:
    """The PDF cups-pdf wrote for ``job_id`` in ``folder``.

    cups-pdf builds names from the job title, mangled; with ``Label 2`` in its
    configuration each ends in ``-job_<id>``, the only reliable part.
    """
    pattern = re.compile(rf"(?<![0-9A-Za-z])job_{job_id}(?![0-9])")
    with contextlib.suppress(FileNotFoundError):
        for path in folder.iterdir():
            if path.suffix == ".pdf" and pattern.search(path.stem):
                return path
    return None


def _read_head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(8)
