"""The fleet over HTTP: kiosks' heartbeats, the technicians' page, and their commands.

Kiosks authenticate with their bearer token; staff with the console's session
cookie and a permission (``view_fleet`` to look, ``command_kiosks`` to act).
A command changes a kiosk, so its endpoint refuses what a cross-site page
could send: only a JSON body (a form cannot send one without a CORS
preflight, which is never granted) from a page of this very origin; the
cookie's SameSite=Strict is a second lock on the same door.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from backend.audit import AuditAction, client_address, record
from backend.auth import CLIENT_ID_PATTERN, revoke_on, unauthorized
from backend.body import read_limited_body
from backend.fleet.batch import HeartbeatWriter, Refused
from backend.fleet.models import CommandRequest, FleetCommand, FleetView, Revoked, RevokeRequest
from backend.fleet.store import issue_command, read_fleet, sweep
from backend.ingest import describe_errors
from backend.refusals import Refusal, RefusalCode
from backend.roles import Permission
from backend.settings import BackendSettings, FleetSettings
from backend.staff import StaffMember, require_permission
from offline_queue.heartbeat import HeartbeatReply

STATIC_DIR = Path(__file__).parent / "static"
HEARTBEAT_PATH = "/api/v1/fleet/heartbeat"

logger = logging.getLogger(__name__)
ModelT = TypeVar("ModelT", bound=BaseModel)
router = APIRouter(tags=["fleet"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated (no, unknown or revoked credential)."},
    403: {"description": "The credential's role does not allow this."},
    413: {"description": "The body is larger than the configured limit."},
    422: {"description": "The body is not valid (the detail says why)."},
}


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _fleet_settings(request: Request) -> FleetSettings:
    settings: BackendSettings = request.app.state.settings
    return settings.fleet


def _parse(model: type[ModelT], body: bytes) -> ModelT:
    try:
        return model.model_validate_json(body)
    except ValidationError as err:
        raise Refusal(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            RefusalCode.REQUEST_INVALID,
            problems=describe_errors(err),
        ) from None


def _staff_order(request: Request, kiosk_id: str, model: type[ModelT], body: bytes) -> ModelT:
    """A staff member's order about one kiosk: same origin, JSON, valid, a possible kiosk id."""
    if not _same_origin(request):
        raise Refusal(status.HTTP_403_FORBIDDEN, RefusalCode.REQUEST_CROSS_ORIGIN)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Refusal(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, RefusalCode.REQUEST_NOT_JSON)
    order = _parse(model, body)
    if not CLIENT_ID_PATTERN.fullmatch(kiosk_id):
        raise Refusal(status.HTTP_404_NOT_FOUND, RefusalCode.FLEET_NO_SUCH_KIOSK)
    return order


