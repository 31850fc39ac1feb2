"""A private CUPS scheduler in a temporary folder, for tests, benchmarks and trials.

It runs the system's ``cupsd`` with its own configuration, spool, state and
logs under one folder and listens on a loopback port of its own, so it neither
needs nor disturbs the machine's CUPS. Printing to PDF uses cups-pdf through a
named instance (``cups-pdf:/INSTANCE`` reads ``/etc/cups/cups-pdf-INSTANCE.conf``,
a path compiled into cups-pdf), whose file is written at start and removed at
stop; it sends the PDFs to the sandbox's ``pdf_dir``.

Needs root (cups-pdf and cupsd's backends run as root), Debian's ``cups`` and
``printer-driver-cups-pdf``. Never imported by the kiosk itself.
"""

from __future__ import annotations

import contextlib
import grp
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

SYSTEM_SERVER_BIN = Path("/usr/lib/cups")
CUPS_PDF_BACKEND = SYSTEM_SERVER_BIN / "backend" / "cups-pdf"
CUPS_PDF_CONFIG_DIR = Path("/etc/cups")  # compiled into cups-pdf: not configurable
CUPS_PDF_PPD = "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd"
STARTUP_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
COMMAND_TIMEOUT_S = 15.0
POLL_INTERVAL_S = 0.02
PORT_ATTEMPTS = 3
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class SandboxUnavailableError(RuntimeError):
    """This machine cannot run the sandbox; the message says what is missing."""


def unavailable_reason() -> str | None:
    """Why a sandbox cannot start here, or ``None`` when it can."""
    if os.geteuid() != 0:
        return "the CUPS sandbox needs root (cups-pdf runs as root)"
    for tool in ("cupsd", "lpadmin", "cupsdisable", "cupsenable"):
        if shutil.which(tool, path=f"{os.environ.get('PATH', '')}:/usr/sbin") is None:
            return f"{tool} not found: apt-get install cups"
    if not CUPS_PDF_BACKEND.exists():
        return "cups-pdf not found: apt-get install printer-driver-cups-pdf"
    return None


