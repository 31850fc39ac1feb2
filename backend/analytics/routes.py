"""Service analytics over HTTP: kiosks send events, managers and supervisors read figures.

- ``POST /api/v1/analytics/events`` (kiosk token): a batch of service events;
- ``GET /api/v1/analytics/summary``, ``/export.csv``, ``/filters``, ``/costs``
  (``view_analytics``) and ``PUT /api/v1/analytics/costs`` (``set_costs``);
- ``GET /analytics/``: the dashboard page (static files under ``/analytics/static/``).

The period is given as ``from`` and ``to`` (``YYYY-MM-DD``, UTC days, both
included; at most a year), defaulting to the last 30 days.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel
from sqlalchemy import Engine

from backend.analytics.costs import CostInput, CostInputs, read_costs, write_costs
from backend.analytics.export import export_rows
from backend.analytics.ingest import parse_events, store_events
from backend.analytics.queries import (
    MAX_PERIOD_DAYS,
    Filters,
    Summary,
    filter_choices,
    summary,
)
from backend.audit import AuditAction, client_address, record, record_now
from backend.auth import Principal, require_role
from backend.body import read_limited_body
from backend.ingest import BatchError
from backend.refusals import Refusal, RefusalCode
from backend.roles import Permission
from backend.staff import StaffMember, current_member, require_permission
from offline_queue.analytics import ANALYTICS_PATH, AnalyticsAnswer

STATIC_DIR = Path(__file__).parent / "static"
DEFAULT_PERIOD_DAYS = 30
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

router = APIRouter(tags=["analytics"])
Viewer = Annotated[StaffMember, Depends(require_permission(Permission.VIEW_ANALYTICS))]
CostSetter = Annotated[StaffMember, Depends(require_permission(Permission.SET_COSTS))]


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


@router.post(
    ANALYTICS_PATH,
    summary="Receive a batch of service events from a kiosk",
    response_model=AnalyticsAnswer,
    responses={
        413: {"description": "The body is larger than the configured limit."},
        422: {"description": "The body is not a readable batch (the detail says why)."},
    },
)
def receive_events(
    request: Request,
    kiosk: Annotated[Principal, Depends(require_role("kiosk"))],
    body: Annotated[bytes, Depends(read_limited_body)],
) -> AnalyticsAnswer:
    """Store each event once (by its id); answer the ids kept and those refused for good.

    The site is the kiosk of the credential, never a field of the body.
    """
    try:
        parsed = parse_events(body)
    except BatchError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(err)) from None
    return store_events(_engine(request), kiosk.client_id, parsed, now=datetime.now(UTC))


def _day(name: str, text: str | None, default: date) -> date:
    if text is None or text == "":
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refusal(
            status.HTTP_422_UNPROCESSABLE_CONTENT, RefusalCode.ANALYTICS_BAD_DATE, field=name
        ) from None


def _code(name: str, text: str | None) -> str | None:
    if text is None or text == "":
        return None
    if not CODE.fullmatch(text):
        raise Refusal(
            status.HTTP_422_UNPROCESSABLE_CONTENT, RefusalCode.ANALYTICS_BAD_CODE, field=name
        )
    return text


def period_filters(
    from_: Annotated[
        str | None, Query(alias="from", max_length=10, description="First day, YYYY-MM-DD (UTC).")
    ] = None,
    to: Annotated[
        str | None, Query(max_length=10, description="Last day, included, YYYY-MM-DD (UTC).")
    ] = None,
    site: Annotated[str | None, Query(max_length=64, description="A kiosk id.")] = None,
    agency: Annotated[str | None, Query(max_length=64, description="An agency code.")] = None,
    service: Annotated[str | None, Query(max_length=64, description="A service code.")] = None,
) -> Filters:
    """The period and filters of a request; 422 with the reason when they are not usable."""
    end = _day("to", to, datetime.now(UTC).date())
    start = _day("from", from_, end - timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    # Filters checks the period too; here each mistake gets its code for the page.
    if end < start:
        raise Refusal(status.HTTP_422_UNPROCESSABLE_CONTENT, RefusalCode.ANALYTICS_PERIOD_BACKWARDS)
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise Refusal(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            RefusalCode.ANALYTICS_PERIOD_TOO_LONG,
            days=MAX_PERIOD_DAYS,
        )
    try:
        return Filters(
            start,
            end,
            site=_code("site", site),
            agency=_code("agency", agency),
            service=_code("service", service),
        )
    except ValueError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(err)) from None


Period = Annotated[Filters, Depends(period_filters)]


@router.get("/api/v1/analytics/summary", summary="The dashboard's figures", response_model=Summary)
def get_summary(request: Request, _viewer: Viewer, filters: Period) -> Summary:
    """Sessions, completions, abandonment, escalations, waits, satisfaction, repeats, costs."""
    with _engine(request).connect() as conn:
        return summary(conn, filters)


@router.get(
    "/api/v1/analytics/export.csv",
    summary="The period's events as CSV (codes only)",
    response_class=StreamingResponse,
)
def export_csv(request: Request, viewer: Viewer, filters: Period) -> StreamingResponse:
    """One row per event, oldest first; no visit id, no file hash."""
    name = f"visioguichet-events-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    record_now(
        _engine(request),
        AuditAction.ANALYTICS_EXPORT,
        actor=viewer.agent_id,
        target=name,
        source=client_address(request),
    )
    return StreamingResponse(
        export_rows(_engine(request), filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/api/v1/analytics/filters", summary="Sites, agencies and services to filter by")
def get_filters(request: Request, _viewer: Viewer, filters: Period) -> dict[str, list[str]]:
    """The kiosks, and the agencies and services the period's events name."""
    with _engine(request).connect() as conn:
        return filter_choices(conn, filters)


