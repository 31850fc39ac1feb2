"""Agent accounts: argon2id passwords, console sessions, and the brake on guessing.

Unlike kiosk tokens (random, 256 bits: a fast hash suffices, see
:mod:`backend.auth`), agent passwords are chosen by people, so they are hashed
with argon2id, the slow memory-hard hash OWASP recommends first. A console
session is a random token in an HttpOnly cookie; the database keeps its
SHA-256 and an expiry.

Guessing is braked per account: after ``FREE_FAILURES`` wrong passwords in a
row the account is locked for ``LOCK_BASE_S`` seconds, doubling with each
further failure (capped at ``LOCK_MAX_S``); a right password resets the count.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, delete, insert, select, update

from backend.db import agent_sessions, agents
from backend.roles import Role, format_roles
from backend.routing import Skills, create_agent

SESSION_PREFIX = "vga_"
SESSION_RANDOM_BYTES = 32
MAX_SESSION_CHARS = 128
FREE_FAILURES = 5
LOCK_BASE_S = 30
LOCK_MAX_S = 3_600
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1_024
AGENT_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the account does not exist, so timing does not reveal which ids do.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(Exception):
    """An agent account cannot be created as asked."""


@dataclass(frozen=True)
class LoginRefused:
    """Wrong id or password, or the account is locked for ``retry_after_s`` more seconds."""

    retry_after_s: int = 0


@dataclass(frozen=True)
class LoggedIn:
    """A new session: the cookie value and when it expires."""

    agent_id: str
    name: str
    token: str
    expires_at: datetime


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``, with its parameters and salt."""
    return _hasher.hash(password)


def add_agent(
    conn: Connection,
    agent_id: str,
    name: str,
    password: str,
    skills: Skills,
    *,
    now: datetime,
    roles: Iterable[Role] = (Role.AGENT,),
) -> None:
    """Create a staff account (logged out). Raises :class:`AccountError` on bad input."""
    if not AGENT_ID_PATTERN.fullmatch(agent_id):
        raise AccountError(
            f"invalid agent id {agent_id!r}: use 1-64 lowercase letters, digits, '-' or '_'"
        )
    if not 1 <= len(name.strip()) <= 80:
        raise AccountError("the display name must have 1 to 80 characters")
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    chosen = frozenset(roles)
    if not chosen:
        raise AccountError("an account needs at least one role")
    exists = conn.execute(select(agents.c.agent_id).where(agents.c.agent_id == agent_id)).first()
    if exists is not None:
        raise AccountError(f"agent {agent_id!r} exists already")
    create_agent(conn, agent_id, name.strip(), hash_password(password), skills, now=now)
    stored = format_roles(chosen)
    conn.execute(update(agents).where(agents.c.agent_id == agent_id).values(roles=stored))


def _session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(
    conn: Connection, agent_id: str, password: str, *, now: datetime, ttl_s: int
) -> LoggedIn | LoginRefused:
    """Check the password and open a session, or refuse (same answer for any reason)."""
    row = conn.execute(select(agents).where(agents.c.agent_id == agent_id)).first()
    if row is None or len(password) > MAX_PASSWORD_CHARS:
        _verify(_DUMMY_HASH, password[:MAX_PASSWORD_CHARS])
        return LoginRefused()
    if row.locked_until is not None and row.locked_until > now:
        return LoginRefused(retry_after_s=int((row.locked_until - now).total_seconds()) + 1)
    if not _verify(row.password_hash, password):
        failures = row.failed_logins + 1
        locked_until = None
        if failures >= FREE_FAILURES:
            delay = min(LOCK_MAX_S, LOCK_BASE_S * 2 ** (failures - FREE_FAILURES))
            locked_until = now + timedelta(seconds=delay)
        conn.execute(
            update(agents)
            .where(agents.c.agent_id == agent_id)
            .values(failed_logins=failures, locked_until=locked_until)
        )
        return LoginRefused()
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if _hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = hash_password(password)
    conn.execute(update(agents).where(agents.c.agent_id == agent_id).values(**values))
    token = SESSION_PREFIX + secrets.token_urlsafe(SESSION_RANDOM_BYTES)
    expires_at = now + timedelta(seconds=ttl_s)
    # Expired sessions of this agent go on each login: the table never grows without bound.
    conn.execute(
        delete(agent_sessions).where(
            agent_sessions.c.agent_id == agent_id, agent_sessions.c.expires_at <= now
        )
    )
    conn.execute(
        insert(agent_sessions).values(
            token_hash=_session_hash(token),
            agent_id=agent_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return LoggedIn(agent_id, str(row.display_name), token, expires_at)


def _verify(encoded: str, password: str) -> bool:
    try:
        return _hasher.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def session_agent(conn: Connection, token: str, *, now: datetime) -> str | None:
    """The agent of a live session, or ``None`` for an unknown or expired cookie."""
    if not token.startswith(SESSION_PREFIX) or len(token) > MAX_SESSION_CHARS:
        return None
    agent_id = conn.execute(
        select(agent_sessions.c.agent_id).where(
            agent_sessions.c.token_hash == _session_hash(token),
            agent_sessions.c.expires_at > now,
        )
    ).scalar_one_or_none()
    return None if agent_id is None else str(agent_id)


def logout(conn: Connection, token: str) -> None:
    """End a session (nothing happens for an unknown token)."""
    conn.execute(delete(agent_sessions).where(agent_sessions.c.token_hash == _session_hash(token)))
