"""What the card reader reports: who holds the card, and what happened in the slot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


@dataclass(frozen=True)
class CardHolder:
    """The identity read from a citizen's card.

    Personal data: the ``repr`` masks it, because a ``CardHolder`` that ends up
    in a log line must not put a citizen's name in a technician's hands.
    """

    file_number: str
    given_name: str = field(repr=False)
    family_name: str = field(repr=False)
    birth_date: date | None = field(repr=False)

    def __repr__(self) -> str:
        return f"CardHolder(file_number='…{self.file_number[-2:]}')"


@dataclass(frozen=True)
class CardIdentity:
    """What identifies the card itself (not its holder): ATR, UID and the profile matched.

    ``profile`` names the card family the ATR matched (``"citizen-v1"``). The UID is
    a hardware serial that follows a person around, so the ``repr`` shows only its
    last byte.
    """

    atr: bytes
    uid: bytes = field(repr=False)
    profile: str

    def __repr__(self) -> str:
        return (
            f"CardIdentity(profile={self.profile!r}, atr={self.atr.hex(' ')!r}, "
            f"uid='…{self.uid[-1:].hex()}')"
        )


class CardEventKind(StrEnum):
    """What happened at the reader."""

    INSERTED = "inserted"
    REMOVED = "removed"
    READER_LOST = "reader_lost"
    READER_BACK = "reader_back"


@dataclass(frozen=True)
class CardEvent:
    """One event from the reader, delivered to listeners on the event-loop thread."""

    kind: CardEventKind
