"""The call as the citizen sees it: phases, honest waits, captions, and a clean wipe."""

from __future__ import annotations

from datetime import UTC, datetime

from kiosk.call_desk import (
    MAX_CAPTIONS,
    MAX_CHAT_CHARS,
    CallDesk,
    CallPhase,
    CallView,
    Pushed,
    chat_text,
)
from kiosk.config import VideoSection


def test_a_call_goes_from_queue_to_connected_to_ended() -> None:
    seen: list[CallView] = []
    desk = CallDesk(on_change=seen.append)
    desk.requesting(share_context=True)
    desk.queued(position=3, estimated_wait_s=130)
    assert (desk.view.phase, desk.view.position, desk.view.wait_minutes) == (
        CallPhase.QUEUED,
        3,
        3,
    )
    desk.accepted("Julie")
    desk.connected()
    assert desk.view.phase is CallPhase.CONNECTED
    assert desk.view.agent_name == "Julie"
    assert desk.in_call
    desk.ended("resolved")
    assert desk.view.phase is CallPhase.ENDED
    assert not desk.in_call
    assert seen[-1] == desk.view
    assert len(seen) == 5


def test_a_short_wait_reads_as_one_minute_and_no_estimate_as_none() -> None:
    desk = CallDesk()
    desk.requesting(share_context=False)
    desk.queued(position=1, estimated_wait_s=20)
    assert desk.view.wait_minutes == 1
    desk.queued(position=1, estimated_wait_s=0)
    assert desk.view.wait_minutes == 0


def test_late_queue_updates_do_not_pull_a_connected_call_back() -> None:
    desk = CallDesk()
    desk.requesting(share_context=False)
    desk.accepted("Julie")
    desk.connected()
    desk.queued(position=2, estimated_wait_s=60)
    assert desk.view.phase is CallPhase.CONNECTED


def test_reconnecting_only_from_a_live_call_and_back() -> None:
    desk = CallDesk()
    desk.reconnecting()
    assert desk.view.phase is CallPhase.IDLE
    desk.requesting(share_context=False)
    desk.accepted("Julie")
    desk.connected()
    desk.reconnecting()
    assert desk.view.phase is CallPhase.RECONNECTING
    assert desk.in_call
    desk.connected()
    assert desk.view.phase is CallPhase.CONNECTED


def test_captions_keep_only_the_last_lines() -> None:
    desk = CallDesk()
    for n in range(MAX_CAPTIONS + 5):
        desk.caption("agent", f"line {n}")
    assert len(desk.view.captions) == MAX_CAPTIONS
    assert desk.view.captions[-1].text == f"line {MAX_CAPTIONS + 4}"


def test_a_callback_is_offered_then_booked() -> None:
    desk = CallDesk()
    slot = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    desk.requesting(share_context=False)
    desk.callback_offered("closed", (slot,))
    assert desk.view.phase is CallPhase.CALLBACK
    assert desk.view.callback_slots == (slot,)
    desk.callback_booked(slot, "CB-7F3K9Q")
    assert desk.view.phase is CallPhase.CALLBACK_BOOKED
    desk.ended("citizen_left")  # the hub closing the request does not hide the booking
    assert desk.view.phase is CallPhase.CALLBACK_BOOKED


def test_the_wipe_forgets_everything_of_the_call() -> None:
    desk = CallDesk()
    desk.requesting(share_context=True)
    desk.accepted("Julie")
    desk.connected()
    desk.caption("agent", "Votre numéro de dossier est 123")
    desk.pushed(Pushed(kind="qr", title="Formulaire", url="https://example.org/f"))
    desk.muted(microphone=True, camera=False)
    desk.wipe()
    assert desk.view == CallView()


def test_chat_lines_are_trimmed_and_bounded() -> None:
    assert chat_text("   ") is None
    assert chat_text("  bonjour \n  madame ") == "bonjour madame"
    assert chat_text("x" * (MAX_CHAT_CHARS + 10)) == "x" * MAX_CHAT_CHARS


def test_the_hub_url_follows_the_back_end_unless_set() -> None:
    assert VideoSection().hub_for("https://agency.example/") == "wss://agency.example/ws/kiosk"
    assert VideoSection().hub_for("http://127.0.0.1:8765") == "ws://127.0.0.1:8765/ws/kiosk"
    custom = VideoSection(hub_url="wss://hub.example/ws/kiosk")
    assert custom.hub_for("http://127.0.0.1:8765") == "wss://hub.example/ws/kiosk"
