"""The fleet in the database: heartbeats in, commands out, alerts written down.

Everything lives in the database, nothing in a process, so several back-end
instances on one PostgreSQL agree: any instance takes a kiosk's heartbeat,
any instance evaluates the alert rules (one at a time, under an advisory
lock; the unique index of open alerts holds even without it).

A heartbeat costs one upsert and one index lookup that usually finds no
command; that is the hot path of the fleet (``bench/fleet.py``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Connection, Row, and_, bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from backend.db import UtcDateTime, api_clients, fleet_alerts, fleet_commands, fleet_kiosks
from backend.fleet.alerts import Condition, KioskState, backlog_age_s, conditions
from backend.fleet.models import EXPIRED, FleetAlert, FleetCommand, FleetKiosk, FleetView
from backend.settings import FleetSettings
from offline_queue.heartbeat import MAX_COMMANDS, DeviceReport, Heartbeat, KioskCommand

OPEN_STATES = ("pending", "delivered")
# Any constant: the PostgreSQL advisory lock under which one instance evaluates alerts.
SWEEP_LOCK_KEY = 0x76670005
RECENT_COMMANDS = 50
RECENT_CLEARED_ALERTS = 50
CLEARED_ALERTS_SHOWN_FOR = timedelta(hours=24)
IN_CHUNK = 500  # ids per IN (...) list: far below every database's parameter limit

_devices = TypeAdapter(list[DeviceReport])


def new_command_id(now: datetime) -> str:
    """A sortable, unguessable id: milliseconds since the epoch, then 48 random bits (hex)."""
    return f"{int(now.timestamp() * 1000):012x}{secrets.token_hex(6)}"


def _dialect(conn: Connection) -> Any:
    return postgresql if conn.dialect.name == "postgresql" else sqlite


_REPORTED = [column.name for column in fleet_kiosks.columns if column.name != "kiosk_id"]


def _build_upsert(dialect: Any) -> Any:
    statement = dialect.insert(fleet_kiosks).values(
        {column.name: bindparam(column.name) for column in fleet_kiosks.columns}
    )
    return statement.on_conflict_do_update(
        index_elements=["kiosk_id"], set_={name: statement.excluded[name] for name in _REPORTED}
    )


# The heartbeat's statements are built once: building and hashing a statement
# costs more CPU than running it, a thousand kiosks times every few seconds.
_UPSERT = {"sqlite": _build_upsert(sqlite), "postgresql": _build_upsert(postgresql)}
_ACK = (
    update(fleet_commands)
    .where(
        fleet_commands.c.command_id == bindparam("ack_id"),
        fleet_commands.c.kiosk_id == bindparam("ack_kiosk"),  # a kiosk answers only for itself
        fleet_commands.c.state.in_(OPEN_STATES),
    )
    .values(
        state=bindparam("ack_state"), acked_at=bindparam("ack_at"), detail=bindparam("ack_detail")
    )
)
_OPEN_COMMANDS = (
    select(
        fleet_commands.c.command_id,
        fleet_commands.c.kind,
        fleet_commands.c.issued_at,
        fleet_commands.c.state,
    )
    .where(
        fleet_commands.c.kiosk_id == bindparam("kiosk"),
        fleet_commands.c.state.in_(OPEN_STATES),
        fleet_commands.c.issued_at > bindparam("since", type_=UtcDateTime()),
    )
    .order_by(fleet_commands.c.issued_at, fleet_commands.c.command_id)
    .limit(MAX_COMMANDS)
)


def record_heartbeat(
    conn: Connection, kiosk_id: str, beat: Heartbeat, *, now: datetime, settings: FleetSettings
) -> list[KioskCommand]:
    """Store a kiosk's report and its acknowledgements; return its open commands.

    A command is handed out in every reply until acknowledged (a lost reply
    loses nothing; the kiosk runs each id once). One older than
    ``command_ttl_s`` is no longer handed out (the sweep marks it failed).
    """
    outbox = beat.outbox
    conn.execute(
        _UPSERT[conn.dialect.name],
        {
            "kiosk_id": kiosk_id,
            "last_seen_at": now,
            "sent_at": beat.sent_at,
            "app_version": beat.app_version,
            "uptime_s": beat.uptime_s,
            "devices": json.dumps([d.model_dump(exclude_none=True) for d in beat.devices]),
            "backlog": outbox.backlog,
            "oldest_pending_at": outbox.oldest_pending_at,
            "last_sync_at": outbox.last_sync_at,
            "last_error": outbox.last_error,
            "dead_letters": outbox.dead_letters,
            "disk_free_mb": beat.disk_free_mb,
            "out_of_service": beat.out_of_service,
        },
    )
    for ack in beat.acks:
        conn.execute(
            _ACK,
            {
                "ack_id": ack.command_id,
                "ack_kiosk": kiosk_id,
                "ack_state": "acked" if ack.ok else "failed",
                "ack_at": now,
                "ack_detail": ack.detail,
            },
        )
    since = now - timedelta(seconds=settings.command_ttl_s)
    rows = conn.execute(_OPEN_COMMANDS, {"kiosk": kiosk_id, "since": since}).all()
    fresh = [row.command_id for row in rows if row.state == "pending"]
    if fresh:
        conn.execute(
            update(fleet_commands)
            .where(fleet_commands.c.command_id.in_(fresh), fleet_commands.c.state == "pending")
            .values(state="delivered", delivered_at=now)
        )
    return [KioskCommand(command_id=r.command_id, kind=r.kind, issued_at=r.issued_at) for r in rows]


def kiosk_exists(conn: Connection, kiosk_id: str) -> bool:
    """Whether ``kiosk_id`` is a kiosk with a valid (unrevoked) credential."""
    found = conn.execute(
        select(api_clients.c.client_id).where(
            api_clients.c.client_id == kiosk_id,
            api_clients.c.role == "kiosk",
            api_clients.c.revoked_at.is_(None),
        )
    ).first()
    return found is not None


def issue_command(
    conn: Connection, kiosk_id: str, kind: str, *, issued_by: str, now: datetime
) -> FleetCommand | None:
    """Queue a command for the kiosk's next heartbeat; ``None`` if there is no such kiosk."""
    if not kiosk_exists(conn, kiosk_id):
        return None
    command = FleetCommand(
        command_id=new_command_id(now),
        kiosk_id=kiosk_id,
        kind=kind,
        issued_by=issued_by,
        issued_at=now,
        state="pending",
        delivered_at=None,
        acked_at=None,
        detail=None,
    )
    # detail_code is worked out when read (see _command_view), never stored.
    conn.execute(fleet_commands.insert().values(**command.model_dump(exclude={"detail_code"})))
    return command


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), IN_CHUNK):
        yield ids[start : start + IN_CHUNK]


