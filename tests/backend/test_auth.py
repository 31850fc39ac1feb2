"""Only a valid, unrevoked credential of the right role gets in."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from backend.auth import CredentialError, authenticate, hash_token, issue_credential, revoke
from backend.db import api_clients
from tests.fixtures import make_wire_item
from tests.fixtures.backend import InProcessBackend


async def post_sync(backend: InProcessBackend, headers: dict[str, str]) -> httpx.Response:
    async with backend.client() as http:
        return await http.post("/api/v1/sync", json={"items": [make_wire_item()]}, headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic a2lvc2s6cGFzcw=="}, {"Authorization": "Bearer"}],
    ids=["missing", "not-bearer", "empty-bearer"],
)
async def test_no_bearer_token_is_401_with_a_challenge(
    backend_app: InProcessBackend, headers: dict[str, str]
) -> None:
    response = await post_sync(backend_app, headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("token", ["vg_unknown", "not-even-our-format", "vg_" + "x" * 500])
async def test_an_unknown_token_is_401(backend_app: InProcessBackend, token: str) -> None:
    response = await post_sync(backend_app, bearer(token))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


async def test_a_revoked_token_is_401(backend_app: InProcessBackend) -> None:
    revoke(backend_app.app.state.engine, backend_app.kiosk_id)

    response = await post_sync(backend_app, bearer(backend_app.kiosk_token))

    assert response.status_code == 401


async def test_staff_cannot_push_and_kiosks_cannot_read(backend_app: InProcessBackend) -> None:
    pushed = await post_sync(backend_app, bearer(backend_app.staff_token))
    async with backend_app.client(backend_app.kiosk_token) as kiosk:
        read = await kiosk.get("/api/v1/transactions")

    assert pushed.status_code == 403
    assert read.status_code == 403


async def test_reissuing_replaces_the_old_token_and_reinstates(
    backend_app: InProcessBackend,
) -> None:
    engine = backend_app.app.state.engine
    revoke(engine, backend_app.kiosk_id)

    fresh = issue_credential(engine, backend_app.kiosk_id, "kiosk")

    assert (await post_sync(backend_app, bearer(fresh))).status_code == 200
    assert (await post_sync(backend_app, bearer(backend_app.kiosk_token))).status_code == 401


def test_only_the_hash_of_a_token_is_stored(backend_app: InProcessBackend) -> None:
    engine = backend_app.app.state.engine
    with engine.connect() as conn:
        stored = conn.execute(
            select(api_clients.c.token_hash).where(api_clients.c.client_id == backend_app.kiosk_id)
        ).scalar_one()

    assert stored == hash_token(backend_app.kiosk_token)
    assert backend_app.kiosk_token not in stored
    assert backend_app.kiosk_token.startswith("vg_")
    assert len(backend_app.kiosk_token) >= 3 + 43  # 32 random bytes, URL-safe base 64


def test_a_client_keeps_its_role(backend_app: InProcessBackend) -> None:
    engine = backend_app.app.state.engine

    with pytest.raises(CredentialError, match="role 'kiosk'"):
        issue_credential(engine, backend_app.kiosk_id, "staff")
    assert authenticate(engine, backend_app.kiosk_token) is not None


@pytest.mark.parametrize("client_id", ["", "Kiosk", "kiosk 1", "-kiosk", "k" * 65, "kiosk/../x"])
def test_client_ids_are_plain_identifiers(backend_app: InProcessBackend, client_id: str) -> None:
    with pytest.raises(CredentialError, match="invalid client id"):
        issue_credential(backend_app.app.state.engine, client_id, "kiosk")


def test_revoking_an_unknown_client_is_an_error(backend_app: InProcessBackend) -> None:
    with pytest.raises(CredentialError, match="no client"):
        revoke(backend_app.app.state.engine, "nobody")
