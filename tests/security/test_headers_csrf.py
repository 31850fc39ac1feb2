"""Security headers on every route's answer; cross-site unsafe requests refused (CSRF)."""

from __future__ import annotations

import re

import httpx
import pytest

from backend.roles import Role
from backend.security import CONTENT_SECURITY_POLICY
from tests.fixtures.backend import InProcessBackend
from tests.fleet.helpers import staff_client
from tests.security.routes import endpoints

EXPECTED = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def _concrete(path: str) -> str:
    # Path parameters get a plausible value; the answer's status does not matter here.
    return re.sub(r"\{[^}]+\}", "a" * 64, path)


def http_requests(backend: InProcessBackend) -> list[tuple[str, str]]:
    """(method, path) of every HTTP route of the app, and one file under each static mount."""
    found: list[tuple[str, str]] = []
    for endpoint in endpoints(backend.app.routes):
        if endpoint.method == "MOUNT":
            found.append(("GET", f"{endpoint.path}/no-such-file.css"))
        elif endpoint.method != "WS":
            found.append((endpoint.method, _concrete(endpoint.path)))
    return found


def test_the_policy_allows_no_inline_script_and_no_framing() -> None:
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY


async def test_every_route_answers_with_the_security_headers(backend_app: InProcessBackend) -> None:
    requests = http_requests(backend_app)
    assert len(requests) > 20  # the enumeration found the app's routes
    async with backend_app.client() as client:
        for method, path in requests:
            answer = await client.request(method, path, headers={"Origin": backend_app.base_url})
            for name, value in EXPECTED.items():
                assert answer.headers.get(name) == value, (method, path, answer.status_code, name)
            assert "camera=(self)" in answer.headers["permissions-policy"]
            expected_cache = "no-cache" if "/static/" in path else "no-store"
            assert answer.headers["cache-control"] == expected_cache, (method, path)
            assert "strict-transport-security" not in answer.headers  # plain http


async def test_https_answers_carry_hsts(backend_app: InProcessBackend) -> None:
    async with httpx.AsyncClient(
        transport=backend_app.transport(), base_url="https://backend.test"
    ) as client:
        answer = await client.get("/healthz")
    assert answer.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_pages_carry_no_inline_script(backend_app: InProcessBackend) -> None:
    async with backend_app.client() as client:
        for page in ("/console/", "/fleet/", "/analytics/"):
            html = (await client.get(page)).text
            # Every <script> names a file: an inline one would be blocked by the policy.
            for tag in re.findall(r"<script[^>]*>", html):
                assert "src=" in tag, (page, tag)
            assert not re.search(r"\son[a-z]+=", html), page  # no inline event handler
            assert " style=" not in html, page


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Origin": "https://evil.example"}, "Origin"),
        ({"Origin": "null"}, "Origin"),
        ({"Sec-Fetch-Site": "cross-site"}, "Sec-Fetch-Site"),
        ({}, "Origin header"),  # the cookie without any Origin
    ],
)
async def test_a_cross_site_post_with_a_valid_cookie_is_refused(
    backend_app: InProcessBackend, headers: dict[str, str], reason: str
) -> None:
    async with staff_client(backend_app, "mia", Role.MANAGER) as client:
        # The same request from the page itself works (the client sends this origin).
        same_site = await client.put("/api/v1/analytics/costs", json={})
        assert same_site.status_code != 403
        del client.headers["Origin"]
        forged = await client.put("/api/v1/analytics/costs", json={}, headers=headers)
        assert forged.status_code == 403, forged.text
        assert reason in forged.json()["detail"]
        logout = await client.post("/console/logout", headers=headers)
        assert logout.status_code == 403
        # Still logged in: the forged logout did nothing.
        assert (await client.get("/api/v1/analytics/costs")).status_code == 200


async def test_a_login_from_another_site_is_refused(backend_app: InProcessBackend) -> None:
    async with backend_app.client() as client:
        answer = await client.post(
            "/console/login",
            json={"agent_id": "x", "password": "y" * 12},
            headers={"Origin": "https://evil.example"},
        )
    assert answer.status_code == 403


async def test_kiosk_bearer_calls_need_no_origin(backend_app: InProcessBackend) -> None:
    async with backend_app.client(backend_app.kiosk_token) as client:
        answer = await client.post("/api/v1/sync", content=b"{}")
    assert answer.status_code == 422  # judged on its content, not refused as cross-site
