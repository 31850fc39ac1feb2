"""Keep the kiosk's native heap from creeping up over a day of citizens.

A kiosk runs for weeks, and its C++ side (Qt, the scene graph, PyAV, libvpx,
reportlab's C helpers) allocates from several threads. glibc gives each thread
that contends for the heap an arena of its own, up to eight per core, and
memory freed in one arena is rarely handed back to the system: the resident
size drifts up although nothing is leaked. Two standard remedies, both glibc
only (elsewhere, nothing happens):

- cap the arenas at two (``mallopt(M_ARENA_MAX)``, what ``MALLOC_ARENA_MAX=2``
  does for processes started by a shell), set once at start-up, before the
  worker threads exist;
- after each citizen's session is wiped, hand the freed pages at the top and
  in the middle of the heap back to the system (``malloc_trim(0)``).

A third needs the environment the process starts with: glibc's per-thread cache
of freed blocks (tcache) is switched off. Each thread keeps up to seven freed
blocks of every size for itself, counted as in use and out of ``malloc_trim``'s
reach; the kiosk's cache filled a little with each citizen for hundreds of
citizens (1 to 2 KB each). Without it, the bytes in use and the resident size
stay flat from citizen to citizen, and the UI is no slower (issue #6,
``docs/BENCHMARKS.md``). The ``kiosk`` command restarts itself once, same
process, with ``GLIBC_TUNABLES`` set (:func:`restart_with_kiosk_allocator`); an
operator who sets ``glibc.malloc.tcache_count`` there keeps their value.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
from collections.abc import Mapping
from functools import cache

_log = logging.getLogger(__name__)
M_ARENA_MAX = -8  # from glibc's malloc.h
ARENAS = 2
TCACHE_TUNABLE = "glibc.malloc.tcache_count"
KIOSK_TUNABLES = f"{TCACHE_TUNABLE}=0"


@cache
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return None
    return libc


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas; ``True`` when the cap is in force."""
    libc = _glibc()
    if libc is None:
        return False
    done = bool(libc.mallopt(M_ARENA_MAX, arenas))
    if not done:
        _log.warning("could not cap the malloc arenas at %d", arenas)
    return done


def release_free_heap() -> bool:
    """Return free heap pages to the system; ``True`` when some were released."""
    libc = _glibc()
    return libc is not None and bool(libc.malloc_trim(0))


class _MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2`` (glibc 2.33 and later): all ``size_t``."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def malloc_in_use() -> int | None:
    """The bytes malloc has handed out and not had back (``None`` off glibc).

    Unlike the resident size, it does not move when freed memory stays in the
    heap: the measure of a native leak (tests/kiosk/test_qr_image.py).
    """
    libc = _glibc()
    if libc is None or not hasattr(libc, "mallinfo2"):
        return None
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    return int(info.uordblks + info.hblkhd)


def runs_on_glibc() -> bool:
    """Whether this process's C library is glibc (the tunables mean nothing elsewhere)."""
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (ValueError, OSError):
        return False


def kiosk_allocator_environment(environ: Mapping[str, str]) -> dict[str, str] | None:
    """``environ`` with the kiosk's malloc tunables added, or ``None`` if nothing to add.

    Nothing when the tcache is already tuned (by us after the restart, or by an
    operator), or off glibc. Other tunables already set are kept.
    """
    tunables = environ.get("GLIBC_TUNABLES", "")
    if TCACHE_TUNABLE in tunables or not runs_on_glibc():
        return None
    return {**environ, "GLIBC_TUNABLES": ":".join(filter(None, (tunables, KIOSK_TUNABLES)))}


def restart_with_kiosk_allocator() -> None:
    """Run this same command again in place (same PID) with the kiosk's tunables, if missing.

    Call it first thing, before threads or Qt exist: glibc reads its tunables
    only when a process starts. Returns only when no restart is needed.
    """
    environ = kiosk_allocator_environment(os.environ)
    if environ is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(sys.executable, sys.orig_argv, environ)
    except OSError as err:  # a kiosk that runs with glibc's defaults beats one that does not start
        print(f"kiosk: running without {KIOSK_TUNABLES} ({err})", file=sys.stderr)
