"""Bearer credentials of kiosks and staff: issue, revoke, authenticate.

A token is ``vg_`` followed by 32 random bytes (URL-safe base 64). The
database keeps only its SHA-256. A slow password hash (argon2, bcrypt) exists
to resist guessing low-entropy human passwords; a 256-bit random token cannot
be guessed, so a fast hash loses nothing and keeps every request cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from backend.db import api_clients

Role = Literal["kiosk", "staff"]
TOKEN_PREFIX = "vg_"
TOKEN_RANDOM_BYTES = 32
MAX_TOKEN_CHARS = 128
CLIENT_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

bearer = HTTPBearer(auto_error=False, description="A kiosk or staff token (`vg_...`).")


class CredentialError(Exception):
    """A credential cannot be issued or revoked as asked."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: an authenticated kiosk or staff member."""

    client_id: str
    role: Role


def hash_token(token: str) -> str:
    """The SHA-256 of a token, hex, as stored in ``api_clients.token_hash``."""
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def issue_credential(engine: Engine, client_id: str, role: Role) -> str:
    """Create a client, or give an existing one a new token; return the token.

    The old token stops working at once, and a revoked client is reinstated.
    A client keeps its role for life: a kiosk id cannot become staff.
    """
    if not CLIENT_ID_PATTERN.fullmatch(client_id):
        raise CredentialError(
            f"invalid client id {client_id!r}: use 1-64 lowercase letters, digits, '-' or '_',"
            " starting with a letter or digit"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_RANDOM_BYTES)
    with engine.begin() as conn:
        current = conn.execute(
            select(api_clients.c.role).where(api_clients.c.client_id == client_id)
        ).scalar_one_or_none()
        if current is None:
            conn.execute(
                insert(api_clients).values(
                    client_id=client_id,
                    role=role,
                    token_hash=hash_token(token),
                    created_at=_now(),
                    revoked_at=None,
                )
            )
        elif current != role:
            raise CredentialError(
                f"client {client_id!r} exists with role {current!r}, not {role!r}"
            )
        else:
            conn.execute(
                update(api_clients)
                .where(api_clients.c.client_id == client_id)
                .values(token_hash=hash_token(token), revoked_at=None)
            )
    return token


def revoke(engine: Engine, client_id: str) -> None:
    """Stop a client's token from working. Raises :class:`CredentialError` if unknown."""
    with engine.begin() as conn:
        if revoke_on(conn, client_id, role=None) is None:
            raise CredentialError(f"no client {client_id!r}")


def revoke_on(conn: Connection, client_id: str, *, role: Role | None) -> datetime | None:
    """Revoke in the caller's transaction; when, or ``None`` if no such (unrevoked) client.

    A client revoked already keeps its first revocation time.
    """
    query = select(api_clients.c.revoked_at).where(api_clients.c.client_id == client_id)
    if role is not None:
        query = query.where(api_clients.c.role == role)
    found = conn.execute(query).first()
    if found is None:
        return None
    if found.revoked_at is not None:
        revoked_at: datetime = found.revoked_at
        return revoked_at
    now = _now()
    conn.execute(
        update(api_clients).where(api_clients.c.client_id == client_id).values(revoked_at=now)
    )
    return now


def still_valid(conn: Connection, credentials: dict[str, str]) -> set[str]:
    """Of ``client_id -> token hash``, the ids whose credential is still that one, unrevoked.

    The hub asks this of its open sockets: a revoked or re-issued credential
    drops out, whichever instance revoked it.
    """
    if not credentials:
        return set()
    rows = conn.execute(
        select(api_clients.c.client_id, api_clients.c.token_hash).where(
            api_clients.c.client_id.in_(list(credentials)), api_clients.c.revoked_at.is_(None)
        )
    )
    return {
        row.client_id
        for row in rows
        if hmac.compare_digest(row.token_hash, credentials[row.client_id])
    }


# Built once: a heartbeat from each of a thousand kiosks every few seconds runs this.
_TOKEN_LOOKUP = select(api_clients.c.client_id, api_clients.c.role, api_clients.c.token_hash).where(
    api_clients.c.token_hash == bindparam("presented"), api_clients.c.revoked_at.is_(None)
)


def authenticate(engine: Engine, token: str) -> Principal | None:
    """The client holding ``token``, or ``None`` if the token is unknown or revoked."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_CHARS:
        return None
    with engine.connect() as conn:
        return authenticate_on(conn, token)


def authenticate_on(conn: Connection, token: str) -> Principal | None:
    """:func:`authenticate` on a connection the caller holds (to share its transaction)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_CHARS:
        return None
    presented = hash_token(token)
    # The lookup is by hash, so timing reveals nothing usable about the token;
    # the final comparison is constant-time all the same.
    row = conn.execute(_TOKEN_LOOKUP, {"presented": presented}).first()
    if row is None or not hmac.compare_digest(row.token_hash, presented):
        return None
    return Principal(client_id=row.client_id, role=row.role)


def unauthorized(detail: str, *, invalid: bool) -> HTTPException:
    """A 401 with the ``WWW-Authenticate`` challenge of RFC 6750."""
    challenge = 'Bearer error="invalid_token"' if invalid else "Bearer"
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": challenge}
    )


def require_role(role: Role) -> Callable[..., Principal]:
    """A FastAPI dependency that admits only a valid, unrevoked credential of ``role``."""

    def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        if credentials is None:
            raise unauthorized("a bearer token is required", invalid=False)
        engine: Engine = request.app.state.engine
        principal = authenticate(engine, credentials.credentials)
        if principal is None:
            raise unauthorized("unknown or revoked token", invalid=True)
        if principal.role != role:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"this needs a {role} token")
        return principal

    return dependency
