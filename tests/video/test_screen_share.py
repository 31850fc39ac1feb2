"""The screen share: masks hide what they must before a frame leaves, and fail closed."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, cast

import av
import numpy as np
import pytest
from aiortc import RTCDataChannel
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray
from pyee.asyncio import AsyncIOEventEmitter

from video.channel import (
    ChannelError,
    Pointer,
    PushUrl,
    Share,
    dump_channel_message,
    parse_channel_message,
)
from video.listener import CallListener
from video.media import SyntheticCameraTrack, ToneAudioTrack
from video.peer import PeerLink, with_candidates_everywhere
from video.receiver import FrameStats, NullAudioSink, RemoteVideo
from video.screen_share import (
    MASK_RGB,
    SCREEN_STREAM_PREFIX,
    SHARE_FPS,
    MaskReport,
    Rect,
    ScreenFrame,
    ScreenShareTrack,
    ShareBinding,
    apply_masks,
    changed_rows,
    combine,
    share_size,
)
from video.session import ChannelSession
from video.settings import CallSettings, VideoFormat

MASK_BGRA = (MASK_RGB[2], MASK_RGB[1], MASK_RGB[0], 255)


def screen(width: int = 64, height: int = 48) -> NDArray[np.uint8]:
    """A BGRA screen of distinct, non-mask pixels."""
    pixels = np.zeros((height, width, 4), np.uint8)
    pixels[..., 0] = np.arange(width, dtype=np.uint8)[None, :]
    pixels[..., 1] = 200
    pixels[..., 2] = np.arange(height, dtype=np.uint8)[:, None]
    pixels[..., 3] = 255
    return pixels


def is_mask(pixels: NDArray[Any]) -> NDArray[np.bool_]:
    return cast(NDArray[np.bool_], np.all(pixels == np.array(MASK_BGRA, np.uint8), axis=-1))


def test_a_masked_rectangle_is_exactly_the_fill_colour_and_nothing_else_changes() -> None:
    before = screen()
    after = apply_masks(before.copy(), MaskReport((Rect(10, 5, 20, 8),)))
    inside = np.zeros(after.shape[:2], bool)
    inside[5:13, 10:30] = True
    assert is_mask(after)[inside].all()
    assert (after[~inside] == before[~inside]).all()


def test_fractional_rectangles_round_outwards_and_are_clipped() -> None:
    after = apply_masks(screen(), MaskReport((Rect(9.5, 4.2, 2.0, 1.0), Rect(60, 40, 30, 30))))
    assert is_mask(after)[4:6, 9:12].all()
    assert is_mask(after)[40:, 60:].all()
    assert not is_mask(after)[:4].any()


def test_a_stale_report_hides_its_whole_region_not_just_its_rectangles() -> None:
    stale = MaskReport((Rect(0, 0, 2, 2),), fresh=False, region=Rect(20, 10, 30, 20))
    after = apply_masks(screen(), stale)
    assert is_mask(after)[10:30, 20:50].all()
    assert not is_mask(after)[0:2, 0:2].any()  # the stale rectangles are not trusted...
    assert is_mask(after).sum() == 30 * 20  # ...the whole region is hidden instead


def test_a_stale_report_without_a_region_hides_the_whole_frame() -> None:
    assert is_mask(apply_masks(screen(), MaskReport(fresh=False))).all()


def test_combined_reports_keep_every_providers_masks_and_fail_closed() -> None:
    qml = MaskReport((Rect(1, 1, 2, 2),))
    web = MaskReport(fresh=False, region=Rect(30, 0, 30, 40))
    assert combine([qml, web]).rects == (Rect(1, 1, 2, 2), Rect(30, 0, 30, 40))
    assert combine([qml, MaskReport(fresh=False)]) == MaskReport(fresh=False)


def test_rgb_frames_are_masked_too_and_other_shapes_are_refused() -> None:
    rgb = np.full((8, 8, 3), 250, np.uint8)
    apply_masks(rgb, MaskReport((Rect(0, 0, 4, 4),)))
    assert (rgb[:4, :4] == np.array(MASK_RGB, np.uint8)).all()
    with pytest.raises(ValueError, match="HxWx3"):
        apply_masks(np.zeros((8, 8), np.uint8), MaskReport())


@given(st.integers(-20, 80), st.integers(-20, 60), st.integers(0, 100), st.integers(0, 100))
def test_every_pixel_under_any_mask_is_hidden(x: int, y: int, w: int, h: int) -> None:
    after = apply_masks(screen(), MaskReport((Rect(x, y, w, h),)))
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, 64), min(y + h, 48)
    if x1 > x0 and y1 > y0:
        assert is_mask(after)[y0:y1, x0:x1].all()
    assert is_mask(after).sum() == max(x1 - x0, 0) * max(y1 - y0, 0)


def test_share_size_caps_at_720p_keeping_the_ratio() -> None:
    assert share_size(1024, 600) == (1024, 600)
    assert share_size(1920, 1080) == (1280, 720)
    assert share_size(3840, 2160) == (1280, 720)
    assert share_size(1081, 601) == (1080, 600)
    assert share_size(2560, 1600) == (1152, 720)


async def test_the_track_sends_the_masked_screen_only_while_sharing() -> None:
    track = ScreenShareTrack(fps=30)
    assert track.paused
    assert not track.sharing
    sensitive = Rect(8, 8, 16, 8)
    track.share(lambda: ScreenFrame(screen(64, 48), MaskReport((sensitive,))))
    frame = await track.recv()
    assert isinstance(frame, av.VideoFrame)
    assert (frame.width, frame.height) == (64, 48)
    sent = frame.to_ndarray(format="bgra")
    assert is_mask(sent)[8:16, 8:24].all()
    assert not is_mask(sent)[20:].any()
    assert track.frames_masked == 1
    track.stop_sharing()
    assert track.paused
    track.stop()


async def test_a_source_with_nothing_to_give_sends_a_fully_masked_frame() -> None:
    track = ScreenShareTrack(fps=30)
    track.share(lambda: ScreenFrame(screen(32, 20)))
    await track.recv()
    track.share(lambda: None)
    frame = await track.recv()
    assert (frame.width, frame.height) == (32, 20)
    assert is_mask(frame.to_ndarray(format="bgra")).all()
    track.stop()


# -- a still screen is held back ---------------------------------------------


class ScreenOnAClock:
    """A frame source, and a fake clock that the track's pacing sleeps on.

    A sleep moves the clock on at once, so a test walks through seconds of the
    share in a few milliseconds; ``grabs`` counts the slots the track drew.
    ``screen`` is what the next grab shows (``None``: nothing to show).
    """

    def __init__(self) -> None:
        self.now = 0.0
        self.grabs = 0
        self.screen: NDArray[np.uint8] | None = screen(64, 48)
        self.masks = MaskReport()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)

    def __call__(self) -> ScreenFrame | None:
        self.grabs += 1
        return None if self.screen is None else ScreenFrame(self.screen.copy(), self.masks)

    async def grabs_for_next_frame(self, track: ScreenShareTrack) -> tuple[int, av.VideoFrame]:
        """How many grabs (slots) the track's next frame took, and the frame."""
        before = self.grabs
        frame = await track.recv()
        return self.grabs - before, frame


