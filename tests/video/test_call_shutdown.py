"""A call ended by the agent while the kiosk shuts down still closes cleanly."""

from __future__ import annotations

import asyncio

from video.call import Call
from video.channel import End
from video.listener import CallListener
from video.settings import CallSettings, VideoFormat
from video.signaller import memory_pair
from video.state import CallState


class GoneUi(CallListener):
    """A listener whose Qt objects were deleted: every report raises, like Shiboken does."""

    def state_changed(self, state: CallState) -> None:
        raise RuntimeError("Signal source has been deleted")


async def test_an_agent_end_racing_the_shutdown_does_not_stop_the_teardown() -> None:
    kiosk_link, _hub_link = memory_pair()
    settings = CallSettings(video=VideoFormat(width=160, height=120, fps=10))
    call = Call(kiosk_link, settings, kiosk_id="kiosk-1", listener=GoneUi())
    call.start()
    # What the data channel does when the agent's "end" arrives (call.py, ChannelSession).
    call._on_end(End(outcome="resolved"))
    await asyncio.sleep(0)
    await asyncio.wait_for(call.close(), timeout=5)
    assert call.video.readyState == "ended"
