"""What sync reports: why an attempt stopped, what it did, and what the screens show.

The HTTP answers of the back end are sorted here, in one place:

* 408, 425, 429 and 5xx: the back end is busy or broken; everything is sent
  again after a backoff (or after the ``Retry-After`` it asked for).
* 401, 403, 404, 405: the kiosk is misconfigured (credential, URL); the
  items are not at fault, so nothing is dead-lettered, and the kiosk retries.
* Any other 4xx: the request's content is at fault. A batch is split to find
  the item; that item alone goes to the dead letter, with the answer as reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import httpx

from offline_queue.retry import parse_retry_after

MAX_DETAIL_CHARS = 200
_TRANSIENT = {408, 425, 429}
_MISCONFIGURED = {401, 403, 404, 405}


class FailureKind(StrEnum):
    """Why a sync attempt stopped early."""

    UNREACHABLE = "unreachable"  # connection refused, DNS, timeout, connection lost
    SERVER_ERROR = "server_error"  # HTTP 5xx, 408, 425
    RATE_LIMITED = "rate_limited"  # HTTP 429
    REFUSED = "refused"  # the whole request refused: 401, 403, 404, 405
    BAD_ANSWER = "bad_answer"  # not a valid answer, or items missing from it
    DEFERRED = "deferred"  # the back end asked for some items again later
    OUTBOX = "outbox"  # the local database failed
    INTERNAL = "internal"  # a bug: logged with its traceback, retried with backoff


@dataclass(frozen=True)
class SyncFailure:
    """What went wrong, in a short message free of personal data."""

    kind: FailureKind
    message: str
    retry_after_s: float | None = None


@dataclass(frozen=True)
class SyncReport:
    """The outcome of one attempt (or of its batches so far, as progress)."""

    sent: int = 0
    acknowledged: int = 0
    duplicates: int = 0
    rejected: int = 0
    released: int = 0
    uploaded_bytes: int = 0
    failure: SyncFailure | None = None

    @property
    def ok(self) -> bool:
        """True when the attempt ran to the end without a failure."""
        return self.failure is None


@dataclass(frozen=True)
class SyncStatus:
    """What the citizen screen and the maintenance mode show about sync.

    The citizen sees "saved on this kiosk, will be sent" until the item is
    acknowledged, then "sent"; the maintenance mode shows the rest.
    """

    backlog: int
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    online: bool
    oldest_pending_age_s: float | None = None
    dead_letters: int = 0
    next_attempt_in_s: float = 0.0
    # The back end's clock minus the kiosk's, from the latest answer.
    clock_skew_s: float | None = None
    alarms: tuple[str, ...] = ()


def detail_of(response: httpx.Response) -> str:
    """The back end's short ``detail`` (it never echoes input values), or ""."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    return detail[:MAX_DETAIL_CHARS] if isinstance(detail, str) else ""


def blames_content(code: int) -> bool:
    """True for the 4xx answers that mean "this content will never be accepted as is"."""
    return 400 <= code < 500 and code not in _TRANSIENT | _MISCONFIGURED


# What a 401 means for a kiosk whose token was accepted before: the fleet view (or
# ``kiosk-backend revoke``) revoked it. Shown as such in the maintenance diagnostics.
CREDENTIAL_REFUSED = "credential revoked or unknown (HTTP 401): the kiosk must be enrolled again"


def refusal(response: httpx.Response) -> SyncFailure:
    """The failure a non-200 answer means, when it does not blame the content."""
    code = response.status_code
    if code == httpx.codes.UNAUTHORIZED:
        return SyncFailure(FailureKind.REFUSED, CREDENTIAL_REFUSED)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if code == httpx.codes.TOO_MANY_REQUESTS:
        return SyncFailure(FailureKind.RATE_LIMITED, "back end busy (HTTP 429)", retry_after)
    if code >= httpx.codes.INTERNAL_SERVER_ERROR or code in _TRANSIENT:
        return SyncFailure(FailureKind.SERVER_ERROR, f"back end error (HTTP {code})", retry_after)
    return SyncFailure(FailureKind.REFUSED, f"back end refused the request (HTTP {code})")


TLS_PIN_MISMATCH = (
    "TLS: the back end's key is not the pinned one (backend.tls_pin_sha256); nothing was sent"
)
TLS_UNTRUSTED = "TLS: the back end's certificate is not trusted (no pin, and no trusted CA)"


def tls_problem(err: BaseException) -> str | None:
    """What a failed TLS handshake means for a technician, or ``None`` if it is not one.

    httpx wraps the handshake's error; its text carries the ssl module's reason.
    """
    text = str(err)
    if "tls_pin_sha256" in text:
        return TLS_PIN_MISMATCH
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return TLS_UNTRUSTED
    return None


def network_failure(err: Exception) -> SyncFailure:
    """The failure a transport error (or our own deadline) means."""
    tls = tls_problem(err)
    if tls is not None:
        return SyncFailure(FailureKind.UNREACHABLE, tls)
    if isinstance(err, httpx.TimeoutException | TimeoutError):
        return SyncFailure(FailureKind.UNREACHABLE, "back end timed out")
    return SyncFailure(FailureKind.UNREACHABLE, f"back end unreachable ({type(err).__name__})")
