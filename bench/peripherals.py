"""Peripherals on their real stacks: card (pcscd + vpcd), printer (cupsd + cups-pdf), camera.

Runs the three areas in turn, each with its own stack started and stopped by
its module (`bench/_card.py`, `bench/_printer.py`, `bench/_camera.py`), and
prints one JSON object as its last line. Targets: card_identify_ms <= 300,
receipt_render_ms <= 50, print_complete_ms <= 1,000, docscan_4k_ms <= 60,
preview_fps_720p >= 25. Needs root (private cupsd, pcscd) as on the kiosk image.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/peripherals.py`, this folder comes first on the path, and
# bench/queue.py would shadow the standard library's `queue` (thread pools need it).
BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path[:] = [str(REPO_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]

import importlib.util  # noqa: E402
import json  # noqa: E402
from types import ModuleType  # noqa: E402

TARGETS = {
    "card_identify_ms": ("<=", 300.0),
    "receipt_render_ms": ("<=", 50.0),
    "print_complete_ms": ("<=", 1000.0),
    "docscan_4k_ms": ("<=", 60.0),
    "preview_fps_720p": (">=", 25.0),
}


def load(name: str) -> ModuleType:
    """Load ``bench/<name>.py`` (not a package: the folder holds scripts)."""
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    """Measure every area, then print the figures and whether each meets its target."""
    figures: dict[str, float] = {}
    for area in ("_card", "_printer", "_camera"):
        figures |= load(area).measure()
    verdicts = {
        key: (figures[key] <= bound if op == "<=" else figures[key] >= bound)
        for key, (op, bound) in TARGETS.items()
        if key in figures
    }
    print(json.dumps({**figures, "meets_targets": verdicts}))


if __name__ == "__main__":
    main()
