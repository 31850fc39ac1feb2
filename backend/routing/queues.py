"""Skill queues: which calls they take, when they are open, and their callback slots.

Queues are configuration, not state: every instance reads the same TOML file
(``[calls] queues_file`` of the settings) at start. Opening hours are wall-clock
times in the queue's time zone, so a queue opens at 08:30 in winter and in
summer alike; slots are computed there and handed out with their offset.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLOT_MINUTES = 30
MAX_SLOTS = 24
# How far ahead callback slots are searched: two weeks covers any holiday stretch.
SLOT_HORIZON_DAYS = 14
LANGUAGES = ("fr", "en")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class QueueFileError(Exception):
    """The queue file cannot be used; the message names the queue, the key and the problem."""


@dataclass(frozen=True)
class SkillQueue:
    """One queue: the agency it serves, its services and languages, its hours."""

    queue_id: str
    agency: str
    services: frozenset[str]
    languages: frozenset[str]
    # Weekday (0 = Monday) -> (opens, closes); a missing day is closed.
    hours: dict[int, tuple[time, time]]
    zone: ZoneInfo
    max_wait_s: int

    def takes(self, agency: str | None, language: str, service_id: str | None) -> bool:
        """True if a call with these attributes belongs in this queue."""
        return (
            (agency is None or agency == self.agency)
            and language in self.languages
            and (service_id is None or service_id in self.services)
        )

    def is_open(self, now: datetime) -> bool:
        """True if ``now`` (aware) falls in today's opening hours, in the queue's zone."""
        local = now.astimezone(self.zone)
        span = self.hours.get(local.weekday())
        if span is None:
            return False
        clock = local.time().replace(tzinfo=None)
        # A closing time of midnight is "24:00": open until the end of the day.
        return span[0] <= clock and (span[1] == time(0, 0) or clock < span[1])

    def callback_slots(self, now: datetime, limit: int = MAX_SLOTS) -> list[datetime]:
        """The next ``limit`` 30-minute slots starting after ``now`` inside opening hours.

        A slot is offered only if it ends by closing time; times carry the
        queue's zone offset, so the kiosk shows the agency's wall clock.
        """
        local = now.astimezone(self.zone)
        slots: list[datetime] = []
        for day in range(SLOT_HORIZON_DAYS + 1):
            date = (local + timedelta(days=day)).date()
            span = self.hours.get(date.weekday())
            if span is None:
                continue
            start = datetime.combine(date, span[0], tzinfo=self.zone)
            end = datetime.combine(date, span[1], tzinfo=self.zone)
            if span[1] == time(0, 0):  # "-24:00" is stored as midnight of the next day
                end = datetime.combine(date + timedelta(days=1), time(0, 0), tzinfo=self.zone)
            slot = start
            while slot + timedelta(minutes=SLOT_MINUTES) <= end and len(slots) < limit:
                if slot > now:
                    slots.append(slot)
                slot += timedelta(minutes=SLOT_MINUTES)
            if len(slots) >= limit:
                break
        return slots

    def is_bookable_slot(self, slot: datetime, now: datetime) -> bool:
        """True if ``slot`` is one this queue offers now (any of the next slots)."""
        return any(slot == offered for offered in self.callback_slots(now))


@dataclass(frozen=True)
class QueueBook:
    """All queues, in file order (the first matching queue takes a call)."""

    queues: tuple[SkillQueue, ...]
    by_id: dict[str, SkillQueue] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {queue.queue_id: queue for queue in self.queues})

    def find(self, agency: str | None, language: str, service_id: str | None) -> SkillQueue | None:
        """The first queue taking such a call, or ``None``."""
        return next((q for q in self.queues if q.takes(agency, language, service_id)), None)


def load_queues(path: Path, *, default_zone: str, default_max_wait_s: int) -> QueueBook:
    """Read and check a queue file; raises :class:`QueueFileError` naming the problem."""
    try:
        with path.open("rb") as stream:
            document = tomllib.load(stream)
    except FileNotFoundError:
        raise QueueFileError(f"queue file {path} does not exist") from None
    except OSError as err:
        raise QueueFileError(f"queue file {path} cannot be read: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise QueueFileError(f"queue file {path} is not valid TOML: {err}") from None
    return parse_queues(
        document, source=str(path), default_zone=default_zone, default_max_wait_s=default_max_wait_s
    )


def parse_queues(
    document: dict[str, Any], *, source: str, default_zone: str, default_max_wait_s: int
) -> QueueBook:
    """Build the queues from a parsed TOML document (see ``backend/data/queues.toml``)."""
    unknown = set(document) - {"time_zone", "queue"}
    if unknown:
        raise QueueFileError(f"{source}: unknown key(s) {sorted(unknown)}")
    zone = _zone(document.get("time_zone", default_zone), f"{source}: time_zone")
    entries = document.get("queue")
    if not isinstance(entries, list) or not entries:
        raise QueueFileError(f"{source}: no [[queue]] defined")
    queues = [
        _queue(entry, f"{source}: queue #{number}", zone, default_max_wait_s)
        for number, entry in enumerate(entries, start=1)
    ]
    seen: set[str] = set()
    for queue in queues:
        if queue.queue_id in seen:
            raise QueueFileError(f"{source}: queue id {queue.queue_id!r} is defined twice")
        seen.add(queue.queue_id)
    return QueueBook(tuple(queues))


def _zone(value: object, where: str) -> ZoneInfo:
    if not isinstance(value, str):
        raise QueueFileError(f"{where}: a time zone name is a string")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise QueueFileError(f"{where}: unknown time zone {value!r}") from None


def _identifiers(entry: dict[str, Any], key: str, where: str) -> frozenset[str]:
    values = entry.get(key)
    if not isinstance(values, list) or not values:
        raise QueueFileError(f"{where}: {key} must be a non-empty list")
    for value in values:
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise QueueFileError(f"{where}: {key} holds an invalid id {value!r}")
    return frozenset(values)


def _queue(entry: object, where: str, zone: ZoneInfo, default_max_wait_s: int) -> SkillQueue:
    if not isinstance(entry, dict):
        raise QueueFileError(f"{where}: a queue is a table")
    allowed = {"id", "agency", "services", "languages", "hours", "time_zone", "max_wait_s"}
    unknown = set(entry) - allowed
    if unknown:
        raise QueueFileError(f"{where}: unknown key(s) {sorted(unknown)}")
    queue_id = entry.get("id")
    if not isinstance(queue_id, str) or not _ID.fullmatch(queue_id):
        raise QueueFileError(f"{where}: id must be lowercase letters, digits, '-' or '_'")
    where = f"{where.rsplit(':', 1)[0]}: queue {queue_id!r}"
    agency = entry.get("agency")
    if not isinstance(agency, str) or not _ID.fullmatch(agency):
        raise QueueFileError(f"{where}: agency must be an agency id")
    languages = _identifiers(entry, "languages", where)
    if not languages <= set(LANGUAGES):
        raise QueueFileError(f"{where}: languages must be among {list(LANGUAGES)}")
    max_wait = entry.get("max_wait_s", default_max_wait_s)
    if type(max_wait) is not int or max_wait < 0:
        raise QueueFileError(f"{where}: max_wait_s must be a whole number of seconds >= 0")
    return SkillQueue(
        queue_id=queue_id,
        agency=agency,
        services=_identifiers(entry, "services", where),
        languages=languages,
        hours=_hours(entry.get("hours", {}), where),
        zone=_zone(entry["time_zone"], f"{where}: time_zone") if "time_zone" in entry else zone,
        max_wait_s=max_wait,
    )


def _hours(table: object, where: str) -> dict[int, tuple[time, time]]:
    if not isinstance(table, dict):
        raise QueueFileError(f"{where}: hours must be a table of weekdays")
    hours: dict[int, tuple[time, time]] = {}
    for day, span in table.items():
        if day not in WEEKDAYS:
            raise QueueFileError(f"{where}: hours has unknown weekday {day!r} (use {WEEKDAYS})")
        match = _HOURS.fullmatch(span) if isinstance(span, str) else None
        if match is None:
            raise QueueFileError(f"{where}: hours.{day} must look like '08:30-16:30'")
        opens_h, opens_m, closes_h, closes_m = (int(part) for part in match.groups())
        if closes_h == 24 and closes_m != 0:
            raise QueueFileError(f"{where}: hours.{day} closes after 24:00")
        opens = time(opens_h, opens_m)
        closes = time(0, 0) if closes_h == 24 else time(closes_h, closes_m)
        if closes != time(0, 0) and closes <= opens:
            raise QueueFileError(f"{where}: hours.{day} closes before it opens")
        hours[WEEKDAYS.index(day)] = (opens, closes)
    return hours
