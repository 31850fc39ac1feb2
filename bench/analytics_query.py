"""Analytics benchmark: the dashboard's summary query over a month of a 100-kiosk fleet.

Seeds a fresh SQLite back-end database (built by the real migrations) with a
month of service events from 100 kiosks, about 60 visits per kiosk and day, as
kiosks record them (session started, service started, completed with a file
hash, abandoned by step, escalated, satisfaction, QR handoff), stored through
the real ingest function (``store_events``, in the kiosks' batches of 500), plus
the calls those escalations placed. Then times
:func:`backend.analytics.queries.summary` for the whole month, all sites, and
for one site, as the dashboard asks it.

* ``dashboard_query_ms``: median of the full-month, all-sites summary (target <= 500 ms);
* ``dashboard_query_site_ms``: the same, filtered to one kiosk;
* ``events``, ``calls``, ``kiosks``, ``days``: what was seeded.

Prints one JSON object as its last line.
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import Engine, insert  # noqa: E402

from backend.analytics.ingest import ParsedEvents, store_events  # noqa: E402
from backend.analytics.queries import Filters, summary  # noqa: E402
from backend.auth import issue_credential  # noqa: E402
from backend.db import calls, make_engine  # noqa: E402
from backend.schema import migrate  # noqa: E402
from offline_queue.analytics import (  # noqa: E402
    MAX_EVENTS_PER_BATCH,
    EventKind,
    FeedbackReason,
    ServiceEvent,
    file_number_hash,
    new_event_id,
)

KIOSKS = 100
DAYS = 30
VISITS_PER_KIOSK_DAY = 60
FIRST_DAY = date(2026, 11, 1)
RUNS = 7
CITIZENS = 150_000  # the pool visitors come from: some come back within the month
HASH_KEY = b"benchmark-deployment-key-0123456789"
SERVICES = (
    ("ville", "change-of-address"),
    ("ville", "parking-permit"),
    ("ville", "waste-collection"),
    ("etat-civil", "birth-certificate"),
    ("etat-civil", "marriage-certificate"),
    ("impots", "tax-statement"),
    ("impots", "payment-plan"),
    ("sante", "health-card"),
)
STEPS = ("identify", "form", "review")


def _visit(rng: random.Random, at: datetime, hashes: list[str]) -> tuple[list[ServiceEvent], bool]:
    """One visit's events (as the kiosk records them) and whether it escalated."""
    session = f"{rng.getrandbits(64):016x}"
    language = "fr" if rng.random() < 0.7 else "en"
    events: list[ServiceEvent] = []

    def add(kind: EventKind, minute: int, **codes: object) -> None:
        events.append(
            ServiceEvent.model_construct(
                id=new_event_id(),
                kind=kind,
                at=at + timedelta(minutes=minute),
                session=session,
                language=codes.pop("language", language),
                agency_id=codes.get("agency_id"),
                service_id=codes.get("service_id"),
                life_event_id=None,
                step=codes.get("step"),
                score=codes.get("score"),
                reason=codes.get("reason"),
                file_hash=codes.get("file_hash"),
            )
        )

    add(EventKind.SESSION_STARTED, 0, language=None)
    if rng.random() < 0.12:
        add(EventKind.SESSION_ABANDONED, 1, step="service")
        return events, False
    agency, service = rng.choice(SERVICES)
    codes: dict[str, object] = {"agency_id": agency, "service_id": service}
    add(EventKind.SERVICE_STARTED, 1, step="privacy", **codes)
    escalated = rng.random() < 0.1
    if escalated:
        add(EventKind.ESCALATED, 2, step=rng.choice(STEPS), **codes)
    luck = rng.random()
    if luck < 0.15:
        add(EventKind.SESSION_ABANDONED, 4, step=rng.choice(STEPS), **codes)
        return events, escalated
    add(EventKind.SERVICE_COMPLETED, 5, file_hash=rng.choice(hashes), **codes)
    if rng.random() < 0.3:
        add(EventKind.ONLINE_HANDOFF, 6, **codes)
    if rng.random() < 0.55:
        add(
            EventKind.SATISFACTION,
            6,
            score=rng.choices((1, 2, 3, 4, 5), (3, 5, 12, 40, 40))[0],
            reason=rng.choice(list(FeedbackReason)),
            **codes,
        )
    return events, escalated


