"""What the fleet page reads (``GET /api/v1/fleet``) and what a technician sends.

These are the back end's own answers to its own page, not wire schemas shared
with kiosks (those are in :mod:`offline_queue.heartbeat`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from offline_queue.heartbeat import CommandKind, DeviceReport

# How far a command got; the fleet page has words for each (fleet.js COMMAND_STATE_KEYS).
CommandState = Literal["pending", "delivered", "acked", "failed"]
# The details the back end writes itself (the others are the kiosk's words): a command
# nobody acknowledged within ``command_ttl_s``.
DetailCode = Literal["expired"]
EXPIRED: DetailCode = "expired"


class CommandRequest(BaseModel):
    """A technician's order: ``{"kind": "sync_now" | "out_of_service" | "back_in_service"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: CommandKind


class FleetKiosk(BaseModel):
    """One kiosk as the fleet page shows it. A kiosk never heard from has ``seen`` false."""

    kiosk_id: str
    seen: bool
    online: bool
    last_seen_at: datetime | None = None
    silent_s: float | None = None
    app_version: str | None = None
    uptime_s: int | None = None
    devices: list[DeviceReport] = []
    backlog: int | None = None
    oldest_pending_age_s: float | None = None
    last_sync_at: datetime | None = None
    last_error: str | None = None
    dead_letters: int | None = None
    disk_free_mb: int | None = None
    out_of_service: bool = False


class FleetAlert(BaseModel):
    """An alert: open while ``cleared_at`` is null."""

    alert_id: int
    kiosk_id: str
    kind: str
    detail: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    cleared_at: datetime | None


class FleetCommand(BaseModel):
    """A command and how far it got: pending, delivered, acked or failed.

    ``detail`` is the kiosk's answer as it wrote it, or the back end's English when
    ``detail_code`` names it (``expired``), for the page to say in the reader's language.
    """

    command_id: str
    kiosk_id: str
    kind: str
    issued_by: str
    issued_at: datetime
    state: CommandState
    delivered_at: datetime | None
    acked_at: datetime | None
    detail: str | None
    detail_code: DetailCode | None = None


class FleetView(BaseModel):
    """The whole page in one answer: kiosks, alerts, recent commands, and the thresholds."""

    now: datetime
    heartbeat_interval_s: float
    silent_after_s: float
    backlog_max_age_s: float
    # How long a command waits for its acknowledgement before it fails as expired.
    command_ttl_s: float
    may_command: bool
    # Whether the reader may revoke a kiosk's credential (a stolen kiosk).
    may_revoke: bool = False
    kiosks: list[FleetKiosk]
    alerts: list[FleetAlert]
    cleared_alerts: list[FleetAlert]
    commands: list[FleetCommand]


class RevokeRequest(BaseModel):
    """Revoking a kiosk's credential: the kiosk id typed again, as the confirmation."""

    model_config = ConfigDict(extra="forbid")

    confirm: str = Field(max_length=64, description="The kiosk id, repeated.")


class Revoked(BaseModel):
    """A kiosk cut off: its requests are refused from now, its hub socket closed."""

    kiosk_id: str
    revoked_at: datetime
