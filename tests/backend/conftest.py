"""Fixtures of the back-end tests."""

from __future__ import annotations

# Until the root conftest registers tests.fixtures.backend as a plugin.
from tests.fixtures.backend import backend_app, backend_server  # noqa: F401
