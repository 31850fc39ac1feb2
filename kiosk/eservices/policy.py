"""Which addresses the kiosk's web view may show: an allow-list of origins.

An origin is scheme, host and port (RFC 6454): ``https://impots.example.org``
allows every page of that site and nothing of ``https://example.org`` or of
``http://impots.example.org``. Only http and https are origins; ``data:``,
``javascript:``, ``file:`` and the like are refused, except the blank page a
browser shows before its first load.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

_DEFAULT_PORTS = {"http": 80, "https": 443}
# What a browser shows before and between pages: not a navigation to anywhere.
HARMLESS_URLS = frozenset({"", "about:blank"})


class OriginError(ValueError):
    """Text that is not an origin (scheme://host[:port], nothing after)."""


@dataclass(frozen=True, order=True)
class Origin:
    """Scheme, host and port of a web address: the unit of the allow-list."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        default = _DEFAULT_PORTS[self.scheme] == self.port
        return (
            f"{self.scheme}://{self.host}"
            if default
            else f"{self.scheme}://{self.host}:{self.port}"
        )

    @classmethod
    def parse(cls, text: str) -> Origin:
        """The origin written ``text`` (e.g. ``https://host:8443``); OriginError if not one."""
        parts = urllib.parse.urlsplit(text.strip())
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise OriginError(f"'{text}' is not an origin: no path, query or fragment")
        if parts.username is not None or parts.password is not None:
            raise OriginError(f"'{text}' is not an origin: no user or password")
        origin = origin_of(text)
        if origin is None:
            raise OriginError(f"'{text}' is not an origin: write scheme://host[:port]")
        return origin


def origin_of(url: str) -> Origin | None:
    """The origin of ``url``, or None when it has none (not http(s), no host, bad port)."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return Origin(scheme, host, port if port is not None else _DEFAULT_PORTS[scheme])


class AllowList:
    """The origins one e-service may show; every other address is refused."""

    def __init__(self, origins: Iterable[Origin]) -> None:
        self._origins = frozenset(origins)
        if not self._origins:
            raise ValueError("an allow-list needs at least one origin")

    @classmethod
    def of(cls, texts: Iterable[str]) -> AllowList:
        """The allow-list of origins written as text (OriginError names a bad one)."""
        return cls(Origin.parse(text) for text in texts)

    @property
    def origins(self) -> frozenset[Origin]:
        """The allowed origins."""
        return self._origins

    def allows(self, url: str) -> bool:
        """Whether the web view may show ``url``."""
        if url.strip() in HARMLESS_URLS:
            return True
        origin = origin_of(url)
        return origin is not None and origin in self._origins
