"""A cut link comes back by itself: kiosk -> fault proxy -> coturn <- agent."""

from __future__ import annotations

import asyncio

from tests.video.agent_peer import AgentPeer, eventually, running
from video.call import Call
from video.channel import Chat
from video.listener import CallListener
from video.netfault import UdpFaultProxy
from video.settings import CallSettings, VideoFormat
from video.signaller import memory_pair
from video.state import CallState, Phase
from video.turnserver import TurnServer

SMALL = VideoFormat(width=320, height=240, fps=15)
CUT_S = 10.0
NORMAL_LATENCY_MS = 150


class Phases(CallListener):
    def __init__(self) -> None:
        self.phases: list[Phase] = []

    def state_changed(self, state: CallState) -> None:
        self.phases.append(state.phase)


async def test_the_call_recovers_after_a_ten_second_cut(coturn: TurnServer) -> None:
    async with UdpFaultProxy(("127.0.0.1", coturn.port)) as proxy:
        kiosk_settings = CallSettings(
            ice_servers=[coturn.ice_server(port=proxy.address[1])],  # through the proxy
            relay_only=True,
            video=SMALL,
            adapt=False,
            connect_timeout_s=6.0,
        )
        agent_settings = kiosk_settings.model_copy(update={"ice_servers": [coturn.ice_server()]})
        kiosk_link, hub_link = memory_pair()
        listener = Phases()
        agent = AgentPeer(hub_link, agent_settings, SMALL)
        call = Call(kiosk_link, kiosk_settings, kiosk_id="kiosk-1", listener=listener)
        call.stats.latencies_ms = []
        async with running(agent), call:
            await call.request("fr")
            await eventually(lambda: call.stats.frames_decoded >= 15, what="first frames")
            await eventually(lambda: agent.stats.frames_decoded >= 15, what="agent frames")

            proxy.set(cut=True)
            # The watchdog notices by frame age, not by the connection state.
            await eventually(lambda: call.state.phase is Phase.RECONNECTING, what="reconnecting")
            await asyncio.sleep(CUT_S)
            proxy.set(cut=False)
            cut_ended_with = call.stats.frames_decoded
            agent_before = agent.stats.frames_decoded

            await eventually(
                lambda: call.state.phase is Phase.CONNECTED, timeout_s=60, what="reconnected"
            )
            await eventually(
                lambda: call.stats.frames_decoded >= cut_ended_with + 30,
                timeout_s=60,
                what="frames after the cut",
            )
            await eventually(
                lambda: agent.stats.frames_decoded >= agent_before + 30,
                timeout_s=60,
                what="agent frames after the cut",
            )
            assert call.supervisor is not None
            assert call.supervisor.renegotiations >= 1
            assert agent.offers >= 2  # renegotiated with a fresh offer, same call
            assert Phase.RECONNECTING in listener.phases

            # Latency is back to normal on both sides: no stale backlog is shown.
            assert call.stats.latencies_ms is not None
            assert agent.stats.latencies_ms is not None
            assert max(call.stats.latencies_ms[-10:]) < NORMAL_LATENCY_MS
            assert max(agent.stats.latencies_ms[-10:]) < NORMAL_LATENCY_MS

            # And the new data channel works.
            await eventually(lambda: call.session.is_open, what="channel open")
            call.send_chat("toujours là ?")
            await eventually(
                lambda: any(
                    isinstance(m, Chat) and m.text == "toujours là ?" for m in agent.received
                ),
                what="chat after recovery",
            )
            await call.hang_up()
