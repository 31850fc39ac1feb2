"""The dashboard's figures for a period and filters, in a handful of indexed queries.

One grouped scan of the period's events gives every count (sessions,
completions, abandonment by step, escalations, satisfaction, QR handoffs,
per day); repeat contacts are one more query that looks up each completed
transaction's file hash in the index; wait and talk times come from the calls'
record, never from their context, notes or phone numbers. Days are UTC days,
and event times are the kiosks' clocks (to the minute).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    ColumnElement,
    Connection,
    exists,
    extract,
    func,
    select,
    true,
)

from backend.analytics.costs import ChannelCost, channel_costs, read_costs
from backend.db import api_clients, calls, service_event_days, service_events
from offline_queue.analytics import EventKind

MAX_PERIOD_DAYS = 366

ev = service_events.c


@dataclass(frozen=True)
class Filters:
    """A period of whole UTC days (both ends included) and optional site, agency, service."""

    start: date
    end: date
    site: str | None = None
    agency: str | None = None
    service: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the period ends before it starts")
        if self.days > MAX_PERIOD_DAYS:
            raise ValueError(f"the period is longer than {MAX_PERIOD_DAYS} days")

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def until(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def event_conditions(self, *, by_agency_and_service: bool = True) -> list[ColumnElement[bool]]:
        """WHERE conditions on ``service_events`` for the period and filters."""
        conditions = [ev.at >= self.since, ev.at < self.until]
        if self.site is not None:
            conditions.append(ev.kiosk_id == self.site)
        if by_agency_and_service and self.agency is not None:
            conditions.append(ev.agency_id == self.agency)
        if by_agency_and_service and self.service is not None:
            conditions.append(ev.service_id == self.service)
        return conditions


class Count(BaseModel):
    """How many times ``key`` (a code) was seen."""

    key: str
    count: int


class DayFigures(BaseModel):
    """One UTC day."""

    day: str
    sessions: int
    completed: int
    abandoned: int
    escalated: int


class Satisfaction(BaseModel):
    """The answers to the satisfaction question."""

    answers: int
    average: float | None
    by_score: list[Count]
    reasons: list[Count]


class CallFigures(BaseModel):
    """Calls to a remote agent placed in the period (by site and service; not by agency)."""

    requested: int
    answered: int
    callbacks: int
    wait_median_s: float | None
    wait_average_s: float | None
    talk_median_s: float | None
    talk_average_s: float | None
    talk_total_s: float


class Summary(BaseModel):
    """Everything the dashboard shows for a period and filters."""

    start: date
    end: date
    days: int
    site: str | None
    agency: str | None
    service: str | None
    sessions: int | None  # None with an agency or service filter (see services_started)
    services_started: int
    completed: int
    completion_rate: float | None
    abandoned: int
    escalations: int
    online_handoffs: int
    completed_with_file_hash: int
    repeat_contacts: int
    repeat_rate: float | None
    kiosks: int
    completed_by_service: list[Count]
    completed_by_agency: list[Count]
    completed_by_language: list[Count]
    started_by_service: list[Count]
    abandoned_by_step: list[Count]
    escalations_by_step: list[Count]
    handoffs_by_service: list[Count]
    satisfaction: Satisfaction
    calls: CallFigures
    costs: list[ChannelCost]
    per_day: list[DayFigures]


def _counts(counter: Counter[str]) -> list[Count]:
    return [Count(key=key, count=n) for key, n in counter.most_common()]


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class _Tallies:
    """Counts of the period's events, by kind and by the codes each figure needs."""

    by_kind: Counter[str] = field(default_factory=Counter)
    completed_by_service: Counter[str] = field(default_factory=Counter)
    completed_by_agency: Counter[str] = field(default_factory=Counter)
    completed_by_language: Counter[str] = field(default_factory=Counter)
    started_by_service: Counter[str] = field(default_factory=Counter)
    abandoned_by_step: Counter[str] = field(default_factory=Counter)
    escalations_by_step: Counter[str] = field(default_factory=Counter)
    handoffs_by_service: Counter[str] = field(default_factory=Counter)
    scores: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    per_day: dict[str, Counter[str]] = field(default_factory=dict)
    hashed: int = 0


DAY_KEYS = ("kind", "agency_id", "service_id", "language", "step", "score", "reason")
NONE_KEY = "none"  # an event without that code (e.g. abandoned before choosing a service)


