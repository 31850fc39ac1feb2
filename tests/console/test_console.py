"""The agent console in headless Chromium, against a scripted hub and an aiortc kiosk peer."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

import cv2
import numpy as np
import pytest
from playwright.async_api import FilePayload, Page, expect

from tests.console.fake_hub import FakeHub
from tests.console.kiosk_peer import TEST_VIDEO, KioskPeer
from tests.fixtures.chromium import launch_chromium, serve_app, wait_for_js
from video.channel import Chat, PrintDone, Quality
from video.turnserver import TurnServer, start_turnserver, unavailable_reason

CALL_ID = "call-0001"
WAITING_CALL = {
    "call_id": CALL_ID,
    "queue_id": "titres",
    "language": "fr",
    "service_id": "passport",
    "waited_s": 95,
    "position": 1,
    "context": {
        "agency_id": "mairie-lyon-3",
        "step": "review",
        "fields": [["Nom", "Dupont"], ["Commune de naissance", "Lyon"]],
    },
}
OTHER_CALL = {
    **WAITING_CALL,
    "call_id": "call-0002",
    "language": "en",
    "position": 2,
    "context": None,
}
WAIT_MS = 20_000


@dataclass
class Console:
    """The console page, the hub it talks to, and the TURN server of its calls."""

    page: Page
    hub: FakeHub
    turn: TurnServer


@pytest.fixture
async def turn() -> AsyncIterator[TurnServer]:
    """A loopback coturn (aioice never offers 127.0.0.1, so the kiosk peer relays)."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = await asyncio.to_thread(start_turnserver)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


@pytest.fixture
async def console(turn: TurnServer) -> AsyncIterator[Console]:
    """The console page opened on a fake hub (not signed in yet)."""
    ice = turn.ice_server()
    hub = FakeHub(ice_servers=[ice.model_dump(exclude_none=True)])
    async with launch_chromium(fake_fps=15) as context, serve_app(hub.app()) as base_url:
        page = await context.new_page()
        # An uncaught exception in the page fails the test, whatever it asserted.
        page_errors: list[str] = []
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        await page.goto(f"{base_url}/console/")
        yield Console(page, hub, turn)
        assert page_errors == []


