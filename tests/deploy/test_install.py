"""Proof the appliance installs: deploy/raspberrypi/install.sh in a fresh Debian Bookworm root.

One root for the module, in order: first install (services not started), the
result checked (files, modes, user, units valid and enabled), a second run that
changes nothing, the kiosk started offscreen with simulated devices for one
citizen journey, then an update and a rollback.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.chroot import CACHE, Chroot, bookworm_root

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"
INSTALL = "/src/deploy/raspberrypi/install.sh"
SETUP = "/root/setup"
INSTALL_TIMEOUT_S = 1500
SERVICE_USER = "visioguichet"
UNITS = ("visioguichet-kiosk.service", "visioguichet-printer.service")
# What the install owns: the second run must leave every byte, mode and owner as it was.
WATCHED = (
    "/etc/visioguichet",
    "/opt/visioguichet",
    "/etc/systemd",
    "/etc/udev/rules.d",
    "/etc/polkit-1/rules.d",
    "/etc/sysctl.d",
    "/usr/local/sbin",
    "/var/lib/visioguichet",
    "/etc/passwd",
    "/etc/group",
    "/etc/shadow",
)
TIMINGS_FILE = CACHE / "timings.json"

KIOSK_TOML = """\
[kiosk]
id = "deploy-check-01"
site_name = "Deploy check"
data_dir = "/var/lib/visioguichet"
# No speech-dispatcher runs in the root.
speech_engine = "none"

[backend]
# Nothing listens there: the journey is served from the outbox, as when the network is down.
url = "http://127.0.0.1:9"
token_file = "/etc/visioguichet/kiosk.token"

[outbox]
key_file = "/etc/visioguichet/outbox.key"

