"""Run a real pcscd with vpcd's virtual readers, for tests and the benchmark.

pcscd does not start by itself in a container, and the tests must be able to
stop and restart it, so they run their own ``pcscd --foreground`` with a
reader.conf.d folder of their own that names only the vpcd driver. Set
``VG_PCSCD_DEBUG=1`` to get ``--debug --apdu`` traffic in the log.

pcscd's socket (/run/pcscd) and vpcd's port are machine-wide: two test runs, or
a test run and the benchmark, would stop each other's daemon. A :class:`Pcscd`
therefore holds an exclusive lock on :data:`STACK_LOCK` while in use; others
wait their turn. No pytest here: the benchmark uses it too.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from smartcard import scard

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
PCSCD_PID_FILE = Path("/run/pcscd/pcscd.pid")
VIRTUAL_READER = "Virtual PCD 00 00"
# Debian's /etc/reader.conf.d/vpcd: port 0x8C7B = 35963 for slot 0, +1 per slot.
VPCD_READER_CONF = f"""FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x8C7B
LIBPATH      {VPCD_DRIVER}
CHANNELID    0x8C7B
"""
STACK_LOCK = Path("/tmp/visioguichet-card-stack.lock")
LOCK_TIMEOUT_S = 300.0  # a whole card suite runs in about 20 s
READY_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 3.0
POLL_S = 0.01
DEBIAN_PACKAGES = "pcscd libpcsclite-dev vsmartcard-vpcd"


class StackUnavailableError(RuntimeError):
    """pcscd cannot run here; the message says what is missing."""


def pcscd_binary() -> str:
    """The pcscd executable, or a clear error naming the Debian packages."""
    found = shutil.which("pcscd") or shutil.which("pcscd", path="/usr/sbin:/sbin")
    if found is None:
        raise StackUnavailableError(f"pcscd is not installed (apt-get install {DEBIAN_PACKAGES})")
    if not VPCD_DRIVER.exists():
        raise StackUnavailableError(
            f"vpcd's reader driver {VPCD_DRIVER} is missing (apt-get install vsmartcard-vpcd)"
        )
    return found


def _other_pcscd() -> int | None:
    try:
        pid = int(PCSCD_PID_FILE.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None  # no pid file, or a stale one pcscd will clean up itself
    return pid


def _readers() -> list[str] | None:
    """The readers pcscd lists, or None while it does not answer."""
    code, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if code != scard.SCARD_S_SUCCESS:
        return None
    try:
        code, names = scard.SCardListReaders(context, [])
        if code == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        return list(names) if code == scard.SCARD_S_SUCCESS else None
    finally:
        scard.SCardReleaseContext(context)


class Pcscd:
    """One ``pcscd --foreground`` of our own: start, stop, restart, with or without vpcd.

    Use it as a context manager: entering takes the machine-wide stack lock and
    starts pcscd, leaving stops it and lets the next user in.
    """

    def __init__(self, workdir: Path, *, debug: bool | None = None) -> None:
        self._binary = pcscd_binary()
        self._workdir = workdir
        self._debug = os.environ.get("VG_PCSCD_DEBUG") == "1" if debug is None else debug
        self._process: subprocess.Popen[bytes] | None = None
        self._lock_fd: int | None = None
        self.log_path = workdir / "pcscd.log"
        workdir.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> Pcscd:
        self._acquire()
        try:
            self.start()
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.stop()
        finally:
            self._release()

    @property
    def running(self) -> bool:
        """Whether our pcscd process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, *, with_reader: bool = True) -> None:
        """Start pcscd and wait until it answers (and lists vpcd's reader, if asked for).

        ``with_reader=False`` starts it with no reader configured: the reader is "unplugged".
        """
        if self.running:
            raise RuntimeError("pcscd is already running")
        other = _other_pcscd()
        if other is not None:
            raise StackUnavailableError(
                f"another pcscd (pid {other}) is running; the card tests need their own: stop it"
            )
        config = self._workdir / ("reader.conf.d" if with_reader else "no-reader.conf.d")
        config.mkdir(exist_ok=True)
        if with_reader:
            (config / "vpcd").write_text(VPCD_READER_CONF, encoding="utf-8")
        command = [self._binary, "--foreground", "--config", str(config)]
        if self._debug:
            command += ["--debug", "--apdu"]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready(with_reader)

    def stop(self) -> None:
        """Stop pcscd (SIGTERM, then SIGKILL) and wait until it is gone."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGCONT)  # a frozen pcscd cannot act on SIGTERM
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_S)

    def freeze(self) -> None:
        """Suspend pcscd (SIGSTOP): a daemon that hangs, holding its clients' calls."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """Resume a frozen pcscd (SIGCONT)."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def log_tail(self, size: int = 4000) -> str:
        """The end of pcscd's log, for failure messages."""
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except OSError:
            return ""

    def _acquire(self) -> None:
        fd = os.open(STACK_LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise StackUnavailableError(
                        f"the card stack stayed busy for {LOCK_TIMEOUT_S:g} s ({STACK_LOCK})"
                    ) from None
                time.sleep(0.05)
            else:
                self._lock_fd = fd
                return

    def _release(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the lock

    def _wait_ready(self, with_reader: bool) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self.running:
                raise StackUnavailableError(f"pcscd exited at start:\n{self.log_tail()}")
            readers = _readers()
            if readers is not None and (not with_reader or VIRTUAL_READER in readers):
                return
            time.sleep(POLL_S)
        self.stop()
        raise StackUnavailableError(
            f"pcscd did not list {VIRTUAL_READER!r} within {READY_TIMEOUT_S} s:\n{self.log_tail()}"
        )