def _call(rng: random.Random, kiosk: str, at: datetime, number: int) -> dict[str, object]:
    answered = rng.random() < 0.85
    answered_at = at + timedelta(seconds=rng.randint(20, 600)) if answered else None
    ended_at = (
        answered_at + timedelta(seconds=rng.randint(90, 900))
        if answered_at
        else at + timedelta(seconds=600)
    )
    return {
        "call_id": f"bench-{kiosk}-{number:08d}"[:32],
        "kiosk_id": kiosk,
        "queue_id": "general",
        "language": "fr",
        "service_id": rng.choice(SERVICES)[1],
        "state": "ended",
        "enqueued_at": at,
        "answered_at": answered_at,
        "ended_at": ended_at,
        "outcome": "resolved" if answered else "wait_too_long",
    }


def seed(engine: Engine, rng: random.Random) -> tuple[int, int]:
    """A month of a fleet's events and calls; returns (events, calls)."""
    hashes = [file_number_hash(HASH_KEY, f"{n:010d}") for n in range(CITIZENS)]
    now = datetime.now(UTC)
    events_total = calls_total = 0
    for k in range(KIOSKS):
        kiosk = f"kiosk-{k:03d}"
        issue_credential(engine, kiosk, "kiosk")
        events: list[ServiceEvent] = []
        placed: list[dict[str, object]] = []
        for d in range(DAYS):
            opening = datetime.combine(FIRST_DAY + timedelta(days=d), datetime.min.time(), UTC)
            for _ in range(VISITS_PER_KIOSK_DAY):
                at = opening + timedelta(hours=8, minutes=rng.randrange(0, 600))
                visit, escalated = _visit(rng, at, hashes)
                events.extend(visit)
                if escalated:
                    placed.append(_call(rng, kiosk, at, len(placed)))
        for start in range(0, len(events), MAX_EVENTS_PER_BATCH):  # as the kiosks send them
            batch = ParsedEvents(events[start : start + MAX_EVENTS_PER_BATCH], [])
            store_events(engine, kiosk, batch, now=now)
        with engine.begin() as conn:
            conn.execute(insert(calls), placed)
        events_total += len(events)
        calls_total += len(placed)
    return events_total, calls_total


def _median_ms(engine: Engine, filters: Filters) -> float:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        with engine.connect() as conn:
            summary(conn, filters)
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 1)


def measure_dashboard_query_ms() -> dict[str, float | int]:
    """Seed a month of 100 kiosks into a fresh SQLite back end; time the dashboard's summary."""
    root = Path(tempfile.mkdtemp(prefix="vg-bench-analytics-"))
    engine = make_engine(f"sqlite:///{root / 'backend.db'}")
    try:
        migrate(engine)
        started = time.perf_counter()
        events, placed = seed(engine, random.Random(7))
        seed_s = time.perf_counter() - started
        print(f"seeded {events} events and {placed} calls in {seed_s:.1f} s", file=sys.stderr)
        month = Filters(FIRST_DAY, FIRST_DAY + timedelta(days=DAYS - 1))
        one_site = Filters(month.start, month.end, site="kiosk-042")
        with engine.connect() as conn:
            figures = summary(conn, month)
        print(
            f"sessions {figures.sessions}, completed {figures.completed},"
            f" repeats {figures.repeat_contacts}",
            file=sys.stderr,
        )
        return {
            "dashboard_query_ms": _median_ms(engine, month),
            "dashboard_query_site_ms": _median_ms(engine, one_site),
            "events": events,
            "calls": placed,
            "kiosks": KIOSKS,
            "days": DAYS,
            "seed_s": round(seed_s, 1),
        }
    finally:
        engine.dispose()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    """Run the measurement and print the JSON summary last."""
    print(json.dumps(measure_dashboard_query_ms()))


if __name__ == "__main__":
    main()
