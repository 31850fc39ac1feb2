"""The e-service tests' fake agency site, and the kiosk's shared loop closed while Qt lives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.ui.harness import close_shared_loop
from tests.fixtures.eservice_site import fake_eservice

__all__ = ["fake_eservice"]


@pytest.fixture(scope="session", autouse=True)
def shared_loop_closed(qapp: object) -> Iterator[None]:
    """Close the kiosk's shared loop while Qt is still there (before qapp goes)."""
    yield
    close_shared_loop()
