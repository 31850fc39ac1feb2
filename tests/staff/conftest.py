"""Fixtures of the staff pages' language tests (browser, and the back end's database)."""

from __future__ import annotations

from tests.fixtures.chromium import chromium_context, chromium_page

__all__ = ["chromium_context", "chromium_page"]
