"""The whole HTTP API fuzzed with schemathesis from its own OpenAPI document.

Every operation gets generated requests twice: with the credentials it needs
(a kiosk or staff token, a staff session cookie with every role) and with none.
Checks: no server error, and every answer (status, body) conforms to what the
document declares. Examples are few per operation, to stay within a couple of
minutes on two cores; hypothesis' database keeps the failures it finds.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.app import create_app
from backend.auth import issue_credential
from backend.console_auth import login
from backend.roles import Role
from backend.settings import BackendSettings
from tests.fixtures.backend import InProcessBackend
from tests.fleet.helpers import PASSWORD, add_staff

# The host schemathesis sends in process: the staff pages' fetches name their own origin.
BASE = "http://testserver"
CHECKS = [
    checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Open to anyone, each for a reason (tests/security/test_unauthenticated.py lists them too).
PUBLIC = frozenset({("GET", "/healthz"), ("POST", "/console/login"), ("POST", "/console/logout")})
# Operations a staff bearer token (not a cookie) calls.
STAFF_TOKEN_PATHS = frozenset({"/api/v1/transactions"})
KIOSK_TOKEN_PATHS = ("/api/v1/sync", "/api/v1/attachments", "/api/v1/fleet/heartbeat")
KIOSK_TOKEN_EXACT = frozenset({"/api/v1/analytics/events"})


class Fuzzed:
    """The app and the credentials the cases use."""

    def __init__(self, tmp: Path) -> None:
        self.app = create_app(
            BackendSettings(data_dir=tmp / "b", database_url=f"sqlite:///{tmp / 'fuzz.db'}")
        )
        engine = self.app.state.engine
        self.kiosk_token = issue_credential(engine, "kiosk-fuzz", "kiosk")
        self.staff_token = issue_credential(engine, "staff-fuzz", "staff")
        backend = InProcessBackend(self.app, "kiosk-fuzz", self.kiosk_token, "", tmp)
        add_staff(backend, "boss", *Role)  # every role: every page and action is reachable
        with engine.begin() as conn:
            session = login(conn, "boss", PASSWORD, now=datetime.now(UTC), ttl_s=86_400)
        self.cookie = session.token  # type: ignore[union-attr]

    def headers_for(self, path: str) -> dict[str, str]:
        if path in STAFF_TOKEN_PATHS:
            token = self.staff_token
        elif path.startswith(KIOSK_TOKEN_PATHS) or path in KIOSK_TOKEN_EXACT:
            token = self.kiosk_token
        else:
            return {"Cookie": f"vg_agent={self.cookie}", "Origin": BASE}
        return {"Authorization": f"Bearer {token}"}


# Built at collection: schemathesis makes one test per operation of this app's document
# (its fixture-based loader does not work with this pytest). A temporary SQLite only.
FUZZED = Fuzzed(Path(tempfile.mkdtemp(prefix="vg-fuzz-")))
schema = schemathesis.openapi.from_asgi("/openapi.json", FUZZED.app)


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Fuzzed]:
    try:
        yield FUZZED
    finally:
        FUZZED.app.state.engine.dispose()
        shutil.rmtree(FUZZED.app.state.settings.data_dir.parent, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_never_fails_and_keeps_its_word(case: schemathesis.Case, fuzzed: Fuzzed) -> None:
    case.call_and_validate(headers=fuzzed.headers_for(case.path), checks=CHECKS)
    # Without credentials: refused (never a server error), as declared.
    if (case.method, case.path) in PUBLIC:
        return
    answer = case.call(headers={"Authorization": None, "Cookie": None})
    # 400: an unreadable JSON body is refused before anything else is looked at.
    assert answer.status_code in (400, 401, 403, 404, 405, 413, 415, 422), (
        case.method,
        case.path,
        answer.status_code,
    )
