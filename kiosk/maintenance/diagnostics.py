"""The kiosk's state in one typed, serialisable snapshot.

The maintenance screen shows it, and the heartbeat to the fleet view will post
it as JSON: codes and numbers only, no personal data (dead letters carry the
back end's reason, which never echoes what the citizen typed).
"""

from __future__ import annotations

import platform
import shutil
from datetime import datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from kiosk.maintenance.reachability import Reachability
from offline_queue.items import DeadLetter
from offline_queue.status import SyncStatus
from peripherals.health import DeviceHealth, HealthState

SCHEMA_VERSION = 1
MAX_DEAD_LETTERS = 50  # enough for a screen; the fleet view asks the back end for the rest
DeviceName = Literal["card_reader", "printer", "document_camera"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class DeviceStatus(_Model):
    """One device's health: state, fault code (a translation key) and a technical detail."""

    device: DeviceName
    state: HealthState
    code: str
    detail: str = ""

    @classmethod
    def of(cls, device: DeviceName, health: DeviceHealth) -> DeviceStatus:
        """The status of ``device`` from its port's health report."""
        return cls(device=device, state=health.state, code=health.code, detail=health.detail)


class DeadLetterView(_Model):
    """An item the back end refused for good, and why."""

    key: str
    kind: str
    created_at: datetime
    rejected_at: datetime
    attempts: int
    reason: str


class OutboxView(_Model):
    """The outbox's backlog and the sync worker's latest news."""

    backlog: int
    oldest_pending_age_s: float | None
    last_sync_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    online: bool
    dead_letter_count: int
    dead_letters: tuple[DeadLetterView, ...] = ()
    alarms: tuple[str, ...] = ()


class DiskView(_Model):
    """Free and total space where the kiosk keeps its data."""

    path: str
    free_bytes: int
    total_bytes: int


class Versions(_Model):
    """What runs on this kiosk."""

    app: str
    python: str
    qt: str
    aiortc: str


class DiagnosticsSnapshot(_Model):
    """Everything a technician (or the fleet view) needs to judge a kiosk at a glance."""

    schema_version: Literal[1] = 1  # SCHEMA_VERSION; bumped with any incompatible change
    kiosk_id: str
    taken_at: datetime
    devices: tuple[DeviceStatus, ...]
    outbox: OutboxView
    backend: Reachability | None  # None: not probed (the probe costs a request)
    disk: DiskView
    versions: Versions
    uptime_s: float
    out_of_service: bool


def outbox_view(status: SyncStatus, dead_letters: list[DeadLetter]) -> OutboxView:
    """The outbox part of the snapshot, from the sync worker's status and the dead letters."""
    return OutboxView(
        backlog=status.backlog,
        oldest_pending_age_s=status.oldest_pending_age_s,
        last_sync_at=status.last_success_at,
        last_error=status.last_error,
        consecutive_failures=status.consecutive_failures,
        online=status.online,
        dead_letter_count=status.dead_letters,
        dead_letters=tuple(
            DeadLetterView(
                key=letter.idempotency_key,
                kind=letter.kind,
                created_at=letter.created_at,
                rejected_at=letter.rejected_at,
                attempts=letter.attempts,
                reason=letter.reason,
            )
            for letter in dead_letters[-MAX_DEAD_LETTERS:]
        ),
        alarms=status.alarms,
    )


def disk_view(path: Path) -> DiskView:
    """Free space on the file system holding ``path`` (its nearest existing parent)."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    usage = shutil.disk_usage(existing)
    return DiskView(path=str(path), free_bytes=usage.free, total_bytes=usage.total)


@cache
def versions() -> Versions:
    """Installed versions, read from package metadata (nothing heavy is imported)."""
    return Versions(
        app=_version("visioguichet"),
        python=platform.python_version(),
        qt=_version("PySide6"),
        aiortc=_version("aiortc"),
    )


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"
