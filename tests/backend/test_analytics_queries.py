"""The dashboard's figures: what the kiosks counted, added up right on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from backend.analytics.costs import CostInput, CostInputs, channel_costs, read_costs, write_costs
from backend.analytics.ingest import ParsedEvents, store_events
from backend.analytics.queries import Filters, Summary, summary
from backend.auth import issue_credential
from backend.db import calls
from offline_queue.analytics import ServiceEvent
from tests.backend.analytics_helpers import DAY, event, new_session, visit
from tests.fixtures.backend import InProcessBackend

NOVEMBER = Filters(date(2026, 11, 1), date(2026, 11, 30))
HASH_A = "a" * 32
HASH_B = "b" * 32
OTHER_KIOSK = "kiosk-test-02"


def send(engine: Engine, kiosk: str, *events: dict[str, Any]) -> None:
    parsed = ParsedEvents([ServiceEvent.model_validate(e) for e in events], [])
    store_events(engine, kiosk, parsed, now=datetime.now(UTC))


def figures(backend: InProcessBackend, filters: Filters = NOVEMBER) -> Summary:
    with backend.app.state.engine.connect() as conn:
        return summary(conn, filters)


def counts(items: list[Any]) -> dict[str, int]:
    return {item.key: item.count for item in items}


def test_a_month_of_visits_adds_up(backend_app: InProcessBackend) -> None:
    engine = backend_app.app.state.engine
    kiosk = backend_app.kiosk_id
    send(
        engine,
        kiosk,
        *visit(DAY, score=5, reason="fast", handoff=True),
        *visit(DAY, service="birth-certificate", agency="etat-civil", language="en", score=3),
        *visit(DAY + timedelta(days=1), abandoned_at="form"),
        *visit(DAY + timedelta(days=1), abandoned_at="review", escalated_at="review"),
        *visit(DAY + timedelta(days=2), completed=False, escalated_at="identify"),
        *visit(datetime(2026, 10, 31, 23, 59, tzinfo=UTC)),  # the day before the period
    )

    month = figures(backend_app)

    assert month.sessions == 5
    assert month.services_started == 5
    assert month.completed == 2
    assert month.completion_rate == 0.4
    assert counts(month.completed_by_service) == {"change-of-address": 1, "birth-certificate": 1}
    assert counts(month.completed_by_agency) == {"ville": 1, "etat-civil": 1}
    assert counts(month.completed_by_language) == {"fr": 1, "en": 1}
    assert month.abandoned == 2
    assert counts(month.abandoned_by_step) == {"form": 1, "review": 1}
    assert month.escalations == 2
    assert counts(month.escalations_by_step) == {"review": 1, "identify": 1}
    assert month.online_handoffs == 1
    assert month.satisfaction.answers == 2
    assert month.satisfaction.average == 4.0
    assert counts(month.satisfaction.by_score) == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
    assert counts(month.satisfaction.reasons) == {"fast": 1}
    assert month.kiosks == 1
    by_day = {d.day: (d.sessions, d.completed, d.abandoned, d.escalated) for d in month.per_day}
    assert len(by_day) == 30
    assert by_day["2026-11-02"] == (2, 2, 0, 0)
    assert by_day["2026-11-03"] == (2, 0, 2, 1)
    assert by_day["2026-11-04"] == (1, 0, 0, 1)

    # One site's figures come from its events, the fleet's from the daily counts: the same.
    site = figures(backend_app, Filters(NOVEMBER.start, NOVEMBER.end, site=kiosk))
    assert site.model_dump(exclude={"site"}) == month.model_dump(exclude={"site"})

    city = figures(backend_app, Filters(NOVEMBER.start, NOVEMBER.end, agency="etat-civil"))
    assert (city.sessions, city.services_started, city.completed) == (None, 1, 1)
    assert counts(city.completed_by_language) == {"en": 1}


def test_a_file_seen_in_another_visit_within_30_days_is_a_repeat_contact(
    backend_app: InProcessBackend,
) -> None:
    engine = backend_app.app.state.engine
    issue_credential(engine, OTHER_KIOSK, "kiosk")
    first = DAY + timedelta(days=3)
    # Life event: two services in one visit are one contact, not a repeat.
    session = new_session()
    codes = {"language": "fr", "agency_id": "ville"}
    send(
        engine,
        backend_app.kiosk_id,
        event("service_completed", session, first, file_hash=HASH_A, service_id="a", **codes),
        event("service_completed", session, first, file_hash=HASH_A, service_id="b", **codes),
    )
    # Back 10 days later at another kiosk: a repeat. Back 31 days after that: not one.
    send(engine, OTHER_KIOSK, *visit(first + timedelta(days=10), file_hash=HASH_A))
    send(engine, OTHER_KIOSK, *visit(first + timedelta(days=41), file_hash=HASH_A))
    # The later visit arrives first (its kiosk was online), the earlier one late.
    send(engine, OTHER_KIOSK, *visit(first + timedelta(days=5), file_hash=HASH_B))
    assert figures(backend_app).repeat_contacts == 1
    send(engine, backend_app.kiosk_id, *visit(first, file_hash=HASH_B))

    month = figures(backend_app)
    assert month.completed_with_file_hash == 5
    assert month.repeat_contacts == 2
    assert month.repeat_rate == 0.4
    site = figures(backend_app, Filters(NOVEMBER.start, NOVEMBER.end, site=OTHER_KIOSK))
    assert (site.completed_with_file_hash, site.repeat_contacts) == (2, 2)
    december = Filters(date(2026, 12, 1), date(2026, 12, 31))
    assert figures(backend_app, december).repeat_contacts == 0  # 31 days after the last


def test_wait_and_talk_times_come_from_the_calls(backend_app: InProcessBackend) -> None:
    engine = backend_app.app.state.engine

    def call(n: int, wait_s: int | None, talk_s: int, **extra: Any) -> dict[str, Any]:
        answered = DAY + timedelta(seconds=wait_s) if wait_s is not None else None
        return {
            "call_id": f"call-{n}",
            "kiosk_id": backend_app.kiosk_id,
            "queue_id": "general",
            "language": "fr",
            "service_id": "change-of-address",
            "state": "ended",
            "enqueued_at": DAY,
            "answered_at": answered,
            "ended_at": (answered or DAY) + timedelta(seconds=talk_s),
            "callback_slot": None,
            **extra,
        }

    with engine.begin() as conn:
        conn.execute(
            insert(calls),
            [
                call(1, 30, 300),
                call(2, 90, 600),
                call(3, 600, 60),
                call(4, None, 0, callback_slot=DAY + timedelta(hours=2)),
                call(5, 10, 10, service_id="passport"),
            ],
        )
    month = figures(backend_app, Filters(NOVEMBER.start, NOVEMBER.end, service="change-of-address"))
    assert month.calls.requested == 4
    assert month.calls.answered == 3
    assert month.calls.callbacks == 1
    assert month.calls.wait_median_s == 90
    assert month.calls.wait_average_s == 240
    assert month.calls.talk_median_s == 300
    assert month.calls.talk_total_s == 960


def test_cost_per_transaction_follows_the_documented_formula() -> None:
    inputs = {
        "kiosk": CostInput(channel="kiosk", monthly_per_kiosk=Decimal("365.00")),
        "video": CostInput(channel="video", agent_hourly=Decimal("36.00"), per_transaction=1),
        "counter": CostInput(channel="counter", per_transaction=Decimal("14.50")),
        "phone": CostInput(channel="phone"),
    }
    # 2 kiosks for 12 days = 2 x 12 x 12/365 kiosk-months of 365.00: 288.00.
    costs = {
        c.channel: c
        for c in channel_costs(
            inputs,  # type: ignore[arg-type]
            days=12,
            kiosks=2,
            completed=96,
            answered_calls=10,
            talk_s=5 * 3600,
        )
    }
    assert (costs["kiosk"].total, costs["kiosk"].per_transaction) == (288.0, 3.0)
    # 5 hours at 36.00 plus 10 calls at 1.00: 190.00 over 10 calls.
    assert (costs["video"].total, costs["video"].per_transaction) == (190.0, 19.0)
    assert (costs["counter"].per_transaction, costs["counter"].measured) == (14.5, False)
    assert costs["phone"].per_transaction is None
    nothing = channel_costs(inputs, days=1, kiosks=0, completed=0, answered_calls=0, talk_s=0)  # type: ignore[arg-type]
    assert nothing[0].per_transaction is None  # no transaction: no cost per transaction


def test_cost_inputs_are_kept_per_channel(backend_app: InProcessBackend) -> None:
    engine = backend_app.app.state.engine
    with engine.begin() as conn:
        write_costs(
            conn,
            CostInputs(channels=[CostInput(channel="kiosk", monthly_per_kiosk=Decimal("99.99"))]),
            now=DAY,
        )
        write_costs(
            conn,
            CostInputs(channels=[CostInput(channel="video", agent_hourly=Decimal("40"))]),
            now=DAY,
        )
    with engine.connect() as conn:
        kept = read_costs(conn)
    assert kept["kiosk"].monthly_per_kiosk == Decimal("99.99")
    assert kept["video"].agent_hourly == Decimal("40")
    assert kept["phone"] == CostInput(channel="phone")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 11, 2), date(2026, 11, 1), "ends before"),
        (date(2025, 1, 1), date(2026, 1, 2), "longer"),
    ],
)
def test_a_period_must_be_a_forward_year_at_most(start: date, end: date, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Filters(start, end)