def _grouped(conn: Connection, filters: Filters, *, by_day: bool) -> Any:
    """The period's events counted by day and kind (``by_day``), or by every code.

    The whole fleet is read from the daily counts (a few thousand rows a
    month), one site from its events (its range of the site index).
    """
    if filters.site is None:
        days = service_event_days.c
        source: dict[str, Any] = {name: days[name] for name in DAY_KEYS}
        source["day"] = days.day
        source["file_hashed"] = days.file_hashed
        conditions = [days.day >= filters.start, days.day <= filters.end]
        if filters.agency is not None:
            conditions.append(days.agency_id == filters.agency)
        if filters.service is not None:
            conditions.append(days.service_id == filters.service)
        total: Any = func.sum(days.events)
    else:
        source = {name: ev[name] for name in DAY_KEYS}
        source["day"] = func.date(ev.at)
        source["file_hashed"] = ev.file_hash.is_not(None)
        conditions = filters.event_conditions()
        total = func.count()
    names = ("day", "kind") if by_day else (*DAY_KEYS, "file_hashed")
    keys = [source[name].label(name) for name in names]
    return conn.execute(
        select(*keys, total.label("n")).where(*conditions).group_by(*(source[n] for n in names))
    )


def _tally(conn: Connection, filters: Filters) -> _Tallies:
    """Every count of the period, from two grouped queries."""
    t = _Tallies()
    for row in _grouped(conn, filters, by_day=True):
        t.per_day.setdefault(str(row.day), Counter())[row.kind] += int(row.n)
    for row in _grouped(conn, filters, by_day=False):
        n = int(row.n)
        kind = row.kind
        t.by_kind[kind] += n
        service = row.service_id or NONE_KEY
        match kind:
            case EventKind.SERVICE_COMPLETED:
                t.completed_by_service[service] += n
                t.completed_by_agency[row.agency_id or NONE_KEY] += n
                t.completed_by_language[row.language or NONE_KEY] += n
                if row.file_hashed:
                    t.hashed += n
            case EventKind.SERVICE_STARTED:
                t.started_by_service[service] += n
            case EventKind.SESSION_ABANDONED:
                t.abandoned_by_step[row.step or NONE_KEY] += n
            case EventKind.ESCALATED:
                t.escalations_by_step[row.step or NONE_KEY] += n
            case EventKind.ONLINE_HANDOFF:
                t.handoffs_by_service[service] += n
            case EventKind.SATISFACTION:
                if row.score:
                    t.scores[str(row.score)] += n
                if row.reason:
                    t.reasons[row.reason] += n
    return t