def _state_of(row: Row[Any]) -> KioskState:
    return KioskState(
        last_seen_at=row.last_seen_at,
        sent_at=row.sent_at,
        devices=_devices.validate_json(row.devices),
        oldest_pending_at=row.oldest_pending_at,
    )


def sweep(conn: Connection, *, now: datetime, settings: FleetSettings) -> bool:
    """Bring the alerts in line with the rules at ``now``; expire stale commands.

    Opens the alerts whose condition holds, touches those that still hold,
    clears those that ended. Returns False without doing anything when
    another instance is sweeping (PostgreSQL): its result will be the same.
    """
    if conn.dialect.name == "postgresql":
        got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK_KEY})
        if not got.scalar():
            return False
    _expire_commands(conn, now=now, settings=settings)
    wanted: dict[tuple[str, str], Condition] = {}
    live = conn.execute(
        select(fleet_kiosks)
        .join(api_clients, api_clients.c.client_id == fleet_kiosks.c.kiosk_id)
        .where(api_clients.c.revoked_at.is_(None))
    )
    for row in live:
        for kind, condition in conditions(_state_of(row), now=now, settings=settings).items():
            wanted[(row.kiosk_id, kind)] = condition
    open_alerts = conn.execute(
        select(fleet_alerts.c.id, fleet_alerts.c.kiosk_id, fleet_alerts.c.kind).where(
            fleet_alerts.c.cleared_at.is_(None)
        )
    ).all()
    held = {(row.kiosk_id, row.kind): row.id for row in open_alerts}
    ended = [id_ for key, id_ in held.items() if key not in wanted]
    lasting = [id_ for key, id_ in held.items() if key in wanted]
    for ids, values in ((ended, {"cleared_at": now}), (lasting, {"last_seen_at": now})):
        for chunk in _chunks(ids):
            conn.execute(update(fleet_alerts).where(fleet_alerts.c.id.in_(chunk)).values(values))
    new = [
        {
            "kiosk_id": kiosk_id,
            "kind": kind,
            "detail": condition.detail,
            "first_seen_at": min(condition.since, now),
            "last_seen_at": now,
            "cleared_at": None,
        }
        for (kiosk_id, kind), condition in wanted.items()
        if (kiosk_id, kind) not in held
    ]
    if new:
        statement = (
            _dialect(conn)
            .insert(fleet_alerts)
            .on_conflict_do_nothing(
                index_elements=["kiosk_id", "kind"], index_where=text("cleared_at IS NULL")
            )
        )
        conn.execute(statement, new)
    return True


