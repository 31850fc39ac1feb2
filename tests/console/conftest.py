"""Fixtures of the agent console's browser tests."""

from __future__ import annotations

from tests.fixtures.chromium import chromium_context, chromium_page

__all__ = ["chromium_context", "chromium_page"]