class CupsSandbox:
    """A running private ``cupsd``; use :meth:`start` or ``with CupsSandbox.start()``.

    ``server`` is ``127.0.0.1:PORT`` for clients (pycups ``setServer``, or the
    ``CUPS_SERVER`` variable :meth:`env` sets for the command-line tools).
    """

    def __init__(self, root: Path, port: int, process: subprocess.Popen[bytes]) -> None:
        self.root = root
        self.port = port
        self.server = f"127.0.0.1:{port}"
        self.pdf_dir = root / "pdf"
        self._process = process
        self._instance = f"vgsandbox{port}"

    @classmethod
    def start(cls, root: Path | None = None) -> CupsSandbox:
        """Start ``cupsd`` under ``root`` (a new temporary folder by default)."""
        reason = unavailable_reason()
        if reason is not None:
            raise SandboxUnavailableError(reason)
        for attempt in range(1, PORT_ATTEMPTS + 1):
            # A fresh folder per attempt: a failed start removes its own.
            folder = Path(tempfile.mkdtemp(prefix="vg-cups-")) if root is None else root
            folder.chmod(0o755)  # filters run as user lp and walk through it
            port = _free_port()
            _write_config(folder, port)
            with (folder / "log" / "cupsd.out").open("wb") as log:
                process = subprocess.Popen(
                    [
                        _tool("cupsd"),
                        "-f",
                        "-c",
                        str(folder / "cupsd.conf"),
                        "-s",
                        str(folder / "files.conf"),
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            sandbox = cls(folder, port, process)
            try:
                sandbox._wait_until_listening()
                sandbox._write_cups_pdf_instance()
            except RuntimeError:
                sandbox.stop()
                if attempt == PORT_ATTEMPTS or root is not None:
                    raise
                continue  # most likely the port was taken between the probe and cupsd
            except BaseException:
                sandbox.stop()
                raise
            return sandbox
        raise AssertionError("unreachable")

    # -- queues -------------------------------------------------------------

    @property
    def pid(self) -> int:
        """The scheduler's process id (tests freeze it with SIGSTOP)."""
        return self._process.pid

    @property
    def cups_pdf_uri(self) -> str:
        """The device URI of this sandbox's cups-pdf instance."""
        return f"cups-pdf:/{self._instance}"

    def add_pdf_queue(self, name: str) -> None:
        """A cups-pdf queue writing into :attr:`pdf_dir` (files named ``...job_<id>...``)."""
        self.lpadmin("-p", _checked(name), "-v", self.cups_pdf_uri, "-E", "-m", CUPS_PDF_PPD)

    def add_raw_queue(self, name: str, device_uri: str) -> None:
        """A raw queue (bytes go to the device unchanged), e.g. ``socket://127.0.0.1:9100``."""
        self.lpadmin("-p", _checked(name), "-v", device_uri, "-E", "-m", "raw")

    def add_backend(self, scheme: str, script: str) -> None:
        """Install an executable backend for ``scheme://`` URIs (runs as root, mode 0700)."""
        path = self.root / "serverbin" / "backend" / _checked(scheme)
        path.write_text(script, encoding="utf-8")
        path.chmod(0o700)

    def delete_queue(self, name: str) -> None:
        """Remove a queue and its jobs."""
        self.lpadmin("-x", _checked(name))

    def lpadmin(self, *args: str) -> None:
        """Run ``lpadmin`` against this scheduler."""
        self.run(_tool("lpadmin"), *args)

    def run(self, *command: str) -> str:
        """Run a CUPS command-line tool against this scheduler; returns its output."""
        done = subprocess.run(
            command,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")
        return done.stdout

    def env(self) -> dict[str, str]:
        """The environment that points CUPS tools at this scheduler."""
        return {**os.environ, "CUPS_SERVER": self.server}

    def pdf_for_job(self, job_id: int) -> Path | None:
        """The cups-pdf output of ``job_id``, if it is there."""
        from peripherals.printer.cups import find_job_output

        return find_job_output(self.pdf_dir, job_id)

    # -- life cycle ---------------------------------------------------------

    def stop(self) -> None:
        """Stop ``cupsd`` and remove the cups-pdf instance file and the sandbox folder."""
        with contextlib.suppress(ProcessLookupError):
            self._process.terminate()
        try:
            self._process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=STOP_TIMEOUT_S)
        self._cups_pdf_instance_file().unlink(missing_ok=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> CupsSandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"cupsd exited early: {self.log_tail()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            time.sleep(POLL_INTERVAL_S)
        raise RuntimeError(
            f"cupsd did not listen within {STARTUP_TIMEOUT_S:g} s: {self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        """The end of the scheduler's logs, for failure messages."""
        texts = []
        for name in ("cupsd.out", "error_log"):
            path = self.root / "log" / name
            if path.exists():
                texts.extend(
                    path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
                )
        return "\n".join(texts)

    def _cups_pdf_instance_file(self) -> Path:
        return CUPS_PDF_CONFIG_DIR / f"cups-pdf-{self._instance}.conf"

    def _write_cups_pdf_instance(self) -> None:
        self.pdf_dir.mkdir(exist_ok=True)
        settings = {
            "Out": self.pdf_dir,
            "AnonDirName": self.pdf_dir,
            "Spool": self.root / "cups-pdf-spool",
            "Grp": "lp",
            "Label": 2,  # "-job_<id>" on every file: the adapter finds its job's output
            "Log": self.root / "log",
        }
        text = "".join(f"{key} {value}\n" for key, value in settings.items())
        self._cups_pdf_instance_file().write_text(text, encoding="utf-8")


def _write_config(root: Path, port: int) -> None:
    for folder in ("log", "spool", "cache", "state", "conf"):
        (root / folder).mkdir(exist_ok=True)
    temp = root / "tmp"
    temp.mkdir(exist_ok=True)
    # Filters (user lp) write their temporary files here; cupsd does not fix this one.
    os.chown(temp, 0, grp.getgrnam("lp").gr_gid)
    temp.chmod(0o1770)
    _link_server_bin(root / "serverbin")
    files: Mapping[str, object] = {
        "ServerRoot": root / "conf",
        "RequestRoot": root / "spool",
        "TempDir": temp,
        "StateDir": root / "state",
        "CacheDir": root / "cache",
        "ServerBin": root / "serverbin",
        "DataDir": "/usr/share/cups",
        "DocumentRoot": "/usr/share/cups/doc-root",
        "AccessLog": root / "log" / "access_log",
        "ErrorLog": root / "log" / "error_log",
        "PageLog": root / "log" / "page_log",
        "Printcap": root / "printcap",
        "SystemGroup": "root",
        "User": "lp",
        "Group": "lp",
    }
    (root / "files.conf").write_text(
        "".join(f"{key} {value}\n" for key, value in files.items()), encoding="utf-8"
    )
    (root / "cupsd.conf").write_text(_CUPSD_CONF.format(port=port), encoding="utf-8")


def _link_server_bin(server_bin: Path) -> None:
    """The system's filters and backends, plus room for backends of our own.

    cupsd refuses programs in group- or world-writable folders, so the folders
    made here are 0755 and owned by root.
    """
    server_bin.mkdir(mode=0o755, exist_ok=True)
    for entry in SYSTEM_SERVER_BIN.iterdir():
        if entry.name != "backend":
            (server_bin / entry.name).symlink_to(entry)
    backends = server_bin / "backend"
    backends.mkdir(mode=0o755, exist_ok=True)
    for backend in (SYSTEM_SERVER_BIN / "backend").iterdir():
        (backends / backend.name).symlink_to(backend)


def _checked(name: str) -> str:
    if not _SAFE_NAME.fullmatch(name):
        raise ValueError(f"not a safe queue or scheme name: {name!r}")
    return name


def _tool(name: str) -> str:
    found = shutil.which(name, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/bin")
    if found is None:
        raise SandboxUnavailableError(f"{name} not found")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# Loopback only, no browsing, no web interface, no authentication (nothing but
# this machine can reach it); a failed backend aborts its job instead of
# stopping the queue, and job files are not kept once printed (receipts).
_CUPSD_CONF = """\
Listen 127.0.0.1:{port}
Browsing No
WebInterface No
LogLevel info
DefaultAuthType None
ErrorPolicy abort-job
PreserveJobFiles No
JobRetryInterval 1
<Location />
  Order allow,deny
  Allow from 127.0.0.1
</Location>
<Policy default>
  JobPrivateAccess all
  JobPrivateValues none
  SubscriptionPrivateAccess all
  SubscriptionPrivateValues none
  <Limit All>
    Order allow,deny
    Allow from 127.0.0.1
  </Limit>
</Policy>
"""