def shared_on_a_clock(idle_fps: float | None = 1.0) -> tuple[ScreenShareTrack, ScreenOnAClock]:
    source = ScreenOnAClock()
    track = ScreenShareTrack(
        SHARE_FPS, idle_fps=idle_fps, settle_s=1.0, clock=source.clock, sleep=source.sleep
    )
    track.share(source)
    return track, source


async def settled(track: ScreenShareTrack, source: ScreenOnAClock) -> None:
    """Past the first second (sent at the full rate) and the first keep-alive after it."""
    while source.now < 1.5:
        await track.recv()
    await track.recv()


async def test_a_still_screen_is_sent_once_a_second_after_a_second_at_the_full_rate() -> None:
    track, source = shared_on_a_clock()
    times = []
    while source.now < 11.0:  # 11 s of the share, 132 grabs
        await track.recv()
        times.append(source.now)
    first_second = [t for t in times if t <= 1.0 + 1e-9]
    assert len(first_second) == SHARE_FPS  # the new picture is sharpened at the full rate
    gaps = np.diff([t for t in times if t > 1.0 + 1e-9])
    assert gaps == pytest.approx(np.ones_like(gaps))  # then a keep-alive every second
    assert len(times) <= SHARE_FPS + 11
    assert track.frames_sent == len(times)
    track.stop()


async def test_without_the_hold_a_still_screen_is_sent_at_every_slot() -> None:
    track, source = shared_on_a_clock(idle_fps=None)  # the benchmark's "before"
    while source.now < 3.0:
        grabs, _ = await source.grabs_for_next_frame(track)
        assert grabs == 1
    track.stop()


