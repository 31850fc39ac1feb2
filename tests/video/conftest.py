"""Fixtures of the video tests: the loopback coturn."""

from tests.fixtures.coturn import coturn

__all__ = ["coturn"]
