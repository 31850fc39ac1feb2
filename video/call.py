"""The kiosk's video call: signalling, one peer connection at a time, and the UI's view.

Lifecycle: :meth:`Call.request` sends ``call_request``; the hub answers with
``queue_position`` updates or a ``callback_offer``; on ``call_accepted`` the
kiosk offers (it is always the offerer) and a :class:`LinkSupervisor` keeps
the media up until ``hangup`` (either side) or the agent's ``end`` on the data
channel. Every state change goes to :meth:`CallListener.state_changed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime

from aiortc.mediastreams import MediaStreamTrack

from peripherals.printer.protocol import Printer
from video.channel import Chat, End, Quality, QualityLevel
from video.listener import CallListener
from video.media import PacedAudioTrack, PacedVideoTrack, SyntheticCameraTrack, ToneAudioTrack
from video.peer import PeerLink, settle_turn_allocations
from video.prepared import OfferPreparation
from video.quality import QualityController
from video.receiver import AudioSink, FrameStats, NullAudioSink, RemoteFrame, RemoteVideo
from video.screen_share import ScreenShareTrack, ShareBinding
from video.session import ChannelSession
from video.settings import CallSettings
from video.signaling import (
    Answer,
    BookCallback,
    CallAccepted,
    CallbackBooked,
    CallbackOffer,
    CallContext,
    CallRequest,
    CancelCall,
    ErrorMessage,
    Hangup,
    HangupOutcome,
    Offer,
    QueuePosition,
    SignalMessage,
)
from video.signaller import Signaller
from video.state import IDLE, CallState, Phase
from video.stills import StillSource
from video.supervisor import LinkSupervisor

_log = logging.getLogger(__name__)
_LIVE = (Phase.CONNECTING, Phase.CONNECTED, Phase.RECONNECTING)


class Call:
    """The kiosk's call to an agent; reusable for the next citizen once ended.

    Use it as an async context manager (or :meth:`start` / :meth:`close`): it
    reads the signaller for as long as it lives. ``video`` defaults to the
    synthetic camera at ``settings.video``; ``audio`` to a quiet tone when
    ``settings.send_audio``.
    """

    def __init__(
        self,
        signaller: Signaller,
        settings: CallSettings,
        *,
        kiosk_id: str,
        listener: CallListener | None = None,
        video: PacedVideoTrack | None = None,
        audio: PacedAudioTrack | None = None,
        audio_sink: AudioSink | None = None,
        stills: StillSource | None = None,
        printer: Printer | None = None,
        screen: ScreenShareTrack | None = None,
    ) -> None:
        self._signaller = signaller
        self.settings = settings
        self._kiosk_id = kiosk_id
        self._listener = listener or CallListener()
        self.video = video or SyntheticCameraTrack(settings.video)
        self.audio = audio if audio is not None or not settings.send_audio else ToneAudioTrack()
        self.audio_sink = audio_sink or NullAudioSink()
        # Always negotiated (no renegotiation to start sharing); idle, it sends nothing.
        self.screen = screen or ScreenShareTrack()
        self.stats = FrameStats()
        self.state: CallState = IDLE
        self._remote = RemoteVideo(
            self.stats,
            stale_ms=settings.stale_frame_ms,
            on_frame=self._listener.remote_frame,
            on_media=self._note_traffic,
        )
        self.quality = QualityController(settings, self.video, self.audio, self._announce)
        self.session = ChannelSession(
            self._listener,
            stills=stills,
            printer=printer,
            on_end=self._on_end,
            on_traffic=self._note_traffic,
            on_remote_quality=self._on_remote_quality,
        )
        self._stills = stills
        self.supervisor: LinkSupervisor | None = None
        self.preparation = OfferPreparation(self._make_link)
        self._media_task: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._end_task: asyncio.Task[None] | None = None
        self._stills_task: asyncio.Task[None] | None = None

    # -- lifetime ---------------------------------------------------------

    async def __aenter__(self) -> Call:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def start(self) -> None:
        """Start reading signalling messages."""
        if self._reader is None:
            self._reader = asyncio.get_running_loop().create_task(self._read_signals())

    async def suspend(self) -> None:
        """End any call silently and stop reading signalling; :meth:`start` resumes.

        The local tracks stay usable: the kiosk stops its background work this
        way when its loop stops running (no task may outlive it).
        """
        if self._end_task is not None:
            try:
                await self._end_task
            except Exception:
                # The agent's end raced a shutdown (the UI it reports to is gone):
                # the teardown below must still run, or media and TURN leak.
                _log.warning("ending the call failed during shutdown", exc_info=True)
            self._end_task = None
        await self._stop_media()  # also discards an offer prepared while queued
        await self.session.close()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except asyncio.CancelledError:
                pass
            except Exception:
                # A message handled as the UI went away (its listener raised): the
                # reader is over either way, and the teardown must go on.
                _log.warning("the signalling reader failed during shutdown", exc_info=True)
            self._reader = None
        await settle_turn_allocations()

    async def close(self) -> None:
        """End any call silently, stop reading signalling, stop the local tracks."""
        await self.suspend()
        self.video.stop()
        self.screen.stop()
        if self.audio is not None:
            self.audio.stop()
        await self.audio_sink.close()

    # -- what the UI does -------------------------------------------------

    async def request(
        self,
        language: str,
        *,
        service_id: str | None = None,
        reason: str | None = None,
        context: CallContext | None = None,
    ) -> None:
        """Ask for an agent (from idle or after a previous call ended)."""
        if self.state.phase not in (Phase.IDLE, Phase.ENDED):
            raise RuntimeError(f"a call is already {self.state.phase}")
        message = CallRequest.model_validate(
            {
                "kiosk_id": self._kiosk_id,
                "language": language,
                "service_id": service_id,
                "reason": reason,
                "context": context,
            }
        )
        self.stats.reset()
        self.quality.set_level(QualityLevel.FULL, "new_call")
        self._set(CallState(Phase.REQUESTING))
        await self._signaller.send(message)

    async def cancel(self) -> None:
        """Leave the queue (or decline the callback offer)."""
        if self.state.call_id is not None and self.state.phase not in _LIVE:
            await self._signaller.send(CancelCall(call_id=self.state.call_id))
        await self.preparation.discard()
        self._set(CallState(Phase.ENDED, self.state.call_id, outcome="cancelled"))

    async def book_callback(self, slot: datetime, phone: str) -> None:
        """Book one of the offered callback slots."""
        if self.state.phase is not Phase.CALLBACK_OFFERED or self.state.call_id is None:
            raise RuntimeError("no callback was offered")
        await self._signaller.send(BookCallback(call_id=self.state.call_id, slot=slot, phone=phone))

    async def hang_up(self, outcome: HangupOutcome = HangupOutcome.CITIZEN_LEFT) -> None:
        """End the call from the kiosk."""
        call_id = self.state.call_id
        await self._stop_media()
        if call_id is not None:
            with contextlib.suppress(ConnectionError):
                await self._signaller.send(Hangup(call_id=call_id, outcome=outcome))
        self._set(CallState(Phase.ENDED, call_id, outcome=outcome.value))

    def send_chat(self, text: str) -> Chat:
        """Send a chat line; raises ``ConnectionError`` when the channel is not open."""
        return self.session.send_chat(text)

    def mute_microphone(self, muted: bool) -> None:
        """Stop (or resume) sending the microphone."""
        self.quality.microphone_muted = muted
        self.quality.apply()

    def mute_camera(self, muted: bool) -> None:
        """Stop (or resume) sending the face camera."""
        self.quality.camera_muted = muted
        self.quality.apply()

    def start_share(self, binding: ShareBinding) -> None:
        """Share a screen with the agent (masked by its source); replaces any previous share."""
        self.screen.share(binding.source)
        self.session.set_share(binding)

    def stop_share(self) -> None:
        """Stop sharing the screen; the agent is told."""
        was_sharing = self.session.share is not None
        self.screen.stop_sharing()
        if was_sharing:
            self.session.set_share(None)

    @property
    def sharing(self) -> bool:
        """Whether the screen is shared now."""
        return self.session.share is not None

    def frames(self) -> AsyncIterator[RemoteFrame]:
        """The agent's video: the latest fresh frame each time one arrives."""
        return self._remote.frames()

    @property
    def latest_frame(self) -> RemoteFrame | None:
        """The last fresh frame of the agent's video, if any."""
        return self._remote.latest

    # -- signalling -------------------------------------------------------

    async def _read_signals(self) -> None:
        async for message in self._signaller.messages():
            try:
                await self._on_signal(message)
            except ConnectionError as err:
                _log.info("signalling send failed: %s", err)

    async def _on_signal(self, message: SignalMessage) -> None:
        state = self.state
        if getattr(message, "call_id", state.call_id) not in (state.call_id, None) and (
            state.call_id is not None
        ):
            _log.info("ignored %s for another call", message.type)
            return
        match message:
            case QueuePosition() if state.phase in (Phase.REQUESTING, Phase.QUEUED):
                self.preparation.start()  # the first offer, ready when an agent accepts
                self._set(
                    CallState(
                        Phase.QUEUED, message.call_id, message.position, message.estimated_wait_s
                    )
                )
            case CallbackOffer() if state.phase in (Phase.REQUESTING, Phase.QUEUED):
                await self.preparation.discard()
                self._set(
                    CallState(
                        Phase.CALLBACK_OFFERED,
                        message.call_id,
                        slots=tuple(message.slots),
                        callback_reason=message.reason,
                    )
                )
            case CallbackBooked():
                self._set(
                    CallState(
                        Phase.ENDED,
                        message.call_id,
                        outcome="callback_booked",
                        callback_slot=message.slot,
                        callback_reference=message.reference,
                    )
                )
            case CallAccepted() if state.phase in (Phase.REQUESTING, Phase.QUEUED):
                self._set(
                    CallState(Phase.CONNECTING, message.call_id, agent_name=message.agent_name)
                )
                self._start_media(message.call_id)
            case Answer() if self.supervisor is not None:
                self.supervisor.deliver_answer(message.sdp)
            case Hangup() if state.phase is not Phase.ENDED:
                await self._stop_media()
                self._set(replace(self.state, phase=Phase.ENDED, outcome=message.outcome.value))
            case ErrorMessage():
                _log.warning("the hub refused a message: %s", message.code)
                if state.phase is Phase.REQUESTING:
                    await self.preparation.discard()
                    self._set(CallState(Phase.ENDED, outcome=message.code))
            case _:
                _log.info("ignored %s in %s", message.type, state.phase)

    # -- media ------------------------------------------------------------

    def _start_media(self, call_id: str) -> None:
        async def send_offer(sdp: str) -> None:
            await self._signaller.send(Offer(call_id=call_id, sdp=sdp))

        self.supervisor = LinkSupervisor(
            self.settings,
            make_link=self._make_link,
            send_offer=send_offer,
            session=self.session,
            quality=self.quality,
            stats=self.stats,
            on_link_state=self._on_link_state,
            preparation=self.preparation,
        )
        self._media_task = asyncio.get_running_loop().create_task(self.supervisor.run())

    def _make_link(self) -> PeerLink:
        audio: MediaStreamTrack | None = self.audio
        return PeerLink(
            self.settings,
            video=self.video,
            audio=audio,
            remote_video=self._remote,
            audio_sink=self.audio_sink,
            on_media=self._note_traffic,
            screen=self.screen,
        )

    async def _stop_media(self) -> None:
        task, self._media_task = self._media_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.supervisor is not None:
            await self.supervisor.wait_closed()
        await self.preparation.discard()
        self.stop_share()  # a share never outlives its call
        self.session.detach()
        warming, self._stills_task = self._stills_task, None
        if warming is not None:
            await asyncio.gather(warming, return_exceptions=True)
        if self._stills is not None:
            await self._stills.release()

    def _on_link_state(self, connected: bool, attempt: int) -> None:
        phase = Phase.CONNECTED if connected else Phase.RECONNECTING
        if self.state.phase in _LIVE:
            self._set(replace(self.state, phase=phase, attempt=attempt))
        if connected:
            self._warm_stills()

    def _warm_stills(self) -> None:
        """Have the document camera watching: the agent may ask for a page at any moment.

        Once the link is up, not at the accept: opening a 4K camera would take
        the processor the call's setup needs.
        """
        if self._stills is None or self._stills_task is not None or self._media_task is None:
            return
        self._stills_task = asyncio.get_running_loop().create_task(self._stills.ready())

    def _on_end(self, end: End) -> None:
        # The agent ended the call (the hub was told by the console): just tear down.
        self._end_task = asyncio.get_running_loop().create_task(self._ended_by_agent(end))

    async def _ended_by_agent(self, end: End) -> None:
        await self._stop_media()
        self._set(replace(self.state, phase=Phase.ENDED, outcome=end.outcome, notes=end.notes))

    def _on_remote_quality(self, level: QualityLevel) -> None:
        if self.supervisor is not None:
            self.supervisor.remote_level = level

    def _note_traffic(self) -> None:
        if self.supervisor is not None:
            self.supervisor.note_traffic()

    def _announce(self, level: QualityLevel, reason: str) -> None:
        self.session.send(Quality(level=level, reason=reason[:200]))
        self._listener.local_quality(level, reason)

    def _set(self, state: CallState) -> None:
        self.state = state
        self._listener.state_changed(state)