def _seconds_between(conn: Connection, later: Any, earlier: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86_400.0


def repeat_contacts(conn: Connection, filters: Filters) -> int:
    """Completed transactions whose file completed another visit's service in the 30 days
    before, at any site and for any service (marked at ingest: the same citizen came back).
    Two services of one visit (a life event) are not a repeat."""
    if filters.site is None:
        days = service_event_days.c
        conditions = [days.day >= filters.start, days.day <= filters.end]
        if filters.agency is not None:
            conditions.append(days.agency_id == filters.agency)
        if filters.service is not None:
            conditions.append(days.service_id == filters.service)
        total = conn.execute(select(func.sum(days.repeat_contacts)).where(*conditions)).scalar()
        return int(total or 0)
    # Only completions are ever marked.
    query = select(func.count()).where(ev.repeat_contact == true(), *filters.event_conditions())
    return int(conn.execute(query).scalar_one())


def call_figures(conn: Connection, filters: Filters) -> CallFigures:
    """Calls enqueued in the period: answered, callbacks, wait and talk times."""
    conditions = [calls.c.enqueued_at >= filters.since, calls.c.enqueued_at < filters.until]
    if filters.site is not None:
        conditions.append(calls.c.kiosk_id == filters.site)
    if filters.service is not None:
        conditions.append(calls.c.service_id == filters.service)
    wait = _seconds_between(conn, calls.c.answered_at, calls.c.enqueued_at).label("wait")
    talk = _seconds_between(conn, calls.c.ended_at, calls.c.answered_at).label("talk")
    callback = calls.c.callback_slot.is_not(None).label("callback")
    rows = conn.execute(select(wait, talk, callback).where(*conditions)).all()
    waits = [float(row.wait) for row in rows if row.wait is not None]
    talks = [float(row.talk) for row in rows if row.talk is not None]
    return CallFigures(
        requested=len(rows),
        answered=len(waits),
        callbacks=sum(1 for row in rows if row.callback),
        wait_median_s=round(statistics.median(waits), 1) if waits else None,
        wait_average_s=round(statistics.fmean(waits), 1) if waits else None,
        talk_median_s=round(statistics.median(talks), 1) if talks else None,
        talk_average_s=round(statistics.fmean(talks), 1) if talks else None,
        talk_total_s=round(sum(talks), 1),
    )


def active_kiosks(conn: Connection, filters: Filters) -> int:
    """Kiosks that recorded at least one event in the period (one index probe each)."""
    recorded = exists().where(
        ev.kiosk_id == api_clients.c.client_id, ev.at >= filters.since, ev.at < filters.until
    )
    query = select(func.count()).where(api_clients.c.role == "kiosk", recorded)
    if filters.site is not None:
        query = query.where(api_clients.c.client_id == filters.site)
    return int(conn.execute(query).scalar_one())


def _sessions(filters: Filters, tallies: _Tallies) -> int | None:
    # A visit starts before any agency or service is chosen: counted for sites only.
    if filters.agency is None and filters.service is None:
        return tallies.by_kind[EventKind.SESSION_STARTED]
    return None


def _site_completions(conn: Connection, filters: Filters, tallies: _Tallies) -> int:
    """Completions of the chosen sites, whatever the agency and service (shared kiosk costs)."""
    if filters.agency is None and filters.service is None:
        return tallies.by_kind[EventKind.SERVICE_COMPLETED]
    completed = EventKind.SERVICE_COMPLETED.value
    if filters.site is None:
        days = service_event_days.c
        query = select(func.sum(days.events)).where(
            days.day >= filters.start, days.day <= filters.end, days.kind == completed
        )
    else:
        conditions = filters.event_conditions(by_agency_and_service=False)
        query = select(func.count()).where(*conditions, ev.kind == completed)
    return int(conn.execute(query).scalar() or 0)


def summary(conn: Connection, filters: Filters) -> Summary:
    """The dashboard's figures for ``filters``."""
    t = _tally(conn, filters)
    hashed, repeats = t.hashed, repeat_contacts(conn, filters)
    call = call_figures(conn, filters)
    kiosks = active_kiosks(conn, filters)
    scores = t.scores
    answers = sum(scores.values())
    average = sum(int(score) * n for score, n in scores.items()) / answers if answers else None
    completed = t.by_kind[EventKind.SERVICE_COMPLETED]
    started = t.by_kind[EventKind.SERVICE_STARTED]
    costs = channel_costs(
        read_costs(conn),
        days=filters.days,
        kiosks=kiosks,
        completed=_site_completions(conn, filters, t),
        answered_calls=call.answered,
        talk_s=call.talk_total_s,
    )
    per_day = []
    for offset in range(filters.days):
        day = (filters.start + timedelta(days=offset)).isoformat()
        kinds = t.per_day.get(day, Counter())
        per_day.append(
            DayFigures(
                day=day,
                sessions=kinds[EventKind.SESSION_STARTED],
                completed=kinds[EventKind.SERVICE_COMPLETED],
                abandoned=kinds[EventKind.SESSION_ABANDONED],
                escalated=kinds[EventKind.ESCALATED],
            )
        )
    return Summary(
        start=filters.start,
        end=filters.end,
        days=filters.days,
        site=filters.site,
        agency=filters.agency,
        service=filters.service,
        sessions=_sessions(filters, t),
        services_started=started,
        completed=completed,
        completion_rate=_ratio(completed, started),
        abandoned=t.by_kind[EventKind.SESSION_ABANDONED],
        escalations=t.by_kind[EventKind.ESCALATED],
        online_handoffs=t.by_kind[EventKind.ONLINE_HANDOFF],
        completed_with_file_hash=hashed,
        repeat_contacts=repeats,
        repeat_rate=_ratio(repeats, hashed),
        kiosks=kiosks,
        completed_by_service=_counts(t.completed_by_service),
        completed_by_agency=_counts(t.completed_by_agency),
        completed_by_language=_counts(t.completed_by_language),
        started_by_service=_counts(t.started_by_service),
        abandoned_by_step=_counts(t.abandoned_by_step),
        escalations_by_step=_counts(t.escalations_by_step),
        handoffs_by_service=_counts(t.handoffs_by_service),
        satisfaction=Satisfaction(
            answers=answers,
            average=round(average, 2) if average is not None else None,
            by_score=[Count(key=str(score), count=scores[str(score)]) for score in range(1, 6)],
            reasons=_counts(t.reasons),
        ),
        calls=call,
        costs=costs,
        per_day=per_day,
    )


def filter_choices(conn: Connection, filters: Filters) -> dict[str, list[str]]:
    """The sites, agencies and services the period's events name (for the filter menus)."""
    conditions = filters.event_conditions(by_agency_and_service=False)
    pairs = conn.execute(
        select(ev.agency_id, ev.service_id)
        .where(*conditions, ev.kind == EventKind.SERVICE_STARTED.value)
        .distinct()
    ).all()
    sites = conn.execute(
        select(api_clients.c.client_id)
        .where(api_clients.c.role == "kiosk")
        .order_by(api_clients.c.client_id)
    ).scalars()
    return {
        "sites": list(sites),
        "agencies": sorted({row.agency_id for row in pairs if row.agency_id}),
        "services": sorted({row.service_id for row in pairs if row.service_id}),
    }
