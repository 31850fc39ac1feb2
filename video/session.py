"""The kiosk's side of the ``visio`` data channel: chat, captures, prints, pushes, quality.

One :class:`ChannelSession` lives as long as the call; the channel under it is
replaced on every renegotiation (:meth:`attach`). Every frame received is
validated; a bad one is answered with ``error`` and dropped, so nothing the
agent's console sends can crash the kiosk.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

from aiortc import RTCDataChannel

from peripherals.printer.errors import PrinterError
from peripherals.printer.protocol import Printer
from video.channel import (
    CaptureRequest,
    ChannelError,
    ChannelErrorMessage,
    ChannelMessage,
    Chat,
    Curtain,
    End,
    FileBegin,
    FileEnd,
    FileError,
    Pointer,
    PrintDone,
    Push,
    PushUrl,
    Quality,
    QualityLevel,
    Share,
    dump_channel_message,
    parse_channel_message,
)
from video.listener import CallListener
from video.screen_share import ShareBinding
from video.stills import StillError, StillSource
from video.transfer import FileReceiver, TransferError, send_file

_log = logging.getLogger(__name__)
_ids = itertools.count(1)
_SHARE_URL = re.compile(r"^https?://\S{1,2000}$")


class ChannelSession:
    """Speaks the data-channel protocol for the kiosk over the current channel.

    ``on_end`` is called with the agent's ``end`` message; ``on_traffic`` on any
    frame received (the watchdog counts it as a sign of life);
    ``on_remote_quality`` when the agent changes what it sends (the watchdog
    stops expecting video when the agent goes audio-only).
    """

    def __init__(
        self,
        listener: CallListener,
        *,
        stills: StillSource | None = None,
        printer: Printer | None = None,
        on_end: Callable[[End], None] = lambda end: None,
        on_traffic: Callable[[], None] = lambda: None,
        on_remote_quality: Callable[[QualityLevel], None] = lambda level: None,
    ) -> None:
        self._listener = listener
        self._stills = stills
        self._printer = printer
        self._on_end = on_end
        self._on_traffic = on_traffic
        self._on_remote_quality = on_remote_quality
        self._channel: RTCDataChannel | None = None
        self._receiver = FileReceiver()
        self._tasks: set[asyncio.Task[None]] = set()
        self._share: ShareBinding | None = None

    # -- screen share -----------------------------------------------------

    @property
    def share(self) -> ShareBinding | None:
        """What the kiosk shares now (its pointer and pushed-address handlers), if anything."""
        return self._share

    def set_share(self, binding: ShareBinding | None) -> None:
        """Start (``binding``) or stop (``None``) answering ``pointer`` and ``push_url``;
        the agent is told with a ``share`` message."""
        self._share = binding
        self._announce_share()

    def _announce_share(self) -> None:
        binding = self._share
        if binding is None:
            self.send(Share(on=False))
        else:
            # Context only: a title too long is cut, an address the schema refuses
            # (about:blank, a file) is left out rather than stopping the share.
            url = binding.url if binding.url and _SHARE_URL.match(binding.url) else None
            self.send(Share(on=True, title=(binding.title or "")[:200] or None, url=url))

    # -- channel lifecycle ------------------------------------------------

    def attach(self, channel: RTCDataChannel) -> None:
        """Use ``channel`` from now on (a fresh peer connection brings a fresh one)."""
        self.detach()
        self._channel = channel
        channel.on("message", self._on_message)
        channel.on("open", self._on_open)

    def detach(self) -> None:
        """Forget the current channel; a transfer half received is dropped."""
        if self._channel is not None:
            self._channel.remove_listener("message", self._on_message)
            self._channel.remove_listener("open", self._on_open)
            self._channel = None
        self._receiver.abort()

    @property
    def is_open(self) -> bool:
        """Whether a message sent now would go out."""
        return self._channel is not None and self._channel.readyState == "open"

    async def close(self) -> None:
        """Detach and cancel captures and prints in progress."""
        self.detach()
        tasks, self._tasks = list(self._tasks), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _on_open(self) -> None:
        # A fresh channel (a reconnection): the agent's console starts over, tell it again.
        if self._share is not None:
            self._announce_share()

    # -- sending ----------------------------------------------------------

    def send(self, message: ChannelMessage) -> bool:
        """Send ``message`` if the channel is open; ``False`` if it could not go."""
        if not self.is_open:
            return False
        assert self._channel is not None
        self._channel.send(dump_channel_message(message))
        return True

    def send_chat(self, text: str) -> Chat:
        """Send a chat line (validated: 1 to 1,000 characters); raises ``ValueError``."""
        chat = Chat(id=f"k{next(_ids)}", text=text)
        if not self.send(chat):
            raise ConnectionError("the data channel is not open")
        return chat

    # -- receiving --------------------------------------------------------

    def _on_message(self, data: str | bytes) -> None:
        self._on_traffic()
        if isinstance(data, bytes):
            try:
                self._receiver.chunk(data)
            except TransferError as err:
                self.send(ChannelErrorMessage(code=err.code, message=str(err)))
            return
        try:
            message = parse_channel_message(data)
        except ChannelError as err:
            _log.info("refused a data-channel message: %s", err)
            self.send(ChannelErrorMessage(code=err.code, message=str(err)[:500]))
            return
        if isinstance(message, Pointer | PushUrl):
            self._on_share_message(message)
        else:
            self._dispatch(message)

    def _dispatch(self, message: ChannelMessage) -> None:
        match message:
            case Chat():
                self._listener.chat_received(message)
            case CaptureRequest():
                self._spawn(self._capture(message.id))
            case FileBegin(purpose="print"):
                self._receiver.begin(message)
            case FileEnd():
                self._finish_transfer(message)
            case FileError():
                if self._receiver.busy:
                    self._receiver.abort()
                _log.info("the agent reported transfer %s failed: %s", message.id, message.code)
            case Push():
                self._listener.push_received(message)
            case Quality():
                self._on_remote_quality(message.level)
                self._listener.remote_quality(message)
            case Curtain():
                self._listener.curtain(message.on)
            case End():
                self._on_end(message)
            case ChannelErrorMessage():
                _log.info("the agent refused a message: %s", message.code)
            case _:  # a capture offered to the kiosk, a print_done: not for this side
                self.send(ChannelErrorMessage(code="channel.unexpected", message=message.type))

    def _on_share_message(self, message: Pointer | PushUrl) -> None:
        binding = self._share
        if isinstance(message, Pointer):
            if binding is None:
                self.send(ChannelErrorMessage(code="pointer.not_sharing"))
            else:
                binding.show_pointer(message.x, message.y)
        elif binding is None:
            self.send(
                ChannelErrorMessage(code="push_url.not_sharing", message="no e-service on screen")
            )
        elif not binding.allows_url(message.url):
            _log.info("refused a pushed address outside the service's allow-list")
            self.send(
                ChannelErrorMessage(
                    code="push_url.refused", message="this address is not allowed for the service"
                )
            )
        else:
            binding.open_url(message.url)

    # -- captures ---------------------------------------------------------

    async def _capture(self, transfer_id: str) -> None:
        code: str | None = None
        try:
            if self._stills is None:
                raise StillError("capture.no_camera", "this kiosk has no document camera")
            still = await self._stills.take_still()
            channel = self._channel
            if channel is None:
                raise TransferError("file.channel_closed", "no channel")
            await send_file(
                channel,
                transfer_id=transfer_id,
                purpose="capture",
                name=f"capture-{transfer_id}.jpg",
                mime="image/jpeg",
                data=still.jpeg,
            )
        except (StillError, TransferError) as err:
            code = err.code
            _log.info("capture %s failed: %s", transfer_id, err)
            self.send(FileError(id=transfer_id, code=err.code))
        self._listener.capture_done(transfer_id, code is None, code)

    # -- prints -----------------------------------------------------------

    def _finish_transfer(self, message: FileEnd) -> None:
        try:
            begin, data = self._receiver.end(message)
        except TransferError as err:
            self.send(FileError(id=message.id, code=err.code))
            self.send(PrintDone(id=message.id, ok=False, code=err.code))
            self._listener.print_done(message.id, False, err.code)
            return
        self._spawn(self._print(begin, data))

    async def _print(self, begin: FileBegin, data: bytes) -> None:
        code: str | None = None
        if self._printer is None:
            code = "print.no_printer"
        elif begin.mime != "application/pdf":
            code = "print.not_pdf"
        else:
            try:
                await self._printer.print_pdf(data, title=begin.name)
            except PrinterError as err:
                code = err.code
        self.send(PrintDone(id=begin.id, ok=code is None, code=code))
        self._listener.print_done(begin.id, code is None, code)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
