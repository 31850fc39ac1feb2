"""Security headers on every HTTP response, and the cross-site check of unsafe requests.

One pure ASGI middleware, so the heartbeat hot path pays a dictionary merge
and nothing else (no ``BaseHTTPMiddleware`` task per request).

The headers (docs/SECURITY.md, "a hostile network" and "a curious insider"):

- ``Content-Security-Policy``: scripts, styles and connections only from this
  origin (``'self'`` covers the page's own ``ws:``/``wss:`` in CSP level 3), no
  inline script or style attribute, no plugin, never framed; images may be
  ``data:``/``blob:`` (captured documents), media ``blob:`` (WebRTC streams);
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
  ``X-Frame-Options: DENY`` (for browsers without ``frame-ancestors``);
- ``Permissions-Policy``: camera and microphone for this origin only (the
  console's call), everything else off;
- ``Strict-Transport-Security`` when the request came over https;
- ``Cache-Control: no-store`` on everything but the static assets: pages and
  APIs carry personal data that must not stay in a shared machine's cache.

Cross-site request forgery: staff pages authenticate with a cookie, which a
browser attaches whatever page sends the request. An unsafe method (POST, PUT,
PATCH, DELETE) is therefore refused (403) when the browser says it comes from
another site (``Origin`` not this host, or ``Sec-Fetch-Site: cross-site`` /
``same-site``), and when it carries the session cookie without any ``Origin``
(every current browser sends one on unsafe requests; a script without it must
use a bearer token). Bearer-authenticated calls (kiosks) carry no cookie, so a
forged request gains nothing and they are not checked. The cookie's
``SameSite=Strict`` is a second lock on the same door.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.staff import SESSION_COOKIE

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = (
    "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), "
    "usb=(), serial=(), bluetooth=()"
)
HSTS = "max-age=31536000; includeSubDomains"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Assets without personal data: the browser may keep them (revalidating).
STATIC_PREFIXES = ("/console/static/", "/fleet/static/", "/analytics/static/")

_COMMON_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", PERMISSIONS_POLICY.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _has_session_cookie(scope: Scope) -> bool:
    cookie = _header(scope, b"cookie")
    if not cookie:
        return False
    return any(part.strip().startswith(f"{SESSION_COOKIE}=") for part in cookie.split(";"))


def cross_site_reason(scope: Scope) -> str | None:
    """Why an unsafe request must be refused as cross-site, or ``None`` if it may go on."""
    if scope.get("method", "GET") not in UNSAFE_METHODS:
        return None
    fetch_site = _header(scope, b"sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in ("same-origin", "none"):
        return f"cross-site request refused (Sec-Fetch-Site: {fetch_site})"
    origin = _header(scope, b"origin")
    if origin is not None:
        host = _header(scope, b"host") or ""
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
            return "cross-origin request refused (Origin is not this site)"
        return None
    if _has_session_cookie(scope):
        return "a request with the session cookie must carry an Origin header"
    return None


class SecurityMiddleware:
    """Adds the security headers to every HTTP response; refuses cross-site unsafe requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            # WebSockets check their Origin themselves (backend.hub.routes.same_origin).
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        extra = list(_COMMON_HEADERS)
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS.encode()))
        static = path.startswith(STATIC_PREFIXES)
        extra.append((b"cache-control", b"no-cache" if static else b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (key, value)
                    for key, value in message.get("headers", [])
                    # Ours win: a route's own cache header is replaced, never doubled.
                    if key.lower() != b"cache-control"
                ]
                message = {**message, "headers": headers + extra}
            await send(message)

        reason = cross_site_reason(scope)
        if reason is not None:
            await _refuse(send_with_headers, reason)
            return
        await self.app(scope, receive, send_with_headers)


async def _refuse(send: Send, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
