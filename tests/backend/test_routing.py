"""Call routing on SQLite and PostgreSQL: skills, longest idle, timeouts, transfers, waits."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, update

from backend.db import agents, call_events, calls, make_engine
from backend.routing import (
    CallbackProposed,
    Queued,
    RoutingError,
    accept,
    cancel_call,
    choose_state,
    console_closed,
    console_lost,
    console_opened,
    decline,
    dispatch,
    end_call,
    estimate_wait,
    queue_position,
    request_call,
    sweep_no_answer,
    sweep_wrap_up,
    transfer_to_agent,
    transfer_to_queue,
    wrap_up_done,
)
from backend.routing.records import call_row
from backend.schema import migrate
from tests.backend.routing_helpers import (
    AGENCY,
    MONDAY_10H,
    add_agent,
    agent_state,
    call_state,
    make_config,
    request,
    seconds,
)

CONFIG = make_config()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def queue_call(engine: Engine, kiosk_id: str, now: datetime, **fields: str | None) -> str:
    with engine.begin() as conn:
        result = request_call(conn, CONFIG, kiosk_id, request(kiosk_id, **fields), now)  # type: ignore[arg-type]
    assert isinstance(result, Queued)
    return result.call_id


def run_dispatch(engine: Engine, now: datetime) -> dict[str, str]:
    """Dispatch once; return {call_id: agent_id} of the offers made."""
    with engine.begin() as conn:
        return {offer.call_id: offer.agent_id for offer in dispatch(conn, CONFIG, now)}


def test_calls_go_only_to_agents_with_the_skills(engine: Engine) -> None:
    now = MONDAY_10H
    add_agent(engine, "english", now, f"agency:{AGENCY},language:en,service:change-of-address")
    add_agent(engine, "elsewhere", now, "agency:other,language:fr,service:change-of-address")
    add_agent(engine, "no-service", now, f"agency:{AGENCY},language:fr,service:appointment")
    call_id = queue_call(engine, "k1", now)

    assert run_dispatch(engine, now) == {}  # nobody has agency + language + service

    add_agent(engine, "fit", now)
    assert run_dispatch(engine, now + seconds(1)) == {call_id: "fit"}


def test_agents_without_service_skills_take_every_service(engine: Engine) -> None:
    add_agent(engine, "specialist", MONDAY_10H, f"agency:{AGENCY},language:fr,service:appointment")
    add_agent(engine, "generalist", MONDAY_10H + seconds(1), f"agency:{AGENCY},language:fr")
    about_address = queue_call(engine, "k1", MONDAY_10H)
    about_nothing = queue_call(engine, "k2", MONDAY_10H + seconds(1), service_id=None)
    assert run_dispatch(engine, MONDAY_10H + seconds(2)) == {
        about_address: "generalist",
        about_nothing: "specialist",
    }


def test_the_longest_idle_agent_gets_the_oldest_call_and_one_offer_each(engine: Engine) -> None:
    start = MONDAY_10H
    for agent_id in ("recent", "idle-longest", "middle"):
        add_agent(engine, agent_id, start)
    with engine.begin() as conn:
        for agent_id, ended in (("recent", 50), ("idle-longest", 10), ("middle", 30)):
            conn.execute(
                update(agents)
                .where(agents.c.agent_id == agent_id)
                .values(last_call_ended_at=start + seconds(ended))
            )
    now = start + seconds(100)
    first = queue_call(engine, "k1", now)
    second = queue_call(engine, "k2", now + seconds(1))

    offers = run_dispatch(engine, now + seconds(2))

    assert offers == {first: "idle-longest", second: "middle"}
    assert run_dispatch(engine, now + seconds(3)) == {}  # one offer per agent at a time
    third = queue_call(engine, "k3", now + seconds(4))
    assert run_dispatch(engine, now + seconds(5)) == {third: "recent"}


def test_an_unanswered_offer_goes_back_to_the_head_and_the_agent_away(engine: Engine) -> None:
    now = MONDAY_10H
    add_agent(engine, "sleepy", now)
    first = queue_call(engine, "k1", now)
    second = queue_call(engine, "k2", now + seconds(1))
    run_dispatch(engine, now + seconds(2))

    with engine.begin() as conn:
        assert sweep_no_answer(conn, CONFIG, now + seconds(21)) == []  # not yet 20 s
    with engine.begin() as conn:
        released = sweep_no_answer(conn, CONFIG, now + seconds(22))
        assert [(r.call_id, r.agent_id) for r in released] == [(first, "sleepy")]
        call = call_state(conn, first)
        assert (call.state, call.agent_id, call.enqueued_at) == ("queued", None, now)
        assert queue_position(conn, call) == 1
        assert queue_position(conn, call_state(conn, second)) == 2
        assert agent_state(conn, "sleepy") == "away"
        kinds = conn.execute(
            select(call_events.c.kind).where(call_events.c.call_id == first)
        ).scalars()
        assert list(kinds) == ["requested", "queued", "offered", "no_answer"]
    assert run_dispatch(engine, now + seconds(23)) == {}  # away agents get no offers


def test_a_declined_call_goes_to_another_agent_first(engine: Engine) -> None:
    now = MONDAY_10H
    add_agent(engine, "first", now)
    add_agent(engine, "second", now + seconds(5))
    call_id = queue_call(engine, "k1", now + seconds(10))
    assert run_dispatch(engine, now + seconds(11)) == {call_id: "first"}
    with engine.begin() as conn:
        decline(conn, call_id, "first", now + seconds(12))
    assert run_dispatch(engine, now + seconds(13)) == {call_id: "second"}
    with engine.begin() as conn:
        decline(conn, call_id, "second", now + seconds(14))
    # Everybody declined: it goes round again rather than waiting forever.
    assert run_dispatch(engine, now + seconds(15)) == {call_id: "first"}


def test_accept_end_wrap_up_and_availability(engine: Engine) -> None:
    now = MONDAY_10H
    add_agent(engine, "ana", now)
    call_id = queue_call(engine, "k1", now)
    run_dispatch(engine, now)
    with engine.begin() as conn:
        with pytest.raises(RoutingError) as refused:
            accept(conn, call_id, "someone-else", now)
        assert refused.value.code in ("call.not_offered", "agent.unknown")
        connected = accept(conn, call_id, "ana", now + seconds(3))
        assert (connected.kiosk_id, connected.agent_name) == ("k1", "Ana")
        assert agent_state(conn, "ana") == "busy"
    with engine.begin() as conn:
        finished = end_call(
            conn, call_id, "resolved", now + seconds(120), agent_id="ana", notes="Adresse changée"
        )
        assert (finished.kiosk_id, finished.state) == ("k1", "ended")
        call = call_state(conn, call_id)
        assert (call.state, call.outcome, call.notes, call.context) == (
            "ended",
            "resolved",
            "Adresse changée",
            None,
        )
        assert call.answered_at == now + seconds(3)
        assert agent_state(conn, "ana") == "wrap_up"
    with engine.begin() as conn:
        assert sweep_wrap_up(conn, CONFIG, now + seconds(149)) == []
        assert sweep_wrap_up(conn, CONFIG, now + seconds(150)) == ["ana"]
        assert agent_state(conn, "ana") == "available"


def test_wrap_up_done_makes_the_agent_available_at_once(engine: Engine) -> None:
    now = MONDAY_10H
    add_agent(engine, "ana", now)
    call_id = queue_call(engine, "k1", now)
    run_dispatch(engine, now)
    with engine.begin() as conn:
        accept(conn, call_id, "ana", now)
        end_call(conn, call_id, "unresolved", now + seconds(10), kiosk_id="k1")
        wrap_up_done(conn, "ana", now + seconds(11))
        assert agent_state(conn, "ana") == "available"


def test_transfer_to_an_agent_keeps_the_priority(engine: Engine) -> None:
    now = MONDAY_10H
    add_agent(engine, "ana", now)
    call_id = queue_call(engine, "k1", now)
    run_dispatch(engine, now)
    add_agent(engine, "ben", now + seconds(1), f"agency:{AGENCY},language:fr")
    with engine.begin() as conn:
        accept(conn, call_id, "ana", now + seconds(2))
        kiosk_id = transfer_to_agent(conn, call_id, "ana", "ben", now + seconds(60))
        assert kiosk_id == "k1"
        call = call_state(conn, call_id)
        assert (call.state, call.agent_id, call.transfers, call.enqueued_at) == (
            "offered",
            "ben",
            1,
            now,
        )
        assert agent_state(conn, "ana") == "wrap_up"
        accept(conn, call_id, "ben", now + seconds(61))
        assert call_state(conn, call_id).answered_at == now + seconds(2)  # the first answer


def test_transfer_to_a_busy_agent_is_refused(engine: Engine) -> None:
    now = MONDAY_10H
    add_agent(engine, "ana", now)
    add_agent(engine, "ben", now, state="away")
    call_id = queue_call(engine, "k1", now)
    run_dispatch(engine, now)
    with engine.begin() as conn:
        accept(conn, call_id, "ana", now)
        with pytest.raises(RoutingError) as refused:
            transfer_to_agent(conn, call_id, "ana", "ben", now)
    assert refused.value.code == "transfer.agent_unavailable"


def test_transfer_to_a_queue_goes_ahead_of_later_calls(engine: Engine) -> None:
    now = MONDAY_10H
    add_agent(engine, "ana", now)
    call_id = queue_call(engine, "k1", now)
    run_dispatch(engine, now)
    add_agent(engine, "olivier", now, "agency:other,language:fr", state="away")
    later = queue_call(engine, "k2", now + seconds(30), agency="other", service_id="copy-of-record")
    with engine.begin() as conn:
        accept(conn, call_id, "ana", now + seconds(1))
        with pytest.raises(RoutingError) as refused:
            transfer_to_queue(conn, CONFIG, call_id, "ana", "rc-en", now=now + seconds(60))
        assert refused.value.code == "transfer.wrong_language"
    with engine.begin() as conn:
        transfer_to_queue(conn, CONFIG, call_id, "ana", "other-fr", now=now + seconds(60))
        call = call_state(conn, call_id)
        assert (call.state, call.queue_id, call.service_id, call.transfers) == (
            "queued",
            "other-fr",
            None,  # the other queue does not know the service
            1,
        )
        assert queue_position(conn, call) == 1
        assert queue_position(conn, call_state(conn, later)) == 2
    with engine.begin() as conn:
        choose_state(conn, "olivier", "available", now + seconds(61))
    assert run_dispatch(engine, now + seconds(62)) == {call_id: "olivier"}


def test_a_closed_queue_proposes_callback_slots_in_opening_hours(engine: Engine) -> None:
    config = make_config(hours={d: "08:30-16:30" for d in ("mon", "tue", "wed", "thu", "fri")})
    saturday = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
    with engine.begin() as conn:
        result = request_call(conn, config, "k1", request(), saturday)
        assert isinstance(result, CallbackProposed)
        assert call_state(conn, result.call_id).state == "callback"
    assert result.reason == "closed"
    assert len(result.slots) == 24
    first, last = result.slots[0], result.slots[-1]
    assert first.isoformat() == "2026-11-30T08:30:00-05:00"  # Monday morning, agency time
    assert last.isoformat() == "2026-12-01T12:00:00-05:00"  # 16 on Monday, 8 on Tuesday
    for slot in result.slots:
        local = slot.astimezone(config.queues.by_id["rc-fr"].zone)
        assert local.weekday() < 5
        assert (8, 30) <= (local.hour, local.minute) <= (16, 0)
        assert local.minute in (0, 30)


def test_slots_late_in_the_day_start_at_the_next_opening(engine: Engine) -> None:
    config = make_config(hours={"mon": "08:30-16:30", "wed": "09:00-12:00"})
    queue = config.queues.by_id["rc-fr"]
    monday_1615 = datetime(2026, 11, 23, 21, 15, tzinfo=UTC)
    slots = queue.callback_slots(monday_1615)
    assert slots[0].isoformat() == "2026-11-25T09:00:00-05:00"
    assert not queue.is_open(datetime(2026, 11, 23, 21, 31, tzinfo=UTC))
    assert queue.is_open(datetime(2026, 11, 23, 21, 29, tzinfo=UTC))


def test_booking_a_callback_returns_a_reference(engine: Engine) -> None:
    from backend.routing import book_callback

    config = make_config(hours={"mon": "08:30-16:30"})
    sunday = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
    with engine.begin() as conn:
        result = request_call(conn, config, "k1", request(), sunday)
        assert isinstance(result, CallbackProposed)
        with pytest.raises(RoutingError) as bad:
            book_callback(
                conn,
                config,
                result.call_id,
                "k1",
                slot=result.slots[0] + seconds(60),
                phone="+1 418 555-0100",
                now=sunday,
            )
        assert bad.value.code == "callback.bad_slot"
        with pytest.raises(RoutingError) as foreign:
            book_callback(
                conn,
                config,
                result.call_id,
                "k2",
                slot=result.slots[0],
                phone="5550100",
                now=sunday,
            )
        assert foreign.value.code == "call.unknown"
        reference = book_callback(
            conn,
            config,
            result.call_id,
            "k1",
            slot=result.slots[3],
            phone="+1 418 555-0100",
            now=sunday,
        )
        again = book_callback(
            conn,
            config,
            result.call_id,
            "k1",
            slot=result.slots[3],
            phone="+1 418 555-0100",
            now=sunday,
        )
        row = call_state(conn, result.call_id)
    assert reference == again
    assert reference.startswith("CB-")
    assert len(reference) == 9
    assert set(reference[3:]) <= set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    assert (row.callback_slot, row.callback_phone, row.callback_reference) == (
        result.slots[3],
        "+1 418 555-0100",
        reference,
    )


def test_wait_estimates_come_from_recent_talk_times(engine: Engine) -> None:
    now = MONDAY_10H
    queue = CONFIG.queues.by_id["rc-fr"]
    add_agent(engine, "ana", now)
    add_agent(engine, "ben", now, state=None)  # logged out: does not count
    with engine.begin() as conn:
        # No history: the configured default (300 s) per call ahead, one agent logged in.
        assert estimate_wait(conn, CONFIG, queue, "fr", 2, now=now) == 600
    for talk in (100, 200, 600):
        call_id = queue_call(engine, "k1", now)
        run_dispatch(engine, now)
        with engine.begin() as conn:
            accept(conn, call_id, "ana", now + seconds(5))
            end_call(conn, call_id, "resolved", now + seconds(5 + talk), agent_id="ana")
            wrap_up_done(conn, "ana", now + seconds(5 + talk))
    with engine.begin() as conn:
        conn.execute(update(agents).where(agents.c.agent_id == "ben").values(state="away"))
        # Median 200 s, two agents logged in (away counts: they are at the console).
        assert estimate_wait(conn, CONFIG, queue, "fr", 3, now=now + seconds(700)) == math.ceil(
            3 * 200 / 2
        )
        # Calls older than the history window no longer count.
        later = now + seconds(5 * 3600)
        assert estimate_wait(conn, CONFIG, queue, "fr", 1, now=later) == math.ceil(300 / 2)


def test_no_agent_logged_in_or_a_long_wait_proposes_a_callback(engine: Engine) -> None:
    now = MONDAY_10H
    with engine.begin() as conn:
        empty = request_call(conn, CONFIG, "k1", request("k1"), now)
    assert isinstance(empty, CallbackProposed)
    assert empty.reason == "wait_too_long"
    add_agent(engine, "ana", now, state="away")
    for number in range(3):  # 3 x 300 s = 900 s, the limit
        queue_call(engine, f"k{number + 2}", now + seconds(number))
    with engine.begin() as conn:
        too_long = request_call(conn, CONFIG, "k9", request("k9"), now + seconds(10))
    assert isinstance(too_long, CallbackProposed)
    assert too_long.reason == "wait_too_long"


def test_requests_that_cannot_be_routed_are_refused(engine: Engine) -> None:
    add_agent(engine, "ana", MONDAY_10H)
    with engine.begin() as conn, pytest.raises(RoutingError) as no_queue:
        request_call(conn, CONFIG, "k1", request(service_id="fishing-licence"), MONDAY_10H)
    assert no_queue.value.code == "call.no_queue"
    queue_call(engine, "k1", MONDAY_10H)
    with engine.begin() as conn, pytest.raises(RoutingError) as twice:
        request_call(conn, CONFIG, "k1", request(), MONDAY_10H)
    assert twice.value.code == "call.already_active"
    with engine.begin() as conn, pytest.raises(RoutingError) as spoofed:
        request_call(conn, CONFIG, "k2", request("k1"), MONDAY_10H)
    assert spoofed.value.code == "call.wrong_kiosk"


def test_cancel_withdraws_an_offer_and_only_for_the_right_kiosk(engine: Engine) -> None:
    now = MONDAY_10H
    add_agent(engine, "ana", now)
    call_id = queue_call(engine, "k1", now)
    run_dispatch(engine, now)
    with engine.begin() as conn:
        with pytest.raises(RoutingError):
            cancel_call(conn, call_id, "k2", now)
        finished = cancel_call(conn, call_id, "k1", now + seconds(4))
        assert (finished.state, finished.agent_id) == ("cancelled", "ana")
        row = call_row(conn, call_id)
        assert row is not None
        assert (row.state, row.agent_id, row.context) == ("cancelled", None, None)


def test_the_analytics_record_holds_no_personal_data(engine: Engine) -> None:
    now = MONDAY_10H
    add_agent(engine, "ana", now)
    call_id = queue_call(engine, "k1", now)
    run_dispatch(engine, now)
    with engine.begin() as conn:
        accept(conn, call_id, "ana", now)
        end_call(conn, call_id, "resolved", now + seconds(30), agent_id="ana", notes="Tremblay")
        events = conn.execute(select(call_events).where(call_events.c.call_id == call_id)).all()
        # The consented context stays on the call row while the call lasts, and goes after.
        assert (
            conn.execute(select(calls.c.context).where(calls.c.call_id == call_id)).scalar() is None
        )
    assert [event.kind for event in events] == [
        "requested",
        "queued",
        "offered",
        "accepted",
        "ended",
    ]
    assert "Tremblay" not in repr([tuple(event) for event in events])


def test_a_console_that_comes_back_within_the_grace_keeps_its_call(engine: Engine) -> None:
    now = MONDAY_10H
    add_agent(engine, "ana", now, state=None)
    with engine.begin() as conn:
        assert console_opened(conn, "ana", now).state == "away"  # logged in, not yet available
        choose_state(conn, "ana", "available", now)
    call_id = queue_call(engine, "k1", now)
    run_dispatch(engine, now)
    with engine.begin() as conn:
        accept(conn, call_id, "ana", now)
        assert console_closed(conn, "ana", now + seconds(1)) is None
        console_opened(conn, "ana", now + seconds(3))  # a page reload
        assert console_lost(conn, "ana", now + seconds(11)) is None
        assert call_state(conn, call_id).state == "connected"
        console_closed(conn, "ana", now + seconds(20))
        assert console_lost(conn, "ana", now + seconds(30)) == call_id
        call = call_state(conn, call_id)
        assert (call.state, call.outcome) == ("ended", "connection_lost")
        assert agent_state(conn, "ana") == "offline"


def test_a_console_closing_with_an_offer_gives_the_call_back(engine: Engine) -> None:
    now = MONDAY_10H
    add_agent(engine, "ana", now, state=None)
    with engine.begin() as conn:
        console_opened(conn, "ana", now)
        choose_state(conn, "ana", "available", now)
    call_id = queue_call(engine, "k1", now)
    run_dispatch(engine, now)
    with engine.begin() as conn:
        released = console_closed(conn, "ana", now + seconds(2))
        assert released is not None
        assert released.call_id == call_id
        assert call_state(conn, call_id).state == "queued"
        assert agent_state(conn, "ana") == "offline"
