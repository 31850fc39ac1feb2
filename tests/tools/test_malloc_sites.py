"""The allocation-site recorder finds what a stretch of work left allocated, and only that."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tools import malloc_sites

ROOT = Path(__file__).resolve().parents[2]
KEPT, FREED, UNRECORDED = 123_457, 54_321, 99_999  # sizes no interpreter allocates by itself

SCENARIO = textwrap.dedent(
    """
    import ctypes, sys
    from pathlib import Path
    from tools import malloc_sites

    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    malloc_sites.start()
    kept = libc.malloc({kept})
    libc.free(libc.malloc({freed}))
    malloc_sites.stop()
    later = libc.malloc({unrecorded})
    count, size = malloc_sites.live()
    print(count, size)
    malloc_sites.dump(Path(sys.argv[1]))
    """
).format(kept=KEPT, freed=FREED, unrecorded=UNRECORDED)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to build the recorder")
def test_a_dump_holds_what_was_allocated_while_recording_and_not_freed(tmp_path: Path) -> None:
    library = malloc_sites.build(tmp_path / "malloc_sites.so")
    dump = tmp_path / "sites.txt"
    environ = os.environ | {"LD_PRELOAD": str(library), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCENARIO, str(dump)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    count, size = (int(word) for word in done.stdout.split())
    assert count >= 1
    assert size >= KEPT
    sites = malloc_sites.read(dump)
    sizes = [site.size for site in sites]
    assert KEPT in sizes
    assert FREED not in sizes
    assert UNRECORDED not in sizes
    kept = next(site for site in sites if site.size == KEPT)
    assert kept.count == 1
    assert not malloc_sites.PLUMBING.search(kept.origin)


def test_the_recorder_refuses_to_run_unless_preloaded() -> None:
    if "malloc_sites" in os.environ.get("LD_PRELOAD", ""):
        pytest.skip("this process is preloaded")
    with pytest.raises(RuntimeError, match="not preloaded"):
        malloc_sites.start()


def test_a_report_groups_sites_by_their_first_frame_outside_the_allocator(tmp_path: Path) -> None:
    dump = tmp_path / "sites.txt"
    dump.write_text(
        "STACK 1 2 128\n"
        "/usr/lib/libstdc++.so.6(_Znwm+0x1c)[0x1]\n"
        "/opt/Qt/lib/libQt6Gui.so.6(_ZN11QAccessible5cacheEv+0x10)[0x2]\n"
        "STACK 7 1 4096\n"
        "/lib/libsqlite3.so.0(sqlite3Malloc+0x70)[0x3]\n"
        "STACK 9 3 64\n"
        "/usr/lib/libc.so.6(+0x10)[0x4]\n"
        "/opt/Qt/lib/libQt6Gui.so.6(_ZN11QAccessible5cacheEv+0x10)[0x2]\n",
        encoding="utf-8",
    )
    sites = malloc_sites.read(dump)
    assert [(s.count, s.size) for s in sites] == [(2, 128), (1, 4096), (3, 64)]
    assert malloc_sites.by_origin(sites) == [
        ("libsqlite3.so.0:sqlite3Malloc+0x70", 1, 4096),
        ("libQt6Gui.so.6:_ZN11QAccessible5cacheEv+0x10", 5, 192),
    ]
