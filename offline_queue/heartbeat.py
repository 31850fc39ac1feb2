"""Wire schemas of the fleet link: a kiosk's heartbeat and the back end's reply.

Shared by the kiosk (:mod:`offline_queue.fleet_link`) and the back end's
fleet view. Versioned (``v``) so that a fleet can be upgraded kiosk by kiosk;
strict (unknown keys are an error) and bounded (every string and list has a
size limit), because the back end stores what it is told. The kiosk's
identity is never in the body: the back end takes it from the credential.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

HEARTBEAT_VERSION: Literal[1] = 1
MAX_DEVICES = 8
MAX_ACKS = 32
MAX_COMMANDS = 16
MAX_DETAIL_CHARS = 200
MAX_UPTIME_S = 10 * 365 * 86_400
MAX_COUNT = 10_000_000
MAX_DISK_MB = 100_000_000  # 100 TB: larger is a bug, not a disk

DeviceName = Literal["card_reader", "printer", "document_camera", "face_camera"]
DeviceState = Literal["ok", "degraded", "fault", "absent"]
CommandKind = Literal["sync_now", "out_of_service", "back_in_service"]
# A machine-readable reason: "paper_out", "jam", "reader_unavailable", "lost"...
FaultCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]{0,47}$")]
# The fault codes kiosks of this version send: their devices' error and health codes without
# the device prefix (``printer.paper_out`` -> ``paper_out``). Any other code is still accepted
# (a newer kiosk); the fleet page has words for these and shows any other as it comes.
FAULT_CODES = frozenset(
    {
        # any device
        "error",
        # printer
        "paper_out", "paper_low", "offline", "timeout", "rejected", "jam", "cover_open",
        # card reader (and the card in it)
        "absent", "removed", "unreadable", "reader_unavailable", "unsupported",
        "wrong_pin", "blocked", "pin_format",
        # cameras
        "unavailable", "lost", "blank", "refused", "no_page", "blurry", "glare", "duplicate",
    }
)  # fmt: skip
Detail = Annotated[str, StringConstraints(max_length=MAX_DETAIL_CHARS)]
Version = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$")]
# Issued by the back end: a ULID-like string of letters and digits.
CommandId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{8,32}$")]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class _Wire(BaseModel):
    """Strict base: unknown keys are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviceReport(_Wire):
    """One device's health as the kiosk sees it (``peripherals.health`` in wire form)."""

    device: DeviceName
    state: DeviceState
    fault: FaultCode | None = None
    detail: Detail | None = None


class OutboxReport(_Wire):
    """The kiosk's outbox: what waits to reach the back end, and how syncing goes."""

    backlog: Count
    oldest_pending_at: AwareDatetime | None = None
    last_sync_at: AwareDatetime | None = None
    last_error: Detail | None = None
    dead_letters: Count = 0


class CommandAck(_Wire):
    """The kiosk's answer to a command: done or not, and why not."""

    command_id: CommandId
    ok: bool
    detail: Detail | None = None


class Heartbeat(_Wire):
    """What a kiosk tells the back end every few seconds (``POST /api/v1/fleet/heartbeat``)."""

    v: Literal[1] = HEARTBEAT_VERSION
    sent_at: AwareDatetime
    app_version: Version
    uptime_s: Annotated[int, Field(ge=0, le=MAX_UPTIME_S)]
    devices: list[DeviceReport] = Field(default_factory=list, max_length=MAX_DEVICES)
    outbox: OutboxReport
    disk_free_mb: Annotated[int, Field(ge=0, le=MAX_DISK_MB)] | None = None
    out_of_service: bool = False
    acks: list[CommandAck] = Field(default_factory=list, max_length=MAX_ACKS)


class KioskCommand(_Wire):
    """A technician's order to one kiosk; the kiosk acknowledges it by ``command_id``."""

    command_id: CommandId
    kind: CommandKind
    issued_at: datetime


class HeartbeatReply(_Wire):
    """The back end's answer: the commands not acknowledged yet, and when to beat again.

    A command is sent again in every reply until its acknowledgement arrives,
    so a lost reply loses nothing; the kiosk runs each ``command_id`` once.
    """

    v: Literal[1] = HEARTBEAT_VERSION
    commands: list[KioskCommand] = Field(default_factory=list, max_length=MAX_COMMANDS)
    next_in_s: Annotated[float, Field(gt=0, le=3_600)]
