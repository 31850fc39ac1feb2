"""The agent console over HTTP: log in, log out, and the static page itself.

The session cookie ``vg_agent`` is HttpOnly (no script reads it), SameSite=Strict
(no other site's page sends it, which with the Origin check of ``/ws/agent``
closes cross-site WebSocket hijacking) and Secure whenever the request came
over https.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from sqlalchemy import Connection, Engine, select

from backend import login_brake
from backend.audit import AuditAction, client_address, record
from backend.console_auth import LoggedIn, LoginRefused, login, logout, session_agent
from backend.db import agents
from backend.refusals import Refusal, RefusalCode
from backend.settings import BackendSettings
from backend.staff import SESSION_COOKIE, StaffMember, staff_roles

STATIC_DIR = Path(__file__).parent / "console" / "static"
MAX_LOGIN_BYTES = 8_192

router = APIRouter(tags=["console"])


async def _credentials(request: Request) -> tuple[str, str, bool]:
    """(agent_id, password, from_a_form) from a JSON or urlencoded body."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_LOGIN_BYTES:
            raise Refusal(status.HTTP_413_CONTENT_TOO_LARGE, RefusalCode.LOGIN_TOO_LARGE)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind == "application/json":
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            agent_id, password, form = data.get("agent_id"), data.get("password"), False
        elif kind == "application/x-www-form-urlencoded":
            fields = parse_qs(body.decode("utf-8"), max_num_fields=10, strict_parsing=False)
            agent_id = fields.get("agent_id", [None])[0]
            password = fields.get("password", [None])[0]
            form = True
        else:
            raise Refusal(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, RefusalCode.LOGIN_MEDIA_TYPE)
    except (ValueError, UnicodeDecodeError):
        raise Refusal(status.HTTP_422_UNPROCESSABLE_CONTENT, RefusalCode.LOGIN_UNREADABLE) from None
    if not isinstance(agent_id, str) or not isinstance(password, str):
        raise Refusal(status.HTTP_422_UNPROCESSABLE_CONTENT, RefusalCode.LOGIN_INCOMPLETE)
    return agent_id, password, form


@router.post("/console/login", summary="Open an agent console session")
async def console_login(request: Request) -> Response:
    """Set the ``vg_agent`` cookie; 401 on a wrong id or password, 429 while locked."""
    agent_id, password, form = await _credentials(request)
    engine: Engine = request.app.state.engine
    settings: BackendSettings = request.app.state.settings

    source = client_address(request)

    def attempt() -> tuple[object, StaffMember | None]:
        now = datetime.now(UTC)
        with engine.begin() as conn:
            # The address's brake first: a locked address costs no argon2 verification.
            wait = login_brake.retry_after(conn, source, now=now)
            if wait:
                _audit_refusal(conn, agent_id, source, f"address locked for {wait} s")
                return LoginRefused(retry_after_s=wait), None
            result = login(conn, agent_id, password, now=now, ttl_s=settings.calls.session_ttl_s)
            if not isinstance(result, LoggedIn):
                locked = login_brake.note_failure(conn, source, now=now)
                if result.retry_after_s:
                    _audit_refusal(conn, agent_id, source, "account locked")
                else:
                    record(
                        conn,
                        AuditAction.LOGIN_FAILURE,
                        actor=_known_account(conn, agent_id),
                        source=source,
                        detail=f"address now locked for {locked} s" if locked else None,
                    )
                return result, None
            record(conn, AuditAction.LOGIN_SUCCESS, actor=result.agent_id, source=source)
            return result, StaffMember(result.agent_id, staff_roles(conn, result.agent_id))

    # argon2 takes tens of milliseconds of CPU: off the event loop.
    result, member = await run_in_threadpool(attempt)
    if not isinstance(result, LoggedIn):
        retry = getattr(result, "retry_after_s", 0)
        if retry:
            raise Refusal(
                status.HTTP_429_TOO_MANY_REQUESTS,
                RefusalCode.LOGIN_LOCKED,
                headers={"Retry-After": str(retry)},
            )
        raise Refusal(status.HTTP_401_UNAUTHORIZED, RefusalCode.LOGIN_WRONG)
    response: Response
    assert member is not None  # a LoggedIn result always comes with its member
    if form:
        response = RedirectResponse(member.home_page, status_code=status.HTTP_303_SEE_OTHER)
    else:
        response = JSONResponse(
            {
                "agent_id": result.agent_id,
                "name": result.name,
                "roles": sorted(role.value for role in member.roles),
                "home": member.home_page,
            }
        )
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=settings.calls.session_ttl_s,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


def _known_account(conn: Connection, agent_id: str) -> str:
    """The id typed, if it is an account's; else a placeholder.

    A person sometimes types their password in the id field: an id that names
    no account is never written to the audit log.
    """
    found = conn.execute(select(agents.c.agent_id).where(agents.c.agent_id == agent_id)).first()
    return agent_id if found is not None else "(unknown account)"


def _audit_refusal(conn: Connection, agent_id: str, source: str | None, why: str) -> None:
    record(
        conn,
        AuditAction.LOGIN_LOCKED,
        actor=_known_account(conn, agent_id),
        source=source,
        detail=why,
    )


@router.post(
    "/console/logout",
    summary="Close the agent console session",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def console_logout(request: Request) -> Response:
    """Forget the session server-side and clear the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        engine: Engine = request.app.state.engine

        source = client_address(request)

        def forget() -> None:
            with engine.begin() as conn:
                agent_id = session_agent(conn, token, now=datetime.now(UTC))
                logout(conn, token)
                if agent_id is not None:
                    record(conn, AuditAction.LOGOUT, actor=agent_id, source=source)

        await run_in_threadpool(forget)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/console/", summary="The agent console page", include_in_schema=False)
def console_page() -> FileResponse:
    """The console's single page (HTML, JS and CSS under ``/console/static/``)."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
