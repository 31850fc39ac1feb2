"""File transfers on the data channel: ``file_begin``, 16 KiB binary chunks, ``file_end``.

The sender respects the channel's ``bufferedAmount``: it stops queueing above a
high-water mark and waits for aiortc's ``bufferedamountlow`` event, so that a
4K still goes through at link speed without piling megabytes into the SCTP
buffer (which would also delay every chat line queued behind it).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field

from aiortc import RTCDataChannel

from video.channel import (
    CHUNK_BYTES,
    MAX_TRANSFER_BYTES,
    FileBegin,
    FileEnd,
    dump_channel_message,
)

HIGH_WATER_BYTES = 1024 * 1024
LOW_WATER_BYTES = 256 * 1024
DRAIN_TIMEOUT_S = 10.0  # no progress for this long: the channel is dead, give up


class TransferError(Exception):
    """A transfer failed; ``code`` is the ``file_error`` code to report."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data`` as lower-case hex, as ``file_begin`` carries it."""
    return hashlib.sha256(data).hexdigest()


async def send_file(
    channel: RTCDataChannel,
    *,
    transfer_id: str,
    purpose: str,
    name: str,
    mime: str,
    data: bytes,
) -> None:
    """Send ``data`` as one transfer; raises :class:`TransferError` if the channel dies."""
    if len(data) > MAX_TRANSFER_BYTES:
        raise TransferError("file.too_large", f"{len(data)} bytes")
    begin = FileBegin.model_validate(
        {
            "id": transfer_id,
            "purpose": purpose,
            "name": name,
            "mime": mime,
            "size": len(data),
            "sha256": sha256_hex(data),
        }
    )
    drained = asyncio.Event()

    def on_low() -> None:
        drained.set()

    channel.bufferedAmountLowThreshold = LOW_WATER_BYTES
    channel.on("bufferedamountlow", on_low)
    try:
        _send(channel, dump_channel_message(begin))
        view = memoryview(data)
        for offset in range(0, len(data), CHUNK_BYTES):
            while channel.bufferedAmount > HIGH_WATER_BYTES:
                drained.clear()
                try:
                    async with asyncio.timeout(DRAIN_TIMEOUT_S):
                        await drained.wait()
                except TimeoutError:
                    raise TransferError("file.stalled", "the channel stopped draining") from None
            _send(channel, bytes(view[offset : offset + CHUNK_BYTES]))
        _send(channel, dump_channel_message(FileEnd(id=transfer_id)))
    finally:
        channel.remove_listener("bufferedamountlow", on_low)


def _send(channel: RTCDataChannel, payload: str | bytes) -> None:
    if channel.readyState != "open":
        raise TransferError("file.channel_closed", "the data channel is not open")
    channel.send(payload)


@dataclass
class IncomingFile:
    """A transfer being received: what ``file_begin`` announced and the bytes so far."""

    begin: FileBegin
    chunks: list[bytes] = field(default_factory=list)
    received: int = 0


class FileReceiver:
    """Reassembles at most one incoming transfer at a time, checking size and hash."""

    def __init__(self) -> None:
        self._current: IncomingFile | None = None

    @property
    def busy(self) -> bool:
        """Whether a transfer is in progress."""
        return self._current is not None

    def begin(self, message: FileBegin) -> None:
        """Start a transfer; a transfer still open is abandoned (its sender gave up)."""
        self._current = IncomingFile(message)

    def chunk(self, data: bytes) -> None:
        """Add a binary chunk; raises :class:`TransferError` (the transfer is dropped)."""
        current = self._current
        if current is None:
            raise TransferError("file.unexpected_chunk", "binary data outside a transfer")
        current.received += len(data)
        if current.received > current.begin.size:
            self._current = None
            raise TransferError("file.bad_size", "more bytes than announced")
        current.chunks.append(data)

    def end(self, message: FileEnd) -> tuple[FileBegin, bytes]:
        """Finish the transfer ``message.id``: its announcement and its checked bytes."""
        current, self._current = self._current, None
        if current is None or current.begin.id != message.id:
            raise TransferError("file.unknown_transfer", "file_end for no open transfer")
        data = b"".join(current.chunks)
        if len(data) != current.begin.size:
            raise TransferError("file.bad_size", "fewer bytes than announced")
        if sha256_hex(data) != current.begin.sha256:
            raise TransferError("file.bad_hash", "the bytes do not match their hash")
        return current.begin, data

    def abort(self) -> str | None:
        """Drop the transfer in progress (channel closed); its id, if there was one."""
        current, self._current = self._current, None
        return None if current is None else current.begin.id
