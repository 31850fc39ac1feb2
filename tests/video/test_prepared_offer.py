"""The first offer is made while the citizen waits in line, and sent as soon as an agent accepts."""

from __future__ import annotations

import pytest

import video.prepared
from tests.video.agent_peer import eventually
from video.call import Call
from video.media import SyntheticCameraTrack
from video.peer import PeerLink
from video.prepared import OfferPreparation
from video.receiver import FrameStats, NullAudioSink, RemoteVideo
from video.settings import CallSettings, VideoFormat
from video.signaling import CallAccepted, CallRequest, CancelCall, Offer, QueuePosition
from video.signaller import MemorySignaller, memory_pair
from video.state import Phase

SMALL = VideoFormat(width=320, height=240, fps=15)
SETTINGS = CallSettings(video=SMALL, adapt=False)  # host candidates only: no relay needed


class LinkFactory:
    """Builds real peer links and remembers them, to see which were closed."""

    def __init__(self) -> None:
        self.links: list[PeerLink] = []
        self._remote = RemoteVideo(
            FrameStats(), stale_ms=1000, on_frame=lambda f: None, on_media=lambda: None
        )

    def __call__(self) -> PeerLink:
        link = PeerLink(
            SETTINGS,
            video=SyntheticCameraTrack(SMALL),
            audio=None,
            remote_video=self._remote,
            audio_sink=NullAudioSink(),
            on_media=lambda: None,
        )
        self.links.append(link)
        return link


async def test_a_prepared_offer_is_handed_over_once() -> None:
    factory = LinkFactory()
    preparation = OfferPreparation(factory)
    preparation.start()
    preparation.start()  # already in preparation: no second link
    prepared = await preparation.take(timeout_s=10)
    assert prepared is not None
    assert "m=video" in prepared.sdp
    assert "m=application" in prepared.sdp
    assert len(factory.links) == 1
    assert not factory.links[0].failed.is_set()
    assert await preparation.take(timeout_s=1) is None  # taken once
    await prepared.link.close()


async def test_a_stale_offer_is_closed_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    factory = LinkFactory()
    preparation = OfferPreparation(factory)
    preparation.start()
    await eventually(lambda: preparation.ready is not None, what="the offer")
    monkeypatch.setattr(video.prepared, "PREPARED_MAX_AGE_S", 0.0)
    assert await preparation.take(timeout_s=1) is None
    assert factory.links[0].failed.is_set()  # closed: its TURN allocation is released


async def test_a_discarded_preparation_closes_its_link_even_mid_gathering() -> None:
    factory = LinkFactory()
    preparation = OfferPreparation(factory)
    preparation.start()
    await preparation.discard()
    assert preparation.ready is None
    assert all(link.failed.is_set() for link in factory.links)
    assert await preparation.take(timeout_s=1) is None


async def _next(hub: MemorySignaller, kind: type[object]) -> object:
    async for message in hub.messages():
        if isinstance(message, kind):
            return message
    raise AssertionError(f"no {kind.__name__}")


async def test_the_call_sends_the_offer_it_prepared_while_queued() -> None:
    kiosk_link, hub = memory_pair()
    async with Call(kiosk_link, SETTINGS, kiosk_id="kiosk-1") as call:
        await call.request("fr")
        request = await _next(hub, CallRequest)
        assert isinstance(request, CallRequest)
        await hub.send(QueuePosition(call_id="c1", position=3, estimated_wait_s=120))
        await eventually(lambda: call.preparation.ready is not None, what="the prepared offer")
        ready = call.preparation.ready
        assert ready is not None

        await hub.send(CallAccepted(call_id="c1", agent_name="Alex"))
        offer = await _next(hub, Offer)
        assert isinstance(offer, Offer)
        assert offer.sdp == ready.sdp  # no second gathering after the accept
        assert call.state.phase is Phase.CONNECTING
        await call.hang_up()


async def test_leaving_the_line_releases_the_prepared_offer() -> None:
    kiosk_link, hub = memory_pair()
    async with Call(kiosk_link, SETTINGS, kiosk_id="kiosk-1") as call:
        await call.request("en")
        await _next(hub, CallRequest)
        await hub.send(QueuePosition(call_id="c2", position=1, estimated_wait_s=30))
        await eventually(lambda: call.preparation.ready is not None, what="the prepared offer")
        ready = call.preparation.ready
        assert ready is not None

        await call.cancel()
        assert isinstance(await _next(hub, CancelCall), CancelCall)
        assert ready.link.failed.is_set()
        assert call.preparation.ready is None
