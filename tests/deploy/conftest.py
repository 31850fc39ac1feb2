"""The deploy check runs on its own (`make deploy-check`): it builds a Debian root and
installs the whole appliance into it, minutes of work the unit suite must not pay.

Under `make deploy-check` (VG_DEPLOY_CHECK=1) a missing prerequisite fails the run:
skipping would hide that the installation went unchecked.
"""

from __future__ import annotations

import os
import shutil

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    enabled = os.environ.get("VG_DEPLOY_CHECK") == "1"
    for item in items:
        if "tests/deploy/test_install.py" not in item.nodeid:
            continue
        item.add_marker(pytest.mark.deploy)
        if not enabled:
            item.add_marker(pytest.mark.skip(reason="the deploy check runs by `make deploy-check`"))


@pytest.fixture(scope="session")
def deploy_prerequisites() -> None:
    """Root (chroot, mount) and the Debian tools the check drives."""
    missing = [tool for tool in ("debootstrap", "shellcheck", "chroot") if not shutil.which(tool)]
    if missing:
        tools = ", ".join(missing)
        pytest.fail(f"the deploy check needs {tools} (make deploy-check installs them)")
    if os.geteuid() != 0:
        pytest.fail("the deploy check needs root: it mounts /proc, /sys and /dev into a chroot")