@pytest.mark.parametrize("rows", [1, 47])
async def test_a_change_goes_out_at_the_next_slot_not_after_the_keep_alive(rows: int) -> None:
    track, source = shared_on_a_clock()
    await settled(track, source)
    assert (await source.grabs_for_next_frame(track))[0] == SHARE_FPS  # held: keep-alive
    assert source.screen is not None
    source.screen[:rows, :, 1] = 17  # a caret's rows, or most of the screen
    grabs, frame = await source.grabs_for_next_frame(track)
    assert grabs == 1
    assert (frame.to_ndarray(format="bgra")[:rows, :, 1] == 17).all()
    # A large change is sharpened for a second at the full rate; a small one is not.
    grabs, _ = await source.grabs_for_next_frame(track)
    assert grabs == (1 if rows >= 0.2 * 48 else SHARE_FPS)
    track.stop()


async def test_a_mask_that_appears_on_a_still_screen_goes_out_at_the_next_slot() -> None:
    track, source = shared_on_a_clock()
    await settled(track, source)
    source.masks = MaskReport((Rect(8, 8, 16, 8),))  # the pixels do not change
    grabs, frame = await source.grabs_for_next_frame(track)
    assert grabs == 1
    assert is_mask(frame.to_ndarray(format="bgra"))[8:16, 8:24].all()
    assert track.frames_masked == 1
    source.masks = MaskReport()  # ...and it goes away as promptly
    grabs, frame = await source.grabs_for_next_frame(track)
    assert grabs == 1
    assert not is_mask(frame.to_ndarray(format="bgra")).any()
    track.stop()


async def test_a_screen_gone_still_sends_its_blank_frame_at_the_next_slot() -> None:
    track, source = shared_on_a_clock()
    await settled(track, source)
    source.screen = None
    grabs, frame = await source.grabs_for_next_frame(track)
    assert grabs == 1
    assert (frame.width, frame.height) == (64, 48)
    assert is_mask(frame.to_ndarray(format="bgra")).all()
    track.stop()


async def test_a_new_share_of_the_same_screen_starts_with_a_frame_at_once() -> None:
    track, source = shared_on_a_clock()
    await settled(track, source)
    track.stop_sharing()
    track.share(source)
    assert (await source.grabs_for_next_frame(track))[0] == 1
    track.stop()


@given(st.sets(st.integers(0, 47), max_size=48))
def test_changed_rows_counts_exactly_the_rows_that_differ(rows: set[int]) -> None:
    before = screen(64, 48)
    after = before.copy()
    for row in rows:
        after[row, row % 64, 0] ^= 0xFF
    assert changed_rows(before, after) == len(rows)
    assert changed_rows(None, after) == 48
    assert changed_rows(before[:, :32], after) == 48


# -- the data channel ---------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        Share(on=True, title="Impôts — déclaration", url="https://impots.example/declarer"),
        Share(on=False),
        Pointer(x=0.25, y=1.0),
        PushUrl(id="u1", url="https://impots.example/aide"),
    ],
)
def test_share_messages_round_trip(message: Any) -> None:
    assert parse_channel_message(dump_channel_message(message)) == message


@given(st.floats(0, 1), st.floats(0, 1))
def test_any_pointer_inside_the_frame_round_trips(x: float, y: float) -> None:
    pointer = Pointer(x=x, y=y)
    assert parse_channel_message(dump_channel_message(pointer)) == pointer


@pytest.mark.parametrize(
    "raw",
    [
        '{"type": "pointer", "x": 1.5, "y": 0.2}',
        '{"type": "pointer", "x": -0.1, "y": 0.2}',
        '{"type": "pointer", "x": "0.5", "y": 0.2}',
        '{"type": "push_url", "id": "u", "url": "javascript:alert(1)"}',
        '{"type": "push_url", "id": "u", "url": "https://a.example/ b"}',
        '{"type": "share", "on": true, "url": "file:///etc/passwd"}',
    ],
)
def test_bad_share_messages_are_refused(raw: str) -> None:
    with pytest.raises(ChannelError) as caught:
        parse_channel_message(raw)
    assert caught.value.code == "channel.invalid"


def test_integer_coordinates_are_accepted() -> None:
    assert parse_channel_message('{"type": "pointer", "x": 0, "y": 1}') == Pointer(x=0, y=1)


class FakeChannel(AsyncIOEventEmitter):
    """An open data channel that keeps what the kiosk sends."""

    def __init__(self) -> None:
        super().__init__()
        self.readyState = "open"
        self.sent: list[dict[str, Any]] = []

    def send(self, data: str) -> None:
        self.sent.append(json.loads(data))

    def receive(self, message: Any) -> None:
        self.emit("message", dump_channel_message(message))


