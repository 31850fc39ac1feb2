"""A small static web site on loopback, in a thread: the demo's fake agency e-service.

Real e-services live on the agencies' servers; the demo (and the tests, with
their own pages) need one that runs anywhere without a network. Pages are
HTML strings by path; ``{origin}`` in a page is replaced by the site's own
origin. Bytes are served as an attachment (a download; PDF for ``.pdf``), and
``redirects`` answer 302 to another address.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class LoopbackSite:
    """Serves ``pages`` on 127.0.0.1 (``port`` 0: any free port) until closed."""

    def __init__(
        self,
        pages: Mapping[str, str | bytes],
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        redirects: Mapping[str, str] | None = None,
    ) -> None:
        self._pages = dict(pages)
        self.redirects = dict(redirects or {})  # path -> address (302), ``{origin}`` replaced
        self.requests: list[str] = []  # paths asked for, in order (tests)
        handler = _handler_for(self)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.origin = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="loopback-site", daemon=True
        )
        self._thread.start()

    def page(self, path: str) -> tuple[str, bytes] | None:
        """The content type and body served at ``path``, if there is a page."""
        body = self._pages.get(path)
        if body is None:
            return None
        if isinstance(body, bytes):
            kind = "application/pdf" if path.endswith(".pdf") else "application/octet-stream"
            return kind, body
        return "text/html; charset=utf-8", body.replace("{origin}", self.origin).encode("utf-8")

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _handler_for(site: LoopbackSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            site.requests.append(path)
            target = site.redirects.get(path)
            if target is not None:
                self.send_response(302)
                self.send_header("Location", target.replace("{origin}", site.origin))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            found = site.page(path)
            if found is None:
                self.send_error(404)
                return
            kind, body = found
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            if not kind.startswith("text/html"):
                name = path.rsplit("/", 1)[-1]
                self.send_header("Content-Disposition", f'attachment; filename="{name}"')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the kiosk's log is not the place for a demo site's requests."""

    return Handler
