"""Two back-end instances on one PostgreSQL: a kiosk on one, the agent on the other."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from backend.db import calls
from tests.backend.hub_helpers import become_available, live_backend, receive, send

# A large offer: many candidates. It crosses instances in several NOTIFY chunks.
BIG_SDP = "v=0\r\n" + "a=candidate:é 1 udp 2122260223 192.0.2.1 54400 typ host\r\n" * 1_500


async def test_a_call_spans_two_instances(tmp_path: Path, postgres_database_url: str) -> None:
    async with (
        live_backend(tmp_path / "a", postgres_database_url) as first,
        live_backend(tmp_path / "b", postgres_database_url) as second,
    ):
        second.agent("ana")
        cookie = await second.login("ana")
        async with (
            second.agent_socket(cookie) as ana,
            first.kiosk_socket(first.kiosk_token("kiosk-1")) as kiosk,
        ):
            await become_available(ana)
            await send(
                kiosk, type="call_request", kiosk_id="kiosk-1", language="fr", service_id=None
            )
            call_id = (await receive(kiosk, "queue_position"))["call_id"]
            # Either instance's tick may make the offer: the agent gets it once, either way.
            assert (await receive(ana, "call_offered"))["call_id"] == call_id
            await send(ana, type="accept", call_id=call_id)
            assert (await receive(kiosk, "call_accepted"))["agent_name"] == "Ana"
            await send(kiosk, type="offer", call_id=call_id, sdp=BIG_SDP)
            assert (await receive(ana, "offer"))["sdp"] == BIG_SDP
            await send(ana, type="answer", call_id=call_id, sdp="v=0\r\na=answer\r\n")
            assert (await receive(kiosk, "answer"))["sdp"] == "v=0\r\na=answer\r\n"
            await send(ana, type="end_call", call_id=call_id, outcome="referred", notes="ok")
            hangup = await receive(kiosk, "hangup")
            # The record keeps "referred"; the kiosk hears the nearest kiosk outcome.
            assert (hangup["call_id"], hangup["outcome"]) == (call_id, "resolved")
        with first.engine.connect() as conn:
            outcome = conn.execute(
                select(calls.c.outcome).where(calls.c.call_id == call_id)
            ).scalar()
        assert outcome == "referred"
