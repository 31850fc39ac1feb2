"""Which call sites hold the native allocations that outlive a stretch of work (issue #6).

``tools/malloc_sites.c``, preloaded into a process, records each malloc made
between :func:`start` and :func:`stop` with its call stack and forgets it when it
is freed; :func:`dump` writes what is left, grouped by stack. Found this way: the
wipe's ``trimComponentCache`` made four screens compile again for every
citizen, and each compile left a few allocations in Qt's type registries
(``docs/BENCHMARKS.md``, "Fourth session").

    python tools/malloc_sites.py build /tmp/malloc_sites.so
    LD_PRELOAD=/tmp/malloc_sites.so python my_scenario.py   # calls start(), stop(), dump()
    python tools/malloc_sites.py report /tmp/sites.txt

In the scenario: ``from tools import malloc_sites`` then ``malloc_sites.start()``
before the stretch, ``malloc_sites.stop()`` after it, and ``malloc_sites.dump(path)``
once the work that should have freed everything is done.
"""

from __future__ import annotations

import argparse
import ctypes
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SOURCE = Path(__file__).with_name("malloc_sites.c")
# Frames that say only "this allocated": the site is the first frame after them.
PLUMBING = re.compile(
    r"malloc_sites|libc\.so|libstdc\+\+|QArrayData|_PyMem_|PyMem_|PyObject_Malloc|_PyObject_"
)
FRAME = re.compile(r"([^/(\s]+)\(([^)]*)\)")


@dataclass(frozen=True)
class Site:
    """Allocations still held from one call stack: how many, how many bytes, the frames."""

    count: int
    size: int
    frames: tuple[str, ...]

    @property
    def origin(self) -> str:
        """The first frame that is not allocator plumbing, as ``library:symbol+offset``."""
        for frame in self.frames:
            if not PLUMBING.search(frame):
                return short_frame(frame)
        return short_frame(self.frames[0]) if self.frames else "?"


def short_frame(frame: str) -> str:
    found = FRAME.search(frame)
    return f"{found.group(1)}:{found.group(2)}" if found else frame.strip()


def build(target: Path) -> Path:
    """Compile the recorder to ``target`` (a shared library); raises if gcc fails."""
    subprocess.run(
        ["gcc", "-O2", "-fPIC", "-shared", "-o", str(target), str(SOURCE), "-lpthread"],
        check=True,
    )
    return target


@cache
def _recorder() -> ctypes.CDLL:
    recorder = ctypes.CDLL(None)  # the preloaded library's symbols are the process's
    if not hasattr(recorder, "mt_start"):
        raise RuntimeError("malloc_sites is not preloaded (LD_PRELOAD=.../malloc_sites.so)")
    recorder.mt_live_bytes.restype = ctypes.c_long
    recorder.mt_live_count.restype = ctypes.c_long
    recorder.mt_dump.argtypes = [ctypes.c_char_p]
    return recorder


def start() -> None:
    """Record every allocation made from now on, in every thread."""
    _recorder().mt_start()


def stop() -> None:
    """Record no new allocations; frees of recorded ones are still seen."""
    _recorder().mt_stop()


def live() -> tuple[int, int]:
    """Recorded allocations not freed yet: (count, bytes)."""
    recorder = _recorder()
    return int(recorder.mt_live_count()), int(recorder.mt_live_bytes())


def dump(path: Path) -> None:
    """Write the recorded allocations not freed yet, by call stack."""
    if _recorder().mt_dump(str(path).encode()) != 0:
        raise OSError(f"cannot write {path}")


def read(path: Path) -> list[Site]:
    """The sites in a dump, as :func:`dump` wrote them."""
    sites: list[Site] = []
    header: tuple[int, int] | None = None
    frames: list[str] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("STACK "):
            if header is not None:
                sites.append(Site(*header, tuple(frames)))
            _, _, count, size = line.split()
            header, frames = (int(count), int(size)), []
        elif header is not None:
            frames.append(line)
    if header is not None:
        sites.append(Site(*header, tuple(frames)))
    return sites


def by_origin(sites: list[Site]) -> list[tuple[str, int, int]]:
    """(origin, count, bytes) for each origin, the most bytes first."""
    counts: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for site in sites:
        counts[site.origin] += site.count
        sizes[site.origin] += site.size
    return [(origin, counts[origin], size) for origin, size in sizes.most_common()]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build").add_argument("target", type=Path)
    report = commands.add_parser("report")
    report.add_argument("dump", type=Path)
    report.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    if args.command == "build":
        print(build(args.target))
        return 0
    sites = read(args.dump)
    print(f"{sum(s.count for s in sites)} allocations, {sum(s.size for s in sites)} bytes held")
    for origin, count, size in by_origin(sites)[: args.top]:
        print(f"{size:>10} B {count:>7}  {origin}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
