"""The messages of the ``visio`` data channel (docs/VIDEO.md), validated on receipt.

Text frames are JSON objects discriminated on ``type``; binary frames are
chunks of the transfer announced just before by ``file_begin``. Anything that
arrives goes through :func:`parse_channel_message`, which raises only
:class:`ChannelError`: the receiver answers ``error`` and drops the message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError
from pydantic_core import from_json

MAX_CHAT_CHARS = 1_000
MAX_TRANSFER_BYTES = 25 * 1024 * 1024
CHUNK_BYTES = 16 * 1024
MAX_MESSAGE_BYTES = 16_000  # a text frame: a chat line of 1,000 characters is at most ~6 kB

MessageId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
ErrorCode = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=64)
]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ChannelError(Exception):
    """A data-channel message was refused; ``code`` goes back in an ``error`` message.

    Codes: ``channel.too_large``, ``channel.bad_json``, ``channel.not_an_object``,
    ``channel.unknown_type``, ``channel.invalid``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class QualityLevel(StrEnum):
    """What the sender sends, best first; both sides are told every change."""

    FULL = "full"
    REDUCED = "reduced"
    AUDIO_ONLY = "audio_only"
    CHAT_ONLY = "chat_only"


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Chat(_Message):
    """A chat line (both ways); the kiosk also shows received lines as captions."""

    type: Literal["chat"] = "chat"
    id: MessageId
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_CHAT_CHARS)]


class CaptureRequest(_Message):
    """Agent -> kiosk: take a full-resolution still with the document camera."""

    type: Literal["capture_request"] = "capture_request"
    id: MessageId


class FileBegin(_Message):
    """A transfer follows in binary chunks of 16 KiB (``capture`` or ``print``)."""

    type: Literal["file_begin"] = "file_begin"
    id: MessageId
    purpose: Literal["capture", "print"]
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_. -]{0,99}$")]
    mime: Literal["image/jpeg", "application/pdf"]
    size: Annotated[int, Field(ge=0, le=MAX_TRANSFER_BYTES)]
    sha256: Sha256Hex


class FileEnd(_Message):
    """The transfer is complete; the receiver checks size and hash."""

    type: Literal["file_end"] = "file_end"
    id: MessageId


class FileError(_Message):
    """The transfer (or the capture or print behind it) failed."""

    type: Literal["file_error"] = "file_error"
    id: MessageId
    code: ErrorCode


class Push(_Message):
    """Agent -> kiosk: show a link or a QR code, or open a form."""

    type: Literal["push"] = "push"
    id: MessageId
    kind: Literal["link", "qr", "form"]
    title: Title
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S{1,2000}$")] | None = None
    form_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")] | None = None


class PrintDone(_Message):
    """Kiosk -> agent: the result of a print request."""

    type: Literal["print_done"] = "print_done"
    id: MessageId
    ok: bool
    code: ErrorCode | None = None


class Quality(_Message):
    """The sender's quality level changed, and why (both ways)."""

    type: Literal["quality"] = "quality"
    level: QualityLevel
    reason: Annotated[str, StringConstraints(max_length=200)]


class End(_Message):
    """Agent -> kiosk: the agent ends the call with an outcome code."""

    type: Literal["end"] = "end"
    outcome: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    notes: Annotated[str, StringConstraints(max_length=2_000)] | None = None


class Curtain(_Message):
    """Both ways: the citizen stepped away (agent -> kiosk: cover the screen) or is
    back (kiosk -> agent: the citizen lifted it)."""

    type: Literal["curtain"] = "curtain"
    on: bool


Unit = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
ShareUrl = Annotated[str, StringConstraints(pattern=r"^https?://\S{1,2000}$")]


class Share(_Message):
    """Kiosk -> agent: the screen share started or stopped, with the page as context.

    ``title`` and ``url`` name what the citizen is looking at (the e-service's
    page); both are absent when the share stopped.
    """

    type: Literal["share"] = "share"
    on: bool
    title: Annotated[str, StringConstraints(max_length=200)] | None = None
    url: ShareUrl | None = None


class Pointer(_Message):
    """Agent -> kiosk: show the citizen this spot, ``x, y`` in 0..1 of the shared frame."""

    type: Literal["pointer"] = "pointer"
    x: Unit
    y: Unit


class PushUrl(_Message):
    """Agent -> kiosk: open ``url`` in the current e-service, if its allow-list has it.

    A refused address is answered ``error`` with ``code`` ``push_url.refused``
    (or ``push_url.not_sharing`` when no e-service is on screen).
    """

    type: Literal["push_url"] = "push_url"
    id: MessageId
    url: ShareUrl


class ChannelErrorMessage(_Message):
    """Either side: the previous message was refused."""

    type: Literal["error"] = "error"
    code: ErrorCode
    message: Annotated[str, StringConstraints(max_length=500)] = ""


ChannelMessage = Annotated[
    Chat
    | CaptureRequest
    | FileBegin
    | FileEnd
    | FileError
    | Push
    | PrintDone
    | Quality
    | End
    | Curtain
    | Share
    | Pointer
    | PushUrl
    | ChannelErrorMessage,
    Field(discriminator="type"),
]
CHANNEL_TYPES = frozenset(
    {
        "chat",
        "capture_request",
        "file_begin",
        "file_end",
        "file_error",
        "push",
        "print_done",
        "quality",
        "end",
        "curtain",
        "share",
        "pointer",
        "push_url",
        "error",
    }
)
_ADAPTER: TypeAdapter[ChannelMessage] = TypeAdapter(ChannelMessage)


def parse_channel_message(raw: str) -> ChannelMessage:
    """Validate one text frame; raises only :class:`ChannelError`."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ChannelError("channel.too_large", f"more than {MAX_MESSAGE_BYTES} characters")
    try:
        data = raw.encode("utf-8")
    except UnicodeEncodeError:
        raise ChannelError("channel.bad_json", "text with lone surrogates") from None
    if len(data) > MAX_MESSAGE_BYTES:
        raise ChannelError("channel.too_large", f"more than {MAX_MESSAGE_BYTES} bytes")
    try:
        document: Any = from_json(data, allow_inf_nan=False)
    except ValueError as err:
        raise ChannelError("channel.bad_json", f"not valid JSON: {err}") from None
    if not isinstance(document, dict):
        raise ChannelError("channel.not_an_object", "a message is a JSON object")
    kind = document.get("type")
    if not isinstance(kind, str) or kind not in CHANNEL_TYPES:
        raise ChannelError("channel.unknown_type", "unknown message type")
    try:
        return _ADAPTER.validate_json(data, strict=True)
    except ValidationError as err:
        # Field names and rules only: a chat line is personal data, kept out of logs.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or '(message)'}: {e['msg']}"
            for e in err.errors(include_input=False, include_url=False)[:5]
        )
        raise ChannelError("channel.invalid", f"invalid {kind}: {problems}") from None


def dump_channel_message(message: ChannelMessage) -> str:
    """The message as compact JSON text for a data-channel text frame."""
    return message.model_dump_json(exclude_none=True)
