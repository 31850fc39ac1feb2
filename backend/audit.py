"""The audit log of sensitive actions: who did what, to what, when, from where.

One append-only table (``audit_log``; the database refuses updates and
deletions, see migration 0007). Entries are written in the transaction of the
action they record where there is one, so an action and its record are kept or
lost together. Nothing secret is ever written: no password, token, cookie or
PIN, and no citizen data (a target is an account, a kiosk or a reference).
Supervisors and managers read it at ``GET /api/v1/audit``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import Connection, Engine, insert, select

from backend.db import audit_log
from backend.roles import Permission
from backend.staff import StaffMember, require_permission

MAX_TEXT = {"actor": 64, "target": 200, "source": 64, "detail": 400}
MAX_PAGE = 500
CLI_ACTOR = "cli"
UNKNOWN_ACTOR = "-"


class AuditAction(StrEnum):
    """Every kind of entry: the list of what is considered sensitive."""

    LOGIN_SUCCESS = "login.success"
    LOGIN_FAILURE = "login.failure"
    LOGIN_LOCKED = "login.locked"
    LOGOUT = "logout"
    CREDENTIAL_ISSUE = "credential.issue"
    CREDENTIAL_REVOKE = "credential.revoke"
    ACCOUNT_CREATE = "account.create"
    ROLE_CHANGE = "account.roles"
    FLEET_COMMAND = "fleet.command"
    ANALYTICS_EXPORT = "analytics.export"
    COSTS_CHANGE = "analytics.costs"
    ATTACHMENT_READ = "attachment.read"
    AUDIT_READ = "audit.read"


class AuditEntry(BaseModel):
    """One line of the audit log, as staff read it."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str | None = None
    source: str | None = None
    detail: str | None = None


def client_address(request: Request) -> str | None:
    """The address the request came from, as this server saw it (a proxy's, behind one)."""
    return request.client.host if request.client else None


def _cut(name: str, value: str | None) -> str | None:
    return None if value is None else value[: MAX_TEXT[name]]


def record(
    conn: Connection,
    action: AuditAction,
    *,
    actor: str,
    target: str | None = None,
    source: str | None = None,
    detail: str | None = None,
    now: datetime | None = None,
) -> None:
    """Append one entry, in the caller's transaction."""
    conn.execute(
        insert(audit_log).values(
            at=now or datetime.now(UTC),
            actor=_cut("actor", actor) or UNKNOWN_ACTOR,
            action=action.value,
            target=_cut("target", target),
            source=_cut("source", source),
            detail=_cut("detail", detail),
        )
    )


def record_now(
    engine: Engine,
    action: AuditAction,
    *,
    actor: str,
    target: str | None = None,
    source: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one entry in a transaction of its own (for an action with none)."""
    with engine.begin() as conn:
        record(conn, action, actor=actor, target=target, source=source, detail=detail)


def read_entries(
    conn: Connection, *, limit: int, before_id: int | None = None, action: str | None = None
) -> list[AuditEntry]:
    """The newest entries first, ``limit`` of them, older than ``before_id`` if given."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    return [AuditEntry.model_validate(row._asdict()) for row in conn.execute(query)]


router = APIRouter(tags=["security"])


@router.get(
    "/api/v1/audit",
    summary="The audit log of sensitive actions, newest first",
    response_model=list[AuditEntry],
    responses={
        401: {"description": "Not logged in."},
        403: {"description": "The account's roles do not allow reading the audit log."},
    },
)
def get_audit(
    request: Request,
    member: Annotated[StaffMember, Depends(require_permission(Permission.READ_AUDIT))],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    action: Annotated[AuditAction | None, Query(description="Only this kind of entry.")] = None,
) -> list[AuditEntry]:
    """For supervisors and managers; reading the log is itself recorded."""
    engine: Engine = request.app.state.engine
    with engine.begin() as conn:
        entries = read_entries(
            conn, limit=limit, before_id=before_id, action=None if action is None else action.value
        )
        record(conn, AuditAction.AUDIT_READ, actor=member.agent_id, source=client_address(request))
    return entries


__all__ = [
    "CLI_ACTOR",
    "AuditAction",
    "AuditEntry",
    "client_address",
    "read_entries",
    "record",
    "record_now",
    "router",
]
