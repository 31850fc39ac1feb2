"""Data-channel messages: valid ones parse, anything else raises ChannelError only."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from video.channel import (
    MAX_TRANSFER_BYTES,
    ChannelError,
    Chat,
    Curtain,
    FileBegin,
    Push,
    Quality,
    QualityLevel,
    dump_channel_message,
    parse_channel_message,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
types = st.sampled_from(
    [
        "chat",
        "capture_request",
        "file_begin",
        "file_end",
        "file_error",
        "push",
        "print_done",
        "quality",
        "end",
        "error",
        "nope",
    ]
)


def refusal(raw: str) -> str | None:
    """The refusal code for ``raw``, or ``None`` when it parses (any other error escapes)."""
    try:
        parse_channel_message(raw)
    except ChannelError as err:
        return err.code
    return None


@given(st.text())
def test_random_text_parses_or_raises_our_error(raw: str) -> None:
    code = refusal(raw)
    assert code is None or code.startswith("channel.")


@given(types, st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_random_objects_parse_or_raise_our_error(kind: str, fields: dict[str, object]) -> None:
    raw = json.dumps({**fields, "type": kind})
    code = refusal(raw)
    if code is None:
        assert parse_channel_message(raw).type == kind
    else:
        assert code in {"channel.invalid", "channel.unknown_type", "channel.too_large"}


@pytest.mark.parametrize(
    "message",
    [
        Chat(id="a1", text="Bonjour"),
        Quality(level=QualityLevel.AUDIO_ONLY, reason="loss"),
        Curtain(on=True),
        Push(id="p1", kind="qr", title="Formulaire", url="https://example.org/f"),
        FileBegin(
            id="c1",
            purpose="capture",
            name="capture.jpg",
            mime="image/jpeg",
            size=10,
            sha256="a" * 64,
        ),
    ],
)
def test_valid_messages_round_trip(message: object) -> None:
    assert parse_channel_message(dump_channel_message(message)) == message  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ('{"type": "chat", "id": "a", "text": "' + "x" * 1001 + '"}', "channel.invalid"),
        ('{"type": "chat", "id": "a", "text": "hi", "extra": 1}', "channel.invalid"),
        (
            '{"type": "push", "id": "a", "kind": "link", "title": "t", "url": "javascript:x"}',
            "channel.invalid",
        ),
        (
            '{"type": "file_begin", "id": "a", "purpose": "print", "name": "a.pdf", '
            '"mime": "application/pdf", "size": ' + str(MAX_TRANSFER_BYTES + 1) + ", "
            '"sha256": "' + "0" * 64 + '"}',
            "channel.invalid",
        ),
        ('{"type": "quality", "level": "ultra", "reason": ""}', "channel.invalid"),
        ('{"type": "curtain", "on": "yes"}', "channel.invalid"),
        ("[]", "channel.not_an_object"),
        ("{", "channel.bad_json"),
        ('{"type": "teleport"}', "channel.unknown_type"),
    ],
)
def test_refusals_name_the_rule(raw: str, code: str) -> None:
    with pytest.raises(ChannelError) as caught:
        parse_channel_message(raw)
    assert caught.value.code == code
