"""Audit requirements.lock with pip-audit, and fail unless every package was really checked.

pip-audit reports "No known vulnerabilities found" even when it could check
none of the packages (the advisory service unreachable, or a registry mirror
without PyPI's per-version JSON API): it only lists them as skipped. Here a
skipped package is a failure too, so a green ``make audit`` means what it says.
Exit codes: 0 all checked and clean, 1 a vulnerability, 2 some package unchecked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"


def judge(report: dict[str, Any]) -> tuple[int, list[str]]:
    """The exit code and the lines to print for a pip-audit JSON report."""
    lines: list[str] = []
    vulnerable = skipped = 0
    for dependency in report.get("dependencies", []):
        name, version = dependency.get("name"), dependency.get("version")
        if "skip_reason" in dependency:
            skipped += 1
            lines.append(f"UNCHECKED {name} {version}: {dependency['skip_reason']}")
        for vuln in dependency.get("vulns", []):
            vulnerable += 1
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version"
            lines.append(f"VULNERABLE {name} {version}: {vuln.get('id')} (fixed in {fixes})")
    checked = len(report.get("dependencies", [])) - skipped
    lines.append(f"{checked} checked, {skipped} unchecked, {vulnerable} known vulnerabilities")
    return (1 if vulnerable else 2 if skipped else 0), lines


def main() -> int:
    """Run pip-audit on the lock file and judge its report."""
    command = [
        sys.executable, "-m", "pip_audit", "--requirement", str(LOCK), "--no-deps",
        "--disable-pip", "--format", "json", "--progress-spinner", "off",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stderr or result.stdout, file=sys.stderr)
        return 2
    code, lines = judge(report)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
