"""The fleet's alert rules: which conditions a kiosk's latest report and silence raise.

Pure functions of the stored state and the back end's clock, so that every
instance on one database reaches the same verdict (:mod:`backend.fleet.store`
writes it down). A kiosk's clock is never compared with the back end's: ages
it reports are measured on its own clock, then carried forward on ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.settings import FleetSettings
from offline_queue.heartbeat import DeviceReport

PAPER_OUT = "paper_out"
PRINTER_FAULT = "printer_fault"
CARD_READER_FAULT = "card_reader_fault"
CAMERA_ALERTS = {"face_camera": "face_camera_lost", "document_camera": "document_camera_lost"}
BACKLOG_STALE = "backlog_stale"
SILENT = "silent"
# Every kind of alert the rules raise: the fleet page has words for each (fleet.js ALERT_KEYS).
ALERT_KINDS = frozenset(
    {PAPER_OUT, PRINTER_FAULT, CARD_READER_FAULT, *CAMERA_ALERTS.values(), BACKLOG_STALE, SILENT}
)


@dataclass(frozen=True)
class Condition:
    """An alert that should be open: its kind, a short detail, and since when it holds."""

    kind: str
    detail: str | None
    since: datetime


@dataclass(frozen=True)
class KioskState:
    """What the rules read of a kiosk: its latest report and when it arrived."""

    last_seen_at: datetime
    sent_at: datetime
    devices: Sequence[DeviceReport]
    oldest_pending_at: datetime | None


def backlog_age_s(state: KioskState, now: datetime) -> float | None:
    """Age of the oldest unsent outbox item now, on the kiosk's clock carried forward."""
    if state.oldest_pending_at is None:
        return None
    at_report = (state.sent_at - state.oldest_pending_at).total_seconds()
    since_report = (now - state.last_seen_at).total_seconds()
    return max(0.0, at_report) + max(0.0, since_report)


def device_conditions(state: KioskState) -> list[Condition]:
    """Faults the kiosk reported in its latest heartbeat."""
    found: list[Condition] = []
    for report in state.devices:
        if report.state != "fault":
            continue
        if report.device == "printer":
            kind = PAPER_OUT if report.fault == PAPER_OUT else PRINTER_FAULT
        elif report.device in CAMERA_ALERTS:
            kind = CAMERA_ALERTS[report.device]
        else:
            kind = CARD_READER_FAULT
        # The kind says "paper out" already; other kinds are clearer with the kiosk's code.
        detail = report.detail or (None if kind == PAPER_OUT else report.fault)
        found.append(Condition(kind, detail, state.last_seen_at))
    return found


def conditions(
    state: KioskState, *, now: datetime, settings: FleetSettings
) -> dict[str, Condition]:
    """Every alert kind that should be open for this kiosk at ``now``, by kind.

    A silent kiosk keeps the faults of its last report: nobody has seen them
    end, so they stay open beside the ``silent`` alert.
    """
    found = {condition.kind: condition for condition in device_conditions(state)}
    age = backlog_age_s(state, now)
    if age is not None and age > settings.backlog_max_age_s:
        since = now - timedelta(seconds=age - settings.backlog_max_age_s)
        # No age in the detail: it is written once, and the kiosk's row shows the live age.
        found[BACKLOG_STALE] = Condition(BACKLOG_STALE, None, since)
    silent_s = (now - state.last_seen_at).total_seconds()
    if silent_s > settings.silent_after_s:
        since = state.last_seen_at + timedelta(seconds=settings.silent_after_s)
        found[SILENT] = Condition(SILENT, None, since)
    return found
