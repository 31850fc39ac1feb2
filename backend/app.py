"""The back end's ASGI application: sync ingest for kiosks, a listing for staff.

Endpoints are plain functions, so FastAPI runs them in its thread pool and a
slow database never blocks the event loop. The kiosk identity always comes
from the credential, never from the request body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response, status
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import SQLAlchemyError

from backend import __version__
from backend.analytics.routes import STATIC_DIR as ANALYTICS_STATIC_DIR
from backend.analytics.routes import router as analytics_router
from backend.attachments import router as attachments_router
from backend.audit import router as audit_router
from backend.auth import Principal, require_role
from backend.body import read_limited_body
from backend.console_routes import STATIC_DIR
from backend.console_routes import router as console_router
from backend.db import attachments, make_engine, transaction_attachments, transactions
from backend.fleet import STATIC_DIR as FLEET_STATIC_DIR
from backend.fleet import HeartbeatWriter, alert_sweeper
from backend.fleet import router as fleet_router
from backend.hub import Hub
from backend.hub import router as hub_router
from backend.hub.pg_fanout import PostgresFanout
from backend.ingest import BatchError, parse_batch, store_batch
from backend.refusals import Refusal, refusal_answer
from backend.routing import RoutingConfig, load_queues
from backend.schema import migrate
from backend.security import SecurityMiddleware
from backend.settings import BackendSettings
from offline_queue.heartbeat import Heartbeat
from offline_queue.schemas import (
    AttachmentRef,
    ReceivedTransaction,
    Reference,
    SyncBatchRequest,
    SyncBatchResponse,
    TransactionRecord,
)

MAX_PAGE_SIZE = 500
MAX_OFFSET = 1_000_000
DEFAULT_PAGE_SIZE = 50
SYNC_PATH = "/api/v1/sync"

_DESCRIPTION = """\
The agency side of visioguichet.

