"""tools/audit_lock.py fails on a vulnerability and on a package it could not check."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from audit_lock import LOCK, judge


def test_clean_only_when_every_package_was_checked() -> None:
    clean = {"dependencies": [{"name": "httpx", "version": "0.29.0", "vulns": []}]}
    assert judge(clean)[0] == 0
    skipped = {
        "dependencies": [
            {"name": "httpx", "version": "0.29.0", "vulns": []},
            {"name": "uvicorn", "version": "0.55.0", "skip_reason": "not found on PyPI"},
        ]
    }
    code, lines = judge(skipped)
    assert code == 2
    assert "1 checked, 1 unchecked" in lines[-1]
    vulnerable = {
        "dependencies": [
            {
                "name": "jinja2",
                "version": "2.10",
                "vulns": [{"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"]}],
            }
        ]
    }
    code, lines = judge(vulnerable)
    assert code == 1
    assert "PYSEC-2019-217" in lines[0]


def test_the_lock_pins_every_package_and_keeps_pyside_below_6_12() -> None:
    pins = [line for line in LOCK.read_text().splitlines() if line and not line.startswith("#")]
    assert len(pins) > 50
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[^=\s]+", pin) for pin in pins), pins
    assert "PySide6==6.11.3" in pins
