"""The diagnostics snapshot as the maintenance screen's texts, in the technician's language."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from kiosk.i18n import Language, Strings
from kiosk.maintenance.diagnostics import DiagnosticsSnapshot
from kiosk.maintenance.reachability import Reachability
from offline_queue.status import CREDENTIAL_REFUSED, TLS_PIN_MISMATCH
from peripherals.health import SelfTestResult

_MINUTE_S = 60
_HOUR_S = 3_600
_DAY_S = 86_400


class DeviceRow(TypedDict):
    """One device on the diagnostics screen."""

    device: str
    name: str
    state: str
    stateText: str  # camelCase: QML reads it
    message: str
    testLabel: str  # camelCase: QML reads it


class DeadLetterRow(TypedDict):
    """A refused item, and the back end's reason."""

    kind: str
    when: str
    reason: str


def format_duration(seconds: float, language: Language) -> str:
    """A short human duration: "45 s", "12 min", "3 h 05", "4 j" / "4 d"."""
    whole = int(seconds)
    if whole < _MINUTE_S:
        return f"{whole} s"
    if whole < _HOUR_S:
        return f"{whole // _MINUTE_S} min"
    if whole < _DAY_S:
        return f"{whole // _HOUR_S} h {whole % _HOUR_S // _MINUTE_S:02d}"
    return f"{whole // _DAY_S} {'j' if language == 'fr' else 'd'}"


def format_bytes(count: int, language: Language) -> str:
    """Gigabytes with one decimal, in the language's own way ("12,5 Go", "12.5 GB")."""
    value = f"{count / 1e9:.1f}"
    return f"{value.replace('.', ',')} Go" if language == "fr" else f"{value} GB"


def code_message(strings: Strings, code: str, language: Language) -> str:
    """A health or self-test code in words (the code itself when there are none)."""
    for key in (f"maint.code.{code}", f"error.{code}"):
        if strings.has(key):
            return strings.text(key, language)
    return code


def device_rows(
    snapshot: DiagnosticsSnapshot, strings: Strings, language: Language
) -> list[DeviceRow]:
    """Each device's name, state and message, with its self-test's button label."""
    return [
        {
            "device": status.device,
            "name": strings.text(f"maint.device.{status.device}", language),
            "state": status.state.value,
            "stateText": strings.text(f"maint.state.{status.state.value}", language),
            "message": code_message(strings, status.code, language),
            "testLabel": strings.text(f"maint.test.{status.device}", language),
        }
        for status in snapshot.devices
    ]


def self_test_message(result: SelfTestResult, strings: Strings, language: Language) -> str:
    """The one line a self-test leaves on screen: passed or failed, and why."""
    message = code_message(strings, result.code, language)
    key = "maint.test_passed" if result.passed else "maint.test_failed"
    return strings.text(key, language, message=message)


def backend_line(reach: Reachability | None, strings: Strings, language: Language) -> str:
    """Whether the back end answered, and how fast."""
    if reach is None:
        return strings.text("maint.backend_probing", language)
    if reach.reachable and reach.rtt_ms is not None:
        return strings.text("maint.backend_ok", language, rtt=f"{reach.rtt_ms:.0f}")
    return strings.text("maint.backend_down", language, error=reach.error or "?")


def sync_lines(
    snapshot: DiagnosticsSnapshot, strings: Strings, language: Language, now: datetime
) -> list[str]:
    """Backlog, oldest item, last sync, last error and the dead letters' count."""
    outbox = snapshot.outbox
    lines = [strings.text("maint.backlog", language, count=outbox.backlog)]
    if outbox.oldest_pending_age_s is not None:
        age = format_duration(outbox.oldest_pending_age_s, language)
        lines.append(strings.text("maint.oldest", language, age=age))
    when = strings.text("maint.never", language)
    if outbox.last_sync_at is not None:
        age = format_duration((now - outbox.last_sync_at).total_seconds(), language)
        when = strings.text("maint.ago", language, age=age)
    lines.append(strings.text("maint.last_sync", language, when=when))
    if outbox.last_error == CREDENTIAL_REFUSED:
        # Said plainly, in the technician's language: no retry will fix this one.
        lines.append(strings.text("maint.credential_revoked", language))
    elif outbox.last_error == TLS_PIN_MISMATCH:
        lines.append(strings.text("maint.tls_pin_mismatch", language))
    error = outbox.last_error or strings.text("maint.no_error", language)
    lines.append(strings.text("maint.last_error", language, error=error))
    lines.extend(outbox.alarms)
    lines.append(strings.text("maint.dead_letters", language, count=outbox.dead_letter_count))
    return lines


def dead_letter_rows(snapshot: DiagnosticsSnapshot) -> list[DeadLetterRow]:
    """The refused items, newest first, with the back end's reason."""
    return [
        {
            "kind": letter.kind,
            "when": letter.rejected_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            "reason": letter.reason,
        }
        for letter in reversed(snapshot.outbox.dead_letters)
    ]


def system_lines(snapshot: DiagnosticsSnapshot, strings: Strings, language: Language) -> list[str]:
    """Disk space, versions and uptime."""
    disk, v = snapshot.disk, snapshot.versions
    return [
        strings.text(
            "maint.disk",
            language,
            free=format_bytes(disk.free_bytes, language),
            total=format_bytes(disk.total_bytes, language),
        ),
        strings.text(
            "maint.versions", language, app=v.app, python=v.python, qt=v.qt, aiortc=v.aiortc
        ),
        strings.text("maint.uptime", language, uptime=format_duration(snapshot.uptime_s, language)),
    ]