Kiosks push what citizens submitted to `POST /api/v1/sync`, in batches, each
item carrying an idempotency key: an item sent twice is stored once and
answered `duplicate`. Attachments (document scans, signatures) are uploaded
first, in resumable chunks, to `/api/v1/attachments/{sha256}`, and verified
against their hash. Staff read what arrived with `GET /api/v1/transactions`,
ordered by the back end's clock, never the kiosks'.
Every call except `/healthz` needs a bearer token issued with `kiosk-backend`.
"""

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, unknown or revoked token."},
    403: {"description": "The token's role may not call this endpoint."},
}


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


router = APIRouter()


@router.get("/healthz", summary="Liveness and database check", tags=["operations"])
def healthz(request: Request) -> dict[str, str]:
    """Answer 200 when the back end can reach its database, 503 otherwise."""
    try:
        with _engine(request).connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail="database unavailable"
        ) from None
    return {"status": "ok"}


@router.post(
    SYNC_PATH,
    summary="Receive a batch of outbox items from a kiosk",
    tags=["sync"],
    response_model=SyncBatchResponse,
    responses={
        **_ERRORS,
        413: {"description": "The body is larger than the configured limit."},
        422: {"description": "The body is not a readable batch (the detail says why)."},
    },
)
def receive_batch(
    request: Request,
    kiosk: Annotated[Principal, Depends(require_role("kiosk"))],
    body: Annotated[bytes, Depends(read_limited_body)],
) -> Response:
    """Store each item at most once and answer each one, in request order.

    ``stored``: kept now; ``duplicate``: kept earlier (the kiosk may forget
    it); ``rejected``: invalid, will never be accepted as is; ``retry``: not
    stored now (an attachment is missing, or an earlier item of the same
    session waits), send it again. The answer speaks the request's version.
    """
    try:
        parsed = parse_batch(body)
    except BatchError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(err)) from None
    now = datetime.now(UTC)
    results = store_batch(_engine(request), kiosk.client_id, parsed, now=now)
    answer = SyncBatchResponse(
        schema_version=parsed.schema_version,
        server_time=now if parsed.schema_version >= 2 else None,
        results=results,
    )
    # Fields a version 1 kiosk does not know are left out, not sent as null.
    return Response(answer.model_dump_json(exclude_none=True), media_type="application/json")


@router.get(
    "/api/v1/transactions",
    summary="List received transactions, newest first",
    tags=["staff"],
    response_model=list[ReceivedTransaction],
    responses=_ERRORS,
)
def list_transactions(
    request: Request,
    staff: Annotated[Principal, Depends(require_role("staff"))],
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")
    ] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")] = 0,
    reference: Annotated[
        Reference | None, Query(description="Only the transaction with this receipt reference.")
    ] = None,
) -> list[ReceivedTransaction]:
    """Transactions as the kiosks sent them, for agency staff."""
    query = (
        select(transactions)
        .order_by(transactions.c.received_at.desc(), transactions.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if reference is not None:
        query = query.where(transactions.c.reference == reference)
    with _engine(request).connect() as conn:
        rows = conn.execute(query).all()
        carried = _attachments_of(conn, [row.id for row in rows])
    return [
        ReceivedTransaction(
            kiosk_id=row.kiosk_id,
            idempotency_key=row.idempotency_key,
            received_at=row.received_at,
            record=TransactionRecord.model_validate_json(row.record),
            session_id=row.session_id,
            kiosk_created_at=row.kiosk_created_at,
            attachments=carried.get(row.id, []),
        )
        for row in rows
    ]


def _attachments_of(conn: Connection, transaction_ids: list[int]) -> dict[int, list[AttachmentRef]]:
    if not transaction_ids:
        return {}
    rows = conn.execute(
        select(
            transaction_attachments.c.transaction_id,
            attachments.c.sha256,
            attachments.c.size,
            transaction_attachments.c.media_type,
        )
        .join(attachments, attachments.c.id == transaction_attachments.c.attachment_id)
        .where(transaction_attachments.c.transaction_id.in_(transaction_ids))
        .order_by(transaction_attachments.c.transaction_id, transaction_attachments.c.position)
    )
    found: dict[int, list[AttachmentRef]] = {}
    for row in rows:
        found.setdefault(row.transaction_id, []).append(
            AttachmentRef(sha256=row.sha256, size=row.size, media_type=row.media_type)
        )
    return found


class BackendApp(FastAPI):
    """The FastAPI application, with the sync request body documented in OpenAPI.

    The sync endpoint reads its body itself (to judge items one by one), so
    FastAPI cannot infer the request schema; it is added here from the shared
    wire model.
    """

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document, with ``SyncBatchRequest`` as the sync request body."""
        if self.openapi_schema is not None:
            return self.openapi_schema
        document = super().openapi()
        components = document.setdefault("components", {}).setdefault("schemas", {})
        # Bodies read by their endpoints themselves (the heartbeat's refers to its schema).
        for model in (SyncBatchRequest, Heartbeat):
            request_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, schema in request_schema.pop("$defs", {}).items():
                components.setdefault(name, schema)
            components[model.__name__] = request_schema
        _declare_refusals(document)
        document["paths"][SYNC_PATH]["post"]["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/SyncBatchRequest"}}
            },
        }
        self.openapi_schema = document
        return document


# Open to anyone: the liveness probe, and the login itself.
PUBLIC_OPERATIONS = frozenset({("get", "/healthz"), ("post", "/console/login")})
_REFUSALS: dict[str, dict[str, str]] = {
    "401": {"description": "Not authenticated (no, unknown, expired or revoked credential)."},
    "403": {
        "description": "The credential's role does not allow this, or a cross-site request"
        " (backend.security)."
    },
}
_BODY_REFUSALS: dict[str, dict[str, str]] = {
    "400": {"description": "The body cannot be parsed (not JSON where JSON is expected)."},
    "403": {"description": "A cross-site request (backend.security), or a role not allowed."},
    "413": {"description": "The body is larger than the configured limit."},
    "415": {"description": "The body is not of a media type this endpoint reads."},
    "422": {"description": "The request is not valid (the detail says why)."},
}


