"""Can the kiosk reach its back end, and how fast: one timed GET of ``/healthz``."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import httpx
from pydantic import BaseModel, ConfigDict

PROBE_TIMEOUT_S = 5.0  # a technician waits for this answer in front of the screen
HEALTHZ_PATH = "/healthz"

Probe = Callable[[], Awaitable["Reachability"]]


class Reachability(BaseModel):
    """The back end answered (with its round-trip time), or why not."""

    model_config = ConfigDict(frozen=True)

    reachable: bool
    rtt_ms: float | None = None
    status_code: int | None = None
    error: str | None = None


async def probe_backend(client: httpx.AsyncClient) -> Reachability:
    """GET ``/healthz`` on the client's back end; never raises for network failures."""
    started = time.perf_counter()
    try:
        response = await client.get(HEALTHZ_PATH, timeout=PROBE_TIMEOUT_S)
    except httpx.TimeoutException:
        return Reachability(reachable=False, error=f"no answer within {PROBE_TIMEOUT_S:.0f} s")
    except httpx.HTTPError as err:
        return Reachability(reachable=False, error=f"no connection ({type(err).__name__})")
    rtt_ms = round((time.perf_counter() - started) * 1000, 1)
    if response.status_code != httpx.codes.OK:
        return Reachability(
            reachable=False,
            rtt_ms=rtt_ms,
            status_code=response.status_code,
            error=f"answered HTTP {response.status_code}",
        )
    return Reachability(reachable=True, rtt_ms=rtt_ms, status_code=response.status_code)
