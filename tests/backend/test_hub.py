"""The signalling hub over real WebSockets: a whole call, relays, refusals, bad frames."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from websockets.exceptions import InvalidStatus

from backend.db import calls
from tests.backend.hub_helpers import LiveBackend, become_available, live_backend, receive, send

FORBIDDEN = 403
SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"


@pytest.fixture
async def backend(tmp_path: Path, database_url: str) -> AsyncIterator[LiveBackend]:
    async with live_backend(tmp_path, database_url) as running:
        yield running


def call_request(kiosk_id: str) -> dict[str, object]:
    return {
        "type": "call_request",
        "kiosk_id": kiosk_id,
        "language": "fr",
        "service_id": "change-of-address",
        "context": {"v": 1, "agency_id": "riviere-claire", "fields": [["Nom", "Tremblay"]]},
    }


async def test_a_whole_call_through_the_hub(backend: LiveBackend) -> None:
    backend.agent("ana")
    backend.agent("ben")
    kiosk_token = backend.kiosk_token("kiosk-1")
    ana_cookie = await backend.login("ana")
    ben_cookie = await backend.login("ben")
    async with (
        backend.agent_socket(ana_cookie) as ana,
        backend.agent_socket(ben_cookie) as ben,
        backend.kiosk_socket(kiosk_token) as kiosk,
    ):
        welcome = await receive(ana, "welcome")
        assert (welcome["agent_id"], welcome["name"], welcome["state"]) == ("ana", "Ana", "away")
        await become_available(ana)

        await send(kiosk, **call_request("kiosk-1"))
        queued = await receive(kiosk, "queue_position", skip=())
        call_id = queued["call_id"]
        assert queued["position"] == 1

        offered = await receive(ana, "call_offered")
        assert offered["call_id"] == call_id
        assert offered["context"]["fields"] == [["Nom", "Tremblay"]]
        assert offered["timeout_s"] == 20
        await send(ana, type="accept", call_id=call_id)
        accepted = await receive(kiosk, "call_accepted")
        assert accepted == {
            "v": 1,
            "type": "call_accepted",
            "call_id": call_id,
            "agent_name": "Ana",
        }

        await send(kiosk, type="offer", call_id=call_id, sdp=SDP)
        assert (await receive(ana, "offer"))["sdp"] == SDP
        await send(ana, type="answer", call_id=call_id, sdp=SDP + "a=answer\r\n")
        assert (await receive(kiosk, "answer"))["sdp"] == SDP + "a=answer\r\n"

        await send(kiosk, type="hangup", call_id=call_id, outcome="resolved")
        hangup = await receive(ana, "hangup")
        assert (hangup["call_id"], hangup["outcome"]) == (call_id, "resolved")
        states = [(await receive(ana, "agent_state"))["state"]]
        while states[-1] != "wrap_up":
            states.append((await receive(ana, "agent_state"))["state"])
        assert states[0] in ("busy", "wrap_up")

        # Ben was away all along: flush his socket with a bad frame and read what he got.
        await ben.send("not json")
        seen = []
        while (message := json.loads(await ben.recv()))["type"] != "error":
            seen.append(message["type"])
        assert set(seen) <= {"welcome", "queue_snapshot"}  # no offer, no SDP, no hangup
    with backend.engine.connect() as conn:
        row = conn.execute(select(calls).where(calls.c.call_id == call_id)).one()
    assert (row.state, row.outcome, row.handled_by) == ("ended", "resolved", "ana")


async def test_sdp_is_relayed_only_within_the_call(backend: LiveBackend) -> None:
    backend.agent("ana")
    cookie = await backend.login("ana")
    async with (
        backend.agent_socket(cookie) as ana,
        backend.kiosk_socket(backend.kiosk_token("kiosk-1")) as kiosk,
        backend.kiosk_socket(backend.kiosk_token("kiosk-2")) as intruder,
    ):
        await become_available(ana)
        await send(kiosk, **call_request("kiosk-1"))
        call_id = (await receive(kiosk, "queue_position"))["call_id"]
        await receive(ana, "call_offered")
        # Before the agent accepts, the kiosk's own offer has nobody to go to.
        await send(kiosk, type="offer", call_id=call_id, sdp=SDP)
        assert (await receive(kiosk, "error"))["code"] == "call.not_connected"
        await send(ana, type="accept", call_id=call_id)
        await receive(kiosk, "call_accepted")

        await send(intruder, type="offer", call_id=call_id, sdp=SDP)
        assert (await receive(intruder, "error"))["code"] == "call.unknown"
        await send(intruder, **call_request("kiosk-1"))  # someone else's kiosk id
        assert (await receive(intruder, "error"))["code"] == "call.wrong_kiosk"
        await send(ana, type="answer", call_id="c-not-mine", sdp=SDP)
        assert (await receive(ana, "error"))["code"] == "call.not_yours"


async def test_sockets_without_credentials_are_refused(backend: LiveBackend) -> None:
    backend.agent("ana")
    cookie = await backend.login("ana")
    staff = backend.kiosk_token("kiosk-1")  # a kiosk token is no console session
    attempts = [
        backend.kiosk_socket(None),
        backend.kiosk_socket("vg_not-a-real-token"),
        backend.agent_socket(None),
        backend.agent_socket("vga_forged"),
        backend.agent_socket(staff),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidStatus) as refused:
            async with attempt:
                pass
        assert refused.value.response.status_code == FORBIDDEN
    async with backend.agent_socket(cookie) as ana:
        assert (await receive(ana, "welcome"))["agent_id"] == "ana"


async def test_a_console_from_another_origin_is_refused(backend: LiveBackend) -> None:
    backend.agent("ana")
    cookie = await backend.login("ana")
    for origin in ("https://evil.example", "http://127.0.0.1:1", "null"):
        with pytest.raises(InvalidStatus) as refused:
            async with backend.agent_socket(cookie, origin=origin):
                pass
        assert refused.value.response.status_code == FORBIDDEN


async def test_bad_frames_get_an_error_and_the_socket_lives_on(backend: LiveBackend) -> None:
    async with backend.kiosk_socket(backend.kiosk_token("kiosk-1")) as kiosk:
        for frame, code in (
            ("{not json", "signal.bad_json"),
            (json.dumps({"v": 2, "type": "hangup"}), "signal.unsupported_version"),
            (json.dumps({"v": 1, "type": "call_request", "language": "de"}), "signal.invalid"),
            (json.dumps({"v": 1, "type": "accept", "call_id": "c1"}), "signal.unexpected"),
            ("x" * 200_001, "signal.too_large"),
            (b"\xff\xfe", "signal.bad_json"),
        ):
            await kiosk.send(frame)
            assert (await receive(kiosk, "error"))["code"] == code
        await send(kiosk, type="cancel_call", call_id="c-unknown")
        assert (await receive(kiosk, "error"))["code"] == "call.unknown"


async def test_a_lost_console_ends_its_call_for_the_kiosk(backend: LiveBackend) -> None:
    backend.agent("ana")
    cookie = await backend.login("ana")
    async with backend.kiosk_socket(backend.kiosk_token("kiosk-1")) as kiosk:
        async with backend.agent_socket(cookie) as ana:
            await become_available(ana)
            await send(kiosk, **call_request("kiosk-1"))
            call_id = (await receive(kiosk, "queue_position"))["call_id"]
            await receive(ana, "call_offered")
            await send(ana, type="accept", call_id=call_id)
            await receive(kiosk, "call_accepted")
        # The console is gone and the grace (0 s in this test) is over.
        hangup = await receive(kiosk, "hangup")
        assert (hangup["call_id"], hangup["outcome"]) == (call_id, "connection_lost")


async def test_a_kiosk_leaving_the_queue_cancels_its_call(backend: LiveBackend) -> None:
    backend.agent("ana")
    cookie = await backend.login("ana")
    async with backend.agent_socket(cookie) as ana:  # away: the call stays queued
        await receive(ana, "welcome")
        async with backend.kiosk_socket(backend.kiosk_token("kiosk-1")) as kiosk:
            await send(kiosk, **call_request("kiosk-1"))
            call_id = (await receive(kiosk, "queue_position"))["call_id"]
            snapshot = await receive(ana, "queue_snapshot")
            while not snapshot["calls"]:
                snapshot = await receive(ana, "queue_snapshot")
            assert [call["call_id"] for call in snapshot["calls"]] == [call_id]
        while snapshot["calls"]:  # the board empties once the kiosk has gone
            snapshot = await receive(ana, "queue_snapshot")
    with backend.engine.connect() as conn:
        state = conn.execute(select(calls.c.state).where(calls.c.call_id == call_id)).scalar()
    assert state == "cancelled"


async def test_transfer_to_a_colleague_offers_the_call_to_them(backend: LiveBackend) -> None:
    backend.agent("ana")
    backend.agent("ben")
    async with (
        backend.agent_socket(await backend.login("ana")) as ana,
        backend.agent_socket(await backend.login("ben")) as ben,
        backend.kiosk_socket(backend.kiosk_token("kiosk-1")) as kiosk,
    ):
        await become_available(ana)
        await send(kiosk, **call_request("kiosk-1"))
        call_id = (await receive(kiosk, "queue_position"))["call_id"]
        await receive(ana, "call_offered")
        await send(ana, type="accept", call_id=call_id)
        await receive(kiosk, "call_accepted")
        await become_available(ben)
        await send(ana, type="transfer", call_id=call_id, to_agent_id="ben")
        offered = await receive(ben, "call_offered")
        assert (offered["call_id"], offered["transfers"]) == (call_id, 1)
        await send(ben, type="accept", call_id=call_id)
        assert (await receive(kiosk, "call_accepted"))["agent_name"] == "Ben"


async def test_without_agents_the_kiosk_is_offered_a_callback_and_books_it(
    backend: LiveBackend,
) -> None:
    async with backend.kiosk_socket(backend.kiosk_token("kiosk-1")) as kiosk:
        await send(kiosk, **call_request("kiosk-1"))
        offer = await receive(kiosk, "callback_offer")
        assert offer["reason"] == "wait_too_long"
        assert 0 < len(offer["slots"]) <= 24
        slot = offer["slots"][0]
        await send(
            kiosk, type="book_callback", call_id=offer["call_id"], slot=slot, phone="418 555-0100"
        )
        booked = await receive(kiosk, "callback_booked")
    assert booked["call_id"] == offer["call_id"]
    assert booked["reference"].startswith("CB-")
    with backend.engine.connect() as conn:
        row = conn.execute(select(calls).where(calls.c.call_id == offer["call_id"])).one()
    assert (row.state, row.callback_reference, row.callback_phone) == (
        "callback",
        booked["reference"],
        "418 555-0100",
    )
