"""Refusals the staff pages show, each with a stable code beside its English detail.

An HTTP refusal a staff page may put on screen (a wrong password, no such
kiosk, a period that ends before it starts) answers
``{"detail": "<English>", "code": "<code>"}``, plus ``"params"`` when the
English has values in it. The pages show the catalogue's text for the code in
the agent's language (``backend/console/static/refusals.js``) and fall back to
``detail`` for a code they do not know; every other client (kiosks, scripts,
tests) reads ``detail`` as before. The English here is the catalogue's English
word for word: ``tests/staff/test_server_codes.py`` holds the two together.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse


class RefusalCode(StrEnum):
    """What was refused, stable across wording changes (the pages translate by it)."""

    LOGIN_TOO_LARGE = "login.too_large"
    LOGIN_MEDIA_TYPE = "login.media_type"
    LOGIN_UNREADABLE = "login.unreadable"
    LOGIN_INCOMPLETE = "login.incomplete"
    LOGIN_LOCKED = "login.locked"
    LOGIN_WRONG = "login.wrong"
    STAFF_LOG_IN = "staff.log_in"
    STAFF_NOT_ALLOWED = "staff.not_allowed"
    REQUEST_TOO_LARGE = "request.too_large"
    REQUEST_CROSS_ORIGIN = "request.cross_origin"
    REQUEST_NOT_JSON = "request.not_json"
    REQUEST_INVALID = "request.invalid"
    FLEET_NO_SUCH_KIOSK = "fleet.no_such_kiosk"
    FLEET_CONFIRM_MISMATCH = "fleet.confirm_mismatch"
    ANALYTICS_BAD_DATE = "analytics.bad_date"
    ANALYTICS_BAD_CODE = "analytics.bad_code"
    ANALYTICS_PERIOD_BACKWARDS = "analytics.period_backwards"
    ANALYTICS_PERIOD_TOO_LONG = "analytics.period_too_long"
    ANALYTICS_CHANNEL_TWICE = "analytics.channel_twice"


# The English detail of each code; {name} is filled from the refusal's params.
ENGLISH: Mapping[RefusalCode, str] = {
    RefusalCode.LOGIN_TOO_LARGE: "login body too large",
    RefusalCode.LOGIN_MEDIA_TYPE: "send JSON or a form",
    RefusalCode.LOGIN_UNREADABLE: "unreadable login body",
    RefusalCode.LOGIN_INCOMPLETE: "agent_id and password are required",
    RefusalCode.LOGIN_LOCKED: "too many failed attempts; try again later",
    RefusalCode.LOGIN_WRONG: "wrong agent id or password",
    RefusalCode.STAFF_LOG_IN: "log in first",
    RefusalCode.STAFF_NOT_ALLOWED: "your role does not allow {permission}",
    RefusalCode.REQUEST_TOO_LARGE: "the request body exceeds {limit} bytes",
    RefusalCode.REQUEST_CROSS_ORIGIN: "cross-origin request refused",
    RefusalCode.REQUEST_NOT_JSON: "send JSON",
    # The validator's own words (field paths and rules), which no catalogue can know.
    RefusalCode.REQUEST_INVALID: "{problems}",
    RefusalCode.FLEET_NO_SUCH_KIOSK: "no such kiosk",
    RefusalCode.FLEET_CONFIRM_MISMATCH: "confirm by repeating the kiosk id exactly",
    RefusalCode.ANALYTICS_BAD_DATE: "{field}: expected a date as YYYY-MM-DD",
    RefusalCode.ANALYTICS_BAD_CODE: (
        "{field}: expected a code (lowercase letters, digits, '-' or '_')"
    ),
    RefusalCode.ANALYTICS_PERIOD_BACKWARDS: "the period ends before it starts",
    RefusalCode.ANALYTICS_PERIOD_TOO_LONG: "the period is longer than {days} days",
    RefusalCode.ANALYTICS_CHANNEL_TWICE: "each channel may appear once",
}


class Refusal(HTTPException):
    """An HTTP refusal with its code; ``detail`` is the code's English with ``params`` in."""

    def __init__(
        self,
        status_code: int,
        code: RefusalCode,
        *,
        headers: Mapping[str, str] | None = None,
        **params: str | int,
    ) -> None:
        super().__init__(
            status_code,
            detail=ENGLISH[code].format(**params),
            headers=dict(headers) if headers else None,
        )
        self.code = code
        self.params = params


async def refusal_answer(_request: Request, exc: Exception) -> JSONResponse:
    """The JSON answer of a :class:`Refusal`: detail, code, and params when it has some."""
    assert isinstance(exc, Refusal)  # registered for Refusal only
    body: dict[str, object] = {"detail": exc.detail, "code": exc.code.value}
    if exc.params:
        body["params"] = exc.params
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