def _declare_refusals(document: dict[str, Any]) -> None:
    """Declare on every operation the refusals the security layers can answer.

    Authentication (401/403), the cross-site check of unsafe methods (403),
    and the body limits: the document then tells clients, and schemathesis
    checks, every status the API may really answer.
    """
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if (method, path) not in PUBLIC_OPERATIONS:
                for code, answer in _REFUSALS.items():
                    responses.setdefault(code, answer)
            if method in ("post", "put", "patch", "delete"):
                for code, answer in _BODY_REFUSALS.items():
                    responses.setdefault(code, answer)
            if operation.get("parameters"):
                responses.setdefault("422", _BODY_REFUSALS["422"])
    login = document["paths"].get("/console/login", {}).get("post")
    if login is not None:
        login["responses"].setdefault("401", {"description": "Wrong agent id or password."})
        login["responses"].setdefault(
            "429", {"description": "Too many failed attempts (account or address locked)."}
        )


def routing_config(settings: BackendSettings) -> RoutingConfig:
    """The routing configuration: queues from ``[calls] queues_file``, timers from ``[calls]``.

    Raises :class:`backend.routing.QueueFileError` naming the problem of a bad queue file.
    """
    calls = settings.calls
    queues = load_queues(
        calls.queues_file, default_zone=calls.time_zone, default_max_wait_s=calls.max_wait_s
    )
    return RoutingConfig(
        queues=queues,
        no_answer_timeout_s=calls.no_answer_timeout_s,
        wrap_up_s=calls.wrap_up_s,
        default_handle_s=calls.default_handle_s,
    )


def create_app(settings: BackendSettings, hub: Hub | None = None) -> FastAPI:
    """Build the application on the database named in ``settings`` (created if needed).

    ``hub`` replaces the signalling hub built from the settings (tests give
    one with their own clock or fan-out).
    """
    config = routing_config(settings)  # a bad queue file stops the start, with its reason
    engine = make_engine(settings.database_url)
    migrate(engine)
    if hub is None:
        # Several instances share a PostgreSQL database: relay through it. SQLite is one process.
        fanout = (
            PostgresFanout(settings.database_url) if engine.dialect.name == "postgresql" else None
        )
        hub = Hub(engine, config, settings.calls, fanout=fanout)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await hub.start()
        try:
            async with alert_sweeper(_app):
                yield
        finally:
            await hub.stop()
            engine.dispose()

    app = BackendApp(
        title="visioguichet back end",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        # The interactive pages load their scripts from a CDN, which the
        # Content-Security-Policy forbids; /openapi.json stays (no data in it).
        docs_url=None,
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.settings = settings
    app.state.hub = hub
    app.state.heartbeat_writer = HeartbeatWriter(engine, settings.fleet)
    # Refusals the staff pages show carry a code beside their English (backend.refusals).
    app.add_exception_handler(Refusal, refusal_answer)
    # First: routes are matched in order, and heartbeats are most of the traffic.
    app.include_router(fleet_router)
    app.include_router(router)
    app.include_router(attachments_router)
    app.include_router(console_router)
    app.include_router(hub_router)
    app.include_router(analytics_router)
    app.include_router(audit_router)
    app.mount(
        "/analytics/static",
        StaticFiles(directory=ANALYTICS_STATIC_DIR, check_dir=False),
        name="analytics-static",
    )
    # check_dir=False: the console's files are written separately and may come later.
    app.mount(
        "/console/static",
        StaticFiles(directory=STATIC_DIR, check_dir=False),
        name="console-static",
    )
    app.mount("/fleet/static", StaticFiles(directory=FLEET_STATIC_DIR), name="fleet-static")
    # Outermost: its headers reach every answer, errors and refusals included.
    app.add_middleware(SecurityMiddleware)
    return app
