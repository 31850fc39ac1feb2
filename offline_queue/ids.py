"""ULIDs for outbox items: idempotency keys that sort by creation time.

A ULID is 48 bits of milliseconds since the epoch followed by 80 random bits,
written as 26 Crockford base-32 characters. The generator here is monotonic:
two keys made in the same millisecond, or after the clock stepped backwards
(NTP on a kiosk that booted without network), still sort in the order they
were made, so "oldest first" in the outbox is simply "smallest key first".
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_LENGTH = 26
_TIMESTAMP_BITS = 48
_RANDOM_BITS = 80
_MAX_RANDOM = (1 << _RANDOM_BITS) - 1
_MAX_TIMESTAMP_MS = (1 << _TIMESTAMP_BITS) - 1
_DECODE = {char: value for value, char in enumerate(CROCKFORD_ALPHABET)}


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def encode_ulid(timestamp_ms: int, randomness: int) -> str:
    """Write a (timestamp, randomness) pair as a 26-character ULID."""
    if not 0 <= timestamp_ms <= _MAX_TIMESTAMP_MS:
        raise ValueError(f"ULID timestamp out of range: {timestamp_ms}")
    if not 0 <= randomness <= _MAX_RANDOM:
        raise ValueError("ULID randomness out of range")
    value = (timestamp_ms << _RANDOM_BITS) | randomness
    chars = []
    for _ in range(ULID_LENGTH):
        chars.append(CROCKFORD_ALPHABET[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def decode_ulid(ulid: str) -> tuple[int, int]:
    """Read a ULID back into its (timestamp in ms, randomness) pair.

    Raises ``ValueError`` for anything that is not a canonical ULID.
    """
    if len(ulid) != ULID_LENGTH:
        raise ValueError(f"a ULID has {ULID_LENGTH} characters, got {len(ulid)}")
    value = 0
    for char in ulid:
        digit = _DECODE.get(char)
        if digit is None:
            raise ValueError(f"not a Crockford base-32 character: {char!r}")
        value = (value << 5) | digit
    if value >> (_TIMESTAMP_BITS + _RANDOM_BITS):
        raise ValueError("ULID overflows 128 bits")
    return value >> _RANDOM_BITS, value & _MAX_RANDOM


def ulid_created_at(ulid: str) -> datetime:
    """The creation time encoded in a ULID (millisecond precision, UTC)."""
    timestamp_ms, _ = decode_ulid(ulid)
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)


class UlidGenerator:
    """Makes strictly increasing ULIDs, safe to share between threads.

    ``floor`` is the greatest key already issued (for example the newest key
    in the outbox): every new key sorts after it, even if the wall clock is
    now behind the time that key was made.
    """

    def __init__(
        self,
        *,
        floor: str | None = None,
        clock_ms: Callable[[], int] = _now_ms,
        randbits: Callable[[int], int] = secrets.randbits,
    ) -> None:
        self._clock_ms = clock_ms
        self._randbits = randbits
        self._lock = threading.Lock()
        self._last: tuple[int, int] = decode_ulid(floor) if floor is not None else (-1, 0)

    def new(self) -> str:
        """Return a fresh ULID, greater than every ULID this generator made before."""
        with self._lock:
            now_ms = self._clock_ms()
            last_ms, last_random = self._last
            if now_ms > last_ms:
                stamp = (now_ms, self._randbits(_RANDOM_BITS))
            elif last_random < _MAX_RANDOM:
                # Same millisecond, or the clock went back: keep the old time and count up.
                stamp = (last_ms, last_random + 1)
            else:
                stamp = (last_ms + 1, self._randbits(_RANDOM_BITS))
            self._last = stamp
            return encode_ulid(*stamp)
