"""Random sequences of routing operations never lose a call nor give anyone two.

A hypothesis state machine drives requests, agent state changes, dispatch,
accepts, declines, timeouts, transfers, hangups and cancels, in any order,
on SQLite and PostgreSQL, and checks after every step that:

- every requested call exists in exactly one state, and a call that is over
  (ended, cancelled, callback) stays over and got there only by hangup,
  cancel or callback proposal;
- an offered or connected call is held by exactly one agent, a waiting or
  finished one by none;
- no agent holds two calls, and a connected call's agent is busy.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, func, select

from backend.db import agents, calls, make_engine
from backend.routing import (
    CallbackProposed,
    RoutingError,
    accept,
    cancel_call,
    choose_state,
    decline,
    dispatch,
    end_call,
    request_call,
    sweep_no_answer,
    sweep_wrap_up,
    transfer_to_agent,
    transfer_to_queue,
    wrap_up_done,
)
from backend.schema import migrate
from tests.backend.routing_helpers import (
    AGENCY,
    MONDAY_10H,
    add_agent,
    make_config,
    request,
    seconds,
)
from tests.fixtures.postgres import TEMPLATE_DATABASE, PostgresCluster

CONFIG = make_config()
AGENTS = ("ana", "ben", "chloe")
KIOSKS = ("k1", "k2", "k3", "k4")
FINAL = ("ended", "cancelled", "callback")
_databases = itertools.count(1)


class RoutingMachine(RuleBasedStateMachine):
    """The model: which calls were requested and how each one that is over ended."""

    make_engine: Callable[[], tuple[Engine, Callable[[], None]]]

    def __init__(self) -> None:
        super().__init__()
        self.engine, self._drop = type(self).make_engine()
        self.now: datetime = MONDAY_10H
        self.requested: set[str] = set()
        self.finished: dict[str, str] = {}  # call id -> the final state the model expects

    @initialize()
    def staff(self) -> None:
        for index, agent_id in enumerate(AGENTS):
            skills = f"agency:{AGENCY},agency:other,language:fr,language:en"
            add_agent(self.engine, agent_id, self.now + seconds(index), skills, state="away")

    def teardown(self) -> None:
        self.engine.dispose()
        self._drop()

    def _try(self, operation: Callable[..., object]) -> object:
        self.now += seconds(1)
        try:
            with self.engine.begin() as conn:
                return operation(conn)
        except RoutingError:
            return None  # a refused operation changes nothing (the transaction rolls back)

    def _calls_in(self, *states: str) -> list[tuple[str, str | None, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(calls.c.call_id, calls.c.agent_id, calls.c.kiosk_id)
                .where(calls.c.state.in_(states))
                .order_by(calls.c.enqueued_at)  # call ids are random: replays need a stable order
            ).all()
        return [(row.call_id, row.agent_id, row.kiosk_id) for row in rows]

    @rule(kiosk=st.sampled_from(KIOSKS), language=st.sampled_from(["fr", "en"]))
    def citizen_asks(self, kiosk: str, language: str) -> None:
        result = self._try(
            lambda conn: request_call(conn, CONFIG, kiosk, request(kiosk, language), self.now)
        )
        if result is not None:
            self.requested.add(result.call_id)  # type: ignore[attr-defined]
            if isinstance(result, CallbackProposed):
                self.finished[result.call_id] = "callback"

    @rule(agent=st.sampled_from(AGENTS), state=st.sampled_from(["available", "away"]))
    def agent_chooses(self, agent: str, state: str) -> None:
        self._try(lambda conn: choose_state(conn, agent, state, self.now))

    @rule()
    def tick(self) -> None:
        self._try(lambda conn: dispatch(conn, CONFIG, self.now))

    @rule(data=st.data(), take=st.booleans())
    def agent_answers(self, data: st.DataObject, take: bool) -> None:
        offered = self._calls_in("offered")
        if offered:
            call_id, agent_id, _ = data.draw(st.sampled_from(offered))
            operation = accept if take else decline
            self._try(lambda conn: operation(conn, call_id, str(agent_id), self.now))

    @rule(wait=st.integers(min_value=1, max_value=40))
    def time_passes(self, wait: int) -> None:
        self.now += seconds(wait)
        self._try(lambda conn: sweep_no_answer(conn, CONFIG, self.now))
        self._try(lambda conn: sweep_wrap_up(conn, CONFIG, self.now))

    @rule(data=st.data(), to_queue=st.sampled_from(["rc-fr", "rc-en", "other-fr"]))
    def agent_transfers(self, data: st.DataObject, to_queue: str) -> None:
        connected = self._calls_in("connected")
        if not connected:
            return
        call_id, agent_id, _ = data.draw(st.sampled_from(connected))
        target = data.draw(st.sampled_from([*AGENTS, None]))
        if target is None:
            self._try(
                lambda conn: transfer_to_queue(
                    conn, CONFIG, call_id, str(agent_id), to_queue, now=self.now
                )
            )
        else:
            self._try(
                lambda conn: transfer_to_agent(conn, call_id, str(agent_id), target, self.now)
            )

    @rule(data=st.data(), by_agent=st.booleans())
    def someone_hangs_up(self, data: st.DataObject, by_agent: bool) -> None:
        active = self._calls_in("queued", "offered", "connected")
        if not active:
            return
        call_id, agent_id, kiosk_id = data.draw(st.sampled_from(active))
        if by_agent:
            done = self._try(
                lambda conn: end_call(
                    conn, call_id, "resolved", self.now, agent_id=str(agent_id), notes="n"
                )
            )
        else:
            done = self._try(
                lambda conn: end_call(conn, call_id, "citizen_left", self.now, kiosk_id=kiosk_id)
            )
        if done is not None:
            self.finished[call_id] = done.state  # type: ignore[attr-defined]

    @rule(data=st.data())
    def citizen_leaves(self, data: st.DataObject) -> None:
        waiting = self._calls_in("queued", "offered")
        if waiting:
            call_id, _, kiosk_id = data.draw(st.sampled_from(waiting))
            if self._try(lambda conn: cancel_call(conn, call_id, kiosk_id, self.now)) is not None:
                self.finished[call_id] = "cancelled"

    @rule(agent=st.sampled_from(AGENTS))
    def agent_done_writing(self, agent: str) -> None:
        self._try(lambda conn: wrap_up_done(conn, agent, self.now))

    @invariant()
    def no_call_is_lost_and_finished_calls_stay_finished(self) -> None:
        with self.engine.connect() as conn:
            rows = conn.execute(select(calls.c.call_id, calls.c.state)).all()
        states = dict(rows)
        assert set(states) == self.requested
        over = {call_id: state for call_id, state in states.items() if state in FINAL}
        assert over == self.finished

    @invariant()
    def holders_are_consistent(self) -> None:
        with self.engine.connect() as conn:
            rows = conn.execute(select(calls.c.state, calls.c.agent_id)).all()
            busy = dict(conn.execute(select(agents.c.agent_id, agents.c.state)).all())
            most = conn.execute(
                select(func.count())
                .select_from(calls)
                .where(calls.c.agent_id.is_not(None))
                .group_by(calls.c.agent_id)
                .order_by(func.count().desc())
                .limit(1)
            ).scalar()
        assert most in (None, 1)  # no agent holds two calls
        for state, agent_id in rows:
            assert (agent_id is not None) == (state in ("offered", "connected"))
            if state == "connected":
                assert busy[agent_id] == "busy"
            if state == "offered":
                assert busy[agent_id] == "available"


def _sqlite_factory(root: str) -> Callable[[], tuple[Engine, Callable[[], None]]]:
    def factory() -> tuple[Engine, Callable[[], None]]:
        engine = make_engine(f"sqlite:///{root}/machine-{next(_databases)}.db")
        migrate(engine)
        return engine, lambda: None

    return factory


def _postgres_factory(cluster: PostgresCluster) -> Callable[[], tuple[Engine, Callable[[], None]]]:
    def factory() -> tuple[Engine, Callable[[], None]]:
        name = f"vg_machine_{next(_databases)}"
        url = cluster.create_database(name, template=TEMPLATE_DATABASE)
        return make_engine(url), lambda: cluster.drop_database(name)

    return factory


@pytest.fixture(params=["sqlite", "postgresql"])
def machine_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Callable[[], tuple[Engine, Callable[[], None]]], int]]:
    if request.param == "sqlite":
        yield _sqlite_factory(str(tmp_path_factory.mktemp("machines"))), 40
    else:
        yield _postgres_factory(request.getfixturevalue("postgres")), 12


def test_routing_never_loses_or_doubles_a_call(
    machine_factory: tuple[Callable[[], tuple[Engine, Callable[[], None]]], int],
) -> None:
    factory, examples = machine_factory
    RoutingMachine.make_engine = staticmethod(factory)  # type: ignore[assignment]
    run_state_machine_as_test(
        RoutingMachine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