def _expire_commands(conn: Connection, *, now: datetime, settings: FleetSettings) -> None:
    ttl = timedelta(seconds=settings.command_ttl_s)
    detail = f"expired: not acknowledged within {int(settings.command_ttl_s)} s"
    conn.execute(
        update(fleet_commands)
        .where(fleet_commands.c.state.in_(OPEN_STATES), fleet_commands.c.issued_at <= now - ttl)
        .values(state="failed", detail=detail)
    )


def _kiosk_view(row: Row[Any], *, now: datetime, settings: FleetSettings) -> FleetKiosk:
    if row.last_seen_at is None:
        return FleetKiosk(kiosk_id=row.client_id, seen=False, online=False)
    state = _state_of(row)
    silent_s = max(0.0, (now - row.last_seen_at).total_seconds())
    return FleetKiosk(
        kiosk_id=row.client_id,
        seen=True,
        online=silent_s <= settings.silent_after_s,
        last_seen_at=row.last_seen_at,
        silent_s=silent_s,
        app_version=row.app_version,
        uptime_s=row.uptime_s,
        devices=list(state.devices),
        backlog=row.backlog,
        oldest_pending_age_s=backlog_age_s(state, now),
        last_sync_at=row.last_sync_at,
        last_error=row.last_error,
        dead_letters=row.dead_letters,
        disk_free_mb=row.disk_free_mb,
        out_of_service=row.out_of_service,
    )


def _alert_view(row: Row[Any]) -> FleetAlert:
    return FleetAlert(
        alert_id=row.id,
        kiosk_id=row.kiosk_id,
        kind=row.kind,
        detail=row.detail,
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
        cleared_at=row.cleared_at,
    )


def _command_view(row: Row[Any]) -> FleetCommand:
    command = FleetCommand.model_validate(row._mapping)
    # Only the sweep fails a command without an acknowledgement (see _expire_commands).
    if command.state == "failed" and command.acked_at is None:
        return command.model_copy(update={"detail_code": EXPIRED})
    return command


def read_fleet(
    conn: Connection, *, now: datetime, settings: FleetSettings, may_command: bool
) -> FleetView:
    """The fleet page's data: every valid kiosk (heard from or not), alerts, recent commands."""
    kiosks = conn.execute(
        select(api_clients.c.client_id, fleet_kiosks)
        .select_from(
            api_clients.outerjoin(fleet_kiosks, fleet_kiosks.c.kiosk_id == api_clients.c.client_id)
        )
        .where(api_clients.c.role == "kiosk", api_clients.c.revoked_at.is_(None))
        .order_by(api_clients.c.client_id)
    ).all()
    open_alerts = conn.execute(
        select(fleet_alerts)
        .where(fleet_alerts.c.cleared_at.is_(None))
        .order_by(fleet_alerts.c.first_seen_at, fleet_alerts.c.id)
    ).all()
    cleared = conn.execute(
        select(fleet_alerts)
        .where(and_(fleet_alerts.c.cleared_at > now - CLEARED_ALERTS_SHOWN_FOR))
        .order_by(fleet_alerts.c.cleared_at.desc(), fleet_alerts.c.id.desc())
        .limit(RECENT_CLEARED_ALERTS)
    ).all()
    commands = conn.execute(
        select(fleet_commands)
        .order_by(fleet_commands.c.issued_at.desc(), fleet_commands.c.command_id.desc())
        .limit(RECENT_COMMANDS)
    ).all()
    return FleetView(
        now=now,
        heartbeat_interval_s=settings.heartbeat_interval_s,
        silent_after_s=settings.silent_after_s,
        backlog_max_age_s=settings.backlog_max_age_s,
        command_ttl_s=settings.command_ttl_s,
        may_command=may_command,
        kiosks=[_kiosk_view(row, now=now, settings=settings) for row in kiosks],
        alerts=[_alert_view(row) for row in open_alerts],
        cleared_alerts=[_alert_view(row) for row in cleared],
        commands=[_command_view(row) for row in commands],
    )
