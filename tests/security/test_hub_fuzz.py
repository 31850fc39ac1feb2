"""The hub's sockets fed garbage and random valid-shaped messages, in process (hypothesis).

Whatever a kiosk or a console sends, the hub must not crash, must answer each
unreadable frame with an ``error`` naming why, must close a peer that sends
only garbage (1008), and must leave its bookkeeping clean when the peer goes.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.websockets import WebSocketState

from backend.app import create_app
from backend.auth import issue_credential
from backend.console_auth import add_agent
from backend.hub import Hub
from backend.hub.agent import serve_agent
from backend.hub.fanout import agent_target, kiosk_target
from backend.hub.kiosk import serve_kiosk
from backend.hub.peer import MAX_BAD_FRAMES, POLICY_VIOLATION, RATE_BURST, Peer
from backend.roles import Role
from backend.routing import Skills
from backend.settings import BackendSettings, CallSettings
from tests.backend.hub_helpers import write_queues
from video.signaling import CancelCall, SignalingError, dump_signal, parse_signal

KIOSK = "kiosk-fuzz"
AGENT = "agent-fuzz"
TYPES = (
    "call_request", "cancel_call", "book_callback", "offer", "answer", "hangup", "error",
    "agent_state", "accept", "decline", "transfer", "end_call", "wrap_up_done", "welcome",
    "queue_position", "call_offered", "call_taken", "callback_offer", "no_such_type",
)  # fmt: skip

# What each side may send: anything else well formed is answered "signal.unexpected".
SENDS = {
    "kiosk": {"call_request", "book_callback", "cancel_call", "offer", "hangup", "error"},
    "agent": {
        "agent_state", "accept", "decline", "transfer", "end_call", "hangup", "wrap_up_done",
        "answer", "error",
    },
}  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
shaped = st.fixed_dictionaries(
    {"v": st.sampled_from([1, 1, 1, 2, "1", True]), "type": st.sampled_from(TYPES)},
    optional={
        "call_id": st.text(max_size=40),
        "sdp": st.text(max_size=80),
        "state": st.sampled_from(["available", "away", "busy", "nonsense"]),
        "service_id": st.text(max_size=20),
        "language": st.sampled_from(["fr", "en", "xx"]),
        "slot": json_values,
        "reason": json_values,
        "context": json_values,
    },
)
frames = st.lists(
    st.one_of(
        st.text(max_size=120),
        st.binary(max_size=120),
        json_values.map(json.dumps),
        shaped.map(json.dumps),
        st.just('{"v":1,"type":"call_request"' + "]" * 5000),  # deep or broken nesting
    ),
    max_size=int(RATE_BURST) // 2,  # within the burst: the rate limit has its own test
)


class ScriptedSocket:
    """Just enough of a Starlette WebSocket: scripted frames in, everything sent kept."""

    def __init__(self, script: list[str | bytes]) -> None:
        self.script: deque[str | bytes] = deque(script)
        self.sent: list[str] = []
        self.closed_with: int | None = None
        self.application_state = WebSocketState.CONNECTED

    async def receive(self) -> dict[str, Any]:
        await asyncio.sleep(0)
        if self.closed_with is not None or not self.script:
            return {"type": "websocket.disconnect", "code": 1000}
        frame = self.script.popleft()
        key = "text" if isinstance(frame, str) else "bytes"
        return {"type": "websocket.receive", key: frame}

    async def send_text(self, text: str) -> None:
        self.sent.append(text)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with = code
        self.application_state = WebSocketState.DISCONNECTED


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Hub:
    folder: Path = tmp_path_factory.mktemp("hubfuzz")
    app = create_app(
        BackendSettings(
            data_dir=folder / "b",
            database_url=f"sqlite:///{folder / 'hub.db'}",
            calls=CallSettings(queues_file=write_queues(folder), agent_grace_s=0),
        )
    )
    engine = app.state.engine
    issue_credential(engine, KIOSK, "kiosk")
    with engine.begin() as conn:
        add_agent(
            conn,
            AGENT,
            "Fuzz",
            "correct horse battery",
            Skills.parse("agency:riviere-claire,language:fr"),
            now=datetime.now(UTC),
            roles=[Role.AGENT],
        )
    the_hub: Hub = app.state.hub
    return the_hub


def expected_refusals(script: list[str | bytes], role: str) -> tuple[list[str], bool]:
    """The ``signal.*`` codes the hub must answer, in order, and whether it must close.

    A frame that does not parse counts towards the close; a well-formed message the
    other side sends (a kiosk's ``accept``) is refused without counting.
    """
    codes: list[str] = []
    in_a_row = 0
    for frame in script:
        try:
            message = parse_signal(frame)
        except SignalingError as err:
            codes.append(err.code)
            in_a_row += 1
            if in_a_row >= MAX_BAD_FRAMES:
                return codes, True
        else:
            in_a_row = 0
            if message.type not in SENDS[role]:
                codes.append("signal.unexpected")
    return codes, False


async def feed(hub: Hub, role: str, script: list[str | bytes]) -> ScriptedSocket:
    socket = ScriptedSocket(script)
    peer = Peer(socket)  # type: ignore[arg-type]
    if role == "kiosk":
        await serve_kiosk(hub, peer, KIOSK)
    else:
        await serve_agent(hub, peer, AGENT)
    # Background work the handlers started (timers, kicks) ends with the example.
    for task in list(hub._background):
        task.cancel()
    await asyncio.gather(*hub._background, return_exceptions=True)
    return socket


@pytest.mark.parametrize("role", ["kiosk", "agent"])
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=frames)
@example(script=['{"v":1,"type":"accept","call_id":"0"}'])  # the other side's message
@example(script=['{"v":1,"type":"call_request","service_id":"x","language":"fr"}'])
def test_garbage_gets_an_error_and_leaves_the_hub_clean(
    hub: Hub, role: str, script: list[str | bytes]
) -> None:
    socket = asyncio.run(feed(hub, role, script))

    answers = [json.loads(text) for text in socket.sent]
    for answer in answers:
        parse_signal(json.dumps(answer))  # the hub only ever speaks the protocol
    errors = [a for a in answers if a["type"] == "error"]
    refusals = [a["code"] for a in errors if a["code"].startswith("signal.")]
    expected, must_close = expected_refusals(script, role)
    assert refusals == expected
    assert all(a["message"] for a in errors)  # a reason, always
    if must_close:
        assert socket.closed_with == POLICY_VIOLATION
    # Nothing of the peer is left behind.
    assert KIOSK not in hub.kiosks
    assert AGENT not in hub.agents
    assert not hub.fanout.has_local(kiosk_target(KIOSK))  # type: ignore[attr-defined]
    assert not hub.fanout.has_local(agent_target(AGENT))  # type: ignore[attr-defined]


def test_a_flood_is_refused_then_closed(hub: Hub) -> None:
    # Valid messages (a cancel of an unknown call): only their number is wrong.
    flood: list[str | bytes] = [dump_signal(CancelCall(call_id="no-such-call"))] * 600
    socket = asyncio.run(feed(hub, "kiosk", flood))
    codes = [json.loads(text).get("code") for text in socket.sent]
    assert "signal.rate_limited" in codes
    assert socket.closed_with == POLICY_VIOLATION
    assert socket.script  # closed before reading all of it
