"""Signalling messages: every message round-trips, and nothing from the wire crashes."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from video.signaling import (
    MAX_SIGNAL_BYTES,
    SIGNAL_TYPES,
    AcceptCall,
    AgentPresence,
    AgentState,
    AgentStateMessage,
    Answer,
    BookCallback,
    CallAccepted,
    CallbackBooked,
    CallbackOffer,
    CallContext,
    CallOffered,
    CallOutcome,
    CallRequest,
    CallTaken,
    CancelCall,
    DeclineCall,
    EndCall,
    ErrorMessage,
    Hangup,
    HangupOutcome,
    IceServer,
    Offer,
    QueuePosition,
    QueueSnapshot,
    SignalingError,
    SignalMessage,
    TransferCall,
    WaitingCall,
    Welcome,
    WrapUpDone,
    dump_signal,
    kiosk_outcome,
    parse_signal,
)

identifiers = st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,63}\Z")
call_ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")
sdps = st.text(min_size=1, max_size=2_000)
counts = st.integers(min_value=0, max_value=2**53)
aware_times = st.datetimes(timezones=st.just(UTC))
contexts = st.builds(
    CallContext,
    agency_id=st.none() | identifiers,
    step=st.none() | identifiers,
    fields=st.lists(st.tuples(st.text(min_size=1, max_size=80), st.text(max_size=500)), max_size=5),
)

languages = st.sampled_from(["fr", "en"])
agent_states = st.sampled_from(AgentState)
agent_messages: tuple[st.SearchStrategy[SignalMessage], ...] = (
    st.builds(AgentStateMessage, state=agent_states),
    st.builds(AcceptCall, call_id=call_ids),
    st.builds(DeclineCall, call_id=call_ids),
    st.one_of(
        st.builds(TransferCall, call_id=call_ids, to_agent_id=identifiers),
        st.builds(TransferCall, call_id=call_ids, to_queue_id=identifiers),
    ),
    st.builds(
        EndCall,
        call_id=call_ids,
        outcome=st.sampled_from(CallOutcome),
        notes=st.none() | st.text(max_size=2_000),
    ),
    st.builds(WrapUpDone),
    st.builds(
        Welcome,
        agent_id=identifiers,
        name=st.text(min_size=1, max_size=80),
        state=agent_states,
        ice_servers=st.lists(
            st.builds(
                IceServer,
                urls=st.lists(st.text(min_size=1, max_size=300), min_size=1, max_size=3),
                username=st.none() | st.text(max_size=200),
                credential=st.none() | st.text(max_size=200),
            ),
            max_size=3,
        ),
    ),
    st.builds(
        QueueSnapshot,
        calls=st.lists(
            st.builds(
                WaitingCall,
                call_id=call_ids,
                queue_id=identifiers,
                language=languages,
                service_id=st.none() | identifiers,
                waited_s=counts,
                position=counts,
                context=st.none() | contexts,
            ),
            max_size=3,
        ),
        agents=st.lists(
            st.builds(
                AgentPresence,
                agent_id=identifiers,
                name=st.text(min_size=1, max_size=80),
                state=agent_states,
            ),
            max_size=3,
        ),
    ),
    st.builds(
        CallOffered,
        call_id=call_ids,
        queue_id=identifiers,
        language=languages,
        service_id=st.none() | identifiers,
        reason=st.none() | st.text(max_size=500),
        context=st.none() | contexts,
        waited_s=counts,
        timeout_s=st.integers(min_value=1, max_value=3_600),
        transfers=st.integers(min_value=0, max_value=100),
    ),
    st.builds(CallTaken, call_id=call_ids),
)
messages: st.SearchStrategy[SignalMessage] = st.one_of(
    st.builds(
        CallRequest,
        kiosk_id=identifiers,
        language=st.sampled_from(["fr", "en"]),
        service_id=st.none() | identifiers,
        reason=st.none() | st.text(max_size=500),
        context=st.none() | contexts,
    ),
    st.builds(QueuePosition, call_id=call_ids, position=counts, estimated_wait_s=counts),
    st.builds(CallAccepted, call_id=call_ids, agent_name=st.text(min_size=1, max_size=80)),
    st.builds(CancelCall, call_id=call_ids),
    st.builds(
        CallbackOffer,
        call_id=call_ids,
        reason=st.sampled_from(["closed", "wait_too_long"]),
        slots=st.lists(aware_times, max_size=5),
    ),
    st.builds(
        BookCallback,
        call_id=call_ids,
        slot=aware_times,
        phone=st.from_regex(r"\A\+?[0-9 ().-]{6,24}\Z"),
    ),
    st.builds(
        CallbackBooked,
        call_id=call_ids,
        slot=aware_times,
        reference=st.from_regex(r"\A[A-Z0-9-]{4,32}\Z"),
    ),
    st.builds(Offer, call_id=call_ids, sdp=sdps),
    st.builds(Answer, call_id=call_ids, sdp=sdps),
    st.builds(Hangup, call_id=call_ids, outcome=st.sampled_from(HangupOutcome)),
    st.builds(
        ErrorMessage,
        code=st.from_regex(r"\A[a-z][a-z0-9_]{0,20}(\.[a-z0-9_]{1,20}){0,2}\Z"),
        message=st.text(max_size=500),
    ),
    *agent_messages,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
# Objects shaped like messages (known type, right version, random fields) reach the validator.
message_like = st.fixed_dictionaries(
    {"v": st.sampled_from([1, 1, 1, 2, "1", True, 1.0]), "type": st.sampled_from(SIGNAL_TYPES)},
    optional={
        key: json_values
        for key in (
            "kiosk_id",
            "language",
            "service_id",
            "reason",
            "position",
            "estimated_wait_s",
            "call_id",
            "sdp",
            "outcome",
            "code",
            "message",
            "agent_name",
            "context",
            "slots",
            "slot",
            "phone",
            "reference",
            "state",
            "to_agent_id",
            "to_queue_id",
            "notes",
            "name",
            "agent_id",
            "ice_servers",
            "calls",
            "agents",
            "queue_id",
            "waited_s",
            "timeout_s",
            "transfers",
            "extra",
        )
    },
)


@given(messages)
def test_every_message_round_trips(message: SignalMessage) -> None:
    assert parse_signal(dump_signal(message)) == message
    assert parse_signal(dump_signal(message).encode("utf-8")) == message


@given(st.text() | st.binary())
def test_arbitrary_input_parses_or_raises_signaling_error(raw: str | bytes) -> None:
    with contextlib.suppress(SignalingError):
        parse_signal(raw)


@given(message_like)
def test_message_shaped_input_parses_or_raises_signaling_error(document: dict[str, Any]) -> None:
    try:
        message = parse_signal(json.dumps(document))
    except SignalingError:
        return
    assert parse_signal(dump_signal(message)) == message  # what we accept, we can relay


def test_every_agent_outcome_tells_the_kiosk_a_kiosk_outcome() -> None:
    assert {kiosk_outcome(outcome) for outcome in CallOutcome} == set(HangupOutcome)
    assert kiosk_outcome(CallOutcome.REFERRED) is HangupOutcome.RESOLVED


def test_dumped_messages_carry_version_and_type() -> None:
    wire = json.loads(dump_signal(Hangup(call_id="c1", outcome=HangupOutcome.CITIZEN_LEFT)))
    assert wire == {"v": 1, "type": "hangup", "call_id": "c1", "outcome": "citizen_left"}


def test_a_call_request_from_the_wire() -> None:
    message = parse_signal(
        '{"v": 1, "type": "call_request", "kiosk_id": "rimouski-01", "language": "fr",'
        ' "service_id": "change-address", "reason": "Question sur mon dossier"}'
    )
    assert message == CallRequest(
        kiosk_id="rimouski-01",
        language="fr",
        service_id="change-address",
        reason="Question sur mon dossier",
    )


def wire(**fields: object) -> str:
    return json.dumps({"v": 1, **fields})


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "signal.bad_json"),
        ("{not json", "signal.bad_json"),
        (b"\xff\xfe", "signal.bad_json"),
        ("\ud800", "signal.bad_json"),
        ('{"v": 1, "type": "error", "code": "x", "message": "\\ud800"}', "signal.bad_json"),
        (
            '{"v": 1, "type": "queue_position", "position": NaN, "estimated_wait_s": 0}',
            "signal.bad_json",
        ),
        ("[" * 50_000, "signal.bad_json"),
        ("[]", "signal.not_an_object"),
        ('"hangup"', "signal.not_an_object"),
        ('{"type": "hangup", "call_id": "c", "outcome": "resolved"}', "signal.unsupported_version"),
        (wire(v=2, type="hangup"), "signal.unsupported_version"),
        (wire(v=True, type="hangup"), "signal.unsupported_version"),
        (wire(v=1.0, type="hangup"), "signal.unsupported_version"),
        (wire(type="ice_candidate"), "signal.unknown_type"),
        (wire(), "signal.unknown_type"),
        (wire(type="hangup", call_id="c", outcome="bored"), "signal.invalid"),
        (wire(type="hangup", call_id="c", outcome="resolved", extra=1), "signal.invalid"),
        (wire(type="queue_position", position=-1, estimated_wait_s=0), "signal.invalid"),
        (wire(type="queue_position", position="2", estimated_wait_s=0), "signal.invalid"),
        (wire(type="call_request", kiosk_id="k", language="de"), "signal.invalid"),
        (
            wire(type="call_request", kiosk_id="k", language="fr", reason="x" * 501),
            "signal.invalid",
        ),
        (wire(type="offer", call_id="c", sdp=""), "signal.invalid"),
        (wire(type="offer", call_id="c", sdp="x" * 100_001), "signal.invalid"),
        (wire(type="answer", call_id="../etc", sdp="v=0"), "signal.invalid"),
        (wire(type="error", code="Not A Key", message="m"), "signal.invalid"),
        (wire(type="transfer", call_id="c"), "signal.invalid"),
        (wire(type="transfer", call_id="c", to_agent_id="a", to_queue_id="q"), "signal.invalid"),
        (wire(type="agent_state", state="sleeping"), "signal.invalid"),
        (
            wire(type="end_call", call_id="c", outcome="resolved", notes="x" * 2_001),
            "signal.invalid",
        ),
    ],
)
def test_bad_input_is_refused_with_a_stable_code(raw: str | bytes, code: str) -> None:
    with pytest.raises(SignalingError) as caught:
        parse_signal(raw)
    assert caught.value.code == code
    assert caught.value.__cause__ is None  # no pydantic or json internals attached


@pytest.mark.parametrize(
    "raw",
    [wire(type="offer", call_id="c", sdp="x" * MAX_SIGNAL_BYTES), b" " * (MAX_SIGNAL_BYTES + 1)],
    ids=["text", "bytes"],
)
def test_oversized_messages_are_refused(raw: str | bytes) -> None:
    with pytest.raises(SignalingError) as caught:
        parse_signal(raw)
    assert caught.value.code == "signal.too_large"


def test_size_limit_counts_utf8_bytes_not_characters() -> None:
    # "é" is two bytes: 100,000 of them fit the SDP limit but not the message limit.
    raw = json.dumps(
        {"v": 1, "type": "offer", "call_id": "c", "sdp": "é" * 100_000}, ensure_ascii=False
    )
    assert len(raw) < MAX_SIGNAL_BYTES < len(raw.encode())
    with pytest.raises(SignalingError) as caught:
        parse_signal(raw)
    assert caught.value.code == "signal.too_large"
    assert parse_signal(raw.replace("é" * 10_000, "", 1)).type == "offer"


def test_errors_name_the_field_but_never_echo_its_value() -> None:
    secret = "Mon numéro d'assurance sociale est 123 456 789"
    raw = wire(type="call_request", kiosk_id="k", language="fr", reason=secret * 20)
    with pytest.raises(SignalingError) as caught:
        parse_signal(raw)
    message = str(caught.value)
    assert "reason" in message
    assert "123 456 789" not in message
