"""The loopback site behind the demo's e-service (and the tests' fake one)."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest

from kiosk.eservices import demo_site
from kiosk.eservices.site import LoopbackSite


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.status, answer.headers["Content-Type"], answer.read()


def test_pages_are_served_with_their_own_origin_and_files_as_downloads() -> None:
    pages: dict[str, str | bytes] = {"/": "<a href='{origin}/x'>x</a>", "/r.pdf": b"%PDF-1.4"}
    with LoopbackSite(pages) as site:
        status, kind, body = fetch(site.origin + "/")
        assert (status, kind) == (200, "text/html; charset=utf-8")
        assert body.decode() == f"<a href='{site.origin}/x'>x</a>"
        with urllib.request.urlopen(site.origin + "/r.pdf", timeout=5) as answer:
            assert answer.headers["Content-Type"] == "application/pdf"
            assert answer.headers["Content-Disposition"] == 'attachment; filename="r.pdf"'
        with pytest.raises(urllib.error.HTTPError) as missing:
            fetch(site.origin + "/nothing")
        assert missing.value.code == 404
        missing.value.close()
        assert site.requests == ["/", "/r.pdf", "/nothing"]


def test_the_demo_eservice_serves_its_pages_or_steps_aside_when_its_port_is_taken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        monkeypatch.setattr(demo_site, "DEMO_ESERVICE_PORT", port)
        sock.listen()
        with demo_site.demo_eservice() as site:
            assert site is None  # the demo goes on; its e-service says it is not answering
    monkeypatch.setattr(demo_site, "DEMO_ESERVICE_PORT", 0)  # any free port, not the demo's
    with demo_site.demo_eservice() as site:
        assert site is not None
        status, _, body = fetch(site.origin + "/identite")
        assert status == 200
        assert "id='permis'" in body.decode()
