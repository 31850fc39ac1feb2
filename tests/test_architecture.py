"""The dependency rules of DESIGN.md hold, checked by import-linter."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]
QT_FREE_CONTRACT = "Qt only in kiosk.ui (the e-services web view included)"
# Also catches imports hidden inside functions, which import-linter sees too, and
# dynamic ones (importlib) which it does not.
QT_IMPORT = re.compile(
    r"^\s*(from|import)\s+(PySide6|shiboken6|qasync)\b|import_module\(.(PySide6|qasync)", re.M
)


def contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return found


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken" in result.stdout


def test_every_qt_free_kiosk_module_is_under_contract() -> None:
    [contract] = [c for c in contracts() if c["name"] == QT_FREE_CONTRACT]
    listed = set(contract["source_modules"])  # type: ignore[call-overload]
    modules = {
        f"kiosk.{path.stem}" for path in (ROOT / "kiosk").glob("*.py") if path.stem != "__init__"
    }
    # Domain packages too (kiosk.maintenance, kiosk.receipt); the UI ones may import Qt.
    modules |= {
        f"kiosk.{path.parent.name}"
        for path in (ROOT / "kiosk").glob("*/__init__.py")
        if path.parent.name not in ("ui", "eservices")
    }
    assert modules - listed == set(), "add new kiosk modules to the Qt-free contract"


def test_no_qt_import_outside_the_ui_folders() -> None:
    offenders = []
    for package in ("peripherals", "offline_queue", "video", "backend", "kiosk"):
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(("kiosk/ui/", "kiosk/eservices/")):
                continue
            if QT_IMPORT.search(path.read_text(encoding="utf-8")):
                offenders.append(relative)
    assert offenders == []