[devices]
card_reader = "simulated"
printer = "simulated"
printer_spool_dir = "/var/lib/visioguichet/printed"
"""


@pytest.fixture(scope="module")
def root(deploy_prerequisites: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chroot]:
    where = tmp_path_factory.mktemp("deploy") / "root"
    with bookworm_root(where, ROOT) as chroot:
        setup = chroot.path(SETUP)
        setup.mkdir(parents=True)
        (setup / "kiosk.toml").write_text(KIOSK_TOML, encoding="utf-8")
        # What `kiosk-backend add-kiosk ID --token-file FILE` writes: a secret, mode 0600.
        token = setup / "kiosk.token"
        token.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")
        token.chmod(0o600)
        yield chroot
        _record_timings(chroot.timings)


def install(chroot: Chroot, *args: str) -> subprocess.CompletedProcess[str]:
    return chroot.run(
        [INSTALL, "--no-start", "--source", "/src", "--wheelhouse", "/mnt/wheels", *args],
        timeout_s=INSTALL_TIMEOUT_S,
    )


def first_install_args() -> list[str]:
    return ["--config", f"{SETUP}/kiosk.toml", "--token", f"{SETUP}/kiosk.token"]


@pytest.fixture(scope="module")
def installed(root: Chroot) -> Chroot:
    started = time.monotonic()
    done = install(root, *first_install_args())
    root.timings["first_install_s"] = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "--no-start: nothing started" in done.stdout
    return root


def owner_mode(chroot: Chroot, inside: str) -> tuple[str, str, str]:
    done = chroot.run(["stat", "-c", "%U %G %a", inside], check=True)
    user, group, mode = done.stdout.split()
    return user, group, mode


def test_a_world_readable_token_is_refused_before_anything_changes(root: Chroot) -> None:
    loose = root.path(f"{SETUP}/loose.token")
    loose.write_text("secret\n", encoding="utf-8")
    loose.chmod(0o644)
    done = install(root, "--config", f"{SETUP}/kiosk.toml", "--token", f"{SETUP}/loose.token")
    assert done.returncode != 0
    assert "must be 0600" in done.stderr
    assert not root.path("/etc/visioguichet").exists()
    assert not root.path("/opt/visioguichet").exists()


def test_files_are_in_place_with_their_permissions(installed: Chroot) -> None:
    assert owner_mode(installed, "/etc/visioguichet") == ("root", SERVICE_USER, "750")
    assert owner_mode(installed, "/etc/visioguichet/kiosk.toml") == ("root", SERVICE_USER, "640")
    assert owner_mode(installed, "/etc/visioguichet/kiosk.token") == (
        SERVICE_USER,
        SERVICE_USER,
        "600",
    )
    assert owner_mode(installed, "/etc/visioguichet/outbox.key") == (
        SERVICE_USER,
        SERVICE_USER,
        "600",
    )
    assert owner_mode(installed, "/var/lib/visioguichet") == (SERVICE_USER, SERVICE_USER, "750")
    token = installed.path("/etc/visioguichet/kiosk.token").read_text(encoding="utf-8")
    assert token == installed.path(f"{SETUP}/kiosk.token").read_text(encoding="utf-8")
    for unit in UNITS:
        assert owner_mode(installed, f"/etc/systemd/system/{unit}") == ("root", "root", "644")
    for dropin in ("logind.conf.d", "journald.conf.d"):
        assert installed.path(f"/etc/systemd/{dropin}/visioguichet.conf").is_file()
    assert "kernel.sysrq = 0" in installed.path("/etc/sysctl.d/90-visioguichet.conf").read_text()
    assert installed.path("/etc/udev/rules.d/70-visioguichet.rules").is_file()
    polkit = installed.path("/etc/polkit-1/rules.d/50-visioguichet-pcscd.rules")
    assert "org.debian.pcsc-lite.access_card" in polkit.read_text(encoding="utf-8")
    rollback = installed.path("/usr/local/sbin/visioguichet-rollback")
    assert rollback.stat().st_mode & stat.S_IXUSR


def test_the_service_user_is_a_system_account_in_the_device_groups(installed: Chroot) -> None:
    entry = installed.run(["getent", "passwd", SERVICE_USER], check=True).stdout.strip()
    _name, _pw, uid, _gid, _gecos, home, shell = entry.split(":")
    assert int(uid) < 1000
    assert (home, shell) == ("/var/lib/visioguichet", "/usr/sbin/nologin")
    groups = set(installed.run(["id", "-nG", SERVICE_USER], check=True).stdout.split())
    assert {"video", "audio", "lp"} <= groups


def test_the_release_is_current_with_its_virtual_environment(installed: Chroot) -> None:
    current = os.readlink(installed.path("/opt/visioguichet/current"))
    assert current.startswith("releases/0.1.0-")
    release = installed.path(f"/opt/visioguichet/{current}")
    assert (release / ".complete").is_file()
    assert (release / "venv/bin/kiosk").is_file()
    assert not installed.path("/opt/visioguichet/previous").exists()


def test_units_are_valid_and_enabled(installed: Chroot) -> None:
    units = [f"/etc/systemd/system/{unit}" for unit in UNITS]
    # verify also checks that every ExecStart= binary exists (cage, lpadmin, ...).
    done = installed.run(["systemd-analyze", "verify", *units])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.strip() == "", done.stderr
    wants = installed.path("/etc/systemd/system/graphical.target.wants")
    assert (wants / "visioguichet-kiosk.service").is_symlink()
    multi_user = installed.path("/etc/systemd/system/multi-user.target.wants")
    assert (multi_user / "visioguichet-printer.service").is_symlink()
    getty = installed.path("/etc/systemd/system/getty.target.wants/getty@tty1.service")
    assert not getty.exists(), "a login prompt would appear on the kiosk's console"
    default = installed.run(["systemctl", "get-default"], check=True).stdout.strip()
    assert default == "graphical.target"


def test_the_kiosk_unit_runs_the_app_under_cage_with_a_watchdog(installed: Chroot) -> None:
    unit = installed.path("/etc/systemd/system/visioguichet-kiosk.service").read_text()
    lines = {
        line.split("=", 1)[0]: line.split("=", 1)[1]
        for line in unit.splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert lines["ExecStart"].startswith("/usr/bin/cage -- /opt/visioguichet/current/venv/bin/")
    assert " -s " not in lines["ExecStart"], "cage -s would allow switching consoles"
    assert (lines["Type"], lines["NotifyAccess"], lines["Restart"]) == ("notify", "all", "always")
    assert int(lines["WatchdogSec"]) > 0
    assert (lines["User"], lines["TTYPath"]) == (SERVICE_USER, "/dev/tty1")
    assert lines["Conflicts"] == "getty@tty1.service"
    logind = installed.path("/etc/systemd/logind.conf.d/visioguichet.conf").read_text()
    assert "NAutoVTs=0" in logind
    assert "ReserveVT=0" in logind


def test_every_deploy_script_passes_shellcheck() -> None:
    scripts = [
        path
        for path in DEPLOY.rglob("*")
        if path.is_file() and path.read_bytes().startswith(b"#!/bin/bash")
    ]
    assert len(scripts) >= 2
    done = subprocess.run(
        ["shellcheck", *map(str, scripts)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout


def test_a_second_run_changes_nothing(installed: Chroot) -> None:
    before = snapshot(installed)
    started = time.monotonic()
    done = install(installed, *first_install_args())
    installed.timings["second_install_s"] = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "changed:" not in done.stdout
    assert "done: 0 changes" in done.stdout
    assert snapshot(installed) == before
    passwd = installed.path("/etc/passwd").read_text(encoding="utf-8")
    entries = [line for line in passwd.splitlines() if line.startswith(f"{SERVICE_USER}:")]
    assert len(entries) == 1, "the service user must not be added twice"


def test_the_installed_kiosk_serves_a_citizen_offscreen(installed: Chroot) -> None:
    started = time.monotonic()
    done = installed.run(
        [
            "/usr/sbin/runuser",
            "-u",
            SERVICE_USER,
            "--",
            "/usr/bin/env",
            "HOME=/var/lib/visioguichet",
            "QT_QPA_PLATFORM=offscreen",
            "XDG_CACHE_HOME=/var/lib/visioguichet/.cache",
            "/opt/visioguichet/current/venv/bin/kiosk",
            "--config",
            "/etc/visioguichet/kiosk.toml",
            "--smoke-journey",
            "--quit-after",
            "120",
        ],
        timeout_s=180,
    )
    installed.timings["smoke_journey_s"] = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "smoke-journey reference VG-" in done.stdout
    # The transaction waits in the installed outbox, written by the service user.
    assert owner_mode(installed, "/var/lib/visioguichet/outbox.db")[0] == SERVICE_USER


def test_a_wrong_configuration_is_refused_and_the_installed_one_kept(installed: Chroot) -> None:
    before = snapshot(installed)
    wrong = installed.path(f"{SETUP}/wrong.toml")
    wrong.write_text(KIOSK_TOML.replace("[kiosk]\n", "[kiosk]\ninactivity_timeout_s = 1\n"))
    done = install(installed, "--config", f"{SETUP}/wrong.toml")
    assert done.returncode != 0
    assert "kiosk.inactivity_timeout_s" in done.stderr
    assert "is not valid" in done.stderr
    assert snapshot(installed) == before


def test_a_bad_printer_uri_is_refused(installed: Chroot) -> None:
    done = install(installed, "--printer-uri", "not a uri")
    assert done.returncode != 0
    assert "is not a device URI" in done.stderr
    done = install(installed, "--printer-uri", "socket://127.0.0.1:9100")
    assert done.returncode != 0
    assert "needs devices.printer_cups_queue" in done.stderr
    assert not installed.path("/etc/visioguichet/printer.env").exists()


def test_a_printer_uri_makes_the_cups_queue_at_boot(installed: Chroot) -> None:
    config = installed.path(f"{SETUP}/printer.toml")
    config.write_text(KIOSK_TOML + 'printer_cups_queue = "receipts"\n', encoding="utf-8")
    done = install(
        installed, "--config", f"{SETUP}/printer.toml",
        "--printer-uri", "socket://127.0.0.1:9100", "--printer-model", "raw",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    env = dict(
        line.split("=", 1)
        for line in installed.path("/etc/visioguichet/printer.env").read_text().splitlines()
    )
    assert env == {
        "PRINTER_QUEUE": "receipts",
        "PRINTER_URI": "socket://127.0.0.1:9100",
        "PRINTER_MODEL": "raw",
    }
    # What the boot unit runs, run here against a CUPS of the test's own.
    unit = installed.path("/etc/systemd/system/visioguichet-printer.service").read_text()
    commands = [
        line.removeprefix("ExecStart=").replace("${", "{").format(**env).split()
        for line in unit.splitlines()
        if line.startswith("ExecStart=")
    ]
    with chroot_cupsd(installed) as cups_env:
        for command in commands:
            ran = installed.run(command, env=cups_env)
            assert ran.returncode == 0, ran.stderr
        status = installed.run(["lpstat", "-p", "receipts"], env=cups_env)
    assert "printer receipts is idle" in status.stdout, status.stdout + status.stderr
    assert "enabled" in status.stdout


def test_an_update_keeps_the_previous_release_for_a_rollback(installed: Chroot) -> None:
    first = os.readlink(installed.path("/opt/visioguichet/current"))
    # A new version of the source: any change makes a new release.
    marker = installed.path("/src/kiosk/__init__.py")
    marker.write_text(marker.read_text(encoding="utf-8") + "# next version\n", encoding="utf-8")
    started = time.monotonic()
    done = install(installed)  # an update: configuration and token already in place
    installed.timings["update_s"] = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    second = os.readlink(installed.path("/opt/visioguichet/current"))
    assert second != first
    assert os.readlink(installed.path("/opt/visioguichet/previous")) == first

    done = installed.run(["visioguichet-rollback", "--no-start"])
    assert done.returncode == 0, done.stderr
    assert os.readlink(installed.path("/opt/visioguichet/current")) == first
    assert os.readlink(installed.path("/opt/visioguichet/previous")) == second
    # The rolled-back release still runs (its virtual environment is whole).
    check = installed.run(["/opt/visioguichet/current/venv/bin/kiosk", "--help"])
    assert check.returncode == 0, check.stderr


@contextlib.contextmanager
def chroot_cupsd(chroot: Chroot) -> Iterator[dict[str, str]]:
    """cupsd in the root, on a Unix socket only (a CUPS on the host may hold port 631)."""
    conf = chroot.path(f"{SETUP}/cupsd.conf")
    default = chroot.path("/etc/cups/cupsd.conf").read_text(encoding="utf-8")
    kept = [line for line in default.splitlines() if not line.startswith(("Listen", "Port"))]
    socket_path = "/run/visioguichet-test-cups.sock"
    conf.write_text("\n".join([f"Listen {socket_path}", *kept]) + "\n", encoding="utf-8")
    chroot.path("/run/cups").mkdir(parents=True, exist_ok=True)
    base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    cupsd = subprocess.Popen(
        ["chroot", str(chroot.root), "/usr/bin/env", "-i",
         *[f"{key}={value}" for key, value in base.items()],
         "/usr/sbin/cupsd", "-f", "-c", f"{SETUP}/cupsd.conf"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not chroot.path(socket_path).exists():
            assert cupsd.poll() is None, cupsd.stderr.read() if cupsd.stderr else b""
            assert time.monotonic() < deadline, "cupsd did not open its socket"
            time.sleep(0.1)
        yield {"CUPS_SERVER": socket_path}
    finally:
        cupsd.terminate()
        try:
            cupsd.wait(timeout=15)
        except subprocess.TimeoutExpired:
            cupsd.kill()
            cupsd.wait()
        if cupsd.stderr is not None:
            cupsd.stderr.close()


def snapshot(chroot: Chroot) -> dict[str, str]:
    """Path -> type, mode, owner and content digest (or link target) of everything watched."""
    found: dict[str, str] = {}
    for inside in WATCHED:
        top = chroot.path(inside)
        paths = [top] if not top.is_dir() else [top, *top.rglob("*")]
        for path in paths:
            if "__pycache__" in path.parts:
                continue
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                what = "link " + os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                what = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                what = "dir"
            found[str(path.relative_to(chroot.root))] = (
                f"{what} {stat.filemode(info.st_mode)} {info.st_uid}:{info.st_gid}"
            )
    return found


def _record_timings(timings: dict[str, float]) -> None:
    """Printed, and kept beside the cache, for the record of cached/uncached durations."""
    line = json.dumps({key: round(value, 1) for key, value in timings.items()})
    print(f"\ndeploy-check timings: {line}")
    try:
        with TIMINGS_FILE.open("a", encoding="utf-8") as log:
            log.write(line + "\n")
    except OSError:
        pass


def test_a_built_wheel_installs_and_old_releases_are_pruned(
    installed: Chroot, tmp_path: Path
) -> None:
    """A release from a wheel (what a technician carries offline); only two releases stay."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        stdout=sys.stderr,
    )
    [wheel] = tmp_path.glob("visioguichet-*.whl")
    shutil.copy(wheel, installed.path(f"{SETUP}/{wheel.name}"))
    releases = installed.path("/opt/visioguichet/releases")
    before = {path.name for path in releases.iterdir()}
    current = os.readlink(installed.path("/opt/visioguichet/current"))
    done = installed.run(
        [INSTALL, "--no-start", "--wheel", f"{SETUP}/{wheel.name}", "--wheelhouse", "/mnt/wheels"],
        timeout_s=INSTALL_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    new = os.readlink(installed.path("/opt/visioguichet/current"))
    assert new.removeprefix("releases/") not in before
    assert os.readlink(installed.path("/opt/visioguichet/previous")) == current
    assert {path.name for path in releases.iterdir()} == {
        new.removeprefix("releases/"),
        current.removeprefix("releases/"),
    }
    assert "removed old release" in done.stdout
    check = installed.run(["/opt/visioguichet/current/venv/bin/kiosk", "--help"])
    assert check.returncode == 0, check.stderr
