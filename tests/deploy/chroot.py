"""A Debian Bookworm root in a folder, built by debootstrap once and cached as a tarball.

The deploy check installs the appliance into it as a technician would on a
Raspberry Pi (the install script is architecture-independent; this root has
the host's architecture). Downloads are cached outside the repository: the
minbase tarball, the .deb files apt fetches, and a wheelhouse of the project's
Python dependencies, so a second run downloads nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CACHE = Path(os.environ.get("VG_DEPLOY_CACHE", "/var/cache/visioguichet-deploy-check"))
MIRROR = os.environ.get("VG_DEPLOY_MIRROR", "http://deb.debian.org/debian")
SUITE = "bookworm"
# What the install script expects of a freshly flashed Raspberry Pi OS Lite: systemd
# as init and Python 3. The rest is the script's job.
INCLUDE = "systemd,systemd-sysv,ca-certificates,python3"
CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEBOOTSTRAP_TIMEOUT_S = 1200


def _arch() -> str:
    done = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def rootfs_tarball() -> Path:
    """The cached minbase root (built now if absent; reused afterwards)."""
    tarball = CACHE / f"{SUITE}-minbase-{_arch()}-{INCLUDE.replace(',', '_')}.tar"
    if tarball.exists():
        return tarball
    CACHE.mkdir(parents=True, exist_ok=True)
    build = CACHE / "debootstrap.partial"
    shutil.rmtree(build, ignore_errors=True)
    subprocess.run(
        ["debootstrap", "--variant=minbase", f"--include={INCLUDE}", SUITE, str(build), MIRROR],
        check=True,
        timeout=DEBOOTSTRAP_TIMEOUT_S,
        stdout=sys.stderr,
    )
    partial = tarball.with_suffix(".tar.partial")
    subprocess.run(["tar", "-C", str(build), "-cf", str(partial), "."], check=True)
    partial.rename(tarball)  # only a complete tarball is ever reused
    shutil.rmtree(build)
    return tarball


def wheelhouse(source: Path) -> Path:
    """Wheels of every dependency of ``source`` (built from the host's pip cache, kept)."""
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    # setuptools builds the project from the checkout inside the offline root.
    for what in (["setuptools>=69", "wheel"], [str(source)]):
        subprocess.run(
            [*pip, "wheel", "--quiet", "--find-links", str(wheels), "-w", str(wheels), *what],
            check=True,
            stdout=sys.stderr,
        )
    # The project's own wheel is not used: the install builds the release from the checkout.
    for own in wheels.glob("visioguichet-*.whl"):
        own.unlink()
    return wheels


@dataclass
class Chroot:
    """A root folder with /proc, /sys and /dev mounted, and caches bound in."""

    root: Path
    mounts: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def mount(self, *args: str, target: str) -> None:
        path = self.root / target.lstrip("/")
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", *args, str(path)], check=True)
        self.mounts.append(path)

    def unmount_all(self) -> None:
        """Every mount made, newest first; lazily if a process still holds one."""
        for path in reversed(self.mounts):
            done = subprocess.run(["umount", "-R", str(path)], capture_output=True, check=False)
            if done.returncode != 0:
                subprocess.run(["umount", "-R", "-l", str(path)], check=False)
        self.mounts.clear()

    def run(
        self,
        command: Sequence[str],
        *,
        timeout_s: float = 600,
        env: dict[str, str] | None = None,
        check: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` inside the root with a clean environment."""
        base = {"PATH": CHROOT_PATH, "LANG": "C.UTF-8", "HOME": "/root"}
        return subprocess.run(
            [
                "chroot",
                str(self.root),
                "/usr/bin/env",
                "-i",
                *_env_args({**base, **(env or {})}),
                *command,
            ],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=check,
        )

    def path(self, inside: str) -> Path:
        """The host's path of ``inside`` (an absolute path in the root)."""
        return self.root / inside.lstrip("/")


def _env_args(env: dict[str, str]) -> list[str]:
    return [f"{key}={value}" for key, value in env.items()]


@contextlib.contextmanager
def bookworm_root(where: Path, source: Path) -> Iterator[Chroot]:
    """A fresh root at ``where`` with the project's working tree at /src; unmounted after."""
    started = time.monotonic()
    tarball = rootfs_tarball()
    timings = {"rootfs_s": time.monotonic() - started}
    started = time.monotonic()
    wheels = wheelhouse(source)
    timings["wheelhouse_s"] = time.monotonic() - started
    where.mkdir(parents=True)
    subprocess.run(["tar", "-C", str(where), "-xf", str(tarball)], check=True)
    chroot = Chroot(where, timings=timings)
    # Packages must not start services in a root that is not booted.
    policy = chroot.path("/usr/sbin/policy-rc.d")
    policy.write_text("#!/bin/sh\nexit 101\n", encoding="utf-8")
    policy.chmod(0o755)
    shutil.copy("/etc/resolv.conf", chroot.path("/etc/resolv.conf"))
    _copy_working_tree(source, chroot.path("/src"))
    archives = CACHE / "apt-archives"
    (archives / "partial").mkdir(parents=True, exist_ok=True)
    try:
        chroot.mount("-t", "proc", "proc", target="/proc")
        chroot.mount("--rbind", "--make-rslave", "/sys", target="/sys")
        chroot.mount("--rbind", "--make-rslave", "/dev", target="/dev")
        chroot.mount("--bind", str(archives), target="/var/cache/apt/archives")
        chroot.mount("--bind", "-o", "ro", str(wheels), target="/mnt/wheels")
        yield chroot
    finally:
        chroot.unmount_all()
        # Never remove a root with something still mounted in it (the host's /dev!).
        if not _has_mounts_under(where):
            shutil.rmtree(where, ignore_errors=True)


def _copy_working_tree(source: Path, dest: Path) -> None:
    """Tracked and new files (not ignored ones): what the next commit would hold."""
    listed = subprocess.run(
        ["git", "-C", str(source), "ls-files", "-z", "-co", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout
    # -c also lists tracked files deleted from the working tree: those are left out.
    names = [name for name in listed.split(b"\0") if name and (source / os.fsdecode(name)).exists()]
    dest.mkdir(parents=True)
    pack = subprocess.Popen(
        ["tar", "-C", str(source), "--null", "-T", "-", "-cf", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    unpack = subprocess.Popen(["tar", "-C", str(dest), "-xf", "-"], stdin=pack.stdout)
    assert pack.stdin is not None
    assert pack.stdout is not None
    pack.stdin.write(b"\0".join(names))
    pack.stdin.close()
    pack.stdout.close()
    if pack.wait() != 0 or unpack.wait() != 0:
        raise RuntimeError(f"copying {source} into the root failed")


def _has_mounts_under(path: Path) -> bool:
    prefix = str(path.resolve())
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        return any(line.split()[1].startswith(prefix) for line in mounts)