class CostInputsView(BaseModel):
    """The cost inputs, and whether the reader may change them."""

    channels: list[CostInput]
    editable: bool


def _costs_view(engine: Engine, member: StaffMember) -> CostInputsView:
    with engine.connect() as conn:
        inputs = read_costs(conn)
    return CostInputsView(channels=list(inputs.values()), editable=member.may(Permission.SET_COSTS))


@router.get(
    "/api/v1/analytics/costs", summary="The cost inputs per channel", response_model=CostInputsView
)
def get_costs(request: Request, viewer: Viewer) -> CostInputsView:
    """Every channel's inputs (amounts in the agency's currency)."""
    return _costs_view(_engine(request), viewer)


@router.put("/api/v1/analytics/costs", summary="Set the cost inputs", response_model=CostInputsView)
def put_costs(request: Request, setter: CostSetter, inputs: CostInputs) -> CostInputsView:
    """Replace the inputs of the channels given; the others keep theirs."""
    channels = [item.channel for item in inputs.channels]
    if len(set(channels)) != len(channels):
        raise Refusal(status.HTTP_422_UNPROCESSABLE_CONTENT, RefusalCode.ANALYTICS_CHANNEL_TWICE)
    with _engine(request).begin() as conn:
        write_costs(conn, inputs, now=datetime.now(UTC))
        record(
            conn,
            AuditAction.COSTS_CHANGE,
            actor=setter.agent_id,
            target=",".join(channels),
            source=client_address(request),
        )
    return _costs_view(_engine(request), setter)


@router.get("/analytics/", summary="The analytics dashboard", include_in_schema=False)
async def analytics_page(
    member: Annotated[StaffMember | None, Depends(current_member)],
) -> Response:
    """The dashboard for those allowed to read figures; a login form for anyone else."""
    if member is None:
        page = await run_in_threadpool((STATIC_DIR / "login.html").read_bytes)
        return Response(page, status.HTTP_401_UNAUTHORIZED, media_type="text/html")
    if not member.may(Permission.VIEW_ANALYTICS):
        return FileResponse(
            STATIC_DIR / "forbidden.html", status.HTTP_403_FORBIDDEN, media_type="text/html"
        )
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")