async def sign_in(console: Console) -> None:
    page = console.page
    await page.get_by_label("Agent id").fill(console.hub.agent_id)
    await page.get_by_label("Password").fill(console.hub.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#agent-name")).to_have_text(console.hub.name)


async def accept_offered_call(console: Console) -> None:
    await console.hub.send({"type": "queue_snapshot", "calls": [WAITING_CALL], "agents": []})
    await console.hub.send({"type": "call_offered", **WAITING_CALL, "timeout_s": 30})
    await console.page.get_by_role("button", name="Accept").click()
    assert (await console.hub.expect("accept"))["call_id"] == CALL_ID


async def connect_kiosk(console: Console) -> KioskPeer:
    """The kiosk offers through the hub; the console's answer goes back the same way."""
    kiosk = KioskPeer(console.turn)
    await console.hub.send({"type": "offer", "call_id": CALL_ID, "sdp": await kiosk.offer()})
    answer = await console.hub.expect("answer")
    assert answer["call_id"] == CALL_ID
    await kiosk.accept_answer(answer["sdp"])
    return kiosk


@pytest.fixture
async def call(console: Console) -> AsyncIterator[KioskPeer]:
    """A connected call between the signed-in console and the kiosk peer."""
    await sign_in(console)
    await accept_offered_call(console)
    kiosk = await connect_kiosk(console)
    try:
        yield kiosk
    finally:
        await kiosk.close()


async def error_codes(page: Page) -> list[str]:
    codes: list[str] = await page.evaluate(
        "[...document.querySelectorAll('#error-list li')].map(li => li.dataset.code)"
    )
    return codes


async def test_login_shows_errors_then_opens_the_console(console: Console) -> None:
    page = console.page
    await expect(page.get_by_role("heading", name="Agent sign-in")).to_be_visible()

    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#login-error")).to_have_text("Enter your agent id and password.")

    await page.get_by_label("Agent id").fill("alice")
    await page.get_by_label("Password").fill("wrong")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#login-error")).to_have_text("Wrong agent id or password.")

    await sign_in(console)
    await expect(page.locator("#agent-state")).to_have_text("Available")
    await expect(page.get_by_role("heading", name="Waiting citizens")).to_be_visible()
    assert console.hub.logins[-1]["agent_id"] == ["alice"]
    assert console.hub.logins[-1]["password"] == [console.hub.password]


async def test_queue_shows_the_shared_context_and_accept_or_decline_reach_the_hub(
    console: Console,
) -> None:
    page = console.page
    await sign_in(console)
    await console.hub.send(
        {"type": "queue_snapshot", "calls": [WAITING_CALL, OTHER_CALL], "agents": []}
    )

    first = page.locator(f'li[data-call-id="{CALL_ID}"]')
    for text in ("passport", "French", "1:3", "Commune de naissance", "Lyon", "mairie-lyon-3"):
        await expect(first).to_contain_text(text)
    await expect(page.locator('li[data-call-id="call-0002"]')).to_contain_text("English")

    await console.hub.send({"type": "call_offered", **OTHER_CALL, "timeout_s": 20})
    offered = page.locator("li.offered")
    await expect(offered).to_have_attribute("data-call-id", "call-0002")
    await expect(offered.get_by_role("timer")).to_contain_text("s left to answer")
    await offered.get_by_role("button", name="Decline").click()
    assert (await console.hub.expect("decline"))["call_id"] == "call-0002"
    await expect(page.locator("li.offered")).to_have_count(0)

    await console.hub.send({"type": "call_offered", **WAITING_CALL, "timeout_s": 20})
    await page.locator("li.offered").get_by_role("button", name="Accept").focus()
    await page.keyboard.press("Enter")  # keyboard-usable
    assert (await console.hub.expect("accept"))["call_id"] == CALL_ID
    await expect(page.locator("#call-context")).to_contain_text("Dupont")


async def test_the_kiosk_offer_is_answered_and_its_stamped_video_decoded(
    console: Console, call: KioskPeer
) -> None:
    page = console.page
    await wait_for_js(
        page,
        "window.visioStats.framesDecoded > 0 && window.visioStats.stampedFrames > 2",
        timeout=WAIT_MS,
    )
    stats = await page.evaluate("({...window.visioStats})")

    assert stats["frameWidth"] == TEST_VIDEO.width
    assert stats["frameHeight"] == TEST_VIDEO.height
    assert stats["lastStampLatencyMs"] is not None
    assert stats["lastStampLatencyMs"] >= 0
    assert len(stats["latencies"]) >= 3


async def test_chat_goes_both_ways_and_quality_changes_show(
    console: Console, call: KioskPeer
) -> None:
    page = console.page
    await page.get_by_label("Message to the citizen").fill("Bonjour, je regarde votre dossier.")
    await page.keyboard.press("Enter")
    line = await call.next_message("chat")
    assert line.text == "Bonjour, je regarde votre dossier."

    call.send(Chat(id="k-1", text="Merci <b>beaucoup</b>"))
    await expect(page.locator("#chat-log .citizen")).to_contain_text("Merci <b>beaucoup</b>")

    call.send(Quality(level="audio_only", reason="bandwidth"))
    await expect(page.locator("#quality-banner")).to_contain_text("Audio only")
    call.send(Quality(level="full", reason="recovered"))
    await expect(page.locator("#quality-banner")).to_be_hidden()


async def test_a_requested_capture_shows_at_full_resolution(
    console: Console, call: KioskPeer
) -> None:
    page = console.page
    request_clicked_at_ms = await page.evaluate("Date.now()")
    await page.get_by_role("button", name="Request a document capture").click()
    request = await call.next_message("capture_request")
    rng = np.random.default_rng(3)
    still = rng.integers(0, 255, size=(1200, 1600, 3), dtype=np.uint8)
    ok, jpeg = cv2.imencode(".jpg", still, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    data = jpeg.tobytes()
    assert len(data) > 10 * 16 * 1024  # several chunks

    await call.send_file(request.id, "capture", "document.jpg", "image/jpeg", data)

    await wait_for_js(page, "window.visioStats.captures.length === 1", timeout=WAIT_MS)
    captures = await page.evaluate("window.visioStats.captures")
    shown_at_ms = captures[0].pop("shownAtMs")
    assert captures == [{"id": request.id, "width": 1600, "height": 1200, "bytes": len(data)}]
    assert shown_at_ms >= request_clicked_at_ms  # the benchmark's snapshot time ends here
    await page.locator(".thumb").click()
    viewer = page.get_by_role("dialog")
    await expect(viewer).to_be_visible()
    await expect(viewer).to_contain_text("1600×1200 px")
    assert await page.evaluate("document.getElementById('viewer-image').naturalWidth") == 1600
    await page.keyboard.press("+")  # zoom from the keyboard
    transform = await page.evaluate("document.getElementById('viewer-image').style.transform")
    assert "scale(" in transform
    await page.get_by_role("button", name="Close").click()
    await expect(viewer).to_be_hidden()


async def test_print_sends_the_pdf_intact_and_shows_the_result(
    console: Console, call: KioskPeer
) -> None:
    page = console.page
    pdf = b"%PDF-1.4\n" + os.urandom(100_000) + b"\n%%EOF\n"
    await page.get_by_text("Print at the kiosk").click()
    await page.get_by_label("PDF document").set_input_files(
        files=FilePayload(name="attestation é.pdf", mimeType="application/pdf", buffer=pdf)
    )
    await page.get_by_role("button", name="Print", exact=True).click()

    async with asyncio.timeout(WAIT_MS / 1000):
        begin, data = await call.files.get()
    assert begin.purpose == "print"
    assert begin.mime == "application/pdf"
    assert data == pdf
    assert begin.sha256 == hashlib.sha256(pdf).hexdigest()

    call.send(PrintDone(id=begin.id, ok=True))
    await expect(page.locator("#print-status")).to_contain_text("was printed")
    assert call.transfer_errors == []


async def test_bad_kiosk_messages_show_errors_and_the_call_goes_on(
    console: Console, call: KioskPeer
) -> None:
    page = console.page
    call.send_raw("{not json")
    call.send_raw('{"type": "teleport"}')
    call.send_raw(
        '{"type": "file_begin", "id": "huge", "purpose": "capture", "name": "huge.jpg",'
        f' "mime": "image/jpeg", "size": {26 * 1024 * 1024}, "sha256": "{"0" * 64}"}}'
    )
    # A tampered transfer: the right size, but the hash announced is not of these bytes.
    call.send_raw(
        '{"type": "file_begin", "id": "tampered", "purpose": "capture", "name": "t.jpg",'
        f' "mime": "image/jpeg", "size": 4, "sha256": "{"1" * 64}"}}'
    )
    call.send_raw(b"abcd")
    call.send_raw('{"type": "file_end", "id": "tampered"}')

    await wait_for_js(page, "window.visioStats.errors.includes('file.bad_hash')", timeout=WAIT_MS)
    codes = await error_codes(page)
    for code in ("channel.bad_json", "channel.unknown_type", "file.too_large", "file.bad_hash"):
        assert code in codes or code in await page.evaluate("window.visioStats.errors")
    refusals = [await call.next_message("error") for _ in range(2)]
    assert [r.code for r in refusals] == ["channel.bad_json", "channel.unknown_type"]
    file_errors = [await call.next_message("file_error") for _ in range(2)]
    assert {(e.id, e.code) for e in file_errors} == {
        ("huge", "file.too_large"),
        ("tampered", "file.bad_hash"),
    }

    # Still working: a chat line each way.
    call.send(Chat(id="k-2", text="Vous m'entendez ?"))
    await expect(page.locator("#chat-log .citizen")).to_contain_text("Vous m'entendez ?")
    await page.get_by_label("Message to the citizen").fill("Oui.")
    await page.keyboard.press("Enter")
    assert (await call.next_message("chat")).text == "Oui."


async def test_bad_hub_messages_show_errors_and_the_queue_still_updates(console: Console) -> None:
    page = console.page
    await sign_in(console)
    await console.hub.send_raw("not json at all")
    await console.hub.send({"type": "teleport"})
    await console.hub.send_raw('{"v": 2, "type": "call_taken", "call_id": "x"}')
    await console.hub.send(
        {"type": "error", "code": "call.gone", "message": "The call was cancelled."}
    )

    await expect(page.locator("#error-list li")).to_have_count(4)
    codes = await error_codes(page)
    assert codes == [
        "signal.bad_json",
        "signal.unknown_type",
        "signal.unsupported_version",
        "call.gone",
    ]
    await console.hub.send({"type": "queue_snapshot", "calls": [WAITING_CALL], "agents": []})
    await expect(page.locator(f'li[data-call-id="{CALL_ID}"]')).to_contain_text("passport")


async def test_a_renegotiation_replaces_the_peer_connection(
    console: Console, call: KioskPeer
) -> None:
    page = console.page
    await wait_for_js(page, "window.visioStats.framesDecoded > 0", timeout=WAIT_MS)
    await call.close()  # the kiosk lost its link and rebuilds its peer connection

    again = await connect_kiosk(console)
    try:
        again.send(Chat(id="k-3", text="Me revoilà"))
        await expect(page.locator("#chat-log .citizen")).to_contain_text("Me revoilà")
        await expect(page.locator("#reconnect-banner")).to_be_hidden(timeout=WAIT_MS)
        await page.get_by_label("Message to the citizen").fill("Parfait.")
        await page.keyboard.press("Enter")
        assert (await again.next_message("chat")).text == "Parfait."
    finally:
        await again.close()


async def test_ending_a_call_reports_the_outcome_then_wrap_up_ends_on_ready(
    console: Console, call: KioskPeer
) -> None:
    page = console.page
    await page.get_by_label("Outcome").select_option("resolved")
    await page.get_by_label("Notes (private)").fill("Passeport: dossier complet.")
    await page.get_by_role("button", name="End the call").click()

    ended = await console.hub.expect("end_call")
    assert ended == {
        "v": 1,
        "type": "end_call",
        "call_id": CALL_ID,
        "outcome": "resolved",
        "notes": "Passeport: dossier complet.",
    }
    end = await call.next_message("end")
    assert end.outcome == "resolved"
    await expect(page.locator("#agent-state")).to_have_text("Wrap-up")

    await page.get_by_role("button", name="Ready for the next call").click()
    await console.hub.expect("wrap_up_done")
    await console.hub.send({"type": "agent_state", "state": "available"})
    await expect(page.locator("#agent-state")).to_have_text("Available")
    await page.get_by_role("button", name="Away").click()
    assert (await console.hub.expect("agent_state"))["state"] == "away"