class ShareRecorder:
    def __init__(self, allowed_prefix: str) -> None:
        self.allowed_prefix = allowed_prefix
        self.pointers: list[tuple[float, float]] = []
        self.opened: list[str] = []

    def binding(self) -> ShareBinding:
        return ShareBinding(
            source=lambda: None,
            title="Demande de passeport",
            url="https://passeport.example/etape-2",
            allows_url=lambda url: url.startswith(self.allowed_prefix),
            open_url=self.opened.append,
            show_pointer=lambda x, y: self.pointers.append((x, y)),
        )


async def test_the_session_answers_pointer_and_pushed_addresses_only_while_sharing() -> None:
    session = ChannelSession(CallListener())
    channel = FakeChannel()
    session.attach(cast(RTCDataChannel, channel))
    recorder = ShareRecorder("https://passeport.example/")

    channel.receive(Pointer(x=0.5, y=0.5))
    channel.receive(PushUrl(id="u1", url="https://passeport.example/aide"))
    assert [m["code"] for m in channel.sent] == ["pointer.not_sharing", "push_url.not_sharing"]
    channel.sent.clear()

    session.set_share(recorder.binding())
    assert channel.sent == [
        {
            "type": "share",
            "on": True,
            "title": "Demande de passeport",
            "url": "https://passeport.example/etape-2",
        }
    ]
    channel.receive(Pointer(x=0.1, y=0.9))
    channel.receive(PushUrl(id="u2", url="https://passeport.example/aide"))
    channel.receive(PushUrl(id="u3", url="https://evil.example/phish"))
    assert recorder.pointers == [(0.1, 0.9)]
    assert recorder.opened == ["https://passeport.example/aide"]
    assert channel.sent[-1]["type"] == "error"
    assert channel.sent[-1]["code"] == "push_url.refused"

    # A fresh channel after a reconnection hears about the share again when it opens.
    fresh = FakeChannel()
    session.attach(cast(RTCDataChannel, fresh))
    fresh.emit("open")
    assert fresh.sent[0]["type"] == "share"
    assert fresh.sent[0]["on"] is True
    session.set_share(None)
    assert fresh.sent[-1] == {"type": "share", "on": False}
    await session.close()


async def test_the_share_has_its_own_send_only_video_section_in_every_offer() -> None:
    settings = CallSettings(video=VideoFormat(width=160, height=120, fps=10))
    remote = RemoteVideo(FrameStats(), stale_ms=500, on_frame=lambda _: None, on_media=lambda: None)
    share = ScreenShareTrack()
    links = []
    for _ in range(2):  # the first connection and a recovery's fresh one
        link = PeerLink(
            settings,
            video=SyntheticCameraTrack(settings.video),
            audio=ToneAudioTrack(),
            remote_video=remote,
            audio_sink=NullAudioSink(),
            on_media=lambda: None,
            screen=share,
        )
        links.append(link)
        try:
            sdp = await link.offer()
        finally:
            await link.close()
        sections = ["m=" + s for s in sdp.split("\r\nm=")[1:]]
        videos = [s for s in sections if s.startswith("m=video")]
        assert len(videos) == 2
        assert "a=sendrecv" in videos[0]
        assert "a=sendonly" in videos[1]
        msid = re.search(r"^a=msid:(\S+) ", videos[1], re.MULTILINE)
        assert msid is not None
        assert msid.group(1).startswith(SCREEN_STREAM_PREFIX)
    assert share.readyState == "live"  # the connections' taps stopped, not the share
    share.stop()


BUNDLED_ANSWER = (
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1 2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 97\r\na=mid:0\r\na=ice-ufrag:u\r\n"
    "a=candidate:1 1 udp 1 127.0.0.1 5000 typ relay\r\na=end-of-candidates\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 97\r\na=mid:1\r\na=ice-ufrag:u\r\n"
    "m=audio 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\n"
)


def test_a_bundled_answers_candidates_reach_every_section_of_the_shared_transport() -> None:
    patched = with_candidates_everywhere(BUNDLED_ANSWER)
    sections = patched.split("\r\nm=")
    assert sections[0] == BUNDLED_ANSWER.split("\r\nm=", maxsplit=1)[0]
    assert sections[1] == BUNDLED_ANSWER.split("\r\nm=")[1]  # already had them
    assert sections[2].endswith(
        "a=candidate:1 1 udp 1 127.0.0.1 5000 typ relay\r\na=end-of-candidates"
    )
    assert "a=candidate" not in sections[3]  # a rejected section (port 0) stays as it was
    assert patched.endswith("\r\n")
    assert with_candidates_everywhere(patched) == patched
    no_candidates = BUNDLED_ANSWER.replace("a=candidate:1 1 udp 1 127.0.0.1 5000 typ relay\r\n", "")
    assert with_candidates_everywhere(no_candidates) == no_candidates
