"""The ESC/POS adapter: a network receipt printer (raw TCP, port 9100) with real status.

python-escpos builds the commands and owns the socket (its ``Network``
printer). Its own status helpers cannot be trusted here: ``paper_status()``
answers "plenty" when the printer says nothing, and its ``CupsPrinter`` drops
jobs for unknown queues without a word. So this adapter asks the ``DLE EOT``
questions itself, with a timeout on every answer, and closes each job with
``GS r 1``, whose answer arrives only once the printer has processed the job:
a silent printer is offline, a stuck one is asked why (paper, cover, cutter).

Each job opens its own connection: receipt printers serve one client at a
time, and a kept connection would lock out a technician's tools.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from escpos.capabilities import get_profile  # type: ignore[import-untyped]
from escpos.printer import Dummy, Network  # type: ignore[import-untyped]
from PIL import Image

from peripherals.health import DeviceHealth, SelfTestResult
from peripherals.printer.errors import (
    PaperOutError,
    PrinterError,
    PrinterOfflineError,
    PrintRejectedError,
    PrintTimeoutError,
)
from peripherals.printer.escpos_status import (
    CLEAR_BUFFERS,
    OFFLINE_CAUSE,
    PAPER_LOW_CODE,
    PAPER_SENSOR,
    PROCESSED_QUERY,
    STATUS_QUERIES,
    EscposStatus,
    is_processed_answer,
    is_realtime_answer,
    processed_answer_paper,
    query,
)
from peripherals.printer.model import PrintJob
from peripherals.printer.pdf import check_pdf, count_pages, page_size_mm
from peripherals.printer.protocol import PRINT_TIMEOUT_S
from peripherals.printer.testpage import run_selftest

DEFAULT_PORT = 9100
# A printer answers DLE EOT within milliseconds; a second of silence means it is gone.
STATUS_TIMEOUT_S = 1.0
# 80 mm roll, 72 mm printable at 203 dpi (8 dots/mm): the common generic thermal head.
DEFAULT_PROFILE = "TM-T20II"
RASTER_TIMEOUT_S = 20.0
# While a job runs, the real-time status is asked this often: a printer out of
# paper is reported within about this delay instead of at the job timeout.
PROBE_INTERVAL_S = 0.25
_ROLL_WIDTH_MM = 80.5  # pages up to this wide are roll receipts: crop margins, don't shrink


class EscposPrinter:
    """A :class:`~peripherals.printer.protocol.Printer` on an ESC/POS network printer.

    ``print_pdf`` rasterises the PDF at the head's resolution (any document, as
    laid out); :meth:`print_escpos` sends commands made by python-escpos
    (text in the printer's code page and a native QR code: crisper and faster).
    """

    def __init__(
        self,
        host: str,
        port: int = DEFAULT_PORT,
        *,
        profile: str = DEFAULT_PROFILE,
        timeout_s: float = PRINT_TIMEOUT_S,
        status_timeout_s: float = STATUS_TIMEOUT_S,
    ) -> None:
        self.host = host
        self.port = port
        self.profile = profile
        self._width_px, self._dpi = _head_geometry(profile)
        self._timeout_s = timeout_s
        self._status_timeout_s = status_timeout_s
        self._numbers = itertools.count(1)
        self._lock = asyncio.Lock()
        self._health = DeviceHealth.ok("not checked yet")
        self._closed = False

    # -- the port ---------------------------------------------------------

    async def print_pdf(self, pdf: bytes, *, title: str) -> PrintJob:
        """Rasterise ``pdf`` (poppler's ``pdftoppm``) and print it; see :meth:`print_escpos`."""
        check_pdf(pdf)
        commands = await asyncio.to_thread(self._raster_commands, pdf)
        return await self._print(commands, title, count_pages(pdf))

    async def print_escpos(self, commands: bytes, *, title: str) -> PrintJob:
        """Send ready-made ESC/POS ``commands`` and return once the printer processed them.

        Raises ``PrinterOfflineError`` (no connection, no status answer),
        ``PaperOutError``, ``CoverOpenError``, ``PaperJamError`` and
        ``PrintTimeoutError``; a failed job is cleared from the printer's buffer.
        """
        if not commands:
            raise PrintRejectedError("nothing to print")
        return await self._print(commands, title, None)

    def health(self) -> DeviceHealth:
        """What the printer said at the last job or :meth:`refresh_health`."""
        if self._closed:
            return DeviceHealth.absent(PrinterOfflineError.code, "closed")
        return self._health

    async def refresh_health(self) -> DeviceHealth:
        """Ask the printer now (one short connection)."""
        if self._closed:
            return self.health()
        async with self._lock:
            try:
                status = await asyncio.to_thread(self._status_only)
            except PrinterError as err:
                self._health = DeviceHealth.from_error(err)
            else:
                self._health = status.health()
        return self.health()

    async def self_test(self) -> SelfTestResult:
        """Print the test page (rasterised, so fonts and accents are checked too)."""

        async def print_page(page: bytes) -> None:
            await self.print_pdf(page, title="self-test")

        return await run_selftest(f"ESC/POS {self.host}:{self.port}", print_page)

    async def close(self) -> None:
        """Refuse further jobs; nothing stays open between jobs."""
        self._closed = True

    # -- a job ------------------------------------------------------------

    async def _print(self, commands: bytes, title: str, pages: int | None) -> PrintJob:
        submitted_at = datetime.now(UTC)
        async with self._lock:
            if self._closed:
                raise PrinterOfflineError("the printer was closed")
            try:
                paper_low = await asyncio.to_thread(self._run_job, commands)
            except PrinterError as err:
                self._health = DeviceHealth.from_error(err)
                raise
            self._health = (
                DeviceHealth.degraded(PAPER_LOW_CODE, "paper near end")
                if paper_low
                else DeviceHealth.ok()
            )
        return PrintJob(
            job_id=f"escpos-{next(self._numbers):04d}",
            title=title,
            pages=pages,
            submitted_at=submitted_at,
        )

    def _run_job(self, commands: bytes) -> bool:
        """Blocking: check, send, follow to the end marker. Returns "paper low"."""
        printer = self._connect()
        try:
            error = self._ask_status(printer).error()
            if error is not None:
                raise error
            sock: socket.socket = printer.device
            sock.settimeout(self._timeout_s)
            try:
                sock.sendall(commands + PROCESSED_QUERY)
            except OSError as err:
                raise PrinterOfflineError(f"sending failed: {err}") from err
            try:
                answer = self._follow(sock)
            except PrinterError:
                # The job must not print once the paper or cover is fixed, for nobody.
                _send_quietly(sock, CLEAR_BUFFERS)
                raise
            paper_out, paper_low = processed_answer_paper(answer)
            if paper_out:
                raise PaperOutError("the paper ran out at the end of the job")
            return paper_low
        finally:
            printer.close()

    def _follow(self, sock: socket.socket) -> int:
        """Wait for the ``GS r`` answer, probing the real-time status meanwhile.

        A printer that stops on paper end or an open cover never answers ``GS r``;
        its ``DLE EOT`` answers tell why within a probe, instead of at the timeout.
        """
        started = time.monotonic()
        pending: deque[tuple[int, float]] = deque()  # probes sent, oldest first
        answers: dict[int, int] = {}
        next_probe = started + PROBE_INTERVAL_S
        while True:
            now = time.monotonic()
            if now - started >= self._timeout_s:
                raise PrintTimeoutError(f"no end of job after {self._timeout_s:g} s")
            if pending and now - pending[0][1] >= self._status_timeout_s:
                raise PrinterOfflineError("the printer stopped answering status queries")
            if now >= next_probe:
                for n in (OFFLINE_CAUSE, PAPER_SENSOR):
                    _send_quietly(sock, query(n))
                    pending.append((n, now))
                next_probe = now + PROBE_INTERVAL_S
            sock.settimeout(max(0.001, min(next_probe, started + self._timeout_s) - now))
            try:
                data = sock.recv(1)
            except TimeoutError:
                continue
            except OSError as err:
                raise PrinterOfflineError(f"connection lost: {err}") from err
            if not data:
                raise PrinterOfflineError("the printer closed the connection")
            byte = data[0]
            if is_processed_answer(byte):
                return byte
            if is_realtime_answer(byte) and pending:
                answers[pending.popleft()[0]] = byte
                error = EscposStatus.decode(answers).error()
                if error is not None:
                    raise error

    def _status_only(self) -> EscposStatus:
        printer = self._connect()
        try:
            return self._ask_status(printer)
        finally:
            printer.close()

    def _connect(self) -> Network:
        printer = Network(
            self.host, port=self.port, timeout=self._status_timeout_s, profile=self.profile
        )
        # Connected here rather than by Network.open(), which leaks its socket when
        # the connection is refused; the Network printer owns it from then on.
        try:
            sock = socket.create_connection((self.host, self.port), self._status_timeout_s)
        except OSError as err:
            raise PrinterOfflineError(f"no connection to {self.host}:{self.port}: {err}") from err
        printer.device = sock
        return printer

    def _ask_status(self, printer: Network) -> EscposStatus:
        """The four real-time status bytes; a missing answer means offline."""
        sock: socket.socket = printer.device
        sock.settimeout(self._status_timeout_s)
        _drain(sock)
        answers: dict[int, int] = {}
        for n in STATUS_QUERIES:
            try:
                sock.sendall(query(n))
                answers[n] = _read_matching(sock, is_realtime_answer, self._status_timeout_s)
            except (TimeoutError, OSError) as err:
                raise PrinterOfflineError(f"no answer to status query {n}: {err}") from err
        return EscposStatus.decode(answers)

    # -- rasterising ------------------------------------------------------

    def _raster_commands(self, pdf: bytes) -> bytes:
        """The PDF's pages as ESC/POS raster images, each followed by a cut."""
        size = page_size_mm(pdf)
        roll = size is not None and size[0] <= _ROLL_WIDTH_MM
        builder = Dummy(profile=self.profile)
        for image in _render_pages(pdf, self._dpi):
            builder.image(self._fit(image, roll), center=True)
            builder.cut()
        output: bytes = builder.output
        return output

    def _fit(self, image: Image.Image, roll: bool) -> Image.Image:
        if image.width <= self._width_px:
            return image
        if roll:
            # A roll receipt keeps its size: only its blank side margins are cut away.
            left = (image.width - self._width_px) // 2
            return image.crop((left, 0, left + self._width_px, image.height))
        height = round(image.height * self._width_px / image.width)
        return image.resize((self._width_px, height))


def _head_geometry(profile: str) -> tuple[int, int]:
    """Printable width in dots and resolution of ``profile``; ``ValueError`` if unusable."""
    try:
        media = get_profile(profile).profile_data["media"]
        return int(media["width"]["pixels"]), int(media["dpi"])
    except KeyError as err:
        raise ValueError(f"unknown python-escpos printer profile {profile!r}") from err
    except (TypeError, ValueError) as err:
        # Generic profiles say "Unknown": rasterising needs the real head width.
        raise ValueError(f"profile {profile!r} does not give the head's width in dots") from err


def _render_pages(pdf: bytes, dpi: int) -> list[Image.Image]:
    with tempfile.TemporaryDirectory(prefix="vg-raster-") as folder:
        try:
            subprocess.run(
                ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-", f"{folder}/page"],
                input=pdf,
                capture_output=True,
                timeout=RASTER_TIMEOUT_S,
                check=True,
            )
        except FileNotFoundError as err:
            raise PrintRejectedError("pdftoppm is missing: apt-get install poppler-utils") from err
        except subprocess.CalledProcessError as err:
            raise PrintRejectedError(f"the PDF cannot be rendered: {err.stderr[-200:]!r}") from err
        except subprocess.TimeoutExpired as err:
            raise PrintRejectedError("the PDF takes too long to render") from err
        pages = sorted(Path(folder).glob("page*.png"), key=lambda p: (len(p.name), p.name))
        images = []
        for path in pages:
            with Image.open(BytesIO(path.read_bytes())) as image:
                images.append(image.convert("L"))
    return images


def _drain(sock: socket.socket) -> None:
    """Drop late or stray answers so that the next byte read answers the next question."""
    sock.setblocking(False)
    try:
        while sock.recv(256):
            pass
    except (BlockingIOError, OSError):
        pass
    finally:
        sock.setblocking(True)


def _read_matching(sock: socket.socket, accept: Callable[[int], bool], timeout_s: float) -> int:
    """The next byte that ``accept`` takes, skipping others, within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no answer")
        sock.settimeout(left)
        data = sock.recv(1)
        if not data:
            raise ConnectionResetError("the printer closed the connection")
        if accept(data[0]):
            return data[0]


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    # Best effort on a connection that may already be gone: the error is raised anyway.
    with contextlib.suppress(OSError):
        sock.sendall(data)
