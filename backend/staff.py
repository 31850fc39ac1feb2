"""Who is logged in to the back end's pages, and may they do this?

The roles and their permissions are in :mod:`backend.roles`; this module reads
a session cookie and checks a permission for a page or a socket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, Engine, select

from backend.console_auth import session_agent
from backend.db import agents
from backend.refusals import Refusal, RefusalCode
from backend.roles import HOME_PAGES, PERMISSIONS, Permission, Role, parse_roles

SESSION_COOKIE = "vg_agent"


@dataclass(frozen=True)
class StaffMember:
    """A logged-in person and what their roles allow."""

    agent_id: str
    roles: frozenset[Role]

    @property
    def permissions(self) -> frozenset[Permission]:
        return frozenset().union(*(PERMISSIONS[role] for role in self.roles))

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def home_page(self) -> str:
        """The page this person starts from after logging in."""
        return next((page for need, page in HOME_PAGES if self.may(need)), "/console/")


def staff_roles(conn: Connection, agent_id: str) -> frozenset[Role]:
    """The roles of an account (none for an unknown id)."""
    text = conn.execute(select(agents.c.roles).where(agents.c.agent_id == agent_id)).scalar()
    return frozenset() if text is None else parse_roles(str(text))


def session_member(conn: Connection, token: str, *, now: datetime) -> StaffMember | None:
    """The staff member behind a live session cookie, or ``None``."""
    agent_id = session_agent(conn, token, now=now)
    if agent_id is None:
        return None
    return StaffMember(agent_id, staff_roles(conn, agent_id))


async def current_member(request: Request) -> StaffMember | None:
    """The logged-in staff member of an HTTP request, if any (database off the loop)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    engine: Engine = request.app.state.engine

    def lookup() -> StaffMember | None:
        with engine.connect() as conn:
            return session_member(conn, token, now=datetime.now(UTC))

    return await run_in_threadpool(lookup)


def require_permission(permission: Permission) -> Callable[..., object]:
    """A FastAPI dependency: the logged-in member, if their roles allow ``permission``.

    No session is 401 (log in); a session whose roles do not allow it is 403.
    """

    async def dependency(
        member: Annotated[StaffMember | None, Depends(current_member)],
    ) -> StaffMember:
        if member is None:
            raise Refusal(status.HTTP_401_UNAUTHORIZED, RefusalCode.STAFF_LOG_IN)
        if not member.may(permission):
            raise Refusal(
                status.HTTP_403_FORBIDDEN,
                RefusalCode.STAFF_NOT_ALLOWED,
                permission=permission.value,
            )
        return member

    return dependency