@router.post(
    HEARTBEAT_PATH,
    summary="A kiosk reports its health; the answer carries its pending commands",
    response_model=HeartbeatReply,
    responses=_ERRORS,
    openapi_extra={
        "security": [{"HTTPBearer": []}],
        "requestBody": {
            "required": True,
            # Added to the components by backend.app.BackendApp.openapi.
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Heartbeat"}}},
        },
    },
)
async def heartbeat(request: Request) -> Response:
    """Store the report (only the latest is kept), record acknowledgements, hand out commands.

    The hot path of the fleet (a thousand kiosks every ten seconds): it reads
    its header and body itself, without FastAPI's dependency solving, and
    hands them to the group-committing :class:`HeartbeatWriter`, which checks
    the token in the transaction that stores the report.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("a bearer token is required", invalid=False)
    body = await read_limited_body(request)
    writer: HeartbeatWriter = request.app.state.heartbeat_writer
    outcome = await writer.submit(token.strip(), body)
    if isinstance(outcome, Refused):
        if outcome.status == status.HTTP_401_UNAUTHORIZED:
            raise unauthorized(outcome.detail, invalid=outcome.invalid_token)
        raise HTTPException(outcome.status, detail=outcome.detail)
    reply = HeartbeatReply(
        commands=outcome, next_in_s=_fleet_settings(request).heartbeat_interval_s
    )
    return Response(reply.model_dump_json(), media_type="application/json")


class QuietHeartbeats(logging.Filter):
    """Keeps answered heartbeats out of the access log (a hundred lines a second).

    Refused heartbeats (4xx, 5xx) are still logged: those are worth reading.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the access-log line of a heartbeat answered 2xx."""
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and args[2] == HEARTBEAT_PATH:
            status_code = args[4]
            return not (isinstance(status_code, int) and 200 <= status_code < 300)
        return True


@router.get(
    "/api/v1/fleet",
    summary="Every kiosk with its health, the open alerts and the latest commands",
    response_model=FleetView,
    responses=_ERRORS,
)
def fleet(
    request: Request,
    member: Annotated[StaffMember, Depends(require_permission(Permission.VIEW_FLEET))],
) -> FleetView:
    """Evaluates the alert rules first, so the answer is as fresh as the last heartbeat."""
    settings = _fleet_settings(request)
    engine = _engine(request)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        sweep(conn, now=now, settings=settings)
    with engine.connect() as conn:
        view = read_fleet(
            conn, now=now, settings=settings, may_command=member.may(Permission.COMMAND_KIOSKS)
        )
    view.may_revoke = member.may(Permission.REVOKE_KIOSKS)
    return view


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    host = request.headers.get("host")
    if not origin or not host:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


@router.post(
    "/api/v1/fleet/{kiosk_id}/commands",
    summary="Send a kiosk a command (delivered with its next heartbeat)",
    status_code=status.HTTP_201_CREATED,
    response_model=FleetCommand,
    responses={
        **_ERRORS,
        404: {"description": "No kiosk with this id (or its credential was revoked)."},
        415: {"description": "The body is not JSON."},
    },
)
def send_command(
    request: Request,
    kiosk_id: str,
    member: Annotated[StaffMember, Depends(require_permission(Permission.COMMAND_KIOSKS))],
    body: Annotated[bytes, Depends(read_limited_body)],
) -> FleetCommand:
    """Queue the command; the page follows it to ``acked`` or ``failed``."""
    order = _staff_order(request, kiosk_id, CommandRequest, body)
    with _engine(request).begin() as conn:
        command = issue_command(
            conn, kiosk_id, order.kind, issued_by=member.agent_id, now=datetime.now(UTC)
        )
        if command is not None:
            record(
                conn,
                AuditAction.FLEET_COMMAND,
                actor=member.agent_id,
                target=kiosk_id,
                source=client_address(request),
                detail=order.kind,
            )
    if command is None:
        raise Refusal(status.HTTP_404_NOT_FOUND, RefusalCode.FLEET_NO_SUCH_KIOSK)
    logger.info("%s sent %s to kiosk %s", member.agent_id, order.kind, kiosk_id)
    return command


@router.post(
    "/api/v1/fleet/{kiosk_id}/revoke",
    summary="Revoke a kiosk's credential (a stolen or retired kiosk)",
    response_model=Revoked,
    responses={
        **_ERRORS,
        404: {"description": "No kiosk with this id."},
        409: {"description": "The confirmation does not repeat the kiosk id."},
        415: {"description": "The body is not JSON."},
    },
)
async def revoke_kiosk(
    request: Request,
    kiosk_id: str,
    member: Annotated[StaffMember, Depends(require_permission(Permission.REVOKE_KIOSKS))],
    body: Annotated[bytes, Depends(read_limited_body)],
) -> Revoked:
    """Refuse the kiosk's token from now on and close its hub socket.

    Its HTTP requests (sync, heartbeat) are refused 401 at once. The socket is
    closed here if this instance holds it, else by the holding instance's next
    credential check (every few seconds, within one heartbeat interval). A new
    credential (``kiosk-backend enroll``) brings the kiosk back.
    """
    order = _staff_order(request, kiosk_id, RevokeRequest, body)
    if order.confirm != kiosk_id:
        raise Refusal(status.HTTP_409_CONFLICT, RefusalCode.FLEET_CONFIRM_MISMATCH)
    source = client_address(request)

    def cut_off() -> datetime | None:
        with _engine(request).begin() as conn:
            revoked_at = revoke_on(conn, kiosk_id, role="kiosk")
            if revoked_at is not None:
                record(
                    conn,
                    AuditAction.CREDENTIAL_REVOKE,
                    actor=member.agent_id,
                    target=kiosk_id,
                    source=source,
                )
            return revoked_at

    revoked_at = await run_in_threadpool(cut_off)
    if revoked_at is None:
        raise Refusal(status.HTTP_404_NOT_FOUND, RefusalCode.FLEET_NO_SUCH_KIOSK)
    await request.app.state.hub.revalidate()
    logger.warning("%s revoked the credential of kiosk %s", member.agent_id, kiosk_id)
    return Revoked(kiosk_id=kiosk_id, revoked_at=revoked_at)


@router.get("/fleet/", summary="The fleet page", include_in_schema=False)
def fleet_page() -> FileResponse:
    """The fleet's single page (HTML, JS and CSS under ``/fleet/static/``)."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")


async def sweep_forever(app: FastAPI) -> None:
    """Evaluate the alert rules every ``sweep_interval_s``, even when nobody looks.

    A kiosk that falls silent at night has its alert at the time it fell
    silent, not when the first technician opens the page in the morning.
    """
    settings: BackendSettings = app.state.settings
    engine: Engine = app.state.engine

    def once() -> None:
        with engine.begin() as conn:
            sweep(conn, now=datetime.now(UTC), settings=settings.fleet)

    while True:
        await asyncio.sleep(settings.fleet.sweep_interval_s)
        try:
            await run_in_threadpool(once)
        except SQLAlchemyError:
            # The database is away; the next round tries again, and /healthz says so.
            logger.warning("fleet alert sweep failed", exc_info=True)


@contextlib.asynccontextmanager
async def alert_sweeper(app: FastAPI) -> AsyncIterator[None]:
    """Run :func:`sweep_forever`, and quiet the access log, for the lifetime of ``app``."""
    task = asyncio.create_task(sweep_forever(app), name="fleet-alert-sweep")
    access_log = logging.getLogger("uvicorn.access")
    quiet = QuietHeartbeats()
    access_log.addFilter(quiet)
    try:
        yield
    finally:
        access_log.removeFilter(quiet)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
